package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.server.CheckoutServer;
import io.checkout.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * loadgen against two partitions: it reads the map from one server, spreads its SKUs over both,
 * sends every call to the owner, and its audit (every SKU and order read from its own partition)
 * passes; both partitions took reserves.
 */
class PartitionedSaleIT {
    private static final String TOKEN = "partitioned-sale-admin-token-0123456789";

    @TempDir
    Path directory;

    private final CheckoutServer[] servers = new CheckoutServer[2];

    @BeforeEach
    void startPartitions() throws Exception {
        Path mapFile = directory.resolve("partition-map.json");
        Path tokenFile = directory.resolve("admin-token");
        Files.writeString(tokenFile, TOKEN);
        writeMap(mapFile, 1, "127.0.0.1:1", "127.0.0.1:2");
        for (int partition = 0; partition < 2; partition++) {
            servers[partition] = CheckoutServer.start(TestServers.config(directory.resolve("p" + partition))
                    .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, tokenFile.toAbsolutePath())
                    .set(ServerConfig.Setting.PARTITION_MAP_FILE, mapFile.toAbsolutePath())
                    .set(ServerConfig.Setting.PARTITION_ID, partition)
                    .conclude());
        }
        // Now that the ports are known: the map with the real targets, picked up by both.
        writeMap(mapFile, 2, target(0), target(1));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int partition = 0; partition < 2; partition++) {
            try (CheckoutClient client =
                    CheckoutClient.builder(target(partition)).build()) {
                while (client.getPartitionMap().getVersion() != 2) {
                    assertThat(System.nanoTime()).as("map version 2 taken").isLessThan(deadline);
                    Thread.sleep(100);
                }
            }
        }
    }

    @AfterEach
    void stopPartitions() {
        for (CheckoutServer server : servers) {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void aUnaryAndABatchedSaleOverTwoPartitionsShouldPassTheirAudits() {
        for (String api : new String[] {"unary", "stream-batch"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = TestServers.loadgen(
                    out,
                    "--target",
                    target(0),
                    "--partitioned",
                    "--quiet",
                    "--admin-token",
                    TOKEN,
                    "--setup",
                    "--skus",
                    "4",
                    "--stock",
                    "200",
                    "--users",
                    "500",
                    "--limit",
                    "2",
                    "--requests",
                    "1500",
                    "--duration",
                    "5m",
                    "--concurrency",
                    "32",
                    "--api",
                    api,
                    "--channels",
                    "2",
                    "--seed",
                    "11");
            String summary = out.toString(StandardCharsets.UTF_8);

            assertThat(exit).as(summary).isZero();
            assertThat(summary)
                    .contains("partitioned: 2 partition(s), map version 2")
                    .contains("AUDIT: PASS");
            Matcher spread = Pattern.compile("reserved by partition: \\[(\\d+), (\\d+)\\]")
                    .matcher(summary);
            assertThat(spread.find()).as(summary).isTrue();
            assertThat(Long.parseLong(spread.group(1)))
                    .as("partition 0 took reserves")
                    .isPositive();
            assertThat(Long.parseLong(spread.group(2)))
                    .as("partition 1 took reserves")
                    .isPositive();
        }
    }

    @Test
    void aCouponSaleOverTwoPartitionsKeepsEachPartitionsBudget() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Each partition holds the campaign for its own SKUs, with its own budget of 15.
        int exit = TestServers.loadgen(
                out,
                "--target",
                target(0),
                "--partitioned",
                "--quiet",
                "--admin-token",
                TOKEN,
                "--setup",
                "--scenario",
                "coupon",
                "--coupon-kind",
                "percent-off",
                "--coupon-percent-bps",
                "1500",
                "--coupon-budget",
                "15",
                "--skus",
                "4",
                "--users",
                "500",
                "--requests",
                "800",
                "--duration",
                "5m",
                "--concurrency",
                "16",
                "--seed",
                "12");
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary)
                .contains("partitioned: 2 partition(s), map version 2")
                .contains("budget 15, 1 per user on each of 2 partitions")
                .contains("[PASS   ] campaign budget never exceeded: GetCampaign.redeemed <= budget: partition 0:"
                        + " redeemed ")
                .contains("[PASS   ] the run's orders holding the campaign (reserved or paid) =="
                        + " GetCampaign.redeemed")
                .contains("[PASS   ] the run's count of redemptions held never exceeded the budget")
                .contains("[PASS   ] discounts add up on every order read and agree with the answers")
                .contains("[PASS   ] the budget ran out: CAMPAIGN_BUDGET_EXHAUSTED answered")
                .contains("an order of 12,999 minor got 1,949 off")
                .contains("AUDIT: PASS");
    }

    private String target(int partition) {
        return "127.0.0.1:" + servers[partition].port();
    }

    private static void writeMap(Path mapFile, long version, String target0, String target1) throws IOException {
        Files.writeString(mapFile, """
                {"version": %d, "partitions": [
                  {"id": 0, "targets": ["%s"], "slots": [{"first": 0, "last": 8191}]},
                  {"id": 1, "targets": ["%s"], "slots": [{"first": 8192, "last": 16383}]}
                ]}""".formatted(version, target0, target1));
        Files.setLastModifiedTime(mapFile, FileTime.from(Instant.now().plusSeconds(version)));
    }
}
