package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.checkout.client.AutoBatching;
import io.checkout.client.CheckoutClient;
import io.checkout.client.StreamingReserver;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flash sale over real gRPC on loopback: far more buyers than units, each allowed one unit, some
 * trying twice, all at once. The single writer must sell exactly the stock and never two units to
 * one buyer, whatever the interleaving.
 */
class ReserveRaceIT {
    private static final int UNITS = 1_000;
    private static final int CALLERS = 200;
    private static final int SINGLE_TRY_USERS = 18_000;
    private static final int TWICE_TRYING_USERS = 1_000;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;
    private ExecutorService callers;

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
    }

    @AfterEach
    void stopServer() {
        if (callers != null) {
            callers.shutdownNow();
        }
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    /** One reserve attempt: who, under which request id. */
    private record Attempt(String userId, String requestId) {}

    /** An attempt and the reply the server acknowledged it with. */
    private record Answer(Attempt attempt, ReserveReply reply) {}

    private record Submitted(Attempt attempt, CompletableFuture<ReserveReply> reply) {}

    @Test
    void unaryReservesFromManyConcurrentCallersShouldSellExactlyTheStockAndAtMostOneUnitPerUser() throws Exception {
        String skuId = "SNEAKER-RACE";
        client.upsertSku(ItFixtures.sku(skuId, UNITS, 1));
        List<Attempt> attempts = attempts("u", SINGLE_TRY_USERS, TWICE_TRYING_USERS);
        assertThat(attempts).hasSizeGreaterThanOrEqualTo(20_000);

        List<Answer> answers = raceUnary(client, skuId, attempts);

        assertSoldExactlyOncePerUser(skuId, attempts, answers, UNITS);
    }

    @Test
    void autoBatchedReservesFromManyConcurrentCallersShouldSellExactlyTheStockAndAtMostOneUnitPerUser()
            throws Exception {
        String skuId = "SNEAKER-AUTO-BATCHED";
        client.upsertSku(ItFixtures.sku(skuId, UNITS, 1));
        List<Attempt> attempts = attempts("a", SINGLE_TRY_USERS, TWICE_TRYING_USERS);

        // The same plain reserve() calls from the same 200 threads, coalesced into batch messages.
        List<Answer> answers;
        try (CheckoutClient batching = CheckoutClient.builder(channel)
                .deadline(Duration.ofSeconds(10))
                .autoBatching(AutoBatching.of(32, Duration.ZERO, 2, 1_024))
                .build()) {
            answers = raceUnary(batching, skuId, attempts);
        }

        assertSoldExactlyOncePerUser(skuId, attempts, answers, UNITS);
    }

    @Test
    void streamedReservesFromConcurrentSubmittersShouldSellExactlyTheStockAndAtMostOneUnitPerUser() throws Exception {
        String skuId = "SNEAKER-STREAM";
        int units = 500;
        client.upsertSku(ItFixtures.sku(skuId, units, 1));
        List<Attempt> attempts = attempts("s", 4_500, 500);

        List<Answer> answers = raceStreams(skuId, attempts);

        assertSoldExactlyOncePerUser(skuId, attempts, answers, units);
    }

    private void assertSoldExactlyOncePerUser(String skuId, List<Attempt> attempts, List<Answer> answers, int units) {
        assertThat(answers).as("every attempt acknowledged").hasSize(attempts.size());
        Map<ReserveResult, Long> byResult = answers.stream()
                .collect(Collectors.groupingBy(
                        a -> a.reply().getResult(), () -> new EnumMap<>(ReserveResult.class), Collectors.counting()));
        assertThat(byResult.keySet())
                .as("results seen: %s", byResult)
                .containsOnly(ReserveResult.RESERVED, ReserveResult.SOLD_OUT, ReserveResult.LIMIT_EXCEEDED);
        assertThat(byResult.get(ReserveResult.RESERVED)).as("RESERVED answers").isEqualTo(units);

        Map<String, List<Answer>> byUser =
                answers.stream().collect(Collectors.groupingBy(a -> a.attempt().userId()));
        Set<Long> orderIds = new HashSet<>();
        for (Answer answer : answers) {
            ReserveReply reply = answer.reply();
            assertThat(reply.getRequestId()).isEqualTo(answer.attempt().requestId());
            if (reply.getResult() == ReserveResult.RESERVED) {
                assertThat(orderIds.add(reply.getOrderId()))
                        .as("order id %d given twice", reply.getOrderId())
                        .isTrue();
                assertThat(reply.getAmountMinor()).isEqualTo(1_999);
                assertThat(reply.getCurrency()).isEqualTo("USD");
            } else {
                assertThat(reply.getOrderId()).isZero();
                assertThat(reply.getFailedSkuId()).isEqualTo(skuId);
            }
        }
        byUser.forEach((user, userAnswers) -> {
            long reserved = userAnswers.stream()
                    .filter(a -> a.reply().getResult() == ReserveResult.RESERVED)
                    .count();
            assertThat(reserved).as("units acknowledged to %s", user).isLessThanOrEqualTo(1);
            boolean limited = userAnswers.stream().anyMatch(a -> a.reply().getResult() == ReserveResult.LIMIT_EXCEEDED);
            if (limited) {
                // Stock never returns in this sale, so the limit can only bite a user who already holds a unit.
                assertThat(reserved)
                        .as("%s was told LIMIT_EXCEEDED without holding a unit", user)
                        .isEqualTo(1);
            }
        });

        // The server's own record must agree with what callers were told, not only the answers.
        Set<String> holders = new HashSet<>();
        for (Answer answer : answers) {
            if (answer.reply().getResult() != ReserveResult.RESERVED) {
                continue;
            }
            Order order = client.getOrder(answer.reply().getOrderId());
            assertThat(order.getUserId()).isEqualTo(answer.attempt().userId());
            assertThat(order.getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
            assertThat(order.getLinesList())
                    .extracting(OrderLine::getSkuId, OrderLine::getQuantity)
                    .containsExactly(tuple(skuId, 1));
            assertThat(holders.add(order.getUserId()))
                    .as("%s holds two orders", order.getUserId())
                    .isTrue();
        }
        assertThat(holders).hasSize(units);

        Sku stock = client.getStock(skuId);
        assertThat(stock.getTotalStock()).isEqualTo(units);
        assertThat(stock.getReserved()).isEqualTo(units);
        assertThat(stock.getAvailable()).isZero();
        assertThat(stock.getSold()).isZero();
        assertThat(stock.getAvailable() + stock.getReserved() + stock.getSold()).isEqualTo(stock.getTotalStock());
    }

    /**
     * Every user once, some twice, shuffled so that a user's two attempts usually land on different
     * callers and may truly race each other.
     */
    private static List<Attempt> attempts(String prefix, int singleTryUsers, int twiceTryingUsers) {
        List<Attempt> attempts = new ArrayList<>();
        for (int user = 0; user < singleTryUsers + twiceTryingUsers; user++) {
            String userId = prefix + "-user-" + user;
            attempts.add(new Attempt(userId, userId + "-try-1"));
            if (user < twiceTryingUsers) {
                attempts.add(new Attempt(userId, userId + "-try-2"));
            }
        }
        Collections.shuffle(attempts, new Random(20_240_601));
        return attempts;
    }

    private List<Answer> raceUnary(CheckoutClient reserver, String skuId, List<Attempt> attempts) throws Exception {
        callers = Executors.newFixedThreadPool(CALLERS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<Answer>>> slices = new ArrayList<>();
        for (int caller = 0; caller < CALLERS; caller++) {
            List<Attempt> slice = new ArrayList<>();
            for (int i = caller; i < attempts.size(); i += CALLERS) {
                slice.add(attempts.get(i));
            }
            slices.add(callers.submit(() -> {
                go.await();
                List<Answer> answers = new ArrayList<>(slice.size());
                for (Attempt attempt : slice) {
                    answers.add(new Answer(attempt, reserver.reserve(attempt.requestId(), attempt.userId(), skuId, 1)));
                }
                return answers;
            }));
        }
        go.countDown();
        List<Answer> answers = new ArrayList<>();
        for (Future<List<Answer>> slice : slices) {
            answers.addAll(slice.get(60, TimeUnit.SECONDS));
        }
        return answers;
    }

    private List<Answer> raceStreams(String skuId, List<Attempt> attempts) throws Exception {
        int streams = 4;
        int submitters = 8;
        int window = 128;
        List<StreamingReserver> reservers = new ArrayList<>();
        List<Semaphore> windows = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            reservers.add(client.openReserveStream(window));
            windows.add(new Semaphore(window));
        }
        ConcurrentLinkedQueue<Submitted> pending = new ConcurrentLinkedQueue<>();
        callers = Executors.newFixedThreadPool(submitters);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int submitter = 0; submitter < submitters; submitter++) {
                int first = submitter;
                done.add(callers.submit(() -> {
                    go.await();
                    for (int i = first; i < attempts.size(); i += submitters) {
                        Attempt attempt = attempts.get(i);
                        int stream = i % streams;
                        // The reserver refuses submits beyond its window instead of queueing them; hold back here.
                        windows.get(stream).acquire();
                        CompletableFuture<ReserveReply> reply = reservers
                                .get(stream)
                                .submit(ReserveRequest.newBuilder()
                                        .setRequestId(attempt.requestId())
                                        .setUserId(attempt.userId())
                                        .addLines(OrderLine.newBuilder()
                                                .setSkuId(skuId)
                                                .setQuantity(1))
                                        .build());
                        reply.whenComplete((r, e) -> windows.get(stream).release());
                        pending.add(new Submitted(attempt, reply));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> submitter : done) {
                submitter.get(60, TimeUnit.SECONDS);
            }
            List<Answer> answers = new ArrayList<>();
            for (Submitted submitted : pending) {
                answers.add(new Answer(submitted.attempt(), submitted.reply().get(30, TimeUnit.SECONDS)));
            }
            return answers;
        } finally {
            reservers.forEach(StreamingReserver::close);
        }
    }
}
