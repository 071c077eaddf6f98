package io.checkout.pipeline;

/**
 * How the journal and the event log are written.
 *
 * @param fsync       sync every batch to the device before any of its commands is answered
 *                    (survives power loss); otherwise a batch is answered once it is in the OS
 *                    page cache (survives the process dying)
 * @param segmentBytes a log segment's size limit; a new segment starts past it
 * @param batchBytes   the group-commit buffer; a batch larger than this is written in parts
 */
public record JournalConfig(boolean fsync, long segmentBytes, int batchBytes) {
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

    public static JournalConfig defaults(boolean fsync) {
        return new JournalConfig(fsync, 256L << 20, 4 << 20);
    }
}
