package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.journal.EventCounter;
import io.checkout.journal.NumberedEvents;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogWriter;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps recovery time bounded while the server runs, without ever pausing the engine: once
 * {@code intervalCommands} more commands are journalled, a background thread loads the newest
 * snapshot into a state of its own, replays the journal up to the last journalled command (the
 * engine is deterministic, so this is the state the live engine had at that command), writes that
 * as the new snapshot, and retires the journal and event log segments it covers (keeping
 * {@code retainedSegments} more of each).
 *
 * <p>Costs: one core while it replays (about as long as a recovery of the same commands would
 * take) and a second copy of the state in memory while it runs. It never touches the live state.
 * At a clean shutdown it writes the drained live state instead ({@link #snapshotAtShutdown}), so
 * the next start replays nothing.
 */
public final class Snapshotter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
    private static final long CHECK_EVERY_MILLIS = 1_000;

    private final Recovery.Layout layout;
    private final SnapshotStore snapshots;
    private final StateCapacities capacities;
    private final EngineLimits limits;
    private final long intervalCommands;
    private final int retainedSegments;
    private final LongSupplier journalledSequence;
    private final ScheduledExecutorService thread;
    private volatile long lastSnapshotSequence;
    private volatile boolean closed;

    public Snapshotter(
            Recovery.Layout layout,
            SnapshotStore snapshots,
            StateCapacities capacities,
            EngineLimits limits,
            long intervalCommands,
            int retainedSegments,
            long lastSnapshotSequence,
            LongSupplier journalledSequence) {
        this.layout = layout;
        this.snapshots = snapshots;
        this.capacities = capacities;
        this.limits = limits;
        this.intervalCommands = intervalCommands;
        this.retainedSegments = retainedSegments;
        this.lastSnapshotSequence = lastSnapshotSequence;
        this.journalledSequence = journalledSequence;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread snapshotter = new Thread(runnable, "checkout-snapshotter");
            snapshotter.setDaemon(true);
            snapshotter.setPriority(Thread.MIN_PRIORITY);
            return snapshotter;
        });
    }

    /** Starts checking; does nothing when {@code intervalCommands} is 0 (snapshots at shutdown only). */
    public void start() {
        if (intervalCommands > 0) {
            thread.scheduleWithFixedDelay(
                    this::snapshotIfDue, CHECK_EVERY_MILLIS, CHECK_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void snapshotIfDue() {
        long target = journalledSequence.getAsLong();
        if (closed || target - lastSnapshotSequence < intervalCommands) {
            return;
        }
        try {
            snapshotAt(target);
        } catch (RuntimeException e) {
            LOG.error("background snapshot at journal sequence {} failed; the next check tries again", target, e);
        }
    }

    /**
     * Builds and writes the snapshot at {@code target}, a journal sequence whose command is
     * journalled and whose events are in the event log, then retires what it covers. The
     * background thread calls it; tests and tools may call it when that thread is not running.
     */
    public void snapshotAt(long target) {
        long started = System.nanoTime();
        // A transient copy: it takes memory only for the rows it holds, even when the live state
        // was allocated up front.
        PackedCheckoutState state = PackedCheckoutState.of(capacities.onDemand());
        SnapshotStore.Meta base = snapshots.loadLatest(state);
        if (base.journalSequence() >= target) {
            return;
        }
        CheckoutBook book = new CheckoutBook(state, limits);
        book.restoreNowMillis(base.nowMillis());
        EventCounter events = new EventCounter(base.nextEventSequence());
        long replayed = JournalReplayer.replay(
                layout.journal(), base.journalSequence() + 1, target, book, events, () -> closed);
        if (closed) {
            return;
        }
        Retired retired =
                writeAndRetire(state, new SnapshotStore.Meta(target, events.nextEventSequence(), book.nowMillis()));
        LOG.info(
                "snapshot at journal sequence {}: {} commands replayed onto the previous one in {} ms; retired {} journal"
                        + " and {} event log segments",
                target,
                replayed,
                (System.nanoTime() - started) / 1_000_000,
                retired.journalSegments(),
                retired.eventSegments());
    }

    /**
     * Writes the state of a drained pipeline as a snapshot, so the next start replays nothing, and
     * retires what it covers. Call once the pipeline's threads have stopped. Writes nothing (and
     * says why) if the engine failed or the ring did not drain: the next start then recovers from
     * the journal, which holds everything acknowledged.
     *
     * @return whether a snapshot was written
     */
    public boolean snapshotAtShutdown(CheckoutPipeline pipeline, NumberedEvents events) {
        if (pipeline.isFailed()) {
            LOG.error(
                    "the engine or its storage failed; no snapshot is written, the next start recovers from the journal");
            return false;
        }
        long journalled = pipeline.journalledSequence();
        if (pipeline.answeredJournalSequence() != journalled) {
            LOG.warn(
                    "the ring did not drain (journalled {}, applied and answered {}); no snapshot, the next start"
                            + " replays the journal",
                    journalled,
                    pipeline.answeredJournalSequence());
            return false;
        }
        long started = System.nanoTime();
        try {
            events.commit();
            Retired retired = writeAndRetire(
                    pipeline.book().state(),
                    new SnapshotStore.Meta(
                            journalled,
                            events.nextEventSequence(),
                            pipeline.book().nowMillis()));
            LOG.info(
                    "snapshot at journal sequence {} written in {} ms; retired {} journal and {} event log segments",
                    journalled,
                    (System.nanoTime() - started) / 1_000_000,
                    retired.journalSegments(),
                    retired.eventSegments());
            return true;
        } catch (RuntimeException | LinkageError e) {
            LOG.error("snapshot at shutdown failed; the next start recovers from the journal", e);
            return false;
        }
    }

    /** Segments a snapshot let go. */
    private record Retired(int journalSegments, int eventSegments) {}

    /**
     * Writes {@code state} as the snapshot {@code meta} describes, then retires the journal and
     * event log segments it covers (keeping {@code journal-retained-segments} of each) and all but
     * the two newest snapshots. The event log up to the snapshot is synced first: replay never
     * writes those events again. The background thread and a clean shutdown both end here.
     */
    private Retired writeAndRetire(CheckoutState state, SnapshotStore.Meta meta) {
        RecordLog.forceSegments(layout.events());
        snapshots.write(state, meta);
        lastSnapshotSequence = meta.journalSequence();
        int journalRetired =
                RecordLogWriter.retireBefore(layout.journal(), meta.journalSequence() + 1, retainedSegments);
        int eventsRetired = RecordLogWriter.retireBefore(layout.events(), meta.nextEventSequence(), retainedSegments);
        snapshots.retainNewest(2);
        return new Retired(journalRetired, eventsRetired);
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("snapshotter did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
