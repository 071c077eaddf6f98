package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SkuGroup;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
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
 * SKU groups over gRPC, as a sale with several SKUs and one limit per buyer: racing reserves of one
 * buyer across the group's SKUs get exactly the limit, the group survives a restart, a group's
 * attempt limit counts only reserves touching it and its counts survive a restart, and mistakes are
 * named.
 */
class SkuGroupsIT {
    private static final long MINUTE_MILLIS = 60_000;

    @RegisterExtension
    final ItServer running = new ItServer();

    @TempDir
    Path dataDir;

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    /** Waits, if need be, until the current minute has at least 10 s left; returns its number. */
    private static long awayFromAWindowsTurn() throws InterruptedException {
        long left = MINUTE_MILLIS - System.currentTimeMillis() % MINUTE_MILLIS;
        if (left < 10_000) {
            Thread.sleep(left + 50);
        }
        return System.currentTimeMillis() / MINUTE_MILLIS;
    }

    private Sku inGroup(String skuId, String groupId) {
        return running.client()
                .upsertSku(ItFixtures.sku(skuId, 1_000, 0).toBuilder()
                        .setGroupId(groupId)
                        .build());
    }

    @Test
    void racingReservesAcrossTheGroupShouldGetExactlyItsLimitAcrossARestart() throws Exception {
        running.start(dataDir);
        SkuGroup group = running.client().upsertSkuGroup("drop-1", 3);
        assertThat(group.getPerUserLimit()).isEqualTo(3);
        assertThat(inGroup("SHIRT", "drop-1").getGroupId()).isEqualTo("drop-1");
        inGroup("CAP", "drop-1");
        inGroup("BAG", "drop-1");
        assertThat(running.client().getSkuGroup("drop-1").getSkuIdsList()).containsExactly("SHIRT", "CAP", "BAG");

        List<String> skus = List.of("SHIRT", "CAP", "BAG");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        Map<ReserveResult, Integer> results = new EnumMap<>(ReserveResult.class);
        try {
            List<Future<ReserveReply>> replies = new ArrayList<>();
            for (int i = 0; i < 90; i++) {
                String sku = skus.get(i % 3);
                replies.add(pool.submit(() -> running.client().reserve("buyer", sku, 1)));
            }
            for (Future<ReserveReply> reply : replies) {
                results.merge(reply.get().getResult(), 1, Integer::sum);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(results)
                .containsEntry(ReserveResult.RESERVED, 3)
                .containsEntry(ReserveResult.GROUP_LIMIT_EXCEEDED, 87);
        long reserved = 0;
        for (String sku : skus) {
            reserved += running.client().getStock(sku).getReserved();
        }
        assertThat(reserved).isEqualTo(3);

        running.stop();
        running.start(dataDir);

        assertThat(running.client().getSkuGroup("drop-1").getSkuIdsList()).containsExactly("SHIRT", "CAP", "BAG");
        assertThat(running.client().getStock("CAP").getGroupId()).isEqualTo("drop-1");
        ReserveReply again = running.client().reserve("buyer", "BAG", 1);
        assertThat(again.getResult()).isEqualTo(ReserveResult.GROUP_LIMIT_EXCEEDED);
        assertThat(again.getFailedSkuId()).isEqualTo("BAG");
        running.client().upsertSkuGroup("drop-1", 4);
        assertThat(running.client().reserve("buyer", "BAG", 1).getResult()).isEqualTo(ReserveResult.RESERVED);
    }

    @Test
    void aGroupsAttemptLimitShouldCountOnlyReservesTouchingItAcrossARestart() throws Exception {
        running.start(dataDir);
        SkuGroup group = running.client().upsertSkuGroup("drop-2", 5, 2, MINUTE_MILLIS);
        assertThat(group.getMaxAttempts()).isEqualTo(2);
        assertThat(group.getWindowMillis()).isEqualTo(MINUTE_MILLIS);
        inGroup("HAT", "drop-2");
        inGroup("SOCK", "drop-2");
        running.client().upsertSku(ItFixtures.sku("PLAIN", 1_000, 0));
        SkuGroup read = running.client().getSkuGroup("drop-2");
        assertThat(read.getMaxAttempts()).isEqualTo(2);
        assertThat(read.getWindowMillis()).isEqualTo(MINUTE_MILLIS);
        assertThat(read.getPerUserLimit()).isEqualTo(5);
        assertThat(read.getSkuIdsList()).containsExactly("HAT", "SOCK");
        // The server counts in windows of its clock aligned to the epoch: start well inside one.
        long window = awayFromAWindowsTurn();

        assertThat(running.client().reserve("buyer", "PLAIN", 1).getResult())
                .as("no line in the group: not counted")
                .isEqualTo(ReserveResult.RESERVED);
        assertThat(running.client().reserve("buyer", "HAT", 1).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(running.client()
                        .reserve("buyer", List.of(line("HAT", 1), line("SOCK", 1)))
                        .getResult())
                .as("two lines in the group: one attempt")
                .isEqualTo(ReserveResult.RESERVED);
        assertThat(running.client().reserve("buyer", "PLAIN", 1).getResult()).isEqualTo(ReserveResult.RESERVED);
        ReserveReply third = running.client().reserve("buyer", List.of(line("PLAIN", 1), line("SOCK", 1)));
        ReserveReply other = running.client().reserve("other", "SOCK", 1);
        boolean sameWindow = System.currentTimeMillis() / MINUTE_MILLIS == window;
        if (sameWindow) {
            assertThat(third.getResult()).isEqualTo(ReserveResult.RATE_LIMITED);
            assertThat(third.getFailedSkuId()).as("its first line in the group").isEqualTo("SOCK");
        }
        assertThat(other.getResult()).as("each buyer counts apart").isEqualTo(ReserveResult.RESERVED);
        assertThat(running.client().getStock("PLAIN").getReserved())
                .as("a refused reserve takes nothing")
                .isEqualTo(sameWindow ? 2 : 3);
        // Metrics: the users the groups count (buyer and other), beside the global counters' table.
        Double counted = sameWindow ? Double.valueOf(2.0) : null;
        ItFixtures.awaitTrue("group attempt counters gauge", Duration.ofSeconds(10), () -> {
            Double used = MetricsEndpointIT.sampleOrNull(
                    ItFixtures.metricsText(running.server()),
                    "checkout_table_used_entries{table=\"group_attempt_counters\"}");
            return used != null && (counted == null || counted.equals(used));
        });
        String scrape = ItFixtures.metricsText(running.server());
        assertThat(MetricsEndpointIT.sample(
                        scrape, "checkout_table_capacity_entries{table=\"group_attempt_counters\"}"))
                .as("attempt-counter-capacity")
                .isEqualTo(MetricsEndpointIT.sample(
                        scrape, "checkout_table_capacity_entries{table=\"attempt_counters\"}"));

        running.stop();
        running.start(dataDir);

        assertThat(running.client().getSkuGroup("drop-2").getMaxAttempts()).isEqualTo(2);
        ReserveReply afterRestart = running.client().reserve("buyer", "HAT", 1);
        if (sameWindow && System.currentTimeMillis() / MINUTE_MILLIS == window) {
            assertThat(afterRestart.getResult())
                    .as("the count survived the restart")
                    .isEqualTo(ReserveResult.RATE_LIMITED);
            assertThat(afterRestart.getFailedSkuId()).isEqualTo("HAT");
        }
        running.client().upsertSkuGroup("drop-2", 5);
        assertThat(running.client().getSkuGroup("drop-2").getMaxAttempts())
                .as("an upsert without a limit takes it off")
                .isZero();
        assertThat(running.client().reserve("buyer", "HAT", 1).getResult()).isEqualTo(ReserveResult.RESERVED);
    }

    @Test
    void groupMistakesShouldBeNamedAndChangeNothing() {
        running.start(dataDir);
        StatusRuntimeException unknown = ItFixtures.grpcFailure(() -> inGroup("SHIRT", "never"));
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(unknown).getReason()).isEqualTo("GROUP_UNKNOWN");
        assertThat(ItFixtures.errorInfo(unknown).getMetadataMap()).containsEntry("field", "group_id");
        ItFixtures.assertInvalidArgument(ItFixtures.grpcFailure(() -> inGroup("SHIRT", "no spaces")), "group_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 0)), "per_user_limit");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("bad id", 2)), "group_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 2, -1, 1_000)), "max_attempts");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 2, 1_000_001, 1_000)),
                "max_attempts");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 2, 2, 0)), "window_millis");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 2, 2, 86_400_001L)),
                "window_millis");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 2, 0, 5)), "window_millis");
        StatusRuntimeException missing =
                ItFixtures.grpcFailure(() -> running.client().getSkuGroup("drop-1"));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        StatusRuntimeException noSku =
                ItFixtures.grpcFailure(() -> running.client().getStock("SHIRT"));
        assertThat(noSku.getStatus().getCode()).as("nothing changed").isEqualTo(Status.Code.NOT_FOUND);
    }
}
