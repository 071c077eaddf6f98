package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.RiskRules;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UserRisk;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Risk rules over gRPC, as an operator facing scalpers would use them: a blocked user gets nothing
 * however hard they try, a user hammering one id gets exactly the attempt limit's worth of answers
 * even when the attempts race, bad rules are refused naming the field, and all of it survives a
 * restart.
 */
class RiskRulesIT {
    /** A day: the attempts below fall into one window unless the test straddles midnight UTC. */
    private static final long DAY_MILLIS = 86_400_000L;

    @TempDir
    Path dataDir;

    @RegisterExtension
    final ItServer running = new ItServer();

    private Map<ReserveResult, Integer> raceReserves(String userId, int callers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<ReserveReply>> replies = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                replies.add(pool.submit(() -> running.client().reserve(userId, "SKU-1", 1)));
            }
            Map<ReserveResult, Integer> counts = new EnumMap<>(ReserveResult.class);
            for (Future<ReserveReply> reply : replies) {
                counts.merge(reply.get().getResult(), 1, Integer::sum);
            }
            return counts;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void racingAttemptsShouldGetExactlyTheLimitAndBlockedUsersNothingAcrossARestart() throws Exception {
        running.start(dataDir);
        running.client().upsertSku(ItFixtures.sku("SKU-1", 10_000, 0));
        RiskRules rules = running.client().setAttemptLimit(5, DAY_MILLIS);
        assertThat(rules.getMaxAttempts()).isEqualTo(5);
        assertThat(rules.getWindowMillis()).isEqualTo(DAY_MILLIS);
        UserRisk blocked = running.client().blockUser("scalper-1");
        assertThat(blocked.getBlocked()).isTrue();
        long windowEnd = running.client().getUserRisk("hammer").getWindowEndsAtEpochMillis();

        Map<ReserveResult, Integer> hammer = raceReserves("hammer", 200);
        Map<ReserveResult, Integer> scalper = raceReserves("scalper-1", 50);

        UserRisk after = running.client().getUserRisk("hammer");
        if (after.getWindowEndsAtEpochMillis() == windowEnd) {
            assertThat(hammer).containsEntry(ReserveResult.RESERVED, 5).containsEntry(ReserveResult.RATE_LIMITED, 195);
            assertThat(after.getAttemptsInWindow()).isEqualTo(5);
        } else {
            assertThat(hammer.get(ReserveResult.RESERVED))
                    .as("two windows at most")
                    .isBetween(5, 10);
        }
        assertThat(scalper).containsExactlyEntriesOf(Map.of(ReserveResult.BLOCKED, 50));
        Sku sku = running.client().getStock("SKU-1");
        assertThat(sku.getReserved()).isEqualTo((long) hammer.get(ReserveResult.RESERVED));
        assertThat(running.client().getUserRisk("scalper-1").getAttemptsInWindow())
                .as("BLOCKED answers do not count")
                .isZero();
        assertThat(running.client().getRiskRules().getBlockedUsers()).isEqualTo(1);
        assertThat(running.client().getRiskRules().getCountedUsers()).isEqualTo(1);

        running.stop();
        running.start(dataDir);

        assertThat(running.client().reserve("scalper-1", "SKU-1", 1).getResult())
                .isEqualTo(ReserveResult.BLOCKED);
        RiskRules restored = running.client().getRiskRules();
        assertThat(restored.getMaxAttempts()).isEqualTo(5);
        assertThat(restored.getBlockedUsers()).isEqualTo(1);
        if (running.client().getUserRisk("hammer").getWindowEndsAtEpochMillis() == windowEnd) {
            assertThat(running.client().reserve("hammer", "SKU-1", 1).getResult())
                    .as("the count survived the restart")
                    .isEqualTo(ReserveResult.RATE_LIMITED);
        }
        assertThat(running.client().unblockUser("scalper-1").getBlocked()).isFalse();
        assertThat(running.client().reserve("scalper-1", "SKU-1", 1).getResult())
                .isEqualTo(ReserveResult.RESERVED);
        running.client().setAttemptLimit(0, 0);
        assertThat(running.client().reserve("hammer", "SKU-1", 1).getResult())
                .as("no limit, no count")
                .isEqualTo(ReserveResult.RESERVED);
    }

    @Test
    void badRulesShouldBeNamedAndChangeNothing() {
        running.start(dataDir);
        running.client().setAttemptLimit(3, 1_000);
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().setAttemptLimit(-1, 1_000)), "max_attempts");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().setAttemptLimit(1_000_001, 1_000)), "max_attempts");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().setAttemptLimit(3, 0)), "window_millis");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().setAttemptLimit(3, DAY_MILLIS + 1)), "window_millis");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().blockUser("has space")), "user_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().getUserRisk("")), "user_id");
        RiskRules rules = running.client().getRiskRules();
        assertThat(rules.getMaxAttempts()).isEqualTo(3);
        assertThat(rules.getWindowMillis()).isEqualTo(1_000);
        assertThat(rules.getBlockedUsers()).isZero();
        assertThat(rules.getBlocklistCapacity()).isEqualTo(1 << 20);
    }

    @Test
    void fullBlocklistShouldBeResourceExhaustedNamingIt() {
        running.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.BLOCKLIST_CAPACITY, 1)
                .conclude());
        running.client().blockUser("first");
        StatusRuntimeException full =
                ItFixtures.grpcFailure(() -> running.client().blockUser("second"));
        assertThat(full.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(ItFixtures.errorInfo(full).getReason()).isEqualTo("BLOCKLIST_FULL");
        assertThat(full.getStatus().getDescription()).contains("blocklist-capacity");
        assertThat(running.client().getUserRisk("second").getBlocked()).isFalse();
        ItFixtures.awaitTrue(
                "the blocklist's fill gauge",
                java.time.Duration.ofSeconds(10),
                () -> ItFixtures.metricsText(running.server())
                        .contains("checkout_table_used_entries{table=\"blocklist\"} 1.0"));
        assertThat(ItFixtures.metricsText(running.server()))
                .contains("checkout_table_capacity_entries{table=\"blocklist\"} 1.0");
    }
}
