package io.checkout.deploy;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.server.CheckoutServer;
import io.checkout.server.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** A real checkout server on loopback for the deploy module's tests, and a short sale against it. */
final class RunningServer implements AutoCloseable {
    static final String ADMIN_TOKEN = "deploy-test-admin-token-0123456789";

    final CheckoutServer server;
    final CheckoutClient client;

    RunningServer(Path dataDir) throws IOException {
        Path token = Files.createDirectories(dataDir).resolve("admin-token");
        Files.writeString(token, ADMIN_TOKEN);
        server = CheckoutServer.start(ServerConfig.builder()
                .set(ServerConfig.Setting.HOST, "127.0.0.1")
                .set(ServerConfig.Setting.PORT, 0)
                .set(ServerConfig.Setting.METRICS_PORT, 0)
                .set(ServerConfig.Setting.DATA_DIR, dataDir.toAbsolutePath())
                .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, token.toAbsolutePath())
                .set(ServerConfig.Setting.SKU_CAPACITY, 1_000)
                .set(ServerConfig.Setting.ORDER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.USER_COUNTER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.IDEMPOTENCY_CAPACITY, 200_000)
                .set(ServerConfig.Setting.TICK_INTERVAL_MILLIS, 20)
                .set(ServerConfig.Setting.METRICS_STOCK_INTERVAL_MILLIS, 100)
                .set(ServerConfig.Setting.SHUTDOWN_GRACE_MILLIS, 2_000)
                .conclude());
        client = CheckoutClient.builder("127.0.0.1:" + server.port())
                .deadline(Duration.ofSeconds(10))
                .adminToken(ADMIN_TOKEN)
                .build();
    }

    /** Puts {@code units} of {@code skuId} on sale and lets {@code buyers} buyers reserve one each. */
    Map<ReserveResult, Integer> sale(String skuId, int units, int buyers) {
        long now = System.currentTimeMillis();
        client.upsertSku(UpsertSkuRequest.newBuilder()
                .setSkuId(skuId)
                .setPriceMinor(4_999)
                .setCurrency("EUR")
                .setTotalStock(units)
                .setPerUserLimit(1)
                .setSaleStartEpochMillis(now - 1_000)
                .setSaleEndEpochMillis(now + 3_600_000)
                .setReservationTtlMillis(600_000)
                .build());
        Map<ReserveResult, Integer> outcomes = new EnumMap<>(ReserveResult.class);
        for (int buyer = 0; buyer < buyers; buyer++) {
            outcomes.merge(client.reserve("buyer-" + buyer, skuId, 1).getResult(), 1, Integer::sum);
        }
        return outcomes;
    }

    String scrape() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("/metrics answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sample names in a Prometheus text scrape (with their _bucket, _sum, _count, _total suffixes). */
    static Set<String> sampleNames(String scrape) {
        Set<String> names = new LinkedHashSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            server.close();
        }
    }
}
