package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM mid-sale (issue 21): the server stops taking calls, answers everything in flight,
 * snapshots and exits within a bound; every call sent got exactly one answer (an order, or an
 * error the caller can act on), the admin token never appeared in what the process printed, and
 * a restart finds every acknowledged order.
 */
class GracefulDrainIT {
    private static final String SKU = "DRAIN-SKU";
    private static final int IN_FLIGHT = 200;

    @TempDir
    Path data;

    private final Map<Long, Boolean> acknowledged = new ConcurrentHashMap<>();
    private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicInteger answeredTwice = new AtomicInteger();

    @Test
    void sigtermMidSaleShouldAnswerEveryCallOnceAndLoseNothingAcknowledged() throws Exception {
        ServerProcess server = ServerProcess.start(data, "fsync");
        ManagedChannel channel = channel(server.port);
        try (CheckoutClient client = client(channel)) {
            client.upsertSku(ItFixtures.sku(SKU, 10_000_000, 0));
            Semaphore window = new Semaphore(IN_FLIGHT);
            long terminateAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
            int n = 0;
            while (System.nanoTime() < terminateAt) {
                window.acquire();
                send(client, window, n++);
            }
            // SIGTERM with calls in flight, and more sent while the server drains and exits.
            CompletableFuture<Integer> exitCode = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.terminate(60);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            });
            while (!exitCode.isDone()) {
                if (window.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    send(client, window, n++);
                }
            }
            // A JVM ended by SIGTERM exits 143 (128 + 15) once its shutdown hooks have run.
            assertThat(exitCode.get(70, TimeUnit.SECONDS))
                    .as("exit code after SIGTERM, within 60 s")
                    .isIn(0, 143);
            assertThat(window.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS))
                    .as("every call answered (the window is whole again)")
                    .isTrue();
        } finally {
            ItFixtures.shutdownChannel(channel);
        }
        System.out.printf(
                "GracefulDrainIT: %d calls sent, %d answered, %d reserves acknowledged%n",
                sent.get(), answered.get(), acknowledged.size());
        assertThat(answered.get()).as("answers").isEqualTo(sent.get());
        assertThat(answeredTwice.get()).isZero();
        assertThat(unexpected).isEmpty();
        assertThat(acknowledged).hasSizeGreaterThan(IN_FLIGHT);
        String output = server.output();
        assertThat(output)
                .as("a snapshot at shutdown:\n" + output)
                .containsPattern("snapshot at journal sequence \\d+ written in");
        assertThat(output).as("the admin token is never printed").doesNotContain(ItFixtures.ADMIN_TOKEN);

        ServerProcess restarted = ServerProcess.start(data, "fsync");
        ManagedChannel again = channel(restarted.port);
        try (CheckoutClient client = client(again)) {
            for (long orderId : acknowledged.keySet()) {
                assertThat(client.getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
            }
            assertThat(client.getStock(SKU).getReserved()).isEqualTo(acknowledged.size());
        } finally {
            restarted.kill();
            ItFixtures.shutdownChannel(again);
        }
        assertThat(restarted.output()).doesNotContain(ItFixtures.ADMIN_TOKEN);
    }

    /** One reserve; its answer (an order, or a gRPC error) is counted, once. */
    private void send(CheckoutClient client, Semaphore window, int n) {
        sent.incrementAndGet();
        AtomicInteger answers = new AtomicInteger();
        client.reserveAsync("d-" + n, "buyer-" + n, SKU, 1).whenComplete((answer, failure) -> {
            if (answers.incrementAndGet() > 1) {
                answeredTwice.incrementAndGet();
            }
            answered.incrementAndGet();
            window.release();
            if (failure == null) {
                if (answer.getResult() == ReserveResult.RESERVED) {
                    acknowledged.put(answer.getOrderId(), true);
                }
            } else if (!(failure instanceof StatusRuntimeException)
                    && !(failure.getCause() instanceof StatusRuntimeException)) {
                unexpected.add(failure);
            }
        });
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .build();
    }

    private static CheckoutClient client(ManagedChannel channel) {
        return CheckoutClient.builder(channel)
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .deadline(Duration.ofSeconds(10))
                .maxAttempts(1)
                .build();
    }
}
