package io.checkout.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventTranslatorTwoArg;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.OrderEventLog;
import io.checkout.journal.RecordLogWriter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the engine's pipeline: one ring; one business-logic thread (the only one that touches
 * state); and a journaller that makes each batch durable and answers it, on the business-logic
 * thread (the default) or on a thread of its own ({@link PipelineConfig.JournalThread}).
 *
 * <pre>
 *  gRPC threads ──tryPublish──▶ [ RingBuffer&lt;CommandEvent&gt; ]
 *                                       │
 *                                       ▼
 *                    // 1. business logic (B), single writer
 *                    //    applies the command to the state, writes the result into the slot
 *                    //    and the order events into the event log
 *                                       │
 *                                       ▼
 *                    // 2. journaller (J): on B's thread after each command, or a thread of its own
 *                    //    appends each command B applied, group-commits per batch (and syncs
 *                    //    it, under fsync), then, as the replier (R), answers the batch: makes
 *                    //    its events visible to subscribers and clears the slots
 * </pre>
 *
 * Without a journal (tests, the journal-off benchmark) J is absent and R is a stage of its own
 * thread after B.
 *
 * <p>Why J answers rather than a replier thread of its own behind J: the answer then leaves as soon
 * as the sync returns, with no hand-off to a thread that may be parked, and one thread fewer
 * competes with the Netty threads for the cores. On the 2-core VM, at 64 in flight, unary Reserve
 * went from ~41k to ~55k calls/s and ReserveStream from ~66k to ~99k; ReserveStream with 1024 in
 * flight fell from ~172k to ~147k (medians of 5 rounds, benchmarks/README.md). A replier thread
 * for the batches above 64 commands, answering them while J syncs the next one, did not win that
 * back (142k and 160k in two rounds), so it was left out. Running J on B's thread takes the next
 * hand-off away too (B to J): over gRPC on the 2-core VM unary Reserve served 22% more calls and the
 * streams 11-13% more, at the cost of B applying nothing while a batch syncs; so it is the default,
 * and J gets a thread of its own where cores can be spared (in process, with the ring kept full,
 * that is 13-16% faster).
 *
 * <p>B runs ahead of J, so the state may hold commands not yet durable, but nothing is answered,
 * and no event shown to subscribers, before its batch is committed. J journals only what B
 * applied: a command B refused to run after an engine failure never reaches the journal, so
 * recovery cannot replay what a client was told had failed.
 *
 * <p>Producers never wait: {@link #tryPublish} returns false when the ring is full and the caller
 * answers RESOURCE_EXHAUSTED. A timer publishes a TICK every {@code tickIntervalMillis}, the only
 * way wall-clock time enters the engine besides the publish timestamp of each command.
 *
 * <p>If the engine throws (a broken invariant), the pipeline stops applying commands for good:
 * every later command is answered with the failure, so corrupt state is never built upon. If the
 * journal fails, every command of the batch it was committing, and every later one, is answered
 * with the failure: none of them is known to be durable.
 */
public final class CheckoutPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckoutPipeline.class);

    private final CheckoutBook book;
    private final PipelineConfig config;
    private final LongSupplier clockMillis;
    private final Disruptor<CommandEvent> disruptor;
    private final RingBuffer<CommandEvent> ring;
    /** Set when the pipeline parks idle threads: the business logic must then wake the next stage. */
    private final ParkingWaitStrategy parking;
    private final ScheduledExecutorService ticker;
    private final BusinessLogicHandler businessLogic = new BusinessLogicHandler();
    private final ReplierHandler replier;
    private final JournallerHandler journaller;
    private final OrderEventLog events;
    private volatile long visibleEventSequence;
    private volatile long answeredJournalSequence;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile Runnable engineFailureListener = () -> { };
    private volatile PipelineObserver observer = PipelineObserver.NONE;
    /** Counted down by the onStart of each handler with a thread: B, then J or R unless J runs on B's. */
    private final CountDownLatch handlersStarted;
    private static final long HANDLER_START_TIMEOUT_MILLIS = 10_000;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    /** A pipeline without a journal: nothing it answers survives the process. */
    public CheckoutPipeline(CheckoutBook book, PipelineConfig config, LongSupplier clockMillis) {
        this(book, config, clockMillis, null, null);
    }

    /**
     * A journalled pipeline: {@code journal} takes every mutating command, {@code events} (already
     * the book's event listener) every change; both continue where recovery left them.
     */
    public CheckoutPipeline(CheckoutBook book, PipelineConfig config, LongSupplier clockMillis, RecordLogWriter journal,
            OrderEventLog events) {
        this.book = book;
        this.config = config;
        this.clockMillis = clockMillis;
        ThreadFactory pipelineThreads = namedThreads("checkout-pipeline");
        // Remembered so liveness can tell whether the pipeline's threads still run; the Disruptor
        // starts one thread per handler, so this list stays as short as the pipeline.
        ThreadFactory rememberedThreads = runnable -> {
            Thread thread = pipelineThreads.newThread(runnable);
            threads.add(thread);
            return thread;
        };
        WaitStrategy waitStrategy = waitStrategy(config.waitStrategy());
        this.parking = waitStrategy instanceof ParkingWaitStrategy parked ? parked : null;
        this.disruptor = new Disruptor<>(CommandEvent::new, config.ringSize(), rememberedThreads,
                ProducerType.MULTI, waitStrategy);
        disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
        this.events = events;
        this.replier = new ReplierHandler(config.ringSize());
        boolean journalOnBusinessLogic = journal != null
                && config.journalThread() == PipelineConfig.JournalThread.BUSINESS_LOGIC;
        this.handlersStarted = new CountDownLatch(journalOnBusinessLogic ? 1 : 2);
        if (journal != null) {
            this.journaller = new JournallerHandler(journal);
            businessLogic.journalSequence = journal.nextSequence() - 1;
            this.visibleEventSequence = events == null ? 0 : events.nextEventSequence() - 1;
            this.answeredJournalSequence = journal.nextSequence() - 1;
            if (journalOnBusinessLogic) {
                // 1. B, which does 2. J's work after each command, so answers each batch it committed.
                businessLogic.journalOnThisThread = journaller;
                disruptor.handleEventsWith(businessLogic);
            } else {
                // 1. B, then 2. J on its own thread, which answers each batch once it is committed.
                disruptor.handleEventsWith(businessLogic).then(journaller);
            }
        } else {
            this.journaller = null;
            // 1. B, then R on its own thread.
            disruptor.handleEventsWith(businessLogic).then(replier);
        }
        this.ring = disruptor.getRingBuffer();
        this.ticker = Executors.newSingleThreadScheduledExecutor(namedThreads("checkout-ticker"));
    }

    private static WaitStrategy waitStrategy(PipelineConfig.WaitStrategyKind kind) {
        return switch (kind) {
            case BLOCKING -> new BlockingWaitStrategy();
            case PARKING -> new ParkingWaitStrategy();
            case SLEEPING -> new SleepingWaitStrategy();
            case YIELDING -> new YieldingWaitStrategy();
            case BUSY_SPIN -> new BusySpinWaitStrategy();
        };
    }

    private static ThreadFactory namedThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    public void start() {
        disruptor.start();
        // The Disruptor's shutdown counts only processors that already run as having a backlog: one
        // called before its thread got going would halt it with published commands unanswered.
        try {
            if (!handlersStarted.await(HANDLER_START_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("pipeline threads did not start within " + HANDLER_START_TIMEOUT_MILLIS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the pipeline threads started", e);
        }
        started = true;
        ticker.scheduleAtFixedRate(this::publishTick, config.tickIntervalMillis(), config.tickIntervalMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Publishes a command. The translator fills the slot's command and reply target from the
     * arguments on the caller's thread; it must not block.
     *
     * @return false, at once, if the ring is full or the pipeline is closed
     */
    public <A, B> boolean tryPublish(EventTranslatorTwoArg<CommandEvent, A, B> translator, A first, B second) {
        if (closed) {
            return false;
        }
        return ring.tryPublishEvent(translator, first, second);
    }

    /**
     * Fills the slot of one command of a batch claimed by {@link #tryPublishEach}. It runs between
     * the claim and the publish of the whole batch, so it must not block, and must not throw: a
     * slot it leaves half filled is published all the same (as the Disruptor's own translators do).
     */
    @FunctionalInterface
    public interface BatchTranslator<A, B> {
        void translateTo(CommandEvent event, A batch, int index, B context);
    }

    /**
     * Publishes {@code count} commands with one claim of consecutive slots and one publish: one
     * contended sequence update and one wake-up per batch instead of one per command. All or
     * nothing: the translator fills the slot of each {@code index} in {@code 0..count-1}.
     *
     * @return false, at once and with nothing published, if the ring has fewer than {@code count}
     *     free slots, {@code count} is larger than the ring, or the pipeline is closed
     * @throws IllegalArgumentException if {@code count} is below 1
     */
    public <A, B> boolean tryPublishEach(BatchTranslator<A, B> translator, A batch, int count, B context) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        if (closed || count > ring.getBufferSize()) {
            return false;
        }
        long last;
        try {
            last = ring.tryNext(count);
        } catch (InsufficientCapacityException e) {
            return false;
        }
        long first = last - (count - 1);
        try {
            for (long sequence = first; sequence <= last; sequence++) {
                translator.translateTo(ring.get(sequence), batch, (int) (sequence - first), context);
            }
        } finally {
            ring.publish(first, last);
        }
        return true;
    }

    /** The clock that stamps commands; the same one the ticker uses. */
    public long nowMillis() {
        return clockMillis.getAsLong();
    }

    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    public int ringSize() {
        return ring.getBufferSize();
    }

    /**
     * Has {@code listener} called once the replier has answered its current batch. Call only from
     * a {@link ReplyHandler} (on the thread that answers: the journaller's, which may be the
     * business logic's, or the replier's when there is no journal), at most once per listener per
     * batch: each registration then stands for at least one slot of the batch, so the ring size
     * bounds them.
     */
    public void afterReplyBatch(ReplyBatchListener listener) {
        replier.afterBatch(listener);
    }

    /** Runs {@code listener} once, on the business-logic thread, if the engine fails and stops. */
    public void onEngineFailure(Runnable listener) {
        this.engineFailureListener = listener;
    }

    /** Sets who hears about batches, expiries and ticks; call before {@link #start()}. */
    public void observer(PipelineObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Whether the pipeline can still do its work: started, the engine not failed and every
     * pipeline thread alive. A liveness probe restarts a process for which this turns false.
     */
    public boolean isAlive() {
        if (!started || isFailed()) {
            return false;
        }
        for (Thread thread : threads) {
            if (!thread.isAlive()) {
                return closed;
            }
        }
        return true;
    }

    /** Whether the engine has stopped after a failure; such a pipeline answers nothing but errors. */
    public boolean isFailed() {
        return businessLogic.failure != null || (journaller != null && journaller.failure != null);
    }

    /** Whether shutdown has begun; a closed pipeline takes no more commands. */
    public boolean isClosed() {
        return closed;
    }

    public boolean isRunning() {
        return started && !closed && !isFailed();
    }

    public long commandsApplied() {
        return businessLogic.applied;
    }

    /** The journal sequence of the last command journalled (0 without a journal). */
    public long journalledSequence() {
        return journaller == null ? 0 : journaller.committed;
    }

    /**
     * The journal sequence of the last command that is journalled, applied and answered: its
     * events are in the event log. Background snapshots are taken at this point.
     */
    public long answeredJournalSequence() {
        return answeredJournalSequence;
    }

    /**
     * The last event a subscriber may see: its command is journalled and applied. Events after it
     * may be in the log already but could still vanish in a crash.
     */
    public long visibleEventSequence() {
        return visibleEventSequence;
    }

    public CheckoutBook book() {
        return book;
    }

    private void publishTick() {
        boolean published = tryPublish(TICK_TRANSLATOR, this, null);
        if (!published && !closed) {
            LOG.debug("ring full, tick skipped; the next one catches up");
        }
    }

    private static final ReplyHandler NO_REPLY = (command, context, failure) -> { };

    private static final EventTranslatorTwoArg<CommandEvent, CheckoutPipeline, Void> TICK_TRANSLATOR =
            (event, sequence, pipeline, unused) -> {
                event.command.type = CommandType.TICK;
                event.command.timestampMillis = pipeline.nowMillis();
                event.replyTo(NO_REPLY, null);
            };

    /**
     * Stops taking commands, lets the ring drain (every published command is applied and answered)
     * and stops the threads. Waits at most {@code timeoutMillis} for the drain.
     */
    public void shutdown(long timeoutMillis) {
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        if (!started) {
            return;
        }
        try {
            disruptor.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("pipeline did not drain within {} ms; halting", timeoutMillis);
            disruptor.halt();
        }
    }

    @Override
    public void close() {
        shutdown(10_000);
    }

    /**
     * Ends the business logic's batch: makes its sequence visible at once and wakes the parked
     * stage after it (the Disruptor would set the sequence only after this call returns, and
     * signal nobody).
     */
    private void stageAdvanced(Sequence stageSequence, long sequence) {
        if (parking != null && stageSequence != null) {
            stageSequence.setVolatile(sequence);
            parking.signalStagesAdvanced();
        }
    }

    /** 1. The single writer. */
    private final class BusinessLogicHandler implements EventHandler<CommandEvent> {
        private Sequence sequence;

        @Override
        public void onStart() {
            handlersStarted.countDown();
        }

        @Override
        public void setSequenceCallback(Sequence sequenceCallback) {
            this.sequence = sequenceCallback;
        }

        private volatile Throwable failure;
        private volatile long applied;
        /** Counts mutating commands exactly as the journaller numbers them. */
        private long journalSequence;

        @Override
        public void onBatchStart(long batchSize, long queueDepth) {
            observer.onBatch((int) batchSize);
        }

        /** The journaller, set before start when it runs on this thread rather than its own. */
        private JournallerHandler journalOnThisThread;

        @Override
        public void onEvent(CommandEvent event, long sequence, boolean endOfBatch) {
            apply(event, sequence, endOfBatch);
            if (journalOnThisThread != null) {
                journalOnThisThread.onEvent(event, sequence, endOfBatch);
            } else if (endOfBatch) {
                stageAdvanced(this.sequence, sequence);
            }
        }

        private void apply(CommandEvent event, long sequence, boolean endOfBatch) {
            Throwable stopped = failure;
            if (stopped == null && journaller != null) {
                stopped = journaller.failure;
            }
            if (stopped != null) {
                event.failure = stopped;
                return;
            }
            try {
                if (event.command.type.isMutating()) {
                    journalSequence++;
                    event.journalSequence = journalSequence;
                    if (events != null) {
                        events.journalSequence(journalSequence);
                    }
                }
                book.execute(event.command);
                applied++;
                observe(event.command);
                if (events != null) {
                    event.eventSequenceAfter = events.nextEventSequence() - 1;
                }
                if (endOfBatch && events != null) {
                    events.commit();
                }
            } catch (Throwable t) {
                LOG.error("engine failed on {} (sequence {}); it stops applying commands", event.command.type,
                        sequence, t);
                failure = t;
                event.failure = t;
                try {
                    engineFailureListener.run();
                } catch (RuntimeException listenerFailure) {
                    LOG.error("engine failure listener failed", listenerFailure);
                }
            }
        }
    }

    /** A failing observer is a metrics bug, never a reason to stop the engine. */
    private void observe(Command command) {
        try {
            if (command.expiredCount > 0) {
                observer.onExpiries(command.expiredCount);
            }
            if (command.type == CommandType.TICK) {
                observer.onTick(book.state(), book.nowMillis());
            }
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }

    /**
     * 2. Journals every mutating command the business logic applied, with one write (and sync) per
     * batch, then answers the batch.
     */
    private final class JournallerHandler implements EventHandler<CommandEvent>, RecordLogWriter.CommitTimings {
        @Override
        public void onStart() {
            handlersStarted.countDown();
        }

        private final RecordLogWriter journal;
        private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        private volatile Throwable failure;
        private volatile long committed;
        /** The first ring sequence of the batch being journalled, or -1 between batches. */
        private long batchFirst = -1;

        JournallerHandler(RecordLogWriter journal) {
            this.journal = journal;
            this.committed = journal.nextSequence() - 1;
        }

        @Override
        public void committed(long writeNanos, long syncNanos) {
            try {
                PipelineObserver watching = observer;
                watching.onJournalWrite(writeNanos);
                if (syncNanos > 0) {
                    watching.onJournalSync(syncNanos);
                }
            } catch (RuntimeException e) {
                LOG.warn("pipeline observer failed", e);
            }
        }

        @Override
        public void onEvent(CommandEvent event, long sequence, boolean endOfBatch) {
            if (batchFirst < 0) {
                batchFirst = sequence;
            }
            journal(event, sequence);
            if (endOfBatch) {
                Throwable batchFailure = commit(sequence);
                long first = batchFirst;
                batchFirst = -1;
                // The slots stay this stage's until onEvent returns: J (on its own thread or on
                // B's) is the last stage, so the ring reuses them only once the Disruptor moves
                // that stage's sequence past the batch.
                replier.answerBatch(first, sequence, batchFailure);
            }
        }

        private void journal(CommandEvent event, long sequence) {
            if (failure != null || event.failure != null || !event.command.type.isMutating()) {
                // After a journal failure the whole batch is answered with it at its end; a command
                // the business logic did not apply (it stopped after a failure) is not journalled.
                return;
            }
            try {
                CommandCodec.append(journal, scratch, event.command);
            } catch (Throwable t) {
                fail(t, sequence);
            }
        }

        /** @return null if every command of the batch is durable, else why none may be acknowledged */
        private Throwable commit(long sequence) {
            if (failure == null) {
                try {
                    journal.commit(this);
                    committed = journal.nextSequence() - 1;
                } catch (Throwable t) {
                    fail(t, sequence);
                }
            }
            return failure;
        }

        private void fail(Throwable t, long sequence) {
            LOG.error("journal failed at sequence {}; the pipeline stops taking commands", sequence, t);
            failure = t;
            try {
                engineFailureListener.run();
            } catch (RuntimeException listenerFailure) {
                LOG.error("engine failure listener failed", listenerFailure);
            }
        }
    }

    /**
     * Answers the caller, shows the command's events to subscribers, and clears the slot: run by the
     * journaller after each commit ({@link #answerBatch}) or, without a journal, as a stage of its
     * own thread after the business logic.
     */
    private final class ReplierHandler implements EventHandler<CommandEvent> {
        /** Listeners of the batch being answered; one per listener per batch, so at most a ring's worth. */
        private final ReplyBatchListener[] batchListeners;
        private int batchListenerCount;

        ReplierHandler(int ringSize) {
            this.batchListeners = new ReplyBatchListener[ringSize];
        }

        @Override
        public void onStart() {
            handlersStarted.countDown();
        }

        void afterBatch(ReplyBatchListener listener) {
            if (batchListenerCount == batchListeners.length) {
                throw new IllegalStateException("more reply batch listeners than ring slots: a listener registered twice"
                        + " in one batch, or from outside the replier");
            }
            batchListeners[batchListenerCount++] = listener;
        }

        @Override
        public void onEvent(CommandEvent event, long sequence, boolean endOfBatch) {
            answer(event, null);
            if (endOfBatch) {
                endBatch();
            }
        }

        /**
         * Answers the slots {@code first..last} of the ring, each with {@code batchFailure} unless
         * the engine failed on it, then ends the batch. The caller must own those slots.
         */
        void answerBatch(long first, long last, Throwable batchFailure) {
            for (long sequence = first; sequence <= last; sequence++) {
                answer(ring.get(sequence), batchFailure);
            }
            endBatch();
        }

        private void endBatch() {
            for (int i = 0; i < batchListenerCount; i++) {
                ReplyBatchListener listener = batchListeners[i];
                batchListeners[i] = null;
                try {
                    listener.onReplyBatchEnd();
                } catch (RuntimeException e) {
                    LOG.warn("reply batch listener failed", e);
                }
            }
            batchListenerCount = 0;
        }

        private void answer(CommandEvent event, Throwable batchFailure) {
            try {
                Throwable failure = event.failure != null ? event.failure : batchFailure;
                if (failure == null) {
                    if (event.eventSequenceAfter > visibleEventSequence) {
                        visibleEventSequence = event.eventSequenceAfter;
                    }
                    if (event.journalSequence > answeredJournalSequence) {
                        answeredJournalSequence = event.journalSequence;
                    }
                }
                ReplyHandler handler = event.replyHandler;
                if (handler != null) {
                    handler.reply(event.command, event.replyContext, failure);
                }
            } catch (RuntimeException e) {
                LOG.warn("reply for {} failed", event.command.type, e);
            } finally {
                event.clear();
            }
        }
    }

    private static final class LoggingExceptionHandler implements ExceptionHandler<CommandEvent> {
        @Override
        public void handleEventException(Throwable ex, long sequence, CommandEvent event) {
            LOG.error("unexpected error at sequence {}", sequence, ex);
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            LOG.error("pipeline thread failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            LOG.error("pipeline thread failed to stop", ex);
        }
    }
}
