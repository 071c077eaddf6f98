package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.NumberedEvents;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Applies journalled commands to a book in journal order. Recovery, the background snapshotter and
 * the tests all replay through here, so each reaches the state, answers and event numbers the live
 * engine reached: the engine is deterministic, and before each command the events learn its
 * journal sequence, exactly as the live pipeline does.
 *
 * <p>A read-ahead thread reads and checks the records ({@link ReadAheadJournalReader}); this thread
 * decodes a group of commands, lets the state prefetch what each will read (their cache misses
 * overlap), then applies them in order.
 */
public final class JournalReplayer {
    /** Commands decoded and prefetched together. */
    private static final int GROUP = 16;
    /** A long replay writes its events out at least this often, so they do not pile up in one batch. */
    private static final int COMMIT_EVERY = 65_536;

    private JournalReplayer() {}

    /**
     * Replays the journal records {@code fromSequence..throughSequence} onto {@code book}, whose
     * event listener becomes {@code events}; commits the events at the end.
     *
     * @param stopRequested checked between batches: a replay that is no longer wanted ends early
     * @return how many commands were replayed: all of the range unless {@code stopRequested} ended it
     * @throws io.checkout.journal.JournalCorruptException if a record of the range is missing or damaged
     */
    public static long replay(
            Path journal,
            long fromSequence,
            long throughSequence,
            CheckoutBook book,
            NumberedEvents events,
            BooleanSupplier stopRequested) {
        book.eventListener(events);
        if (fromSequence > throughSequence) {
            return 0;
        }
        Command[] group = new Command[GROUP];
        for (int i = 0; i < group.length; i++) {
            group[i] = new Command();
        }
        long replayed = 0;
        try (ReadAheadJournalReader reader = new ReadAheadJournalReader(journal, fromSequence, throughSequence)) {
            ReadAheadJournalReader.Batch batch;
            while (!stopRequested.getAsBoolean() && (batch = reader.next()) != null) {
                ByteBuffer view = batch.bytes.duplicate();
                for (int start = 0; start < batch.size; start += GROUP) {
                    int size = Math.min(GROUP, batch.size - start);
                    for (int i = 0; i < size; i++) {
                        // Decoding computes the ids' hashes: prefetching them next only loads the state's tables.
                        CommandCodec.decode(batch.payload(start + i, view), group[i]);
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
                if (replayed / COMMIT_EVERY != before / COMMIT_EVERY) {
                    events.commit();
                }
            }
        }
        events.commit();
        return replayed;
    }
}
