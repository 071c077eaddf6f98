package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Sku;
import io.checkout.server.CheckoutServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short flash sales through the real server on loopback, audited at the end. */
class FlashSaleIT {

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

    private int loadgen(ByteArrayOutputStream out, String... args) {
        String[] withTarget = new String[args.length + 5];
        withTarget[0] = "--target";
        withTarget[1] = "127.0.0.1:" + server.port();
        withTarget[2] = "--quiet";
        // The server made its admin token in the data directory; setup's admin calls need it.
        withTarget[3] = "--admin-token";
        withTarget[4] = TestServers.adminToken(directory.resolve("data"));
        System.arraycopy(args, 0, withTarget, 5, args.length);
        return TestServers.loadgen(out, withTarget);
    }

    @Test
    void shortFlashSalePassesItsAuditAndItsJsonHoldsTheSummarysFigures() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("report.json");
        Path hlog = directory.resolve("latency.hlog");
        Path html = directory.resolve("report.html");
        // 3,000 reserves for 2 x 200 units among 500 buyers with a limit of 1: the SKUs sell out and
        // buyers come back, so SOLD_OUT and LIMIT_EXCEEDED are exercised along with confirm, cancel
        // and repeated request ids. A request count, not a duration, ends the run: no timing in the test.
        int exit = loadgen(
                out,
                "--setup",
                "--skus",
                "2",
                "--stock",
                "200",
                "--users",
                "500",
                "--limit",
                "1",
                "--requests",
                "3000",
                "--duration",
                "5m",
                "--concurrency",
                "16",
                "--seed",
                "42",
                "--repeat-ratio",
                "0.2",
                "--json",
                json.toString(),
                "--hlog",
                hlog.toString(),
                "--html",
                html.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("AUDIT: PASS");

        JsonNode tree = new ObjectMapper().readTree(Files.readString(json));
        assertThat(tree.path("audit").path("passed").asBoolean()).isTrue();
        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.operationsSent()).isEqualTo(3_000);
        assertThat(report.reserveResults()).containsKeys("RESERVED", "SOLD_OUT");
        assertThat(report.reserveResults().get("RESERVED")).isBetween(400L, 1_000L);
        assertThat(report.grpcErrors()).isEmpty();
        assertThat(report.audit().checks()).extracting(Audit.Check::verdict).containsOnly(Audit.Verdict.PASS);

        // The figures the summary prints are the JSON's.
        Report.Latency reserve = report.latency().get("reserve");
        assertThat(summary).contains(String.format(Locale.ROOT, "sent %,d operations", report.operationsSent()));
        assertThat(summary).contains(String.format(Locale.ROOT, "%,.0f reserves/s", report.reservesPerSecond()));
        assertThat(summary)
                .contains(String.format(
                        Locale.ROOT,
                        "  %-10s %,10d %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f",
                        "reserve",
                        reserve.count(),
                        reserve.p50Millis(),
                        reserve.p90Millis(),
                        reserve.p99Millis(),
                        reserve.p999Millis(),
                        reserve.p9999Millis(),
                        reserve.maxMillis()));
        report.reserveResults()
                .forEach((name, count) ->
                        assertThat(summary).contains(String.format(Locale.ROOT, " %s %,d", name, count)));
        assertThat(reserve.p50Millis()).isPositive().isLessThanOrEqualTo(reserve.p99Millis());
        assertThat(reserve.p99Millis()).isLessThanOrEqualTo(reserve.maxMillis());

        assertThat(Files.readString(hlog)).contains("#[StartTime:").contains("Tag=reserve,");
        String page = Files.readString(html);
        assertThat(page)
                .contains("audit passed")
                .contains("<svg")
                .contains("reserve latency by percentile")
                .contains(String.format(Locale.ROOT, "%,d", reserve.count()))
                .doesNotContain("<script")
                .doesNotContain("http://")
                .doesNotContain("https://");
    }

    @Test
    void streamingSaleOverTwoChannelsPassesItsAudit() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = loadgen(
                out,
                "--setup",
                "--skus",
                "1",
                "--stock",
                "300",
                "--users",
                "1000",
                "--limit",
                "2",
                "--quantity",
                "1",
                "--requests",
                "2000",
                "--duration",
                "5m",
                "--concurrency",
                "32",
                "--api",
                "stream",
                "--channels",
                "2",
                "--seed",
                "7");
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("stream API, 2 channel(s)").contains("AUDIT: PASS");
    }

    @Test
    void autoBatchedUnarySaleWithRepeatsPassesItsAudit() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = loadgen(
                out,
                "--setup",
                "--skus",
                "2",
                "--stock",
                "300",
                "--users",
                "1000",
                "--limit",
                "1",
                "--requests",
                "2000",
                "--duration",
                "5m",
                "--concurrency",
                "64",
                "--api",
                "unary-batched",
                "--batch-size",
                "32",
                "--repeat-ratio",
                "0.1",
                "--seed",
                "5");
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("unary-batched API").contains("AUDIT: PASS");
    }

    @Test
    void batchedStreamingSaleWithRepeatsConfirmsAndCancelsPassesItsAudit() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("batch.json");
        // The flash sale of the first test through ReserveBatchStream, in batches of up to 8 on two
        // channels: sell-outs, returning buyers, repeated request ids (each must get its first answer)
        // and unary confirms and cancels of what the batches reserved.
        int exit = loadgen(
                out,
                "--setup",
                "--skus",
                "2",
                "--stock",
                "200",
                "--users",
                "500",
                "--limit",
                "1",
                "--requests",
                "3000",
                "--duration",
                "5m",
                "--concurrency",
                "64",
                "--api",
                "stream-batch",
                "--batch-size",
                "8",
                "--channels",
                "2",
                "--seed",
                "11",
                "--repeat-ratio",
                "0.2",
                "--json",
                json.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("stream-batch API, 2 channel(s)").contains("AUDIT: PASS");
        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.api()).isEqualTo("stream-batch");
        assertThat(report.operationsSent()).isEqualTo(3_000);
        assertThat(report.reserveResults()).containsKeys("RESERVED", "SOLD_OUT");
        assertThat(report.reserveResults().get("RESERVED")).isBetween(400L, 1_000L);
        assertThat(report.grpcErrors()).isEmpty();
        assertThat(report.latency()).containsKeys("reserve", "confirm");
        assertThat(report.latency().get("reserve").count())
                .isEqualTo(report.reserveResults().values().stream()
                        .mapToLong(Long::longValue)
                        .sum());
        assertThat(report.audit().checks()).extracting(Audit.Check::verdict).containsOnly(Audit.Verdict.PASS);
    }

    @Test
    void catalogWithZipfPopularityAndReadBacksPassesItsAudit() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("catalog.json");
        // 200 SKUs of 50 units; with Zipf exponent 1 the top SKU draws about 17% of ~2,700 reserves
        // and sells out, while the 200th draws a handful.
        int exit = loadgen(
                out,
                "--setup",
                "--scenario",
                "catalog",
                "--sku-prefix",
                "cat-",
                "--skus",
                "200",
                "--stock",
                "50",
                "--users",
                "2000",
                "--limit",
                "3",
                "--requests",
                "3000",
                "--duration",
                "5m",
                "--concurrency",
                "16",
                "--seed",
                "3",
                "--json",
                json.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("catalog, closed model").contains("AUDIT: PASS");
        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.latency()).containsKeys("reserve", "confirm", "cancel", "get-order");
        try (CheckoutClient client =
                CheckoutClient.builder("127.0.0.1:" + server.port()).build()) {
            Sku top = client.getStock("cat-0");
            Sku tail = client.getStock("cat-199");
            assertThat(top.getAvailable()).isLessThan(tail.getAvailable());
            assertThat(top.getReserved() + top.getSold()).isGreaterThan(tail.getReserved() + tail.getSold());
        }
    }

    @Test
    void aPrewarmRunsOnSkusOfItsOwnAndLeavesTheRunsStockToTheRun() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("prewarmed.json");
        int exit = loadgen(
                out,
                "--setup",
                "--sku-prefix",
                "pw-",
                "--skus",
                "1",
                "--stock",
                "300",
                "--users",
                "1000",
                "--limit",
                "1",
                "--prewarm",
                "1s",
                "--requests",
                "1000",
                "--duration",
                "5m",
                "--concurrency",
                "16",
                "--seed",
                "11",
                "--json",
                json.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary)
                .contains("warming up both sides for 1 s on SKUs pw-warm-0..0")
                .contains("warm-up done:")
                .contains("AUDIT: PASS");
        Report report = Report.fromJson(Files.readString(json));
        // The run's own figures only: its 1,000 operations, not the warm-up's.
        assertThat(report.operationsSent()).isEqualTo(1_000);
        try (CheckoutClient client =
                CheckoutClient.builder("127.0.0.1:" + server.port()).build()) {
            Sku warm = client.getStock("pw-warm-0");
            Sku sale = client.getStock("pw-0");
            assertThat(warm.getReserved() + warm.getSold()).isPositive();
            // The audit already proved the run's SKU holds exactly the run's acknowledged orders;
            // here its units add up to the run's RESERVED answers alone.
            assertThat(sale.getReserved() + sale.getSold() + sale.getAvailable())
                    .isEqualTo(300);
            assertThat(300 - sale.getAvailable())
                    .isLessThanOrEqualTo(report.reserveResults().getOrDefault("RESERVED", 0L));
        }
    }
}
