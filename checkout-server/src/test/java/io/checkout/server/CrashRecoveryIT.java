package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the server with SIGKILL at random moments while callers reserve, confirm and cancel, then
 * restarts it on the same data directory and checks every answer a caller was given against the
 * recovered state: each acknowledged order exists with the same amount and expiry, in the state it
 * was acknowledged in (or the next one, when a later command on it was sent but not answered);
 * stock is conserved; the event stream is gap-free and tells of every acknowledged reservation.
 * Each cycle picks a durability policy at random; both must survive a process kill.
 */
class CrashRecoveryIT {
    private static final int CYCLES = 6;
    private static final String SKU = "CRASH-SKU";
    private static final long STOCK = 1_000_000;
    private static final int CALLERS = 4;

    @TempDir
    Path data;

    /** What callers were told, per order id: the last acknowledged state, and a command sent but not answered. */
    private final Map<Long, Told> told = new ConcurrentHashMap<>();

    private final List<Throwable> callerFailures = java.util.Collections.synchronizedList(new ArrayList<>());

    private record Told(ReserveReply reserve, OrderState acknowledged, OrderState pending) {}

    @Test
    void killedServerShouldRecoverExactlyTheAcknowledgedState() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        System.out.println("CrashRecoveryIT seed " + seed);
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            String durability = random.nextBoolean() ? "fsync" : "process";
            ServerProcess server = ServerProcess.start(data, durability);
            ManagedChannel channel = channel(server.port);
            try {
                CheckoutClient client = client(channel);
                if (cycle == 0) {
                    client.upsertSku(ItFixtures.sku(SKU, STOCK, 0));
                } else {
                    verifyRecovered(client, channel, "cycle " + cycle + " (" + durability + "), seed " + seed);
                }
                drive(client, server, 300 + random.nextInt(1_200), seed + cycle);
            } finally {
                server.kill();
                ItFixtures.shutdownChannel(channel);
            }
            assertThat(callerFailures).as("seed " + seed).isEmpty();
        }
        ServerProcess server = ServerProcess.start(data, "fsync");
        ManagedChannel channel = channel(server.port);
        try {
            verifyRecovered(client(channel), channel, "final, seed " + seed);
        } finally {
            server.kill();
            ItFixtures.shutdownChannel(channel);
        }
        assertThat(told).hasSizeGreaterThan(CYCLES * 10);
    }

    /** Callers reserve, confirm and cancel until the server is killed under them. */
    private void drive(CheckoutClient client, ServerProcess server, int millisBeforeKill, long seed)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(CALLERS);
        for (int caller = 0; caller < CALLERS; caller++) {
            SplittableRandom random = new SplittableRandom(seed * 31 + caller);
            String prefix = "s" + seed + "c" + caller + "-";
            Thread thread = new Thread(
                    () -> {
                        int n = 0;
                        try {
                            while (!stop.get()) {
                                n++;
                                ReserveReply reply = client.reserve(
                                        prefix + "r" + n, prefix + "user" + n, SKU, 1 + random.nextInt(3));
                                if (reply.getResult() != ReserveResult.RESERVED) {
                                    continue;
                                }
                                told.put(reply.getOrderId(), new Told(reply, OrderState.ORDER_STATE_RESERVED, null));
                                int choice = random.nextInt(3);
                                if (choice == 0) {
                                    continue;
                                }
                                OrderState next =
                                        choice == 1 ? OrderState.ORDER_STATE_PAID : OrderState.ORDER_STATE_CANCELLED;
                                told.put(reply.getOrderId(), new Told(reply, OrderState.ORDER_STATE_RESERVED, next));
                                Order order = choice == 1
                                        ? client.confirm(prefix + "p" + n, reply.getOrderId())
                                        : client.cancel(prefix + "x" + n, reply.getOrderId());
                                assertThat(order.getState()).isEqualTo(next);
                                told.put(reply.getOrderId(), new Told(reply, next, null));
                            }
                        } catch (StatusRuntimeException expectedWhenKilled) {
                            // The server died under the call: its answer was never given.
                        } catch (Throwable t) {
                            callerFailures.add(t);
                        } finally {
                            done.countDown();
                        }
                    },
                    "crash-caller-" + caller);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(millisBeforeKill);
        // The kill lands while the callers are still calling: the point of the test.
        server.kill();
        stop.set(true);
        assertThat(done.await(60, TimeUnit.SECONDS)).as("callers stopped").isTrue();
    }

    private void verifyRecovered(CheckoutClient client, ManagedChannel channel, String context) {
        Map<OrderState, Long> unitsByState = new HashMap<>();
        long orderCount = 0;
        for (long orderId = 1; ; orderId++) {
            Order order;
            try {
                order = client.getOrder(orderId);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as(context).isEqualTo(Status.Code.NOT_FOUND);
                break;
            }
            orderCount++;
            unitsByState.merge(order.getState(), (long) order.getLines(0).getQuantity(), Long::sum);
        }
        for (Map.Entry<Long, Told> entry : told.entrySet()) {
            Told was = entry.getValue();
            Order order = client.getOrder(entry.getKey());
            String what = context + ": order " + entry.getKey() + " told " + was;
            assertThat(order.getAmountMinor()).as(what).isEqualTo(was.reserve().getAmountMinor());
            assertThat(order.getExpiresAtEpochMillis())
                    .as(what)
                    .isEqualTo(was.reserve().getExpiresAtEpochMillis());
            assertThat(order.getUserId()).as(what).isNotEmpty();
            if (was.pending() == null) {
                assertThat(order.getState()).as(what).isEqualTo(was.acknowledged());
            } else {
                assertThat(order.getState()).as(what).isIn(was.acknowledged(), was.pending());
                // Settle it: later cycles compare against what the server now says.
                told.put(entry.getKey(), new Told(was.reserve(), order.getState(), null));
            }
        }
        Sku sku = client.getStock(SKU);
        assertThat(sku.getAvailable() + sku.getReserved() + sku.getSold())
                .as(context)
                .isEqualTo(sku.getTotalStock());
        assertThat(sku.getReserved())
                .as(context + ": reserved units")
                .isEqualTo(unitsByState.getOrDefault(OrderState.ORDER_STATE_RESERVED, 0L));
        assertThat(sku.getSold())
                .as(context + ": sold units")
                .isEqualTo(unitsByState.getOrDefault(OrderState.ORDER_STATE_PAID, 0L));

        // The event stream: gap-free from 1, one RESERVED event per order, every acknowledged one among them.
        long reservedEvents = 0;
        long expected = 1;
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(0).build());
        java.util.Set<Long> reservedOrders = new java.util.HashSet<>();
        while (true) {
            OrderEvent event = events.next();
            assertThat(event.getSequence()).as(context + ": event sequence").isEqualTo(expected++);
            if (event.getType() == OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED) {
                reservedEvents++;
                reservedOrders.add(event.getOrder().getOrderId());
            }
            if (reservedEvents == orderCount) {
                break;
            }
        }
        assertThat(reservedOrders).as(context).containsAll(told.keySet());
    }

    private static CheckoutClient client(ManagedChannel channel) {
        return CheckoutClient.builder(channel)
                .deadline(Duration.ofSeconds(20))
                .maxAttempts(1)
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .build();
    }

    /** The server as a separate JVM, as production runs it. */
}
