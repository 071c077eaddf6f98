package io.checkout.journal;

import java.nio.ByteBuffer;

/**
 * Where the pipeline makes commands durable before it answers them: records appended one at a
 * time, numbered by a gap-free sequence, and committed once per batch. One thread owns a journal.
 * {@link RecordLogWriter} is the server's; {@link InMemoryJournal} keeps nothing past the process,
 * for tests and for measuring the pipeline without a disk.
 */
public interface Journal {
    /** The sequence the next appended record gets. */
    long nextSequence();

    /**
     * Adds the payload's remaining bytes as the next record; it is durable after the next commit.
     *
     * @return the record's sequence
     */
    long append(ByteBuffer payload);

    /** Makes every appended record durable, and reports how long writing and syncing took. */
    void commit(CommitTimings timings);

    /** Receives the durations of one {@link #commit}. */
    @FunctionalInterface
    interface CommitTimings {
        CommitTimings NONE = (writeNanos, syncNanos) -> {};

        /** {@code syncNanos} is 0 when nothing was synced. */
        void committed(long writeNanos, long syncNanos);
    }
}
