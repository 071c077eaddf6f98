package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.HeapCheckoutState;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.MerchantTable;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import io.checkout.engine.SkuTable;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.EventCounter;
import io.checkout.journal.InMemoryJournal;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The pipeline on its own, over a state that can be made to stall or fail on demand: ordering of
 * replies, backpressure when the ring is full, draining on shutdown, and stopping for good after
 * an engine failure; with a journal, that what is acknowledged is exactly what is journalled.
 */
class CheckoutPipelineTest {
    private static final long NOW = 1_000_000L;

    @TempDir
    Path journalDirectory;

    private final ControllableState state = new ControllableState();
    private CheckoutPipeline pipeline;
    private RecordLogWriter journal;

    private final List<Command> replies = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private final ReplyHandler recordingReply = (command, context, failure) -> {
        Command copy = new Command();
        copy.type(command.type());
        copy.requestId.copyFrom(command.requestId);
        copy.timestampMillis = command.timestampMillis;
        copy.result(command.result());
        copy.order.orderId = command.order.orderId;
        replies.add(copy);
        if (failure != null) {
            failures.add(failure);
        }
    };

    private final CommandPublisher.CommandTranslator<String> reserve = (requestId, c) -> {
        c.type(CommandType.RESERVE);
        c.requestId.set(requestId);
        c.userId.set("user-" + requestId);
        c.addLine("A", 1);
    };

    /** A read of one SKU. */
    private final CommandPublisher.CommandTranslator<String> readSku = (skuId, c) -> {
        c.type(CommandType.GET_SKU);
        c.skuId.set(skuId);
    };

    /** Reserves, one per request id of the batch, for {@link CheckoutPipeline#tryPublishEach}. */
    private final CommandPublisher.BatchTranslator<List<String>> reserveEach =
            (requestIds, index, c) -> reserve.translate(requestIds.get(index), c);

    /** Request ids r{from}, r{from + 1}, ..., {@code count} of them. */
    private static List<String> requestIds(int from, int count) {
        List<String> requestIds = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            requestIds.add("r" + i);
        }
        return requestIds;
    }

    private void start(int ringSize) {
        start(ringSize, PipelineConfig.WaitStrategyKind.PARKING);
    }

    private void start(int ringSize, PipelineConfig.WaitStrategyKind waitStrategy) {
        start(new PipelineConfig(ringSize, waitStrategy, 60_000));
    }

    private void start(PipelineConfig config) {
        pipeline = new CheckoutPipeline(bookWithSkuA(), config, () -> NOW, new InMemoryJournal(1), new EventCounter(1));
        pipeline.start();
    }

    /** A pipeline that journals into {@link #journalDirectory} (events only counted) on the given thread. */
    private void startJournalled(int ringSize, PipelineConfig.JournalThread journalThread) {
        journal = RecordLogWriter.open(
                journalDirectory,
                RecordLogReader.scan(journalDirectory, 1, (s, p) -> {}),
                1,
                JournalConfig.SEGMENT_BYTES_MIN,
                false,
                JournalConfig.BATCH_BYTES_MIN);
        pipeline = new CheckoutPipeline(
                bookWithSkuA(),
                new PipelineConfig(ringSize, PipelineConfig.WaitStrategyKind.PARKING, 60_000, journalThread),
                () -> NOW,
                journal,
                new EventCounter(1));
        pipeline.start();
    }

    private CheckoutBook bookWithSkuA() {
        CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
        Command upsert = Command.upsertSku(NOW, "define-A", "A", 100, "EUR", 1_000_000, 0, 0, 0, 60_000);
        book.execute(upsert);
        assertThat(upsert.result()).isEqualTo(ResultCode.SUCCESS);
        return book;
    }

    /** The request ids in the journal, in order; call once the pipeline is shut down. */
    private List<String> journalledRequestIds() {
        journal.close();
        List<String> requestIds = new ArrayList<>();
        RecordLogReader.scan(journalDirectory, 1, (sequence, payload) -> {
            Command command = new Command();
            CommandCodec.decode(payload, command);
            requestIds.add(command.requestId.asString());
        });
        return requestIds;
    }

    @AfterEach
    void tearDown() {
        state.release();
        if (pipeline != null) {
            pipeline.shutdown(5_000);
        }
        if (journal != null) {
            journal.close();
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /** Publishes reserves r0, r1, ... one at a time, waiting out a full ring. */
    private void publishReserves(int count) {
        for (int i = 0; i < count; i++) {
            while (!pipeline.tryPublish(reserve, "r" + i, recordingReply, null)) {
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void shouldAnswerEveryCommandInPublishOrderStampedWithThePipelinesClock() throws InterruptedException {
        start(64);

        publishReserves(1_000);

        awaitTrue(() -> replies.size() == 1_000);
        for (int i = 0; i < 1_000; i++) {
            assertThat(replies.get(i).requestId.asString()).isEqualTo("r" + i);
            assertThat(replies.get(i).timestampMillis)
                    .as("the translator sets no time")
                    .isEqualTo(NOW);
            assertThat(replies.get(i).result()).isEqualTo(ResultCode.SUCCESS);
            assertThat(replies.get(i).order.orderId).isEqualTo(i + 1);
        }
    }

    /**
     * The answer leaves its values in the slot (only what it refers to is dropped); the publisher
     * clears the slot as it claims it again. With 4 slots every command lands where a command that
     * left more (more lines than a command keeps, a campaign, a SKU read) was three commands before.
     */
    @Test
    void eachCommandShouldFindItsSlotClearedWhateverTheCommandBeforeItLeftThere() throws InterruptedException {
        start(4);
        List<String> seen = new CopyOnWriteArrayList<>();
        ReplyHandler inspecting = (command, context, failure) -> seen.add(command.type()
                + " lines=" + command.lineCount
                + " campaign=" + (command.campaignId.length() > 0)
                + " sku=" + (command.skuId.length() > 0)
                + " order lines=" + command.order.lineCount
                + " " + command.result());
        CommandPublisher.CommandTranslator<Integer> leavingMore = (kind, c) -> {
            switch (kind) {
                case 0 -> {
                    reserve.translate("many-lines", c);
                    for (int line = 1; line <= 5; line++) {
                        c.addLine("A", 1);
                    }
                }
                case 1 -> {
                    reserve.translate("with-campaign", c);
                    c.campaignId.set("no-such-campaign");
                }
                default -> readSku.translate("A", c);
            }
        };
        for (int round = 0; round < 6; round++) {
            while (!pipeline.tryPublish(leavingMore, round % 3, inspecting, null)) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < 3; i++) {
                while (!pipeline.tryPublish(reserve, "plain-" + round + "-" + i, inspecting, null)) {
                    Thread.onSpinWait();
                }
            }
        }

        awaitTrue(() -> seen.size() == 24);
        for (int round = 0; round < 6; round++) {
            assertThat(seen.get(round * 4)).doesNotContain("lines=1 campaign=false sku=false");
            for (int i = 1; i <= 3; i++) {
                assertThat(seen.get(round * 4 + i))
                        .isEqualTo("RESERVE lines=1 campaign=false sku=false order lines=1 SUCCESS");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.WaitStrategyKind.class)
    void everyWaitStrategyShouldAnswerBurstsSeparatedByIdleSpells(PipelineConfig.WaitStrategyKind waitStrategy)
            throws InterruptedException {
        start(64, waitStrategy);

        // Each pause is long enough for every pipeline thread to have stopped spinning and parked.
        for (int burst = 0; burst < 20; burst++) {
            for (int i = 0; i < 50; i++) {
                while (!pipeline.tryPublish(reserve, "b" + burst + "-" + i, recordingReply, null)) {
                    Thread.onSpinWait();
                }
            }
            int answered = (burst + 1) * 50;
            awaitTrue(() -> replies.size() == answered);
            Thread.sleep(2);
        }

        assertThat(replies).hasSize(1_000);
        assertThat(failures).isEmpty();
    }

    @Test
    void fullRingShouldRefuseAtOnceAndRecoverWhenTheEngineCatchesUp() throws InterruptedException {
        start(4);
        state.stallNextSkuWrite();
        assertThat(pipeline.tryPublish(reserve, "stuck", recordingReply, null)).isTrue();
        state.awaitStalled();

        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 20; i++) {
            long before = System.nanoTime();
            if (pipeline.tryPublish(reserve, "r" + i, recordingReply, null)) {
                accepted++;
            } else {
                refused++;
            }
            assertThat(System.nanoTime() - before).as("tryPublish never waits").isLessThan(TimeUnit.SECONDS.toNanos(1));
        }
        assertThat(accepted)
                .as("the ring holds 4 slots, one taken by the stalled command")
                .isEqualTo(3);
        assertThat(refused).isEqualTo(17);
        assertThat(pipeline.remainingCapacity()).isZero();

        state.release();
        awaitTrue(() -> replies.size() == 4);
        assertThat(replies).allMatch(reply -> reply.result() == ResultCode.SUCCESS);
        assertThat(pipeline.tryPublish(reserve, "after", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 5);
    }

    /**
     * Commands queued behind a stalled one arrive as one batch: with a prefetch group the engine
     * prefetches them group by group within it (never past it: only published commands), and
     * answers exactly as without prefetching.
     */
    @Test
    void theEngineShouldPrefetchAheadWithinABatchAndAnswerInOrder() throws InterruptedException {
        start(new PipelineConfig(
                256, PipelineConfig.WaitStrategyKind.PARKING, 60_000, PipelineConfig.JournalThread.BUSINESS_LOGIC, 16));
        state.stallNextSkuWrite();
        assertThat(pipeline.tryPublish(reserve, "stuck", recordingReply, null)).isTrue();
        state.awaitStalled();
        publishReserves(200);

        state.release();

        awaitTrue(() -> replies.size() == 201);
        for (int i = 0; i < 200; i++) {
            assertThat(replies.get(i + 1).requestId.asString()).isEqualTo("r" + i);
            assertThat(replies.get(i + 1).result()).isEqualTo(ResultCode.SUCCESS);
            assertThat(replies.get(i + 1).order.orderId).isEqualTo(i + 2);
        }
        assertThat(state.prefetched)
                .as("the batch's commands were prefetched ahead of their turn")
                .contains("r0", "r15", "r16", "r100", "r199");
        assertThat(state.prefetched)
                .as("only published commands were prefetched")
                .allMatch(id -> id.equals("stuck") || id.matches("r\\d+"));
    }

    @Test
    void shutdownShouldDrainEveryPublishedCommand() throws InterruptedException {
        start(1024);
        for (int i = 0; i < 500; i++) {
            assertThat(pipeline.tryPublish(reserve, "r" + i, recordingReply, null))
                    .isTrue();
        }

        pipeline.shutdown(10_000);

        assertThat(replies).hasSize(500);
        assertThat(pipeline.tryPublish(reserve, "late", recordingReply, null))
                .as("closed pipelines refuse")
                .isFalse();
    }

    /** Reserves "before" (answered), then "breaks" (the engine fails on it) and "after"; waits for all three answers. */
    private void breakTheEngineBetweenTwoReserves() throws InterruptedException {
        assertThat(pipeline.tryPublish(reserve, "before", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 1);

        state.failNextSkuWrite();
        assertThat(pipeline.tryPublish(reserve, "breaks", recordingReply, null)).isTrue();
        assertThat(pipeline.tryPublish(reserve, "after", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 3);
    }

    @Test
    void engineFailureShouldStopApplyingCommandsAndTellTheListener() throws InterruptedException {
        start(64);
        AtomicInteger listenerCalls = new AtomicInteger();
        pipeline.onEngineFailure(listenerCalls::incrementAndGet);
        breakTheEngineBetweenTwoReserves();

        assertThat(pipeline.isFailed()).isTrue();
        assertThat(pipeline.isAlive()).isFalse();
        assertThat(listenerCalls.get()).isEqualTo(1);
        assertThat(failures).hasSize(2);
        assertThat(state.orderCount()).as("nothing applied after the failure").isEqualTo(1);
    }

    /** An in-memory journal whose commits can be made to fail (a full disk) or to stall (a slow fsync). */
    private static final class FaultyJournal implements io.checkout.journal.Journal {
        final java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
        volatile boolean full;
        volatile boolean stalling;
        private final InMemoryJournal delegate = new InMemoryJournal(1);

        @Override
        public long nextSequence() {
            return delegate.nextSequence();
        }

        @Override
        public long append(java.nio.ByteBuffer payload) {
            return delegate.append(payload);
        }

        @Override
        public void commit(CommitTimings timings) {
            if (full) {
                throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
            }
            if (stalling) {
                try {
                    stall.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            delegate.commit(timings);
        }
    }

    private FaultyJournal startFaulty(int ringSize) {
        FaultyJournal faulty = new FaultyJournal();
        pipeline = new CheckoutPipeline(
                bookWithSkuA(),
                new PipelineConfig(ringSize, PipelineConfig.WaitStrategyKind.PARKING, 60_000),
                () -> NOW,
                faulty,
                new EventCounter(1));
        pipeline.start();
        return faulty;
    }

    @Test
    void aJournalThatCannotBeWrittenShouldRefuseEveryChangeButStillAnswerReads() throws InterruptedException {
        FaultyJournal journal = startFaulty(64);
        AtomicInteger listenerCalls = new AtomicInteger();
        pipeline.onEngineFailure(listenerCalls::incrementAndGet);
        assertThat(pipeline.tryPublish(reserve, "before", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 1);

        journal.full = true;
        assertThat(pipeline.tryPublish(reserve, "fails", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 2);
        assertThat(pipeline.tryPublish(reserve, "after", recordingReply, null)).isTrue();
        assertThat(pipeline.tryPublish(readSku, "A", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 4);

        assertThat(failures).hasSize(2).allMatch(StorageFailedException.class::isInstance);
        assertThat(failures.get(0).getMessage())
                .contains("the journal could not be written (No space left on device)")
                .contains("restart the server");
        assertThat(replies.get(3).type()).isEqualTo(CommandType.GET_SKU);
        assertThat(replies.get(3).result()).as("the read is answered").isEqualTo(ResultCode.SUCCESS);
        assertThat(pipeline.isStorageFailed()).isTrue();
        assertThat(pipeline.isFailed()).isTrue();
        assertThat(pipeline.isAlive()).as("alive: it still answers reads").isTrue();
        assertThat(listenerCalls.get()).isEqualTo(1);
        assertThat(state.orderCount())
                .as("the failed batch's reserve is in memory (not acknowledged), the later one is not applied")
                .isEqualTo(2);
    }

    @Test
    void aStalledSyncShouldFillTheRingAndRefusePublishersAtOnceNeverQueueingThem() throws InterruptedException {
        FaultyJournal journal = startFaulty(16);
        journal.stalling = true;
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 200; i++) {
            long before = System.nanoTime();
            if (pipeline.tryPublish(reserve, "s" + i, recordingReply, null)) {
                accepted++;
            } else {
                refused++;
            }
            assertThat(System.nanoTime() - before)
                    .as("a publisher never waits for the disk")
                    .isLessThan(TimeUnit.SECONDS.toNanos(1));
        }
        assertThat(accepted).as("the ring is the bound: 16 slots").isLessThanOrEqualTo(16);
        assertThat(refused).isGreaterThanOrEqualTo(184);
        assertThat(replies).as("nothing is answered before its sync").isEmpty();

        journal.stall.countDown();
        int acceptedCount = accepted;
        awaitTrue(() -> replies.size() == acceptedCount);
        assertThat(failures).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void journalledPipelineShouldAcknowledgeExactlyWhatItJournalled(PipelineConfig.JournalThread journalThread)
            throws InterruptedException {
        startJournalled(64, journalThread);

        publishReserves(1_000);
        awaitTrue(() -> replies.size() == 1_000);
        pipeline.shutdown(5_000);

        assertThat(failures).isEmpty();
        List<String> answered =
                replies.stream().map(reply -> reply.requestId.asString()).toList();
        assertThat(journalledRequestIds()).as("journal order is answer order").isEqualTo(answered);
        assertThat(pipeline.journalledSequence()).isEqualTo(1_000);
        assertThat(pipeline.answeredJournalSequence()).isEqualTo(1_000);
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void commandsWhoseCallerHasGivenUpShouldBeSkippedNotAppliedAndNotJournalled(
            PipelineConfig.JournalThread journalThread) throws InterruptedException {
        startJournalled(64, journalThread);
        long past = System.nanoTime() - 1;
        long future = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        CommandPublisher.CommandTranslator<String> reserveDueAt = (requestId, c) -> {
            reserve.translate(requestId, c);
            c.deadlineNanos = requestId.startsWith("late") ? past : future;
        };

        for (String requestId : List.of("on-time-1", "late-1", "late-2", "on-time-2", "late-3")) {
            assertThat(pipeline.tryPublish(reserveDueAt, requestId, recordingReply, null))
                    .isTrue();
        }
        awaitTrue(() -> replies.size() == 5);
        pipeline.shutdown(5_000);

        assertThat(failures).isEmpty();
        assertThat(replies)
                .extracting(reply -> reply.requestId + "=" + reply.result())
                .containsExactly(
                        "on-time-1=SUCCESS",
                        "late-1=DEADLINE_EXCEEDED",
                        "late-2=DEADLINE_EXCEEDED",
                        "on-time-2=SUCCESS",
                        "late-3=DEADLINE_EXCEEDED");
        assertThat(journalledRequestIds()).as("only what was applied").containsExactly("on-time-1", "on-time-2");
        assertThat(pipeline.journalledSequence()).isEqualTo(2);
        assertThat(pipeline.answeredJournalSequence()).isEqualTo(2);
        assertThat(state.orderCount())
                .as("the skipped reserves changed nothing")
                .isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void journalledPipelineShouldAnswerSmallAndLargeBatchesOnceAndInOrder(PipelineConfig.JournalThread journalThread)
            throws InterruptedException {
        startJournalled(1024, journalThread);
        List<String> expected = new ArrayList<>();
        // Claims of hundreds of slots, which the journaller takes as one batch, between claims of a
        // few; a small claim waits half the time for every answer, so it starts a batch of its own.
        for (int round = 0; round < 40; round++) {
            int count = round % 2 == 0 ? 300 : 1 + round % 7;
            if (round % 4 == 1) {
                int answered = expected.size();
                awaitTrue(() -> replies.size() == answered);
            }
            List<String> batch = requestIds(expected.size(), count);
            while (!pipeline.tryPublishEach(reserveEach, batch, count, recordingReply, null)) {
                Thread.onSpinWait();
            }
            expected.addAll(batch);
        }
        int total = expected.size();
        awaitTrue(() -> replies.size() >= total);
        pipeline.shutdown(5_000);

        assertThat(failures).isEmpty();
        assertThat(replies.stream().map(reply -> reply.requestId.asString()).toList())
                .as("each answered once, in order")
                .isEqualTo(expected);
        assertThat(journalledRequestIds()).isEqualTo(expected);
        assertThat(pipeline.answeredJournalSequence()).isEqualTo(total);
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void journalledPipelineShouldNotJournalWhatTheFailedEngineDidNotApply(PipelineConfig.JournalThread journalThread)
            throws InterruptedException {
        startJournalled(64, journalThread);
        breakTheEngineBetweenTwoReserves();
        pipeline.shutdown(5_000);

        assertThat(failures).hasSize(2);
        assertThat(journalledRequestIds())
                .as("a replay must not apply what clients were told failed")
                .containsExactly("before");
        assertThat(pipeline.answeredJournalSequence()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void journalFailureShouldFailEveryCommandOfTheBatchItCouldNotCommitAndAllAfter(
            PipelineConfig.JournalThread journalThread) throws InterruptedException {
        startJournalled(1024, journalThread);
        AtomicInteger listenerCalls = new AtomicInteger();
        pipeline.onEngineFailure(listenerCalls::incrementAndGet);
        List<String> batch = requestIds(0, 50);

        // One claim of 50 slots: the business logic takes them as one batch and stalls on the
        // first, so the journaller gets all 50 as one batch after the writer is closed under it;
        // its append or its commit then throws, as a failing disk would. (On its own thread it
        // journals after the business logic applied all 50; on the business logic's, after each.)
        state.stallNextSkuWrite();
        assertThat(pipeline.tryPublishEach(reserveEach, batch, batch.size(), recordingReply, null))
                .isTrue();
        state.awaitStalled();
        journal.close();
        state.release();
        awaitTrue(() -> replies.size() == 50);
        assertThat(pipeline.tryPublish(reserve, "after", recordingReply, null)).isTrue();
        awaitTrue(() -> replies.size() == 51);

        assertThat(failures)
                .as("no command of the failed commit, nor after it, is acknowledged")
                .hasSize(51);
        assertThat(pipeline.isFailed()).isTrue();
        assertThat(listenerCalls.get()).isEqualTo(1);
        assertThat(pipeline.answeredJournalSequence()).isZero();
    }

    /** Heap state whose SKU writes can be made to block or throw, to stall or break the engine. */
    private static final class ControllableState implements CheckoutState {
        /** The request ids the engine asked to prefetch, from any thread. */
        final java.util.Set<String> prefetched = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private final HeapCheckoutState delegate = HeapCheckoutState.unbounded();
        private final AtomicBoolean stallNext = new AtomicBoolean();
        private final AtomicBoolean failNext = new AtomicBoolean();
        private final CountDownLatch stalled = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        void stallNextSkuWrite() {
            stallNext.set(true);
        }

        void failNextSkuWrite() {
            failNext.set(true);
        }

        void awaitStalled() throws InterruptedException {
            assertThat(stalled.await(10, TimeUnit.SECONDS))
                    .as("engine reached the stall")
                    .isTrue();
        }

        void release() {
            released.countDown();
        }

        @Override
        public void writeSku(SkuRecord sku) {
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("injected failure");
            }
            if (stallNext.getAndSet(false)) {
                stalled.countDown();
                try {
                    released.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            delegate.writeSku(sku);
        }

        @Override
        public void prefetch(IdBuffer requestId, IdBuffer userId) {
            prefetched.add(requestId.asString());
        }

        @Override
        public SkuTable skus() {
            return delegate.skus();
        }

        @Override
        public MerchantTable merchants() {
            return delegate.merchants();
        }

        @Override
        public int merchantCapacity() {
            return delegate.merchantCapacity();
        }

        @Override
        public io.checkout.engine.RiskTable risk() {
            return delegate.risk();
        }

        @Override
        public io.checkout.engine.SkuGroupTable skuGroups() {
            return delegate.skuGroups();
        }

        @Override
        public io.checkout.engine.CampaignTable campaigns() {
            return delegate.campaigns();
        }

        @Override
        public long lastOrderOf(IdBuffer userId) {
            return delegate.lastOrderOf(userId);
        }

        @Override
        public long previousOrderOfUser(long orderId) {
            return delegate.previousOrderOfUser(orderId);
        }

        @Override
        public int skuCapacity() {
            return delegate.skuCapacity();
        }

        @Override
        public long userUnits(IdBuffer userId, int skuIndex) {
            return delegate.userUnits(userId, skuIndex);
        }

        @Override
        public void writeUserUnits(IdBuffer userId, int skuIndex, long units) {
            delegate.writeUserUnits(userId, skuIndex, units);
        }

        @Override
        public long userCounterCount() {
            return delegate.userCounterCount();
        }

        @Override
        public long userCounterCapacity() {
            return delegate.userCounterCapacity();
        }

        @Override
        public long orderCount() {
            return delegate.orderCount();
        }

        @Override
        public long orderCapacity() {
            return delegate.orderCapacity();
        }

        @Override
        public boolean readOrder(long orderId, OrderRecord into) {
            return delegate.readOrder(orderId, into);
        }

        @Override
        public void writeOrder(OrderRecord order) {
            delegate.writeOrder(order);
        }

        @Override
        public long paymentOrder(IdBuffer provider, IdBuffer paymentId) {
            return delegate.paymentOrder(provider, paymentId);
        }

        @Override
        public long paymentCount() {
            return delegate.paymentCount();
        }

        @Override
        public long paymentCapacity() {
            return delegate.paymentCapacity();
        }

        @Override
        public boolean readOutcome(IdBuffer requestId, Outcome into) {
            return delegate.readOutcome(requestId, into);
        }

        @Override
        public void writeOutcome(IdBuffer requestId, Outcome outcome) {
            delegate.writeOutcome(requestId, outcome);
        }

        @Override
        public long outcomeCount() {
            return delegate.outcomeCount();
        }

        @Override
        public long outcomeCapacity() {
            return delegate.outcomeCapacity();
        }

        @Override
        public void forgetOutcomesBefore(long cutoffEpochMillis, long nowMillis) {
            delegate.forgetOutcomesBefore(cutoffEpochMillis, nowMillis);
        }

        @Override
        public void forEachUserUnits(UserUnitsVisitor visitor) {
            delegate.forEachUserUnits(visitor);
        }

        @Override
        public void forEachOutcome(OutcomeVisitor visitor) {
            delegate.forEachOutcome(visitor);
        }
    }
}
