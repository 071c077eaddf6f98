package io.checkout.pipeline;

/**
 * How the journal and the event log are written.
 *
 * @param fsync       sync every batch to the device before any of its commands is answered
 *                    (survives power loss); otherwise a batch is answered once it is in the OS
 *                    page cache (survives the process dying)
 * @param segmentBytes a log segment's size limit; a new segment starts past it
 * @param batchBytes   the group-commit buffer; a batch larger than this is written in parts
 * @param prepareSegments with {@code fsync}, whether each next segment file of the journal is made
 *                    ahead, zero-filled at its full size by a thread of its own, and written over
 *                    with direct I/O, each write synced (io.checkout.journal.SegmentPreparer,
 *                    io.checkout.journal.RecordLogWriter), rather than appended to a new file and
 *                    synced by {@code fdatasync}. Without fsync, and for the event log (never
 *                    synced per batch), segments are always appended: written through the page
 *                    cache, prepared files cost what they saved (benchmarks/README History
 *                    2026-12-07)
 */
public record JournalConfig(boolean fsync, long segmentBytes, int batchBytes, boolean prepareSegments) {
    public static final long SEGMENT_BYTES_MIN = 4L << 20;
    public static final int BATCH_BYTES_MIN = 2 << 20;

    public JournalConfig {
        if (segmentBytes < SEGMENT_BYTES_MIN) {
            throw new IllegalArgumentException(
                    "segmentBytes must be at least " + SEGMENT_BYTES_MIN + ": " + segmentBytes);
        }
        if (batchBytes < BATCH_BYTES_MIN) {
            throw new IllegalArgumentException("batchBytes must be at least " + BATCH_BYTES_MIN + ": " + batchBytes);
        }
    }

    /** Segments prepared ahead, as the server's default. */
    public JournalConfig(boolean fsync, long segmentBytes, int batchBytes) {
        this(fsync, segmentBytes, batchBytes, true);
    }

    public static JournalConfig defaults(boolean fsync) {
        return new JournalConfig(fsync, 256L << 20, 4 << 20);
    }
}
