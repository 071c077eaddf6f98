package io.checkout.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CommandType;
import io.checkout.journal.Journal;
import io.checkout.journal.NumberedEvents;
import java.util.List;
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
 * Wires the engine's pipeline: one ring, the single writer, and the journaller that makes each
 * batch durable and then answers it.
 *
 * <pre>
 *  gRPC threads ──tryPublish──▶ [ RingBuffer&lt;CommandEvent&gt; ] ◀── TICK every tickIntervalMillis
 *   (full ring: false at once,          │
 *    the caller answers                 ▼
 *    RESOURCE_EXHAUSTED)   1. business logic (B): CheckoutBook.execute over the state, the single
 *                             writer; numbers journal records and order events
 *                                       │
 *                                       ▼
 *                          2. journaller (J): appends what B applied, one commit (+ fsync) per
 *                             batch, then the replier answers the batch and shows its events;
 *                             on B's thread after each command (default) or on a thread of its own
 * </pre>
 *
 * Why J runs on B's thread by default, and when a thread of its own pays: benchmarks/README.md.
 * B runs ahead of J, so the state may hold commands not yet durable, but nothing is answered, and
 * no event shown to subscribers, before its batch is committed. Commands are stamped with the
 * clock when they are published, the only way wall-clock time enters the engine besides TICKs.
 */
public final class CheckoutPipeline implements CommandPublisher, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckoutPipeline.class);
    private static final long HANDLER_START_TIMEOUT_MILLIS = 10_000;
    private static final ReplyHandler NO_REPLY = (command, context, failure) -> {};
    private static final CommandTranslator<Void> TICK = (unused, command) -> command.type(CommandType.TICK);

    private final CheckoutBook book;
    private final PipelineConfig config;
    private final LongSupplier clockMillis;
    private final Disruptor<CommandEvent> disruptor;
    private final RingBuffer<CommandEvent> ring;
    private final CommandRing commands;
    private final PipelineHooks hooks = new PipelineHooks();
    /** Where a background snapshot asks for the live state held still ({@link Snapshotter.Copy#FREEZE}). */
    private final FreezePoint freezes = new FreezePoint();

    private final BusinessLogicHandler businessLogic;
    private final JournallerHandler journaller;
    private final Replier replier;
    /** Counted down by each handler with a thread of its own as it starts. */
    private final CountDownLatch handlersStarted;
    /** The pipeline's threads, so liveness can tell whether they still run. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    private final ScheduledExecutorService ticker;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * @param journal takes every mutating command; it continues where recovery left it
     * @param events numbers the book's events (becomes the book's event listener)
     */
    public CheckoutPipeline(
            CheckoutBook book,
            PipelineConfig config,
            LongSupplier clockMillis,
            Journal journal,
            NumberedEvents events) {
        this.book = book;
        this.config = config;
        this.clockMillis = clockMillis;
        book.eventListener(events);
        WaitStrategy waitStrategy = waitStrategy(config.waitStrategy());
        ThreadFactory pipelineThreads = namedThreads("checkout-pipeline");
        this.disruptor = new Disruptor<>(
                CommandEvent::new,
                config.ringSize(),
                runnable -> {
                    Thread thread = pipelineThreads.newThread(runnable);
                    threads.add(thread);
                    return thread;
                },
                ProducerType.MULTI,
                waitStrategy);
        disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
        this.ring = disruptor.getRingBuffer();
        ReplyTargets replyTargets = new ReplyTargets(config.ringSize());
        this.commands = new CommandRing(ring, replyTargets, clockMillis);
        boolean journalOnBusinessLogic = config.journalThread() == PipelineConfig.JournalThread.BUSINESS_LOGIC;
        this.handlersStarted = new CountDownLatch(journalOnBusinessLogic ? 1 : 2);

        this.replier = new Replier(ring, replyTargets, events.nextEventSequence() - 1, journal.nextSequence() - 1);
        this.journaller = new JournallerHandler(journal, replier, hooks, handlersStarted);
        this.businessLogic = new BusinessLogicHandler(
                book,
                events,
                journal.nextSequence() - 1,
                hooks,
                handlersStarted,
                waitStrategy instanceof ParkingWaitStrategy parking ? parking : null,
                freezes);
        businessLogic.journaller(journaller, journalOnBusinessLogic);
        businessLogic.prefetchFrom(ring, config.prefetchGroup());
        if (journalOnBusinessLogic) {
            // 1. B, which does 2. J's work after each command.
            disruptor.handleEventsWith(businessLogic);
        } else {
            // 1. B, then 2. J on a thread of its own.
            disruptor.handleEventsWith(businessLogic).then(journaller);
        }
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
                throw new IllegalStateException(
                        "pipeline threads did not start within " + HANDLER_START_TIMEOUT_MILLIS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the pipeline threads started", e);
        }
        started = true;
        ticker.scheduleAtFixedRate(
                this::publishTick, config.tickIntervalMillis(), config.tickIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- publishing: never blocks; a full ring or a closed pipeline is a false, at once ---------

    @Override
    public <A> boolean tryPublish(CommandTranslator<A> translator, A request, ReplyHandler handler, Object context) {
        return commands.tryPublish(translator, request, handler, context);
    }

    @Override
    public <A> boolean tryPublishEach(
            BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context) {
        return commands.tryPublishEach(translator, batch, count, handler, context);
    }

    private void publishTick() {
        if (!tryPublish(TICK, null, NO_REPLY, null) && !closed) {
            LOG.debug("ring full, tick skipped; the next one catches up");
        }
    }

    // ---- hooks -------------------------------------------------------------------------------

    /**
     * Has {@code listener} called once the replier has answered its current batch. Call only from
     * a {@link ReplyHandler}, at most once per listener per batch: each registration then stands
     * for at least one slot of the batch, so the ring size bounds them.
     */
    @Override
    public void afterReplyBatch(ReplyBatchListener listener) {
        replier.afterBatch(listener);
    }

    /** Runs {@code listener} once, on a pipeline thread, if the engine or the journal fails. */
    public void onEngineFailure(Runnable listener) {
        hooks.failureListener(listener);
    }

    /** Sets who hears about batches, expiries, ticks and journal commits; call before {@link #start()}. */
    public void observer(PipelineObserver observer) {
        hooks.observer(observer);
    }

    // ---- state -------------------------------------------------------------------------------

    /** The clock that stamps commands. */
    public long nowMillis() {
        return clockMillis.getAsLong();
    }

    @Override
    public long queueDelayNanos() {
        return commands.queueDelayNanos();
    }

    @Override
    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    @Override
    public int ringSize() {
        return ring.getBufferSize();
    }

    /**
     * Whether the pipeline can still do its work: started, the engine not failed and every
     * pipeline thread alive. A liveness probe restarts a process for which this turns false.
     */
    public boolean isAlive() {
        // A storage failure leaves the process alive: it still answers reads, and a restart into a
        // disk that is still full would not help. Its readiness is down and an alert names it.
        if (!started || businessLogic.failure() != null) {
            return false;
        }
        for (Thread thread : threads) {
            if (!thread.isAlive()) {
                return closed;
            }
        }
        return true;
    }

    /**
     * Whether the engine or the storage (journal, event log) has failed; such a pipeline refuses
     * every change (after a storage failure it still answers reads).
     */
    public boolean isFailed() {
        return businessLogic.failure() != null || businessLogic.storageFailure() != null;
    }

    /** Whether the journal or the event log could not be written (a full disk, an I/O error). */
    public boolean isStorageFailed() {
        return businessLogic.storageFailure() != null;
    }

    /** Whether shutdown has begun; a closed pipeline takes no more commands. */
    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public long commandsApplied() {
        return businessLogic.applied();
    }

    /** The journal sequence of the last command journalled. */
    public long journalledSequence() {
        return journaller.committed();
    }

    /**
     * The journal sequence of the last command that is journalled, applied and answered: its
     * events are in the event log. Background snapshots are taken at this point.
     */
    public long answeredJournalSequence() {
        return replier.answeredJournalSequence();
    }

    /**
     * The last event a subscriber may see: its command is journalled and applied. Events after it
     * may be in the log already but could still vanish in a crash.
     */
    public long visibleEventSequence() {
        return replier.visibleEventSequence();
    }

    /** Where a background snapshotter gets this pipeline's state frozen between two batches. */
    FreezePoint freezes() {
        return freezes;
    }

    public CheckoutBook book() {
        return book;
    }

    // ---- shutdown ----------------------------------------------------------------------------

    /**
     * Stops taking commands, lets the ring drain (every published command is applied and answered)
     * and stops the threads. Waits at most {@code timeoutMillis} for the drain.
     */
    public void shutdown(long timeoutMillis) {
        if (closed) {
            return;
        }
        closed = true;
        commands.close();
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
