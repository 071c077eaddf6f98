package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.journal.EventCounter;
import io.checkout.journal.NumberedEvents;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogWriter;
import io.checkout.state.FrozenSnapshot;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps recovery time bounded while the server runs, without ever pausing the engine: once
 * {@code intervalCommands} more commands are journalled, a background thread loads the newest
 * snapshot into a state of its own, replays the journal up to the last journalled command (the
 * engine is deterministic, so this is the state the live engine had at that command), writes that
 * as the new snapshot, and retires the journal and event log segments it covers (keeping
 * {@code retainedSegments} more of each). With {@link Copy#KEEP} that state stays in memory after
 * the write, so the next snapshot only replays the commands since this one onto it and writes: no
 * load. Over a 10M-command sale that took 0.60-0.73 of the CPU of loading for each snapshot, at
 * intervals of 1M-5M commands (benchmarks/README.md, 2026-12-05, {@code SnapshotCadence}), for a
 * second copy of the state kept for good instead of only while a snapshot runs (the same peak).
 *
 * <p>With {@link Copy#FREEZE} it replays nothing and keeps no copy: the pipeline freezes its live
 * state at its next batch end ({@link FreezePoint}) and the snapshot is written from it while the
 * engine goes on, the engine copying aside a 4 KB unit of what is held before its first write into
 * it while the snapshot has not written it yet ({@link io.checkout.engine.FrozenArray}). Its
 * costs are the write alone and those copies (64-138 MB a snapshot of 0.6-3.7M orders under the
 * batch stream, 2026-12-07). The first freeze of a process used to deoptimize the engine's compiled
 * code (it had never seen a write into a held table) and make it wait for a core while the JIT
 * recompiled it: the server runs a freeze's paths on a scratch state before it serves
 * ({@link FreezeWarmUp}). The image goes to the device directly, so the journal's syncs do not queue
 * behind it ({@code BlockFileOut}). The rest of this paragraph is about replaying snapshots.
 *
 * <p>Costs: one core while it loads the previous snapshot (with {@link Copy#KEEP} only the first
 * time), replays and writes the new one, and a second copy of the state in memory while it runs
 * (with {@link Copy#KEEP} from the first snapshot on). It never touches the live state. On the
 * project's 2-core VM a snapshot of 2M orders took 30-50 s of a core when the large tables were
 * Chronicle Map records (2026-12-04); as a state image their write and load cost about 0.2x and
 * 0.5x the replay of the commands they stand for, and a first snapshot at 2.46M commands (the
 * replay of them all, then the write) took 9.3 s besides its waits, with a load generator's audit
 * on the same cores (benchmarks/README.md, 2026-12-05). A flash crowd that meets one still loses
 * a share of the server's CPU to it. So a due snapshot waits while the engine is saturated (a
 * standing queue of at least {@link #SATURATED_QUEUE_DELAY_NANOS} in front of the business logic,
 * or other work keeping {@link #SATURATED_OTHERS_CPU} of the CPUs busy, at any of the last three
 * checks), for at most {@code deferMaxCommands} more commands, then runs
 * whatever the load: recovery time stays bounded, by {@code intervalCommands + deferMaxCommands}.
 * A snapshot already running when a crowd arrives sleeps between records and commands while the
 * engine is saturated (until 100 ms without it), within the same deferral. At a clean shutdown it writes
 * the drained live state instead ({@link #snapshotAtShutdown}), so the next start replays nothing.
 */
public final class Snapshotter implements AutoCloseable {
    /**
     * The engine counts as saturated, and a due snapshot waits, while the estimated wait in front
     * of the business logic is at least this: a standing queue, which an engine keeping up with
     * its load does not have (its queue is empty at most instants; a flash crowd held at the
     * client's limit keeps tens of milliseconds queued).
     */
    static final long SATURATED_QUEUE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * The engine counts as saturated, too, while other work than the snapshotter's keeps at least
     * this share of the CPUs it leaves busy ({@link OthersCpu}): a transport-bound saturation, where
     * calls wait in gRPC's threads and the ring stays empty, shows there and not in the queue.
     */
    static final double SATURATED_OTHERS_CPU = 0.85;

    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
    private static final long CHECK_EVERY_MILLIS = 1_000;
    /** A running snapshot that waits for a saturated engine looks again after this long. */
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * A due snapshot starts after this many checks in a row (a second apart) found the engine not
     * saturated: one quiet sample is not a quiet engine (a closed loop of 1,000 calls drains the ring
     * now and then; on 2026-12-04 a snapshot started 4 s into such a run on one quiet sample).
     */
    private static final int QUIET_CHECKS_TO_START = 3;
    /** A waiting running snapshot goes on after this many samples in a row ({@link #PAUSE_NANOS} apart) not saturated. */
    private static final int QUIET_SAMPLES_TO_RESUME = 10;
    /** How long {@link Copy#FREEZE} waits for the pipeline's next batch end, and then for the journal. */
    private static final long FREEZE_WAIT_SECONDS = 10;
    /** How often it looks whether the journal holds the frozen point yet. */
    private static final long JOURNAL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** What the snapshotter does with its copy of the state once a snapshot is written. */
    public enum Copy {
        /**
         * Keeps it (and its book and event numbers) for the next snapshot, which replays only the
         * commands since onto it: no load per snapshot; a second copy of the state between snapshots.
         */
        KEEP,
        /** Drops it: each snapshot loads the newest one into a fresh copy; memory only while one runs. */
        TRANSIENT,
        /**
         * Makes none: the live state is held still at a batch end ({@link FreezePoint}) and written
         * while the engine goes on, by copy-on-write of 4 KB units (only those the engine writes
         * before the snapshot has written them are copied). No replay, no second copy of the state;
         * needs the pipeline ({@link #freezeFrom}).
         */
        FREEZE
    }

    /**
     * The snapshotter's copy of the state at journal sequence {@code sequence}, with the book that
     * replays onto it and its event numbers: exactly what loading the snapshot at that sequence
     * would give.
     */
    private record Replica(PackedCheckoutState state, CheckoutBook book, EventCounter events, long sequence) {}

    /** What one check decides. */
    public enum Decision {
        /** Fewer than the interval's commands since the last snapshot. */
        NOT_DUE,
        /** Due, but the engine is saturated and the deferral has room left. */
        DEFER,
        /** Take it now. */
        SNAPSHOT
    }

    private final Recovery.Layout layout;
    private final SnapshotStore snapshots;
    private final StateCapacities capacities;
    private final EngineLimits limits;
    private final long intervalCommands;
    private final long deferMaxCommands;
    private final int retainedSegments;
    private final Copy copy;
    private final LongSupplier journalledSequence;
    private final LongSupplier queueDelayNanos;
    private final DoubleSupplier othersCpu;
    private final ScheduledExecutorService thread;
    /** Where {@link Copy#FREEZE} gets the live state frozen; null until {@link #freezeFrom}. */
    private volatile FreezePoint freezes;

    private volatile long lastSnapshotSequence;
    private volatile boolean closed;
    /**
     * When the due snapshot began to wait for a quieter engine; 0 while none waits. Written by the
     * checking thread only; volatile for the metrics' reads.
     */
    private volatile long deferredSinceNanos;
    // What the metrics read: written by one thread at a time (the background thread, or the
    // shutdown after it stopped), read by any.
    private volatile long snapshotsWritten;
    private volatile long failures;
    private volatile long lastWrittenEpochMillis;
    private volatile long lastDurationNanos;
    private volatile long pausedNanosTotal;
    private volatile long snapshotsLoaded;
    /**
     * The copy kept since the last snapshot ({@link Copy#KEEP}), null if none: taken by the one
     * thread writing a snapshot ({@link #snapshotAt} runs on one thread at a time).
     */
    private Replica kept;
    /** Checks in a row that found the engine not saturated, at most {@link #QUIET_CHECKS_TO_START}. Checking thread only. */
    private int quietChecks = QUIET_CHECKS_TO_START;

    /**
     * @param intervalCommands journalled commands between snapshots; 0 for snapshots at shutdown only
     * @param deferMaxCommands how many more commands a due snapshot may wait for a saturated engine; 0 never waits
     * @param copy whether the copy of the state a snapshot builds is kept for the next one
     * @param journalledSequence the newest journal sequence whose command is journalled and whose events are logged
     * @param queueDelayNanos the live engine's estimated queueing delay ({@link CommandPublisher#queueDelayNanos})
     * @param othersCpu the share of the CPUs left by the calling thread that other work keeps busy, NaN if
     *     unknown ({@link OthersCpu#ofThisMachine}); sampled from the snapshotter's thread only
     */
    public Snapshotter(
            Recovery.Layout layout,
            SnapshotStore snapshots,
            StateCapacities capacities,
            EngineLimits limits,
            long intervalCommands,
            long deferMaxCommands,
            Copy copy,
            int retainedSegments,
            long lastSnapshotSequence,
            LongSupplier journalledSequence,
            LongSupplier queueDelayNanos,
            DoubleSupplier othersCpu) {
        if (intervalCommands < 0 || deferMaxCommands < 0) {
            throw new IllegalArgumentException("intervalCommands and deferMaxCommands must be >= 0, got "
                    + intervalCommands + " and " + deferMaxCommands);
        }
        this.layout = layout;
        this.snapshots = snapshots;
        this.capacities = capacities;
        this.limits = limits;
        this.intervalCommands = intervalCommands;
        this.deferMaxCommands = deferMaxCommands;
        this.copy = copy;
        this.retainedSegments = retainedSegments;
        this.lastSnapshotSequence = lastSnapshotSequence;
        this.journalledSequence = journalledSequence;
        this.queueDelayNanos = queueDelayNanos;
        this.othersCpu = othersCpu;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread snapshotter = new Thread(runnable, "checkout-snapshotter");
            snapshotter.setDaemon(true);
            snapshotter.setPriority(Thread.MIN_PRIORITY);
            return snapshotter;
        });
    }

    /** With {@link Copy#FREEZE}: snapshots hold {@code pipeline}'s live state still while they are written. */
    public void freezeFrom(CheckoutPipeline pipeline) {
        this.freezes = pipeline.freezes();
    }

    /** Starts checking; does nothing when {@code intervalCommands} is 0 (snapshots at shutdown only). */
    public void start() {
        if (intervalCommands > 0) {
            thread.scheduleWithFixedDelay(
                    this::snapshotIfDue, CHECK_EVERY_MILLIS, CHECK_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One check, as the background thread makes it every second: takes the snapshot if it is due
     * and the engine is not saturated (or the deferral is used up). Tests and tools may call it
     * when that thread is not running.
     *
     * @return what the check decided
     */
    public Decision snapshotIfDue() {
        long target = journalledSequence.getAsLong();
        if (closed) {
            return Decision.NOT_DUE;
        }
        long queueDelay = queueDelayNanos.getAsLong();
        double others = othersCpu.getAsDouble();
        quietChecks = saturated(queueDelay, others) ? 0 : Math.min(quietChecks + 1, QUIET_CHECKS_TO_START);
        Decision decision = decide(
                target - lastSnapshotSequence, intervalCommands, deferMaxCommands, quietChecks < QUIET_CHECKS_TO_START);
        if (decision == Decision.DEFER) {
            if (deferredSinceNanos == 0) {
                deferredSinceNanos = System.nanoTime();
                LOG.info(
                        "background snapshot due at journal sequence {} waits: the engine was saturated (a standing"
                                + " queue of 1 ms or more, or other work keeping {}% or more of the CPUs busy) at one of"
                                + " the last {} checks; now a queue of about {} ms and {} of the CPUs busy; it waits for"
                                + " at most {} more commands",
                        target,
                        Math.round(SATURATED_OTHERS_CPU * 100),
                        QUIET_CHECKS_TO_START,
                        TimeUnit.NANOSECONDS.toMillis(queueDelay),
                        Double.isNaN(others) ? "an unknown share" : Math.round(others * 100) + "%",
                        lastSnapshotSequence + intervalCommands + deferMaxCommands - target);
            }
            return decision;
        }
        if (decision == Decision.SNAPSHOT) {
            if (deferredSinceNanos != 0) {
                LOG.info(
                        "background snapshot at journal sequence {} starts after waiting {} ms for a quieter engine",
                        target,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deferredSinceNanos));
                deferredSinceNanos = 0;
            }
            try {
                snapshotAt(target);
            } catch (RuntimeException e) {
                failures++;
                LOG.error("background snapshot at journal sequence {} failed; the next check tries again", target, e);
            }
        }
        return decision;
    }

    /**
     * Whether a snapshot is taken now, {@code sinceLast} journalled commands after the last one.
     * Due after {@code intervalCommands} (never when that is 0); a due one waits while the engine
     * is saturated, until {@code intervalCommands + deferMaxCommands}.
     */
    static Decision decide(long sinceLast, long intervalCommands, long deferMaxCommands, boolean saturated) {
        if (intervalCommands == 0 || sinceLast < intervalCommands) {
            return Decision.NOT_DUE;
        }
        // Subtracted, not added: intervalCommands + deferMaxCommands could overflow.
        if (saturated && sinceLast - intervalCommands < deferMaxCommands) {
            return Decision.DEFER;
        }
        return Decision.SNAPSHOT;
    }

    /**
     * Builds and writes the snapshot at {@code target}, a journal sequence whose command is
     * journalled and whose events are in the event log, then retires what it covers. The
     * background thread calls it; tests and tools may call it when that thread is not running.
     */
    public void snapshotAt(long target) {
        if (copy == Copy.FREEZE) {
            snapshotFrozen();
            return;
        }
        long started = System.nanoTime();
        long pausedBefore = pausedNanosTotal;
        Replica from = kept;
        // Taken out first: a snapshot that fails or stops half way leaves no copy of unknown shape.
        kept = null;
        boolean loaded = from == null || from.sequence() != lastSnapshotSequence;
        if (loaded) {
            from = loadNewest();
        }
        if (from.sequence() >= target) {
            keep(from);
            return;
        }
        long replayed = JournalReplayer.replay(
                layout.journal(), from.sequence() + 1, target, from.book(), from.events(), () -> {
                    waitWhileSaturated();
                    return closed;
                });
        if (closed) {
            return;
        }
        Retired retired = writeAndRetire(
                from.state(),
                new SnapshotStore.Meta(
                        target, from.events().nextEventSequence(), from.book().nowMillis()),
                this::waitWhileSaturated);
        keep(new Replica(from.state(), from.book(), from.events(), target));
        written(started);
        LOG.info(
                "snapshot at journal sequence {}: {} commands replayed onto the {} in {} ms ({} ms of it"
                        + " waiting for a saturated engine); retired {} journal and {} event log segments",
                target,
                replayed,
                loaded ? "previous one" : "copy kept since the previous one",
                (System.nanoTime() - started) / 1_000_000,
                (pausedNanosTotal - pausedBefore) / 1_000_000,
                retired.journalSegments(),
                retired.eventSegments());
    }

    /**
     * {@link Copy#FREEZE}: asks the pipeline to freeze its state at its next batch end, waits for
     * the journal to hold what that point covers, writes the frozen state and retires what it covers.
     * The snapshot's sequence is the freeze's (at or after the due one).
     */
    private void snapshotFrozen() {
        FreezePoint point = freezes;
        if (point == null) {
            throw new IllegalStateException("snapshot-copy=freeze needs the pipeline to freeze (freezeFrom)");
        }
        long started = System.nanoTime();
        long pausedBefore = pausedNanosTotal;
        CompletableFuture<FreezePoint.Frozen> asked = point.request();
        FreezePoint.Frozen frozen;
        try {
            frozen = asked.get(FREEZE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            asked.cancel(false);
            throw new IllegalStateException(
                    "the pipeline did not reach a batch end within " + FREEZE_WAIT_SECONDS + " s to freeze its state");
        } catch (InterruptedException e) {
            asked.cancel(false);
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the pipeline could not freeze its state", e.getCause());
        }
        try {
            long covered = frozen.meta().journalSequence();
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(FREEZE_WAIT_SECONDS);
            while (journalledSequence.getAsLong() < covered) {
                if (closed || System.nanoTime() > waitUntil) {
                    throw new IllegalStateException("the journal did not reach the frozen state's sequence " + covered);
                }
                LockSupport.parkNanos(JOURNAL_WAIT_NANOS);
            }
            Retired retired = writeAndRetire(frozen.snapshot(), frozen.meta(), () -> {
                if (closed) {
                    throw new CancellationException("the snapshotter is closing");
                }
                waitWhileSaturated();
            });
            written(started);
            LOG.info(
                    "snapshot at journal sequence {}: the live state frozen and written in {} ms ({} ms of it"
                            + " waiting for a saturated engine; the engine froze it in {} us, copied {} MB of it on"
                            + " write meanwhile and {} ms copying its map of further-SKU counters);"
                            + " retired {} journal and {} event log segments",
                    covered,
                    (System.nanoTime() - started) / 1_000_000,
                    (pausedNanosTotal - pausedBefore) / 1_000_000,
                    frozen.freezeNanos() / 1_000,
                    frozen.snapshot().savedBytes() >> 20,
                    frozen.snapshot().mapCopyNanos() / 1_000_000,
                    retired.journalSegments(),
                    retired.eventSegments());
        } finally {
            // Written or not, the pipeline thaws its state at its next batch end.
            frozen.snapshot().abandon();
        }
    }

    /** The newest snapshot, loaded into a fresh copy of the state. */
    private Replica loadNewest() {
        // It takes memory only for the rows it holds, even when the live state was allocated up front.
        PackedCheckoutState state = PackedCheckoutState.of(capacities.onDemand());
        SnapshotStore.Meta base = snapshots.loadLatest(state, this::waitWhileSaturated);
        snapshotsLoaded++;
        CheckoutBook book = new CheckoutBook(state, limits);
        book.restoreNowMillis(base.nowMillis());
        return new Replica(state, book, new EventCounter(base.nextEventSequence()), base.journalSequence());
    }

    private void keep(Replica replica) {
        if (copy == Copy.KEEP && !closed) {
            kept = replica;
        }
    }

    /**
     * Called by a background snapshot every few thousand records or commands: while the engine is
     * saturated and the deferral has room (the rule that delays a due snapshot's start), it sleeps,
     * so a crowd that arrives mid-snapshot gets the CPU back; once the deferral is used up the
     * snapshot goes on whatever the load. Returns at once when closing.
     */
    private void waitWhileSaturated() {
        if (closed || !deferring(saturatedNow())) {
            return;
        }
        long waitingSince = System.nanoTime();
        int quietSamples = 0;
        while (!closed && quietSamples < QUIET_SAMPLES_TO_RESUME && deferring(true)) {
            LockSupport.parkNanos(PAUSE_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
            quietSamples = saturatedNow() ? 0 : quietSamples + 1;
        }
        pausedNanosTotal += System.nanoTime() - waitingSince;
    }

    /**
     * Whether the engine is saturated: a standing queue of {@code queueDelayNanos}, or other work
     * keeping {@code othersCpu} of the CPUs busy (NaN: unknown, the queue alone decides).
     */
    static boolean saturated(long queueDelayNanos, double othersCpu) {
        return queueDelayNanos >= SATURATED_QUEUE_DELAY_NANOS || othersCpu >= SATURATED_OTHERS_CPU;
    }

    private boolean saturatedNow() {
        return saturated(queueDelayNanos.getAsLong(), othersCpu.getAsDouble());
    }

    /** Whether the running snapshot should wait, were the engine {@code saturated}: the deferral has room. */
    private boolean deferring(boolean saturated) {
        return decide(
                        journalledSequence.getAsLong() - lastSnapshotSequence,
                        intervalCommands,
                        deferMaxCommands,
                        saturated)
                == Decision.DEFER;
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
                            pipeline.book().nowMillis()),
                    SnapshotStore.NO_PAUSE);
            written(started);
            LOG.info(
                    "snapshot at journal sequence {} written in {} ms; retired {} journal and {} event log segments",
                    journalled,
                    (System.nanoTime() - started) / 1_000_000,
                    retired.journalSegments(),
                    retired.eventSegments());
            return true;
        } catch (RuntimeException | LinkageError e) {
            failures++;
            LOG.error("snapshot at shutdown failed; the next start recovers from the journal", e);
            return false;
        }
    }

    private void written(long startedNanos) {
        lastDurationNanos = System.nanoTime() - startedNanos;
        lastWrittenEpochMillis = System.currentTimeMillis();
        snapshotsWritten++;
    }

    /** Snapshots this process has written (in the background and at shutdown). */
    public long snapshotsWritten() {
        return snapshotsWritten;
    }

    /** Snapshots that failed (the background ones are tried again at the next check). */
    public long failures() {
        return failures;
    }

    /** When this process last wrote a snapshot, Unix milliseconds; 0 if it has written none. */
    public long lastWrittenEpochMillis() {
        return lastWrittenEpochMillis;
    }

    /** How long the last snapshot written took, waits for a saturated engine included; 0 if none. */
    public long lastDurationNanos() {
        return lastDurationNanos;
    }

    /** How long the due snapshot has waited for a quieter engine so far; 0 while none waits. */
    public long waitingNanos() {
        long since = deferredSinceNanos;
        return since == 0 ? 0 : Math.max(0, System.nanoTime() - since);
    }

    /** How long running snapshots have slept, in all, for a saturated engine. */
    public long pausedNanosTotal() {
        return pausedNanosTotal;
    }

    /**
     * How many snapshots started from a load of the newest snapshot on disk (the first, and with
     * {@link Copy#TRANSIENT} every one); the others replayed onto the copy kept since the last.
     */
    public long snapshotsLoaded() {
        return snapshotsLoaded;
    }

    /** Segments a snapshot let go. */
    private record Retired(int journalSegments, int eventSegments) {}

    /**
     * Writes {@code state} as the snapshot {@code meta} describes, then retires the journal and
     * event log segments it covers (keeping {@code journal-retained-segments} of each) and all but
     * the two newest snapshots. The event log up to the snapshot is synced first: replay never
     * writes those events again. The background thread and a clean shutdown both end here.
     */
    private Retired writeAndRetire(CheckoutState state, SnapshotStore.Meta meta, Runnable pause) {
        RecordLog.forceSegments(layout.events());
        snapshots.write(state, meta, pause);
        return retire(meta);
    }

    /** As {@link #writeAndRetire(CheckoutState, SnapshotStore.Meta, Runnable)}, from a frozen state. */
    private Retired writeAndRetire(FrozenSnapshot frozen, SnapshotStore.Meta meta, Runnable pause) {
        RecordLog.forceSegments(layout.events());
        snapshots.write(frozen, meta, pause);
        return retire(meta);
    }

    /** After a snapshot at {@code meta} is written: the journal, event log and snapshots it makes redundant go. */
    private Retired retire(SnapshotStore.Meta meta) {
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
            if (thread.awaitTermination(30, TimeUnit.SECONDS)) {
                kept = null;
            } else {
                LOG.warn("snapshotter did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
