package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.AutoBatching;
import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auto-batched reserves while the server restarts under them: the batch streams end with the old
 * server, pending calls are retried with their request ids on new streams to the new one, and
 * every call ends exactly once, either with an answer the server's state agrees with or with an
 * error whose request id, sent again, reveals what the server did.
 */
class AutoBatchingRestartIT {
    private static final String SKU = "AUTO-BATCH-RESTART";
    private static final int CALLERS = 16;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ExecutorService callers;

    @AfterEach
    void stop() {
        if (callers != null) {
            callers.shutdownNow();
        }
        ItFixtures.closeQuietly(server);
    }

    private CheckoutServer start(int port) {
        return CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.PORT, port)
                .conclude());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void everyCallShouldEndOnceAndAgreeWithTheRestartedServer() throws Exception {
        int port = freePort();
        server = start(port);
        ManagedChannel channel = ItFixtures.loopbackChannel(server);
        Map<String, ReserveReply> answered = new ConcurrentHashMap<>();
        Map<String, StatusRuntimeException> failed = new ConcurrentHashMap<>();
        AtomicInteger ended = new AtomicInteger();
        AtomicBoolean stopSending = new AtomicBoolean();
        try (CheckoutClient admin = ItFixtures.client(channel);
                CheckoutClient batching = CheckoutClient.builder(channel)
                        .deadline(Duration.ofSeconds(20))
                        .maxAttempts(20)
                        .maxBackoff(Duration.ofMillis(200))
                        .autoBatching(AutoBatching.of(16, Duration.ofMillis(1), 2, 512))
                        .build()) {
            admin.upsertSku(ItFixtures.sku(SKU, 1_000_000, 0));
            callers = Executors.newFixedThreadPool(CALLERS);
            AtomicInteger sequence = new AtomicInteger();
            List<Future<?>> loops = new ArrayList<>();
            for (int caller = 0; caller < CALLERS; caller++) {
                loops.add(callers.submit(() -> {
                    while (!stopSending.get()) {
                        int n = sequence.incrementAndGet();
                        String requestId = "restart-" + n;
                        try {
                            ReserveReply reply = batching.reserve(requestId, "user-" + n, SKU, 1);
                            assertThat(answered.put(requestId, reply)).isNull();
                        } catch (StatusRuntimeException e) {
                            assertThat(failed.put(requestId, e)).isNull();
                        }
                        ended.incrementAndGet();
                    }
                    return null;
                }));
            }
            awaitEnded(ended, 500);
            // A clean stop (streams end with the server), then the same port and data again.
            server.close();
            server = start(port);
            int before = ended.get();
            awaitEnded(ended, before + 500);
            stopSending.set(true);
            for (Future<?> loop : loops) {
                loop.get(60, TimeUnit.SECONDS);
            }

            assertThat(answered.size() + failed.size())
                    .isEqualTo(sequence.get())
                    .isEqualTo(ended.get());
            assertThat(answered.values()).extracting(ReserveReply::getResult).containsOnly(ReserveResult.RESERVED);
            // What a failed call did is unknown to its caller; the same request id tells.
            Set<Long> orders = new HashSet<>();
            for (ReserveReply reply : answered.values()) {
                orders.add(reply.getOrderId());
            }
            for (String requestId : failed.keySet()) {
                String user = "user-" + requestId.substring("restart-".length());
                ReserveReply resolved = admin.reserve(requestId, user, SKU, 1);
                assertThat(resolved.getResult()).isEqualTo(ReserveResult.RESERVED);
                orders.add(resolved.getOrderId());
            }
            assertThat(orders).as("distinct order ids").hasSize(sequence.get());
            Sku stock = admin.getStock(SKU);
            assertThat(stock.getReserved()).isEqualTo(sequence.get());
            for (ReserveReply reply : answered.values()) {
                Order order = admin.getOrder(reply.getOrderId());
                assertThat(order.getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
            }
        } finally {
            stopSending.set(true);
            ItFixtures.shutdownChannel(channel);
        }
    }

    private static void awaitEnded(AtomicInteger ended, int atLeast) throws InterruptedException {
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ended.get() < atLeast) {
            assertThat(System.nanoTime()).as("%d calls ended in time", atLeast).isLessThan(giveUpAt);
            Thread.sleep(10);
        }
    }
}
