package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.journal.JournalCorruptException;
import io.checkout.journal.OrderEventLog;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the engine back to exactly the acknowledged state after any stop, clean or not:
 * <ol>
 *   <li>load the newest complete snapshot (or start empty);</li>
 *   <li>find the journal's good end: a record cut short at the very end (the process died while
 *       writing it) was never acknowledged and is cut off, and the log says so; damage anywhere
 *       else stops the start, so the engine never runs on bad data;</li>
 *   <li>cut events the journal does not back (the engine had applied a command that was not yet
 *       journalled when the process died; no subscriber saw them, the pipeline only shows events
 *       of journalled commands);</li>
 *   <li>replay every journalled command after the snapshot ({@link JournalReplayer}). The engine is
 *       deterministic, so replay gives the same state, answers and events as the first run; events
 *       the log already holds are counted, not written twice;</li>
 *   <li>reopen the journal for appends right after its last good record.</li>
 * </ol>
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    /**
     * A replay this long allocates its tables' chunks ahead ({@link PackedCheckoutState#allocateAhead()}):
     * by then the tables' columns have reached their full chunk size.
     */
    private static final long ALLOCATE_AHEAD_MIN_COMMANDS = 1_000_000;

    private Recovery() {}

    /** Where the journal, the event log and the snapshots live under a data directory. */
    public record Layout(Path journal, Path events, Path snapshots) {
        public static Layout under(Path dataDirectory) {
            return new Layout(
                    dataDirectory.resolve("journal"),
                    dataDirectory.resolve("events"),
                    dataDirectory.resolve("snapshots"));
        }
    }

    /** The recovered engine, ready for the pipeline. */
    public record Recovered(
            CheckoutState state,
            CheckoutBook book,
            RecordLogWriter journal,
            OrderEventLog events,
            SnapshotStore snapshots,
            long snapshotSequence,
            long replayedCommands,
            long recoveryMillis,
            String tailReport) {}

    public static Recovered recover(
            Path dataDirectory, StateCapacities capacities, EngineLimits limits, JournalConfig journalConfig) {
        long started = System.nanoTime();
        Layout layout = createdLayout(dataDirectory);

        // 1. The newest snapshot. Chronicle Map's first use in the process (0.7-0.9 s on the 2-core
        // VM with its generated class compiled by the build, 1.7-2.5 s without) runs on a thread of
        // its own while this one builds the state's tables and reads the snapshot's state image
        // (plain files, on two threads); only then does the load need Chronicle, for the small tables.
        SnapshotStore snapshots = new SnapshotStore(layout.snapshots());
        boolean fromSnapshot = !snapshots.snapshots().isEmpty();
        Thread chronicleWarmUp = fromSnapshot ? startWarmUp(snapshots) : null;
        PackedCheckoutState state = PackedCheckoutState.of(capacities);
        if (state.preallocated()) {
            LOG.info("state tables preallocated for {}: {} MiB", capacities, state.preallocatedBytes() >> 20);
        }
        SnapshotStore.Meta snapshot;
        long loadStarted = System.nanoTime();
        long buildMillis = (loadStarted - started) / 1_000_000;
        try {
            snapshot = snapshots.loadLatest(state);
        } finally {
            if (chronicleWarmUp != null) {
                joinWarmUp(chronicleWarmUp);
            }
        }
        long bookStarted = System.nanoTime();
        long loadMillis = (bookStarted - loadStarted) / 1_000_000;
        CheckoutBook book = new CheckoutBook(state, limits);
        book.restoreNowMillis(snapshot.nowMillis());
        long bookMillis = (System.nanoTime() - bookStarted) / 1_000_000;

        // 2. The journal's good end.
        JournalEnd journalEnd = findJournalEnd(layout.journal(), snapshot);

        // 3. The event log, cut where the journal ends.
        RecordLogReader.ScanResult eventScan = RecordLogReader.scanUntilFromTail(
                layout.events(), payload -> OrderEventLog.journalSequenceOf(payload) > journalEnd.lastSequence());
        String eventReport = report("event log", eventScan);
        OrderEventLog events = openEventLog(layout.events(), eventScan, snapshot, state, journalConfig);

        // 4. Replay; a long one with the tables' next chunks allocated ahead on the other core.
        long toReplay = journalEnd.lastSequence() - snapshot.journalSequence();
        long replayed;
        String allocation;
        long replayStarted = System.nanoTime();
        try (PackedCheckoutState.AllocationAhead ahead =
                toReplay >= ALLOCATE_AHEAD_MIN_COMMANDS ? state.allocateAhead() : null) {
            replayed = JournalReplayer.replay(
                    layout.journal(),
                    snapshot.journalSequence() + 1,
                    journalEnd.lastSequence(),
                    book,
                    events,
                    () -> false);
            allocation = ahead == null || !ahead.running()
                    ? "table chunks allocated inline"
                    : "table chunks allocated ahead: " + ahead.takenReady() + " taken ready, " + ahead.allocatedInline()
                            + " allocated inline";
        }
        long replayMillis = (System.nanoTime() - replayStarted) / 1_000_000;

        // 5. The journal, open for appends.
        RecordLogWriter journal = RecordLogWriter.open(
                layout.journal(),
                journalEnd.scan(),
                snapshot.journalSequence() + 1,
                journalConfig.segmentBytes(),
                journalConfig.fsync(),
                journalConfig.batchBytes(),
                // Prepared files pay off where each write is direct and synced; without fsync the
                // zeros cost what they save (benchmarks/README History 2026-12-07).
                journalConfig.fsync() && journalConfig.prepareSegments());
        if (journal.nextSequence() != journalEnd.lastSequence() + 1) {
            throw new IllegalStateException(
                    "journal reopened at " + journal.nextSequence() + ", expected " + (journalEnd.lastSequence() + 1));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        LOG.info(
                "recovered in {} ms: snapshot at journal sequence {} (tables built in {} ms, loaded in {} ms, book in {}"
                        + " ms), {} commands replayed (in {} ms), {} orders, {} SKUs; {}; {}; {}",
                millis,
                snapshot.journalSequence(),
                buildMillis,
                loadMillis,
                bookMillis,
                replayed,
                replayMillis,
                state.orderCount(),
                state.skuCount(),
                journalEnd.report(),
                eventReport,
                allocation);
        return new Recovered(
                state,
                book,
                journal,
                events,
                snapshots,
                snapshot.journalSequence(),
                replayed,
                millis,
                journalEnd.report());
    }

    private static Thread startWarmUp(SnapshotStore snapshots) {
        Thread thread = new Thread(snapshots::warmUp, "chronicle-warm-up");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Waits for {@link #startWarmUp}'s thread (a failed warm-up is logged by it; the load paid the first use then). */
    private static void joinWarmUp(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Chronicle Map was loading", e);
        }
    }

    private static Layout createdLayout(Path dataDirectory) {
        Layout layout = Layout.under(dataDirectory);
        try {
            Files.createDirectories(layout.journal());
            Files.createDirectories(layout.events());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDirectory, e);
        }
        return layout;
    }

    /** Where the good records of the journal end, and the scan a writer continues from. */
    private record JournalEnd(RecordLogReader.ScanResult scan, long lastSequence, String report) {}

    /**
     * Scans the journal's last segment for its good end. The journal must continue the snapshot:
     * a gap between them stops the start. A journal that ends before the snapshot (its unsynced
     * tail was lost with the machine, after the snapshot was written) holds nothing the snapshot
     * lacks, so it is retired and a new one starts.
     */
    private static JournalEnd findJournalEnd(Path journal, SnapshotStore.Meta snapshot) {
        RecordLogReader.ScanResult scan = RecordLogReader.scanLastSegment(journal);
        String report = report("journal", scan);
        if (scan.lastSegment() == null) {
            return new JournalEnd(scan, snapshot.journalSequence(), report);
        }
        if (scan.firstSequence() > snapshot.journalSequence() + 1) {
            throw new JournalCorruptException("the journal starts at " + scan.firstSequence()
                    + " but the newest snapshot covers only up to " + snapshot.journalSequence());
        }
        if (scan.lastSequence() < snapshot.journalSequence()) {
            LOG.warn(
                    "journal ends at {} but the snapshot covers up to {}; its segments are retired",
                    scan.lastSequence(),
                    snapshot.journalSequence());
            deleteAll(journal);
            return new JournalEnd(
                    RecordLogReader.scan(journal, Long.MAX_VALUE, (s, p) -> {}), snapshot.journalSequence(), report);
        }
        return new JournalEnd(scan, scan.lastSequence(), report);
    }

    /**
     * Opens the event log after its last record backed by the journal. The business thread never
     * waits for a sync of it: it is derived from the journal, and what a power loss takes from its
     * tail, replay writes again. (Before a snapshot is written the event log is synced up to it,
     * because a snapshot's events are never replayed again.)
     */
    private static OrderEventLog openEventLog(
            Path directory,
            RecordLogReader.ScanResult scan,
            SnapshotStore.Meta snapshot,
            CheckoutState state,
            JournalConfig journalConfig) {
        RecordLogWriter writer = RecordLogWriter.open(
                directory,
                scan,
                snapshot.nextEventSequence(),
                journalConfig.segmentBytes(),
                false,
                journalConfig.batchBytes(),
                false);
        OrderEventLog events = new OrderEventLog(writer, state);
        events.restoreNextEventSequence(snapshot.nextEventSequence());
        return events;
    }

    private static String report(String name, RecordLogReader.ScanResult scan) {
        if (scan.lastSegment() == null) {
            return name + " empty";
        }
        if (scan.discardedBytes() == 0) {
            return name + " complete through " + scan.lastSequence();
        }
        String text = name + " complete through " + scan.lastSequence() + "; " + scan.discardedBytes()
                + " bytes after it in " + scan.lastSegment().getFileName() + " cut off (" + scan.discardReason() + ")";
        LOG.warn("{}", text);
        return text;
    }

    private static void deleteAll(Path logDirectory) {
        for (RecordLog.Segment segment : RecordLog.segments(logDirectory)) {
            try {
                Files.deleteIfExists(segment.path());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + segment.path(), e);
            }
        }
    }
}
