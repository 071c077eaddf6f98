package io.checkout.deploy;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.server.CheckoutServer;
import io.checkout.server.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** A real checkout server on loopback for the deploy module's tests, and a short sale against it. */
final class RunningServer implements AutoCloseable {
    static final String ADMIN_TOKEN = "deploy-test-admin-token-0123456789";
    /** How long a cluster member may take to elect itself and let its gateway join. */
    static final Duration READY_WAIT = Duration.ofSeconds(60);

    final CheckoutServer server;
    final CheckoutClient client;

    RunningServer(Path dataDir) throws IOException {
        this(dataDir, false);
    }

    /**
     * A single-node server, or (cluster) a one-member cluster on loopback: mode=cluster with its
     * UDP ports on free loopback ports and its Aeron directory under dataDir, returned once the
     * member is ready (its gateway has a session with the leader, itself).
     */
    RunningServer(Path dataDir, boolean cluster) throws IOException {
        Path token = Files.createDirectories(dataDir).resolve("admin-token");
        Files.writeString(token, ADMIN_TOKEN);
        ServerConfig.Builder config = ServerConfig.builder();
        if (cluster) {
            config.set(ServerConfig.Setting.MODE, "cluster")
                    .set(ServerConfig.Setting.CLUSTER_MEMBERS, "127.0.0.1:" + freeUdpBasePort())
                    .set(
                            ServerConfig.Setting.AERON_DIR,
                            dataDir.resolve("aeron").toAbsolutePath())
                    .set(ServerConfig.Setting.CLUSTER_TERM_BYTES, 1 << 20)
                    .set(ServerConfig.Setting.CLUSTER_FILE_SYNC_LEVEL, 0);
        }
        server = CheckoutServer.start(config.set(ServerConfig.Setting.HOST, "127.0.0.1")
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
        if (cluster) {
            awaitReady();
        }
    }

    /** Polls /ready until it answers 200 (cluster mode: a leader is elected and the gateway joined). */
    private void awaitReady() {
        long giveUp = System.nanoTime() + READY_WAIT.toNanos();
        while (true) {
            try {
                HttpResponse<String> response = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + server.metricsPort() + "/ready"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not answering yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() - giveUp > 0) {
                close();
                throw new IllegalStateException("the cluster member was not ready within " + READY_WAIT);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** A base port whose five member ports (base+1..base+5) are free UDP ports on loopback now. */
    private static int freeUdpBasePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(20_000);
            List<DatagramSocket> sockets = new ArrayList<>();
            try {
                for (int offset = 1; offset <= 5; offset++) {
                    sockets.add(new DatagramSocket(new InetSocketAddress("127.0.0.1", base + offset)));
                }
                return base;
            } catch (SocketException e) {
                // One of them is taken: try another base.
            } finally {
                sockets.forEach(DatagramSocket::close);
            }
        }
        throw new IllegalStateException("no five free UDP ports in a row on loopback");
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
