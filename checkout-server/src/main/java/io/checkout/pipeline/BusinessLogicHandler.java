package io.checkout.pipeline;

import com.lmax.disruptor.DataProvider;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Sequence;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.ResultCode;
import io.checkout.journal.NumberedEvents;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1, the single writer: applies each command to the state through the book, numbers its
 * journal record and its events, and writes the outcome into the slot. When the journaller runs
 * on this thread, it hands each command straight on to it.
 *
 * <p>With a prefetch group ({@link PipelineConfig#prefetchGroup()}), at the first command of each
 * group of a batch it loads the group's ids and the lines of their ring slots that applying and
 * answering them use ({@link Command#touchLines()}), then lets the state prefetch what they will
 * read (their index slots, an order's row): each loop a run of independent loads whose cache misses
 * overlap, as journal replay does in groups of 16. Prefetching only reads, so it changes no answer
 * and no state, and replay (which prefetches its own way) reaches the same state.
 *
 * <p>After the engine throws (a broken invariant) it applies nothing more: every later command
 * carries the failure and is answered with it, so corrupt state is never built upon. After the
 * journal or the event log fails (a full disk) it applies no more changes, so unjournalled state is
 * never built upon, but still answers reads.
 */
final class BusinessLogicHandler implements EventHandler<CommandEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(BusinessLogicHandler.class);

    private final CheckoutBook book;
    private final NumberedEvents events;
    private final PipelineHooks hooks;
    private final CountDownLatch started;
    /** Set when idle threads park: the next stage must then be woken at the end of each batch. */
    private final ParkingWaitStrategy parking;
    /** Where the background snapshotter asks for the state held still, at a batch end. */
    private final FreezePoint freezes;

    private JournallerHandler journaller;
    private boolean journalOnThisThread;
    private Sequence sequence;
    /** Counts mutating commands exactly as the journal numbers them. */
    private long journalSequence;

    /** The ring's slots, for prefetching ahead; null: no prefetching. */
    private DataProvider<CommandEvent> slots;

    private int prefetchGroup;
    /** The size of the batch just started, until its first command arrives; then 0. */
    private long startingBatchSize;
    /** The ring sequence of the current batch's last command. */
    private long batchEnd = -1;
    /** The ring sequence of the last command prefetched. */
    private long prefetchedThrough = -1;
    /** What loading the ids read, kept so that the loads are kept. */
    private int loadedIds;

    /** The engine's own failure (a broken invariant): nothing more is applied, reads included. */
    private volatile Throwable failure;
    /** The event log could not be written: changes are refused, reads still answered. */
    private volatile Throwable eventLogFailure;

    /**
     * Commands applied; written only by this handler's thread. A {@link Sequence} writes with a
     * release store (a plain store on x86): a volatile write per command would make the thread wait,
     * at each command, for every store before it to reach the cache, and a reserve's stores go to
     * slot lines a ring old.
     */
    private final Sequence applied = new Sequence(0);

    BusinessLogicHandler(
            CheckoutBook book,
            NumberedEvents events,
            long lastJournalSequence,
            PipelineHooks hooks,
            CountDownLatch started,
            ParkingWaitStrategy parking,
            FreezePoint freezes) {
        this.book = book;
        this.freezes = freezes;
        this.events = events;
        this.journalSequence = lastJournalSequence;
        this.hooks = hooks;
        this.started = started;
        this.parking = parking;
    }

    /** Sets the stage after this one; {@code onThisThread}: it runs here, after each command. */
    void journaller(JournallerHandler next, boolean onThisThread) {
        this.journaller = next;
        this.journalOnThisThread = onThisThread;
    }

    /**
     * Lets the handler read the slots ahead of the one it applies, within each batch, to prefetch
     * {@code group} commands at a time (0: never).
     */
    void prefetchFrom(DataProvider<CommandEvent> ring, int group) {
        this.slots = group > 0 ? ring : null;
        this.prefetchGroup = group;
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void setSequenceCallback(Sequence sequenceCallback) {
        this.sequence = sequenceCallback;
    }

    @Override
    public void onBatchStart(long batchSize, long queueDepth) {
        hooks.observer().onBatch((int) batchSize);
        startingBatchSize = batchSize;
    }

    @Override
    public void onEvent(CommandEvent event, long ringSequence, boolean endOfBatch) {
        prefetchAhead(ringSequence);
        apply(event, ringSequence, endOfBatch);
        if (journalOnThisThread) {
            journaller.onEvent(event, ringSequence, endOfBatch);
        } else if (endOfBatch && parking != null) {
            // Make the batch visible now and wake the journaller: the Disruptor would set the
            // sequence only after this call returns, and signal nobody.
            sequence.setVolatile(ringSequence);
            parking.signalStagesAdvanced();
        }
        if (endOfBatch) {
            atBatchEnd();
        }
    }

    /**
     * Between two batches: where the state may be frozen for a background snapshot (and thawed
     * after it), never while the engine or its storage has failed: unjournalled state is never
     * written as a snapshot. The snapshot waits for the journal to hold what it covers.
     */
    private void atBatchEnd() {
        Throwable stopped = failure != null ? failure : storageFailure();
        if (stopped != null) {
            freezes.stopped(stopped);
            return;
        }
        try {
            freezes.atBatchEnd(book, journalSequence, events.nextEventSequence());
        } catch (RuntimeException e) {
            // Only the snapshot is lost: the state is untouched by a freeze that failed.
            LOG.error("freezing the state for a snapshot failed", e);
        }
    }

    /**
     * At a batch's first command, and at the first after each group, prefetches the next group of
     * the batch. Only slots of the batch: those are published. A prefetch that throws (a bug: it
     * only reads) turns prefetching off rather than cost a command its answer.
     */
    private void prefetchAhead(long ringSequence) {
        if (slots == null || failure != null) {
            return;
        }
        if (startingBatchSize > 0) {
            batchEnd = ringSequence + startingBatchSize - 1;
            startingBatchSize = 0;
        } else if (ringSequence <= prefetchedThrough) {
            return;
        }
        long to = Math.min(batchEnd, ringSequence + prefetchGroup - 1);
        try {
            for (long ahead = ringSequence; ahead <= to; ahead++) {
                loadedIds += book.loadIds(slots.get(ahead).command);
            }
            for (long ahead = ringSequence; ahead <= to; ahead++) {
                book.prefetch(slots.get(ahead).command);
            }
        } catch (RuntimeException e) {
            LOG.error("prefetching failed; the engine goes on without it", e);
            slots = null;
        }
        prefetchedThrough = to;
    }

    private void apply(CommandEvent event, long ringSequence, boolean endOfBatch) {
        Throwable stopped = failure != null ? failure : storageFailure();
        if (stopped != null) {
            if (failure == null && !event.command.type().isMutating()) {
                // The disk failed, not the engine: a read changes nothing and is still answered, from
                // what the engine holds (which may include the unacknowledged batch that failed).
                try {
                    book.execute(event.command);
                    applied.set(applied.get() + 1);
                } catch (Throwable t) {
                    LOG.error("engine failed on a read after a storage failure", t);
                    event.failure = t;
                }
                return;
            }
            event.failure = stopped;
            return;
        }
        try {
            // The clock is read only for a command with a deadline (one read is some 50 ns on a VM).
            if (event.command.deadlineNanos != 0 && event.command.isPastDeadline(System.nanoTime())) {
                // Decided before any change, and never journalled: replay never meets it.
                event.command.result(ResultCode.DEADLINE_EXCEEDED);
                event.expired = true;
                observeExpiredSkip();
            } else {
                if (event.command.type().isMutating()) {
                    journalSequence++;
                    event.journalSequence = journalSequence;
                    events.journalSequence(journalSequence);
                }
                book.execute(event.command);
                applied.set(applied.get() + 1);
                observe(event.command);
                event.eventSequenceAfter = events.nextEventSequence() - 1;
            }
            if (endOfBatch) {
                commitEvents(event);
            }
        } catch (Throwable t) {
            LOG.error(
                    "engine failed on {} (ring sequence {}); it stops applying commands",
                    event.command.type(),
                    ringSequence,
                    t);
            failure = t;
            event.failure = t;
            hooks.failed();
        }
    }

    /**
     * Writes the batch's events. If the event log cannot be written, this command is answered with
     * the failure and not journalled, and every later change is refused as after a journal
     * failure; the rest of the batch is journalled and answered (recovery rebuilds their events
     * from the journal).
     */
    private void commitEvents(CommandEvent event) {
        try {
            events.commit();
        } catch (Throwable t) {
            LOG.error("event log write failed; the pipeline refuses changes from now on", t);
            eventLogFailure = new StorageFailedException("the order event log", t);
            event.failure = eventLogFailure;
            hooks.failed();
        }
    }

    /** Why the journal or the event log stopped taking writes; null while both work. */
    Throwable storageFailure() {
        Throwable eventLog = eventLogFailure;
        return eventLog != null ? eventLog : journaller.failure();
    }

    private void observeExpiredSkip() {
        try {
            hooks.observer().onExpiredSkipped();
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }

    /** A failing observer is a metrics bug, never a reason to stop the engine. */
    private void observe(Command command) {
        try {
            PipelineObserver observer = hooks.observer();
            if (command.expiredCount > 0) {
                observer.onExpiries(command.expiredCount);
            }
            if (command.type() == CommandType.TICK) {
                observer.onTick(book.state(), book.nowMillis());
            }
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }

    Throwable failure() {
        return failure;
    }

    long applied() {
        return applied.get();
    }
}
