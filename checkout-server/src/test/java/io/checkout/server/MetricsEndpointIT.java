package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.BatchStreamingReserver;
import io.checkout.client.CheckoutClient;
import io.checkout.client.StreamingReserver;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a Prometheus scrape of a running server finds, and what HTTP probes see. */
class MetricsEndpointIT {
    private static final String SKU = "METRICS-SKU";
    private static final int STOCK = 5;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.TICK_INTERVAL_MILLIS, 20)
                .set(ServerConfig.Setting.METRICS_STOCK_INTERVAL_MILLIS, 100)
                .conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
        client.upsertSku(ItFixtures.sku(SKU, STOCK, 1));
    }

    @AfterEach
    void stopServer() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    @Test
    void scrapeShouldCountEachItemOfAReserveBatchAsAnOutcomeAndEachBatchInTheBatchSizes() throws Exception {
        List<CompletableFuture<ReserveReply>> replies = new ArrayList<>();
        try (BatchStreamingReserver stream = client.openReserveBatchStream(16, 8)) {
            List<ReserveRequest> first = new ArrayList<>();
            for (int buyer = 0; buyer < 7; buyer++) { // 5 RESERVED, then 2 SOLD_OUT
                first.add(ReserveRequest.newBuilder()
                        .setRequestId("batch-" + buyer)
                        .setUserId("b-" + buyer)
                        .addLines(OrderLine.newBuilder().setSkuId(SKU).setQuantity(1))
                        .build());
            }
            replies.addAll(stream.submit(first));
            replies.addAll(stream.submit(List.of(ReserveRequest.newBuilder()
                    .setRequestId("batch-bad")
                    .setUserId("b-x")
                    .addLines(OrderLine.newBuilder().setSkuId(SKU).setQuantity(0))
                    .build()))); // REJECTED
            for (CompletableFuture<ReserveReply> reply : replies) {
                reply.get(10, TimeUnit.SECONDS);
            }
        }

        String scrape = get("/metrics").body();

        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"RESERVED\"}"))
                .isEqualTo(5);
        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"SOLD_OUT\"}"))
                .isEqualTo(2);
        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"REJECTED\"}"))
                .isEqualTo(1);
        assertThat(sample(scrape, "checkout_reserve_batch_size_reserves_count")).isEqualTo(2);
        assertThat(sample(scrape, "checkout_reserve_batch_size_reserves_sum")).isEqualTo(8);
        assertThat(sample(scrape, "checkout_reserve_batch_size_reserves_bucket{le=\"1.0\"}"))
                .isEqualTo(1);
        assertThat(sample(
                        scrape,
                        "grpc_server_requests_received_messages_total{method=\"ReserveBatchStream\","
                                + "methodType=\"BIDI_STREAMING\",service=\"checkout.v1.Checkout\"}"))
                .isEqualTo(2);
        assertThat(sample(
                        scrape,
                        "grpc_server_processing_duration_seconds_count{method=\"ReserveBatchStream\","
                                + "methodType=\"BIDI_STREAMING\",service=\"checkout.v1.Checkout\",statusCode=\"OK\"}"))
                .isEqualTo(1);
    }

    @Test
    void scrapeShouldCountReserveOutcomesByResultAndGrpcCallsByMethodAndCode() throws Exception {
        for (int buyer = 0; buyer < 7; buyer++) {
            client.reserve("buyer-" + buyer, SKU, 1); // 5 RESERVED, then 2 SOLD_OUT
        }
        client.reserve("buyer-0", "NO-SUCH-SKU", 1); // UNKNOWN_SKU
        List<CompletableFuture<ReserveReply>> streamed = new ArrayList<>();
        try (StreamingReserver stream = client.openReserveStream(10)) {
            for (int i = 0; i < 3; i++) {
                streamed.add(stream.submit(ReserveRequest.newBuilder()
                        .setRequestId("stream-" + i)
                        .setUserId("s-" + i)
                        .addLines(OrderLine.newBuilder().setSkuId(SKU).setQuantity(1))
                        .build()));
            }
            for (CompletableFuture<ReserveReply> reply : streamed) {
                assertThat(reply.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.SOLD_OUT);
            }
        }

        String scrape = get("/metrics").body();

        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"RESERVED\"}"))
                .isEqualTo(5);
        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"SOLD_OUT\"}"))
                .isEqualTo(5);
        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"UNKNOWN_SKU\"}"))
                .isEqualTo(1);
        assertThat(sample(scrape, "checkout_reserve_outcomes_total{result=\"LIMIT_EXCEEDED\"}"))
                .isZero();
        assertThat(sample(
                        scrape,
                        "grpc_server_processing_duration_seconds_count{method=\"Reserve\",methodType=\"UNARY\","
                                + "service=\"checkout.v1.Checkout\",statusCode=\"OK\"}"))
                .isEqualTo(8);
        assertThat(sample(
                        scrape,
                        "grpc_server_processing_duration_seconds_bucket{method=\"Reserve\",methodType=\"UNARY\","
                                + "service=\"checkout.v1.Checkout\",statusCode=\"OK\",le=\"+Inf\"}"))
                .isEqualTo(8);
        assertThat(sample(
                        scrape,
                        "grpc_server_processing_duration_seconds_bucket{method=\"Reserve\",methodType=\"UNARY\","
                                + "service=\"checkout.v1.Checkout\",statusCode=\"OK\",le=\"10.0\"}"))
                .isEqualTo(8);
        assertThat(sample(
                        scrape,
                        "grpc_server_processing_duration_seconds_count{method=\"UpsertSku\",methodType=\"UNARY\","
                                + "service=\"checkout.v1.Inventory\",statusCode=\"OK\"}"))
                .isEqualTo(1);
        assertThat(sample(
                        scrape,
                        "grpc_server_requests_received_messages_total{method=\"ReserveStream\","
                                + "methodType=\"BIDI_STREAMING\",service=\"checkout.v1.Checkout\"}"))
                .isEqualTo(3);
    }

    @Test
    void scrapeShouldShowTheRingBatchesStockJvmAndProcess() throws Exception {
        client.reserve("buyer-1", SKU, 1);
        System.gc(); // gauges whose object only Micrometer holds would read NaN now
        ItFixtures.awaitTrue(
                "stock series for the SKU on sale",
                Duration.ofSeconds(10),
                () -> sampleOrNull(getQuietly(), "checkout_sku_stock_units{sku=\"" + SKU + "\",state=\"reserved\"}")
                                != null
                        && sampleOrNull(
                                        getQuietly(),
                                        "checkout_sku_stock_units{sku=\"" + SKU + "\",state=\"reserved\"}")
                                == 1.0);

        String scrape = get("/metrics").body();

        assertThat(sample(scrape, "checkout_sku_stock_units{sku=\"" + SKU + "\",state=\"available\"}"))
                .isEqualTo(STOCK - 1);
        assertThat(sample(scrape, "checkout_sku_stock_units{sku=\"" + SKU + "\",state=\"sold\"}"))
                .isZero();
        assertThat(sample(scrape, "checkout_sku_stock_unreported_skus")).isZero();
        assertThat(sample(scrape, "checkout_ring_capacity_slots")).isEqualTo(16_384);
        assertThat(sample(scrape, "checkout_ring_remaining_slots")).isBetween(16_000.0, 16_384.0);
        assertThat(sample(scrape, "checkout_pipeline_batch_size_commands_count"))
                .isPositive();
        assertThat(sample(scrape, "checkout_commands_applied_total")).isGreaterThanOrEqualTo(2);
        assertThat(sample(scrape, "checkout_serving")).isEqualTo(1);
        assertThat(sample(scrape, "checkout_snapshots_total"))
                .as("none written yet")
                .isZero();
        assertThat(sample(scrape, "checkout_snapshot_loads_total")).isZero();
        assertThat(sample(scrape, "process_uptime_seconds")).isPositive();
        assertThat(sample(scrape, "jvm_threads_live_threads")).isPositive();
        assertThat(scrape)
                .contains("jvm_memory_used_bytes{area=\"heap\"", "jvm_gc_", "checkout_reservations_expired_total");
        assertThat(scrape).doesNotContain("buyer-1").doesNotContain(ItFixtures.ADMIN_TOKEN);
    }

    @Test
    void scrapeShouldShowEachTablesUseAndCapacity() throws Exception {
        client.reserve("buyer-1", SKU, 1);
        client.reserve("buyer-2", SKU, 1);
        ItFixtures.awaitTrue(
                "two orders in the orders table",
                Duration.ofSeconds(10),
                () -> Double.valueOf(2.0)
                        .equals(sampleOrNull(getQuietly(), "checkout_table_used_entries{table=\"orders\"}")));

        String scrape = get("/metrics").body();
        // smallConfig: 1,000 SKUs, 100,000 orders and user counters, 200,000 request ids.
        assertThat(sample(scrape, "checkout_table_capacity_entries{table=\"orders\"}"))
                .isEqualTo(100_000);
        assertThat(sample(scrape, "checkout_table_used_entries{table=\"user_counters\"}"))
                .isEqualTo(2);
        assertThat(sample(scrape, "checkout_table_capacity_entries{table=\"user_counters\"}"))
                .isEqualTo(100_000);
        assertThat(sample(scrape, "checkout_table_used_entries{table=\"request_ids\"}"))
                .as("the SKU's upsert and the two reserves")
                .isEqualTo(3);
        assertThat(sample(scrape, "checkout_table_capacity_entries{table=\"request_ids\"}"))
                .isEqualTo(200_000);
        assertThat(sample(scrape, "checkout_table_used_entries{table=\"skus\"}"))
                .isEqualTo(1);
        assertThat(sample(scrape, "checkout_table_capacity_entries{table=\"skus\"}"))
                .isEqualTo(1_000);
        assertThat(sample(scrape, "checkout_table_used_entries{table=\"payments\"}"))
                .isEqualTo(0);
        assertThat(sample(scrape, "checkout_table_capacity_entries{table=\"payments\"}"))
                .as("as many as orders unless set lower")
                .isEqualTo(100_000);
    }

    @Test
    void stockSeriesShouldBeCappedBySetting() throws Exception {
        restartWithStockEvery100Millis(2);
        for (int i = 0; i < 4; i++) {
            client.upsertSku(ItFixtures.sku("CAP-" + i, 10, 1));
        }

        ItFixtures.awaitTrue(
                "3 of 5 SKUs on sale left without series",
                Duration.ofSeconds(10),
                () -> Double.valueOf(3.0).equals(sampleOrNull(getQuietly(), "checkout_sku_stock_unreported_skus")));
        String scrape = get("/metrics").body();
        long stockSeries = scrape.lines()
                .filter(line -> line.startsWith("checkout_sku_stock_units{"))
                .count();
        assertThat(stockSeries).isEqualTo(2 * 3);
    }

    /**
     * A scrape updates the series of SKUs still on sale in place, drops those of a SKU whose sale
     * ended, and brings them back when it is on sale again.
     */
    @Test
    void stockSeriesShouldFollowTheSkusOnSale() throws Exception {
        restartWithStockEvery100Millis(100);
        client.upsertSku(ItFixtures.sku("KEEP", 10, 5));
        client.upsertSku(ItFixtures.sku("LEAVE", 10, 5));
        String keepReserved = "checkout_sku_stock_units{sku=\"KEEP\",state=\"reserved\"}";
        String leaveAvailable = "checkout_sku_stock_units{sku=\"LEAVE\",state=\"available\"}";

        client.reserve("buyer-1", "KEEP", 1);
        ItFixtures.awaitTrue(
                "one unit of KEEP reserved",
                Duration.ofSeconds(10),
                () -> Double.valueOf(1.0).equals(sampleOrNull(getQuietly(), keepReserved)));
        client.reserve("buyer-2", "KEEP", 2);
        ItFixtures.awaitTrue(
                "three units of KEEP reserved, in the same series",
                Duration.ofSeconds(10),
                () -> Double.valueOf(3.0).equals(sampleOrNull(getQuietly(), keepReserved)));
        assertThat(sample(get("/metrics").body(), leaveAvailable)).isEqualTo(10);

        client.upsertSku(ItFixtures.sku("LEAVE", 10, 5).toBuilder()
                .setSaleStartEpochMillis(1)
                .setSaleEndEpochMillis(2)
                .build());
        ItFixtures.awaitTrue(
                "LEAVE's series gone once its sale ended",
                Duration.ofSeconds(10),
                () -> sampleOrNull(getQuietly(), leaveAvailable) == null);
        String scrape = get("/metrics").body();
        assertThat(sample(scrape, keepReserved)).isEqualTo(3);
        assertThat(scrape.lines().filter(line -> line.startsWith("checkout_sku_stock_units{sku=\"LEAVE\"")))
                .isEmpty();

        client.upsertSku(ItFixtures.sku("LEAVE", 10, 5));
        client.reserve("buyer-1", "LEAVE", 4);
        ItFixtures.awaitTrue(
                "LEAVE's series back with its figures",
                Duration.ofSeconds(10),
                () -> Double.valueOf(6.0).equals(sampleOrNull(getQuietly(), leaveAvailable)));
        assertThat(sample(get("/metrics").body(), keepReserved)).isEqualTo(3);
    }

    /** A fresh server on the same data directory whose stock series follow the engine within 100 ms. */
    private void restartWithStockEvery100Millis(int skuSeriesMax) {
        stopServer();
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.TICK_INTERVAL_MILLIS, 20)
                .set(ServerConfig.Setting.METRICS_STOCK_INTERVAL_MILLIS, 100)
                .set(ServerConfig.Setting.METRICS_SKU_SERIES_MAX, skuSeriesMax)
                .conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
    }

    @Test
    void probesShouldAnswerReadyAndLiveWhileServingAndRefuseOtherPathsAndMethods() throws Exception {
        assertThat(get("/ready").statusCode()).isEqualTo(200);
        assertThat(get("/live").statusCode()).isEqualTo(200);
        assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
        assertThat(get("/metricsx").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(
                HttpRequest.newBuilder(uri("/metrics"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void readyShouldTurn503WhileTheServerDrainsAndLiveShouldStay200() throws Exception {
        // An open stream holds the drain for up to shutdown-grace-millis (2 s in these tests).
        StreamingReserver stream = client.openReserveStream(10);
        stream.submit(ReserveRequest.newBuilder()
                        .setRequestId("hold")
                        .setUserId("u")
                        .addLines(OrderLine.newBuilder().setSkuId(SKU).setQuantity(1))
                        .build())
                .get(10, TimeUnit.SECONDS);
        Thread closer = new Thread(server::close, "test-close");
        closer.start();
        try {
            ItFixtures.awaitTrue("/ready answers 503 once draining begins", Duration.ofSeconds(10), () -> {
                try {
                    return get("/ready").statusCode() == 503;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            assertThat(get("/live").statusCode()).as("draining is not dead").isEqualTo(200);
            assertThat(sample(get("/metrics").body(), "checkout_serving")).isZero();
        } finally {
            ItFixtures.closeQuietly(stream);
            closer.join(20_000);
        }
    }

    @Test
    void metricsPortMinusOneShouldTurnTheEndpointOff() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.METRICS_PORT, -1)
                .conclude());
        channel = null;
        client = null;

        assertThat(server.metricsPort()).isEqualTo(-1);
    }

    @Test
    void adminTokenFileShouldNotBeNeededByDefault() throws Exception {
        Path fresh = dataDir.resolve("fresh");
        ServerConfig config = ItFixtures.smallConfig(fresh)
                .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, "")
                .conclude();
        Files.delete(fresh.resolve("admin-token"));
        try (CheckoutServer other = CheckoutServer.start(config)) {
            String token = Files.readString(fresh.resolve("admin-token")).trim();
            assertThat(token)
                    .hasSizeGreaterThanOrEqualTo(AdminAuthInterceptor.TOKEN_LENGTH_MIN)
                    .isNotEqualTo(ItFixtures.ADMIN_TOKEN);
            assertThat(Files.getPosixFilePermissions(fresh.resolve("admin-token")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(other.metricsPort()).isPositive();
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.metricsPort() + path);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri(path))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String getQuietly() {
        try {
            return get("/metrics").body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The value of the one sample line that starts with {@code series}; fails if there is none. */
    static double sample(String scrape, String series) {
        Double value = sampleOrNull(scrape, series);
        assertThat(value).as("sample %s in scrape:%n%s", series, scrape).isNotNull();
        return value;
    }

    static Double sampleOrNull(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(
                        line.substring(series.length() + 1).trim().split(" ")[0]);
            }
        }
        return null;
    }
}
