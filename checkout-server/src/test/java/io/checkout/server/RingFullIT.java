package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import io.checkout.client.BatchStreamingReserver;
import io.checkout.client.CheckoutClient;
import io.checkout.client.StreamingReserver;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A saturated server must refuse at once (RESOURCE_EXHAUSTED, reason RING_FULL) rather than queue
 * or block, and must come back to normal when the pressure goes.
 *
 * <p>The pipeline has no hook to stall its business thread, but its publishers read the server's
 * clock inside the ring translator, after claiming a slot and before publishing it. A clock that
 * holds one reader therefore holds one claimed, unpublished slot, and the business thread cannot
 * pass it: the ring fills deterministically with no change to main code. The in-process transport
 * keeps every other call flowing on other executor threads.
 */
class RingFullIT {
    private static final String SKU = "GPU-DROP";
    private static final int RING_SIZE = 4;

    @TempDir
    Path dataDir;

    private final HoldingClock clock = new HoldingClock();
    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;
    private ExecutorService flooders;

    @AfterEach
    void stopServer() {
        // A held slot would keep the drain in close() waiting for its whole grace period.
        clock.release();
        if (flooders != null) {
            flooders.shutdownNow();
        }
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    private void startInProcess(int ringSize) {
        startInProcess(ringSize, settings -> {});
    }

    private void startInProcess(int ringSize, Consumer<ServerConfig.Builder> moreSettings) {
        String name = "ring-full-" + UUID.randomUUID();
        ServerConfig.Builder settings = ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.RING_SIZE, ringSize)
                // No ticks: a tick would read the clock too, and these tests choose who gets held.
                .set(ServerConfig.Setting.TICK_INTERVAL_MILLIS, 60_000);
        moreSettings.accept(settings);
        ServerConfig config = settings.conclude();
        server = CheckoutServer.start(config, InProcessServerBuilder.forName(name), clock);
        channel = InProcessChannelBuilder.forName(name).build();
        // One attempt only: retrying RESOURCE_EXHAUSTED would hide exactly what these tests look at.
        client = CheckoutClient.builder(channel)
                .maxAttempts(1)
                .deadline(Duration.ofSeconds(5))
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
        client.upsertSku(ItFixtures.sku(SKU, 1_000_000, 0));
    }

    @Test
    void callsBeyondTheRingShouldBeRefusedAtOnceWithRingFullWhileTheBusinessThreadIsStalled() throws Exception {
        startInProcess(RING_SIZE);
        CompletableFuture<ReserveReply> staller = stallPipeline();
        int flood = 96;

        List<CompletableFuture<ReserveReply>> calls = floodAsync(8, flood / 8, "stalled");
        // Slots: the held one, plus RING_SIZE - 1 that get published behind it; nothing frees any.
        int admitted = RING_SIZE - 1;
        // Refusals must not wait for the business thread: they all arrive while it cannot move.
        ItFixtures.awaitTrue(
                "all but " + admitted + " calls answered while the pipeline is stalled",
                Duration.ofSeconds(10),
                () -> calls.stream().filter(CompletableFuture::isDone).count() == flood - admitted);

        for (CompletableFuture<ReserveReply> call : calls) {
            if (call.isDone()) {
                assertRingFull(failureOf(call));
            }
        }
        assertThat(server.pipeline().remainingCapacity()).isZero();
        assertRingFull(ItFixtures.grpcFailure(() -> client.getStock(SKU)));
        // Health does not go through the ring: a saturated server is busy, not down.
        assertThat(ItFixtures.health(channel, "")).isEqualTo(ServingStatus.SERVING);
        assertThat(staller).isNotDone();

        clock.release();

        assertThat(staller.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
        int reserved = 1;
        for (CompletableFuture<ReserveReply> call : calls) {
            ReserveResult result = outcome(call);
            if (result == ReserveResult.RESERVED) {
                reserved++;
            }
        }
        assertThat(reserved).isEqualTo(1 + admitted);
        assertHealthyAndConsistent(reserved);
    }

    @Test
    void floodOfAsyncReservesShouldOnlyBeAnsweredOkOrRingFullAndLeaveTheServerConsistent() throws Exception {
        startInProcess(2);

        List<CompletableFuture<ReserveReply>> calls = floodAsync(16, 250, "flood");

        Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
        int reserved = 0;
        for (CompletableFuture<ReserveReply> call : calls) {
            try {
                ReserveReply reply = call.get(30, TimeUnit.SECONDS);
                codes.merge(Status.Code.OK, 1, Integer::sum);
                assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
                reserved++;
            } catch (ExecutionException e) {
                StatusRuntimeException failure = (StatusRuntimeException) e.getCause();
                codes.merge(failure.getStatus().getCode(), 1, Integer::sum);
                assertRingFull(failure);
            }
        }
        // Whether a free-running flood overflows a ring of two depends on scheduling; the stalled
        // test above is the one that proves refusals happen. This one proves nothing else ever does.
        assertThat(codes.keySet())
                .as("flood answers by status: %s", codes)
                .contains(Status.Code.OK)
                .isSubsetOf(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
        assertHealthyAndConsistent(reserved);
    }

    @Test
    void reserveStreamShouldAnswerRejectedWithRingFullWhileSaturatedAndStayOpen() throws Exception {
        startInProcess(RING_SIZE);
        try (StreamingReserver stream = client.openReserveStream(64)) {
            // The business thread answers a command before it gives the slot back: wait until the
            // setup's slots are free, or a filler finds the ring full (it did once in CI).
            ItFixtures.awaitTrue(
                    "setup's slots given back",
                    Duration.ofSeconds(10),
                    () -> server.pipeline().remainingCapacity() == RING_SIZE);
            CompletableFuture<ReserveReply> staller = stallPipeline();
            List<CompletableFuture<ReserveReply>> fillers = floodAsync(1, RING_SIZE - 1, "fill");
            ItFixtures.awaitTrue(
                    "ring full", Duration.ofSeconds(10), () -> server.pipeline().remainingCapacity() == 0);

            ReserveReply refused =
                    stream.submit(request("streamed-while-full", "streamer")).get(10, TimeUnit.SECONDS);

            assertThat(refused.getResult()).isEqualTo(ReserveResult.REJECTED);
            assertThat(refused.getError().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
            assertThat(ItFixtures.detail(refused.getError(), ErrorInfo.class)
                            .orElseThrow()
                            .getReason())
                    .isEqualTo("RING_FULL");

            clock.release();
            staller.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<ReserveReply> filler : fillers) {
                filler.get(10, TimeUnit.SECONDS);
            }
            awaitRingDrained();
            // The same request id again: a ring-full refusal was never applied, so nothing was remembered.
            ReserveReply accepted =
                    stream.submit(request("streamed-while-full", "streamer")).get(10, TimeUnit.SECONDS);

            assertThat(accepted.getResult()).isEqualTo(ReserveResult.RESERVED);
            assertHealthyAndConsistent(1 + fillers.size() + 1);
        }
    }

    @Test
    void reserveBatchStreamShouldPublishWhatFitsAndAnswerTheRestRingFullInTheSameStream() throws Exception {
        startInProcess(RING_SIZE);
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, 8)) {
            CompletableFuture<ReserveReply> staller = stallPipeline();
            // The held slot plus two fillers leave one free slot: too few for the batch of three at once.
            List<CompletableFuture<ReserveReply>> fillers = floodAsync(1, RING_SIZE - 2, "fill");
            ItFixtures.awaitTrue(
                    "one slot left",
                    Duration.ofSeconds(10),
                    () -> server.pipeline().remainingCapacity() == 1);

            List<CompletableFuture<ReserveReply>> batch = stream.submit(List.of(
                    request("batch-0", "batcher-0"), request("batch-1", "batcher-1"), request("batch-2", "batcher-2")));
            ReserveReply refused1 = batch.get(1).get(10, TimeUnit.SECONDS);
            ReserveReply refused2 = batch.get(2).get(10, TimeUnit.SECONDS);

            for (ReserveReply refused : List.of(refused1, refused2)) {
                assertThat(refused.getResult()).isEqualTo(ReserveResult.REJECTED);
                assertThat(refused.getError().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
                assertThat(ItFixtures.detail(refused.getError(), ErrorInfo.class)
                                .orElseThrow()
                                .getReason())
                        .isEqualTo("RING_FULL");
            }
            assertThat(List.of(refused1.getRequestId(), refused2.getRequestId()))
                    .containsExactly("batch-1", "batch-2");
            // The first item took the last slot and waits behind the held one like everything else.
            assertThat(batch.get(0)).isNotDone();

            clock.release();
            staller.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<ReserveReply> filler : fillers) {
                filler.get(10, TimeUnit.SECONDS);
            }
            assertThat(batch.get(0).get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
            awaitRingDrained();
            // Refused items changed nothing and were not remembered: the same ids now go through.
            List<CompletableFuture<ReserveReply>> again =
                    stream.submit(List.of(request("batch-1", "batcher-1"), request("batch-2", "batcher-2")));
            for (CompletableFuture<ReserveReply> reply : again) {
                assertThat(reply.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
            }
            assertHealthyAndConsistent(1 + fillers.size() + 1 + 2);
        }
    }

    @Test
    void aReserveWhoseCallerGaveUpWhileItWaitedShouldBeSkippedNotApplied() throws Exception {
        startInProcess(64);
        CompletableFuture<ReserveReply> staller = stallPipeline();
        // An impatient caller queued behind the held slot: its deadline passes while it waits.
        CheckoutClient impatient = CheckoutClient.builder(channel)
                .deadline(Duration.ofMillis(200))
                .maxAttempts(1)
                .build();
        Throwable gaveUp = impatient
                .reserveAsync("late-1", "late-user", SKU, 1)
                .handle((reply, failure) -> failure)
                .get(10, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(gaveUp).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

        clock.release();

        assertThat(staller.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
        // Only the staller holds a unit: the late reserve was skipped when its turn came.
        assertHealthyAndConsistent(1);
        // Skipped means not remembered either: the same request id now runs afresh.
        ReserveReply retried = client.reserve("late-1", "late-user", SKU, 1);
        assertThat(retried.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(client.getStock(SKU).getReserved()).isEqualTo(3);
    }

    @Test
    void aStreamRequestWhoseOwnBudgetRanOutWhileItWaitedShouldBeSkippedNotApplied() throws Exception {
        startInProcess(64);
        try (StreamingReserver stream = client.openReserveStream(64)) {
            CompletableFuture<ReserveReply> staller = stallPipeline();
            // The stream has no deadline; the request's own budget gives it one.
            CompletableFuture<ReserveReply> late = stream.submit(request("budget-1", "budget-user").toBuilder()
                    .setBudgetMillis(100)
                    .build());
            CompletableFuture<ReserveReply> patient = stream.submit(request("budget-2", "patient-user"));
            // Past the late one's budget while both wait behind the held slot.
            Thread.sleep(300);

            clock.release();

            assertThat(staller.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
            ReserveReply skipped = late.get(10, TimeUnit.SECONDS);
            assertThat(skipped.getResult()).isEqualTo(ReserveResult.REJECTED);
            assertThat(skipped.getError().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
            assertThat(patient.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
        }
        assertHealthyAndConsistent(2);
    }

    @Test
    void reserveBatchStreamShouldReadNoMoreBatchesThanItsWindowHasRoomFor() throws Exception {
        int ringSize = 64;
        startInProcess(
                ringSize,
                settings -> settings.set(ServerConfig.Setting.STREAM_WINDOW, 8)
                        .set(ServerConfig.Setting.STREAM_BATCH_MAX, 4));
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, 4)) {
            // The business thread answers a command before it gives the slot back: wait until the
            // setup's slots are free, or a late one is counted below as a ninth reserve.
            ItFixtures.awaitTrue(
                    "setup's slots given back",
                    Duration.ofSeconds(10),
                    () -> server.pipeline().remainingCapacity() == ringSize);
            CompletableFuture<ReserveReply> staller = stallPipeline();
            List<CompletableFuture<ReserveReply>> replies = new ArrayList<>();
            for (int b = 0; b < 10; b++) {
                List<ReserveRequest> batch = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    batch.add(request("w-" + b + "-" + i, "window-user-" + b + "-" + i));
                }
                replies.addAll(stream.submit(batch));
            }
            // Behind the held slot: a window of 8 in batches of at most 4 lets the server read two.
            ItFixtures.awaitTrue(
                    "two batches published",
                    Duration.ofSeconds(10),
                    () -> ringSize - server.pipeline().remainingCapacity() - 1 >= 8);
            assertThat(ringSize - server.pipeline().remainingCapacity() - 1)
                    .as("reserves published")
                    .isEqualTo(8);
            assertThat(replies).noneMatch(CompletableFuture::isDone);

            clock.release();

            assertThat(staller.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
            for (CompletableFuture<ReserveReply> reply : replies) {
                assertThat(reply.get(10, TimeUnit.SECONDS).getResult()).isEqualTo(ReserveResult.RESERVED);
            }
            assertHealthyAndConsistent(1 + replies.size());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Sends one reserve whose publishing thread the clock holds; returns once it is held. */
    private CompletableFuture<ReserveReply> stallPipeline() throws InterruptedException {
        CountDownLatch held = clock.holdNextReader();
        CompletableFuture<ReserveReply> staller = client.reserveAsync("staller", "staller", SKU, 1);
        assertThat(held.await(10, TimeUnit.SECONDS))
                .as("the staller's publishing thread is held")
                .isTrue();
        return staller;
    }

    /** Fires {@code perThread} async reserves from each of {@code threads} threads at once. */
    private List<CompletableFuture<ReserveReply>> floodAsync(int threads, int perThread, String prefix)
            throws Exception {
        flooders = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<CompletableFuture<ReserveReply>>>> batches = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            batches.add(flooders.submit(() -> {
                go.await();
                List<CompletableFuture<ReserveReply>> calls = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    String id = prefix + "-" + thread + "-" + i;
                    calls.add(client.reserveAsync(id, "user-" + id, SKU, 1));
                }
                return calls;
            }));
        }
        go.countDown();
        List<CompletableFuture<ReserveReply>> all = new ArrayList<>();
        for (Future<List<CompletableFuture<ReserveReply>>> batch : batches) {
            all.addAll(batch.get(30, TimeUnit.SECONDS));
        }
        flooders.shutdown();
        return all;
    }

    /**
     * The replier answers a batch before it frees the batch's slots, so a caller can hold every
     * answer while a ring of four still counts as full for a moment longer.
     */
    private void awaitRingDrained() {
        ItFixtures.awaitTrue(
                "ring drained",
                Duration.ofSeconds(10),
                () -> server.pipeline().remainingCapacity() == server.pipeline().ringSize());
    }

    private static ReserveRequest request(String requestId, String userId) {
        return ReserveRequest.newBuilder()
                .setRequestId(requestId)
                .setUserId(userId)
                .addLines(OrderLine.newBuilder().setSkuId(SKU).setQuantity(1))
                .build();
    }

    private void assertHealthyAndConsistent(int reservedAnswers) {
        awaitRingDrained();
        assertThat(ItFixtures.health(channel, "")).isEqualTo(ServingStatus.SERVING);
        Sku before = client.getStock(SKU);
        assertThat(before.getReserved())
                .as("units reserved vs RESERVED answers")
                .isEqualTo(reservedAnswers);
        assertThat(before.getAvailable() + before.getReserved() + before.getSold())
                .isEqualTo(before.getTotalStock());

        ReserveReply normal = client.reserve("after-the-storm", "calm-user", SKU, 1);

        assertThat(normal.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(client.getStock(SKU).getReserved()).isEqualTo(reservedAnswers + 1);
    }

    private static ReserveResult outcome(CompletableFuture<ReserveReply> call) throws Exception {
        try {
            return call.get(10, TimeUnit.SECONDS).getResult();
        } catch (ExecutionException e) {
            assertRingFull(e.getCause());
            return null;
        }
    }

    private static Throwable failureOf(CompletableFuture<?> call) {
        assertThat(call).isCompletedExceptionally();
        try {
            call.join();
            throw new AssertionError("unreachable");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    private static void assertRingFull(Throwable failure) {
        assertThat(failure).isInstanceOf(StatusRuntimeException.class);
        assertThat(Status.fromThrowable(failure).getCode()).as("%s", failure).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo("RING_FULL");
    }

    /**
     * The wall clock, except that once armed it holds the next thread that reads it until
     * released. Only one reader is ever held, so every other publisher keeps running.
     */
    static final class HoldingClock implements LongSupplier {
        private final AtomicReference<CountDownLatch[]> armed = new AtomicReference<>();
        private final AtomicReference<CountDownLatch> holding = new AtomicReference<>();

        /** Arms the clock; the returned latch opens when a reader is held. */
        CountDownLatch holdNextReader() {
            CountDownLatch held = new CountDownLatch(1);
            armed.set(new CountDownLatch[] {held, new CountDownLatch(1)});
            return held;
        }

        void release() {
            CountDownLatch[] unused = armed.getAndSet(null);
            if (unused != null) {
                unused[1].countDown();
            }
            CountDownLatch gate = holding.getAndSet(null);
            if (gate != null) {
                gate.countDown();
            }
        }

        @Override
        public long getAsLong() {
            CountDownLatch[] latches = armed.getAndSet(null);
            if (latches != null) {
                holding.set(latches[1]);
                latches[0].countDown();
                try {
                    // Bounded so that a test that forgets to release cannot wedge the JVM.
                    latches[1].await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return System.currentTimeMillis();
        }
    }
}
