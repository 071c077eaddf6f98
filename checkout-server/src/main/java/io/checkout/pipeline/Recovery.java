package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.CheckoutState;
import io.checkout.journal.CommandCodec;
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
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the engine back to exactly the acknowledged state after any stop, clean or not:
 * <ol>
 *   <li>load the newest complete snapshot (or start empty);</li>
 *   <li>check the journal end to end: a record cut short at the very end (the process died while
 *       writing it) was never acknowledged and is cut off, and the log says so; damage anywhere
 *       else stops the start, so the engine never runs on bad data;</li>
 *   <li>cut events the journal does not back (the engine had applied a command that was not yet
 *       journalled when the process died; no subscriber saw them, the pipeline only shows events
 *       of journalled commands);</li>
 *   <li>replay every journalled command after the snapshot through the engine, in order. The
 *       engine is deterministic, so replay gives the same state, answers and events as the first
 *       run; events the log already holds are counted, not written twice.</li>
 * </ol>
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    private static final int REPLAY_COMMIT_EVERY = 65_536;
    /** Commands decoded and prefetched together during replay. */
    private static final int REPLAY_GROUP = 16;

    private Recovery() {
    }

    /** Where the journal, the event log and the snapshots live under a data directory. */
    public record Layout(Path journal, Path events, Path snapshots) {
        public static Layout under(Path dataDirectory) {
            return new Layout(dataDirectory.resolve("journal"), dataDirectory.resolve("events"),
                    dataDirectory.resolve("snapshots"));
        }
    }

    /** The recovered engine, ready for the pipeline. */
    public record Recovered(CheckoutState state, CheckoutBook book, RecordLogWriter journal, OrderEventLog events,
            SnapshotStore snapshots, long snapshotSequence, long replayedCommands, long recoveryMillis,
            String tailReport) {
    }

    public static Recovered recover(Path dataDirectory, StateCapacities capacities, EngineLimits limits,
            JournalConfig journalConfig) {
        long started = System.nanoTime();
        Layout layout = Layout.under(dataDirectory);
        try {
            Files.createDirectories(layout.journal());
            Files.createDirectories(layout.events());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDirectory, e);
        }
        SnapshotStore snapshots = new SnapshotStore(layout.snapshots());
        PackedCheckoutState state = PackedCheckoutState.of(capacities);
        SnapshotStore.Meta meta = snapshots.loadLatest(state);
        CheckoutBook book = new CheckoutBook(state, limits);
        book.restoreNowMillis(meta.nowMillis());

        // 2. The journal's good end.
        RecordLogReader.ScanResult journalScan = RecordLogReader.scanLastSegment(layout.journal());
        String tailReport = report("journal", journalScan);
        long journalLast = journalScan.lastSegment() == null ? meta.journalSequence() : journalScan.lastSequence();
        if (journalScan.lastSegment() != null && journalScan.firstSequence() > meta.journalSequence() + 1) {
            throw new JournalCorruptException("the journal starts at " + journalScan.firstSequence()
                    + " but the newest snapshot covers only up to " + meta.journalSequence());
        }
        if (journalLast < meta.journalSequence()) {
            // The snapshot is newer than the journal's end (its unsynced tail was lost with the
            // machine): the snapshot covers everything the journal holds, so start a new journal.
            LOG.warn("journal ends at {} but the snapshot covers up to {}; its segments are retired",
                    journalLast, meta.journalSequence());
            deleteAll(layout.journal());
            journalScan = RecordLogReader.scan(layout.journal(), Long.MAX_VALUE, (s, p) -> { });
            journalLast = meta.journalSequence();
        }
        final long lastJournalled = journalLast;

        // 3. Events the journal does not back.
        // Events are written in journal order, so those past the journal's end are a tail: only the
        // segments from the last one that starts at or before the journal's end are read (usually
        // the last one alone, not the whole log, which holds more bytes than the journal).
        RecordLogReader.ScanResult eventScan = RecordLogReader.scanUntilFromTail(layout.events(),
                payload -> OrderEventLog.journalSequenceOf(payload) > lastJournalled);
        String eventReport = report("event log", eventScan);
        // The event log is derived from the journal, so the business thread never waits for a sync
        // of it: what a power loss takes from its tail, replay of the journal writes again. Before
        // a snapshot is written the event log is synced up to it (a snapshot's events are never
        // replayed again).
        RecordLogWriter eventWriter = RecordLogWriter.open(layout.events(), eventScan, meta.nextEventSequence(),
                journalConfig.segmentBytes(), false, journalConfig.batchBytes());
        OrderEventLog events = new OrderEventLog(eventWriter, state);
        events.restoreNextEventSequence(meta.nextEventSequence());
        book.eventListener(events);

        // 4. Replay: one thread reads and checks records ahead, this one decodes and applies them.
        // Commands go through in groups: decode a group, let the state prefetch what each will
        // read (their cache misses overlap), then apply them in order.
        long replayed = 0;
        Command[] group = new Command[REPLAY_GROUP];
        for (int i = 0; i < group.length; i++) {
            group[i] = new Command();
        }
        try (ReadAheadJournalReader reader = new ReadAheadJournalReader(layout.journal(), meta.journalSequence() + 1,
                lastJournalled)) {
            ReadAheadJournalReader.Batch batch;
            while ((batch = reader.next()) != null) {
                ByteBuffer view = batch.bytes.duplicate();
                for (int start = 0; start < batch.size; start += REPLAY_GROUP) {
                    int size = Math.min(REPLAY_GROUP, batch.size - start);
                    for (int i = 0; i < size; i++) {
                        CommandCodec.decode(batch.payload(start + i, view), group[i]);
                        hashIds(group[i]);
                    }
                    for (int i = 0; i < size; i++) {
                        book.prefetch(group[i]);
                    }
                    for (int i = 0; i < size; i++) {
                        events.journalSequence(batch.sequences[start + i]);
                        book.execute(group[i]);
                    }
                }
                long before = replayed;
                replayed += batch.size;
                if (replayed / REPLAY_COMMIT_EVERY != before / REPLAY_COMMIT_EVERY) {
                    events.commit();
                }
            }
        }
        events.commit();
        RecordLogWriter journal = RecordLogWriter.open(layout.journal(), journalScan, meta.journalSequence() + 1,
                journalConfig.segmentBytes(), journalConfig.fsync(), journalConfig.batchBytes());
        if (journal.nextSequence() != lastJournalled + 1) {
            throw new IllegalStateException("journal reopened at " + journal.nextSequence() + ", expected "
                    + (lastJournalled + 1));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        LOG.info("recovered in {} ms: snapshot at journal sequence {}, {} commands replayed, {} orders, {} SKUs; {}; {}",
                millis, meta.journalSequence(), replayed, state.orderCount(), state.skuCount(), tailReport,
                eventReport);
        return new Recovered(state, book, journal, events, snapshots, meta.journalSequence(), replayed, millis,
                tailReport);
    }

    /**
     * Computes the hashes of the command's ids (a {@code String} keeps its hash), so that the
     * prefetch loop that follows is only loads: issued back to back, their cache misses overlap.
     * Hashing a 36-character id between two loads held the next load back until the first had
     * mostly waited out its miss.
     */
    private static void hashIds(Command command) {
        if (command.requestId != null) {
            command.requestId.hashCode();
        }
        if (command.userId != null) {
            command.userId.hashCode();
        }
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
