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
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cluster members as separate JVMs on loopback, callers reserving, confirming and cancelling
 * through the SDK over a static target of all three. The leader is killed with SIGKILL mid-sale:
 * the sale goes on under a new leader, and every acknowledged order is there afterwards in the
 * state its caller was told, stock is conserved, nothing is oversold, no buyer is past the limit,
 * and repeats of acknowledged request ids get their first answers. The killed member rejoins and
 * catches up; then a follower is killed mid-sale and rejoins; at the end every member answers every
 * order and the SKU identically from its own copy of the state (reads are answered by the member's
 * own engine after it applied the log up to them), which is the determinism check, and every
 * member streams the same order events with the same sequence numbers from its own event log.
 */
class ClusterFailoverIT {
    private static final String SKU = "HA-SKU";
    private static final long STOCK = 4_000;
    private static final long PER_USER_LIMIT = 3;
    private static final int CALLERS = 4;
    private static final int MEMBERS = 3;
    private static final int GRPC_BASE = 21_300;
    private static final int METRICS_BASE = 21_350;
    private static final int CLUSTER_BASE = 21_400;

    @TempDir
    Path data;

    private final MemberProcess[] members = new MemberProcess[MEMBERS];
    private final Map<Long, Told> told = new ConcurrentHashMap<>();
    private final List<Throwable> callerFailures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<Status.Code, AtomicLong> callErrors = new ConcurrentHashMap<>();

    private record Told(
            ReserveReply reserve,
            String requestId,
            String userId,
            int quantity,
            OrderState acknowledged,
            OrderState pending) {
        Told settled(OrderState state) {
            return new Told(reserve, requestId, userId, quantity, state, null);
        }

        Told pending(OrderState next) {
            return new Told(reserve, requestId, userId, quantity, acknowledged, next);
        }
    }

    @AfterEach
    void killAll() throws InterruptedException {
        for (MemberProcess member : members) {
            if (member != null) {
                member.kill();
            }
        }
    }

    @Test
    void killedLeaderAndFollowerShouldLoseNoAcknowledgedOrder() throws Exception {
        long seed = Long.getLong("cluster.seed", System.nanoTime());
        System.out.println("ClusterFailoverIT seed " + seed);
        for (int id = 0; id < MEMBERS; id++) {
            members[id] = MemberProcess.start(data, id);
        }
        for (int id = 0; id < MEMBERS; id++) {
            members[id].awaitServing();
        }
        try (CheckoutClient client = client(staticTarget())) {
            client.upsertSku(ItFixtures.sku(SKU, STOCK, PER_USER_LIMIT));

            // A leader killed mid-sale.
            int leader = leader();
            long before = drive(client, 1_500, seed, () -> kill(leader));
            long afterLeaderKill = drive(client, 4_000, seed + 1, () -> {});
            assertThat(afterLeaderKill)
                    .as("reserves acknowledged after the leader was killed")
                    .isPositive();
            assertThat(leader()).as("a new leader").isNotEqualTo(leader);
            verify(client, "after the leader (member " + leader + ") was killed, seed " + seed);

            // It rejoins and catches up.
            members[leader] = MemberProcess.start(data, leader);
            members[leader].awaitServing();
            try (CheckoutClient rejoined = client("127.0.0.1:" + (GRPC_BASE + leader))) {
                verify(rejoined, "member " + leader + " after it rejoined, seed " + seed);
            }

            // A follower killed mid-sale, then rejoining.
            int follower = (leader() + 1) % MEMBERS;
            drive(client, 1_500, seed + 2, () -> kill(follower));
            long afterFollowerKill = drive(client, 2_000, seed + 3, () -> {});
            assertThat(afterFollowerKill)
                    .as("reserves acknowledged after a follower was killed")
                    .isPositive();
            // The leader sees the dead follower fall behind: no word from it, its log lagging.
            awaitLeaderGauge("checkout_cluster_member_append_age_seconds{member=\"" + follower + "\"}", age -> age > 1);
            awaitLeaderGauge("checkout_cluster_member_log_lag_bytes{member=\"" + follower + "\"}", lag -> lag > 0);
            members[follower] = MemberProcess.start(data, follower);
            members[follower].awaitServing();
            verify(client, "after follower " + follower + " was killed and rejoined, seed " + seed);
            assertSameStateOnEveryMember("seed " + seed);
            awaitLeaderGauge("checkout_cluster_member_log_lag_bytes{member=\"" + follower + "\"}", lag -> lag == 0);
            System.out.printf(
                    "ClusterFailoverIT: %d orders acknowledged (%d before the leader kill), call errors %s%n",
                    told.size(), before, callErrors);
        }
        assertThat(callerFailures).as("seed " + seed).isEmpty();
    }

    /**
     * Callers reserve, confirm and cancel for {@code millis}; {@code midway} runs half way through.
     *
     * @return the reserves acknowledged in this period
     */
    private long drive(CheckoutClient client, long millis, long seed, Runnable midway) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reserved = new AtomicLong();
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
                                call(client, prefix, n, random, reserved);
                            }
                        } catch (Throwable t) {
                            callerFailures.add(t);
                        } finally {
                            done.countDown();
                        }
                    },
                    "cluster-caller-" + caller);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(millis / 2);
        midway.run();
        Thread.sleep(millis - millis / 2);
        stop.set(true);
        assertThat(done.await(120, TimeUnit.SECONDS)).as("callers stopped").isTrue();
        return reserved.get();
    }

    /** One buyer's reserve and, sometimes, its confirm or cancel. An error ends the attempt, not the sale. */
    private void call(CheckoutClient client, String prefix, int n, SplittableRandom random, AtomicLong reserved) {
        String requestId = prefix + "r" + n;
        String userId = prefix + "user" + (n % 50);
        int quantity = 1 + random.nextInt(2);
        ReserveReply reply;
        try {
            reply = client.reserve(requestId, userId, SKU, quantity);
        } catch (StatusRuntimeException e) {
            callErrors
                    .computeIfAbsent(e.getStatus().getCode(), code -> new AtomicLong())
                    .incrementAndGet();
            return;
        }
        if (reply.getResult() != ReserveResult.RESERVED) {
            return;
        }
        reserved.incrementAndGet();
        Told reservedOrder = new Told(reply, requestId, userId, quantity, OrderState.ORDER_STATE_RESERVED, null);
        told.put(reply.getOrderId(), reservedOrder);
        int choice = random.nextInt(3);
        if (choice == 0) {
            return;
        }
        OrderState next = choice == 1 ? OrderState.ORDER_STATE_PAID : OrderState.ORDER_STATE_CANCELLED;
        told.put(reply.getOrderId(), reservedOrder.pending(next));
        Order order;
        try {
            order = choice == 1
                    ? client.confirm(prefix + "p" + n, reply.getOrderId())
                    : client.cancel(prefix + "x" + n, reply.getOrderId());
        } catch (StatusRuntimeException e) {
            callErrors
                    .computeIfAbsent(e.getStatus().getCode(), code -> new AtomicLong())
                    .incrementAndGet();
            return;
        }
        assertThat(order.getState()).isEqualTo(next);
        told.put(reply.getOrderId(), reservedOrder.settled(next));
    }

    /** Every acknowledged order as told, conservation, units matching orders, limits, first answers. */
    private void verify(CheckoutClient client, String context) {
        Map<OrderState, Long> unitsByState = new HashMap<>();
        Map<String, Long> liveUnitsByUser = new HashMap<>();
        for (long orderId = 1; ; orderId++) {
            Order order;
            try {
                order = client.getOrder(orderId);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as(context).isEqualTo(Status.Code.NOT_FOUND);
                break;
            }
            long units = order.getLines(0).getQuantity();
            unitsByState.merge(order.getState(), units, Long::sum);
            if (order.getState() == OrderState.ORDER_STATE_RESERVED
                    || order.getState() == OrderState.ORDER_STATE_PAID) {
                liveUnitsByUser.merge(order.getUserId(), units, Long::sum);
            }
        }
        for (Map.Entry<Long, Told> entry : told.entrySet()) {
            Told was = entry.getValue();
            Order order = client.getOrder(entry.getKey());
            String what = context + ": order " + entry.getKey() + " told " + was;
            assertThat(order.getAmountMinor()).as(what).isEqualTo(was.reserve().getAmountMinor());
            assertThat(order.getExpiresAtEpochMillis())
                    .as(what)
                    .isEqualTo(was.reserve().getExpiresAtEpochMillis());
            if (was.pending() == null) {
                assertThat(order.getState()).as(what).isEqualTo(was.acknowledged());
            } else {
                assertThat(order.getState()).as(what).isIn(was.acknowledged(), was.pending());
                told.put(entry.getKey(), was.settled(order.getState()));
            }
        }
        Sku sku = client.getStock(SKU);
        assertThat(sku.getAvailable() + sku.getReserved() + sku.getSold())
                .as(context)
                .isEqualTo(STOCK);
        assertThat(sku.getAvailable()).as(context + ": never oversold").isNotNegative();
        assertThat(sku.getReserved())
                .as(context)
                .isEqualTo(unitsByState.getOrDefault(OrderState.ORDER_STATE_RESERVED, 0L));
        assertThat(sku.getSold()).as(context).isEqualTo(unitsByState.getOrDefault(OrderState.ORDER_STATE_PAID, 0L));
        assertThat(liveUnitsByUser.values())
                .as(context + ": per-user limit")
                .allMatch(units -> units <= PER_USER_LIMIT);

        // Repeats of acknowledged request ids get their first answers.
        int repeats = 0;
        for (Told was : told.values()) {
            if (repeats++ == 50) {
                break;
            }
            ReserveReply again = client.reserve(was.requestId(), was.userId(), SKU, was.quantity());
            assertThat(again.getOrderId())
                    .as(context + ": repeat of " + was.requestId())
                    .isEqualTo(was.reserve().getOrderId());
        }
    }

    /** Every member answers every order and the SKU from its own state, and they all agree. */
    private void assertSameStateOnEveryMember(String context) {
        List<List<Object>> states = new ArrayList<>();
        for (int id = 0; id < MEMBERS; id++) {
            try (CheckoutClient member = client("127.0.0.1:" + (GRPC_BASE + id))) {
                List<Object> state = new ArrayList<>();
                state.add(member.getStock(SKU));
                for (long orderId = 1; ; orderId++) {
                    try {
                        state.add(member.getOrder(orderId));
                    } catch (StatusRuntimeException e) {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                        break;
                    }
                }
                states.add(state);
            }
        }
        assertThat(states.get(0)).as(context).hasSizeGreaterThan(told.size() / 2);
        for (int id = 1; id < MEMBERS; id++) {
            assertThat(states.get(id))
                    .as(context + ": member " + id + " against member 0")
                    .isEqualTo(states.get(0));
        }
        // Each member derives the order events from the log: gap-free, the same numbers everywhere.
        long orders = states.get(0).size() - 1;
        List<List<String>> events = new ArrayList<>();
        for (int id = 0; id < MEMBERS; id++) {
            events.add(eventsThroughLastReserve(id, orders, context));
        }
        for (int id = 1; id < MEMBERS; id++) {
            assertThat(events.get(id))
                    .as(context + ": events of member " + id + " against member 0")
                    .isEqualTo(events.get(0));
        }
    }

    /** Member {@code id}'s order events from the first until the reservation of the last order. */
    private static List<String> eventsThroughLastReserve(int id, long orders, String context) {
        ManagedChannel channel = Grpc.newChannelBuilder(
                        "127.0.0.1:" + (GRPC_BASE + id), InsecureChannelCredentials.create())
                .build();
        try {
            java.util.Iterator<OrderEvent> stream = OrderEventsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS)
                    .subscribe(SubscribeRequest.newBuilder().setFromSequence(0).build());
            List<String> seen = new ArrayList<>();
            long reserved = 0;
            long expected = 1;
            while (reserved < orders) {
                OrderEvent event = stream.next();
                assertThat(event.getSequence())
                        .as(context + ": member " + id + " event sequence")
                        .isEqualTo(expected++);
                if (event.getType() == OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED) {
                    reserved++;
                }
                seen.add(event.getSequence() + " " + event.getType() + " "
                        + event.getOrder().getOrderId());
            }
            return seen;
        } finally {
            ItFixtures.shutdownChannel(channel);
        }
    }

    private void kill(int id) {
        try {
            members[id].kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to 20 s for a gauge on the leader's /metrics to pass {@code test} (the leader asks every 5 s). */
    private void awaitLeaderGauge(String series, java.util.function.DoublePredicate test) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            last = members[leader()].gauge(series);
            if (test.test(last)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(series + " on the leader was " + last + " for 20 s");
    }

    /** The member whose metrics say it leads; waits for one. */
    private int leader() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (int id = 0; id < MEMBERS; id++) {
                if (members[id] != null && members[id].isAlive() && members[id].metric("checkout_cluster_role") == 2) {
                    return id;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader within 60 s");
    }

    private static String staticTarget() {
        StringBuilder target = new StringBuilder("static:///");
        for (int id = 0; id < MEMBERS; id++) {
            target.append(id == 0 ? "" : ",").append("127.0.0.1:").append(GRPC_BASE + id);
        }
        return target.toString();
    }

    /** The SDK as a frontline service would set it up for a replicated group: retries that outlast a failover. */
    private static CheckoutClient client(String target) {
        return CheckoutClient.builder(target)
                .deadline(Duration.ofSeconds(20))
                .attemptDeadline(Duration.ofSeconds(3))
                .maxAttempts(8)
                .maxBackoff(Duration.ofMillis(500))
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
    }

    /** A member as a separate JVM, as production runs it. */
    private static final class MemberProcess {
        private static final HttpClient HTTP = HttpClient.newHttpClient();
        private final Process process;
        private final int id;

        private final Path output;

        private MemberProcess(Process process, int id, Path output) {
            this.process = process;
            this.id = id;
            this.output = output;
        }

        private String outputTail() {
            try {
                List<String> lines = Files.readAllLines(output);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
            } catch (IOException e) {
                return "(no output: " + e + ")";
            }
        }

        static MemberProcess start(Path data, int id) throws IOException {
            Path dir = Files.createDirectories(data.resolve("member-" + id));
            Path adminToken = dir.resolve("admin-token");
            Files.writeString(adminToken, ItFixtures.ADMIN_TOKEN);
            StringBuilder clusterMembers = new StringBuilder();
            for (int member = 0; member < MEMBERS; member++) {
                clusterMembers
                        .append(member == 0 ? "" : ",")
                        .append("127.0.0.1:")
                        .append(CLUSTER_BASE + member * 10);
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("@" + ItFixtures.jvmOptions());
            command.add("-Xmx384m");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(Main.class.getName());
            command.add("serve");
            command.addAll(List.of(
                    "--port", String.valueOf(GRPC_BASE + id),
                    "--data-dir", dir.toString(),
                    "--set", "mode=cluster",
                    "--set", "cluster-member-id=" + id,
                    "--set", "cluster-members=" + clusterMembers,
                    "--set", "aeron-dir=" + dir.resolve("aeron"),
                    "--set", "cluster-term-bytes=1048576",
                    "--set", "cluster-heartbeat-timeout-millis=1000",
                    "--set", "metrics-port=" + (METRICS_BASE + id),
                    "--set", "admin-token-file=" + adminToken,
                    "--set", "host=127.0.0.1",
                    "--set", "sku-capacity=100",
                    "--set", "order-capacity=200000",
                    "--set", "user-counter-capacity=200000",
                    "--set", "idempotency-capacity=400000"));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("output.log").toFile()))
                    .start();
            return new MemberProcess(process, id, dir.resolve("output.log"));
        }

        /** Waits until the member reports SERVING on grpc.health.v1 (its gateway has a session with a leader). */
        void awaitServing() throws InterruptedException {
            ManagedChannel channel = Grpc.newChannelBuilder(
                            "127.0.0.1:" + (GRPC_BASE + id), InsecureChannelCredentials.create())
                    .build();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (System.nanoTime() < deadline) {
                    if (!process.isAlive()) {
                        throw new AssertionError(
                                "member " + id + " exited with " + process.exitValue() + ":\n" + outputTail());
                    }
                    try {
                        HealthCheckResponse response = HealthGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(2, TimeUnit.SECONDS)
                                .check(HealthCheckRequest.getDefaultInstance());
                        if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                            return;
                        }
                    } catch (StatusRuntimeException notYet) {
                        // Not listening yet.
                    }
                    Thread.sleep(200);
                }
                throw new AssertionError("member " + id + " did not become SERVING within 90 s:\n" + outputTail());
            } finally {
                ItFixtures.shutdownChannel(channel);
            }
        }

        /** A gauge from the member's /metrics, or -1 if it cannot be read. */
        long metric(String name) {
            double value = gauge(name);
            return Double.isNaN(value) ? -1 : (long) value;
        }

        /** A series from the member's /metrics (name and labels as printed), or NaN if absent or unreadable. */
        double gauge(String name) {
            try {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (METRICS_BASE + id) + "/metrics"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                for (String line : response.body().split("\n")) {
                    if (line.startsWith(name + " ")) {
                        return Double.parseDouble(
                                line.substring(name.length() + 1).trim());
                    }
                }
            } catch (IOException e) {
                return Double.NaN;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Double.NaN;
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL: no shutdown hook, no snapshot, no flush. Killing twice is harmless. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
