package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.RiskRules;
import io.checkout.server.CheckoutServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The abuse scenario through the real server on loopback: blocked users get BLOCKED and nothing
 * else, hammer users meet the attempt limit, and the audit passes.
 */
class AbuseIT {

    @TempDir
    Path directory;

    private CheckoutServer server;

    @BeforeEach
    void startServer() {
        server = TestServers.start(directory.resolve("data"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void blockedUsersGetNothingHammerUsersMeetTheLimitAndTheAuditPasses() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("abuse.json");
        Path html = directory.resolve("abuse.html");
        String adminToken = TestServers.adminToken(directory.resolve("data"));
        // 300/s for 4 s: 2 hammer users send 40% of the reserves, about 60/s each against a limit of
        // 5 per second, so most are RATE_LIMITED; 3 blocked users send 10%, all BLOCKED; the rest
        // buy from 2,000 normal users the flash sale's 3 SKUs of 1,000 units, one each.
        int exit = TestServers.loadgen(
                out,
                "--target",
                "127.0.0.1:" + server.port(),
                "--quiet",
                "--admin-token",
                adminToken,
                "--scenario",
                "abuse",
                "--setup",
                "--sku-prefix",
                "ab-",
                "--users",
                "2000",
                "--hammer-users",
                "2",
                "--hammer-share",
                "0.4",
                "--blocked-users",
                "3",
                "--blocked-share",
                "0.1",
                "--max-attempts",
                "5",
                "--attempt-window",
                "1s",
                "--rate",
                "300",
                "--duration",
                "4s",
                "--seed",
                "20",
                "--json",
                json.toString(),
                "--html",
                html.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary)
                .contains("abuse: 2 hammer user(s) h-")
                .contains("attempt limit 5 per 1.000 s window per user")
                .contains("abuse: attempt limit 5 per 1000 ms window per user")
                .contains("[PASS   ] blocked users were answered BLOCKED, never RESERVED")
                .contains("[PASS   ] blocked users own no orders and are blocked on the server")
                .contains("[PASS   ] no hammer user got more counted answers than --max-attempts per window")
                .contains("[PASS   ] hammer users over the limit were answered RATE_LIMITED")
                .contains("after the audit: 3 blocked user(s) unblocked, the attempt limit put back to none")
                .contains("AUDIT: PASS");
        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.scenario()).isEqualTo("abuse");
        assertThat(report.audit().passed()).isTrue();
        assertThat(report.grpcErrors()).isEmpty();
        assertThat(report.reserveResults().get("BLOCKED")).isPositive();
        assertThat(report.reserveResults().get("RATE_LIMITED")).isPositive();
        assertThat(report.reserveResults()).containsKey("RESERVED");

        Report.AbuseSummary abuse = report.abuse();
        assertThat(abuse.maxAttempts()).isEqualTo(5);
        assertThat(abuse.windowMillis()).isEqualTo(1_000);
        assertThat(abuse.partitions()).isEqualTo(1);
        // A 4 s run touches at least 4 one-second windows (5 unless it starts on a second; more if the
        // last answers lag); the bound allows one more for the clocks.
        assertThat(abuse.windowsSpanned()).isGreaterThanOrEqualTo(4);
        assertThat(abuse.countedBound()).isEqualTo(5 * (abuse.windowsSpanned() + 1));
        assertThat(abuse.classes())
                .extracting(Report.AbuseSummary.Counts::name)
                .containsExactly("normal", "hammer", "blocked");
        Report.AbuseSummary.Counts normal = abuse.classes().get(0);
        Report.AbuseSummary.Counts hammer = abuse.classes().get(1);
        Report.AbuseSummary.Counts blocked = abuse.classes().get(2);
        // Normal users buy and are not limited: 2,000 users at 150/s rarely come back within a second.
        assertThat(normal.reserved()).isPositive();
        assertThat(normal.blocked()).isZero();
        // Blocked users got BLOCKED for every reserve, nothing else.
        assertThat(blocked.sent()).isPositive();
        assertThat(blocked.blocked()).isEqualTo(blocked.sent());
        assertThat(blocked.reserved() + blocked.refused() + blocked.rateLimited() + blocked.failed())
                .isZero();
        // Hammer users: most reserves RATE_LIMITED, each within the bound.
        assertThat(hammer.rateLimited()).isGreaterThan(hammer.counted());
        assertThat(hammer.blocked()).isZero();
        assertThat(abuse.hammerUsers()).hasSize(2).allSatisfy(user -> {
            assertThat(user.name()).startsWith("h-");
            assertThat(user.counted()).isPositive().isLessThanOrEqualTo(abuse.countedBound());
            assertThat(user.counted()).isEqualTo(user.reserved() + user.refused());
            assertThat(user.rateLimited()).isPositive();
            assertThat(user.sent()).isEqualTo(user.counted() + user.rateLimited() + user.blocked() + user.failed());
        });
        assertThat(abuse.blockedUsers()).hasSize(3);
        assertThat(Files.readString(html)).contains("Abuse: users by class").contains("RATE_LIMITED");

        try (CheckoutClient client = CheckoutClient.builder("127.0.0.1:" + server.port())
                .callCredentials(new io.checkout.client.BearerTokenCredentials(adminToken))
                .build()) {
            // The server agrees: no blocked user owns an order.
            for (Report.AbuseSummary.Counts user : abuse.blockedUsers()) {
                assertThat(user.name()).startsWith("b-");
                assertThat(client.listUserOrders(user.name(), 100, null).getOrdersList())
                        .as(user.name())
                        .isEmpty();
                // Unblocked after the audit, as the run found them.
                assertThat(client.getUserRisk(user.name()).getBlocked()).isFalse();
            }
            // The run put the risk rules back as it found them: no attempt limit, nobody blocked.
            RiskRules rules = client.getRiskRules();
            assertThat(rules.getMaxAttempts()).isZero();
            assertThat(rules.getBlockedUsers()).isZero();
        }
    }
}
