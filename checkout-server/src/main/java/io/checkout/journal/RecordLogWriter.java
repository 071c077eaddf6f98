package io.checkout.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Appends records to a {@link RecordLog}, one group commit at a time: {@link #append} only copies
 * the record into a batch buffer; {@link #commit} writes the batch with one system call and, under
 * the {@code fsync} policy, syncs it to the device before returning. One thread owns a writer.
 *
 * <p>Once {@code commit} returns, the records survive the process dying (they are in the OS page
 * cache); with {@code fsync} they survive the machine losing power too.
 */
public final class RecordLogWriter implements Journal, AutoCloseable {
    private final Path directory;
    private final long segmentBytesMax;
    private final boolean fsync;
    private final ByteBuffer batch;
    private final CRC32C crc = new CRC32C();

    private FileChannel channel;
    private long segmentBytes;
    private long nextSequence;
    private boolean unsynced;
    private long syncs;

    private RecordLogWriter(Path directory, long segmentBytesMax, boolean fsync, int batchBytes, long nextSequence) {
        if (segmentBytesMax
                < RecordLog.SEGMENT_HEADER_BYTES + RecordLog.RECORD_HEADER_BYTES + RecordLog.PAYLOAD_BYTES_MAX) {
            throw new IllegalArgumentException("segmentBytesMax too small for the largest record: " + segmentBytesMax);
        }
        if (batchBytes < RecordLog.RECORD_HEADER_BYTES + RecordLog.PAYLOAD_BYTES_MAX) {
            throw new IllegalArgumentException("batchBytes too small for the largest record: " + batchBytes);
        }
        this.directory = directory;
        this.segmentBytesMax = segmentBytesMax;
        this.fsync = fsync;
        this.batch = ByteBuffer.allocateDirect(batchBytes);
        this.nextSequence = nextSequence;
    }

    /**
     * Opens the log for appending after {@code scan} has checked it: the bytes after the last good
     * record of the last segment are cut off, and the next record gets the next sequence. An empty
     * log starts a segment at {@code firstSequenceIfEmpty}.
     */
    public static RecordLogWriter open(
            Path directory,
            RecordLogReader.ScanResult scan,
            long firstSequenceIfEmpty,
            long segmentBytesMax,
            boolean fsync,
            int batchBytes) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        long next = scan.lastSegment() == null ? firstSequenceIfEmpty : scan.lastSequence() + 1;
        RecordLogWriter writer = new RecordLogWriter(directory, segmentBytesMax, fsync, batchBytes, next);
        if (scan.lastSegment() == null || scan.validBytes() < RecordLog.SEGMENT_HEADER_BYTES) {
            // An empty log, or a last segment whose header was cut short: (re)start it whole.
            writer.startSegment(next);
        } else {
            writer.continueSegment(scan.lastSegment(), scan.validBytes());
        }
        return writer;
    }

    @Override
    public long nextSequence() {
        return nextSequence;
    }

    /** How many times the writer synced to the device. */
    public long syncs() {
        return syncs;
    }

    /**
     * Adds the payload's remaining bytes as the next record; it is on disk after the next
     * {@link #commit}. May write earlier batches out when the batch buffer is full.
     *
     * @return the record's sequence
     */
    @Override
    public long append(ByteBuffer payload) {
        int length = payload.remaining();
        if (length > RecordLog.PAYLOAD_BYTES_MAX) {
            throw new IllegalArgumentException("record of " + length + " bytes exceeds " + RecordLog.PAYLOAD_BYTES_MAX);
        }
        int recordBytes = RecordLog.RECORD_HEADER_BYTES + length;
        if (segmentBytes + batch.position() + recordBytes > segmentBytesMax) {
            roll();
        } else if (batch.remaining() < recordBytes) {
            writeBatch();
        }
        long sequence = nextSequence;
        int start = batch.position();
        batch.putInt(length).putInt(0).putLong(sequence).put(payload);
        int end = batch.position();
        crc.reset();
        batch.position(start + 8).limit(end);
        crc.update(batch);
        batch.limit(batch.capacity()).position(end);
        batch.putInt(start + 4, (int) crc.getValue());
        nextSequence++;
        return sequence;
    }

    /** Writes every appended record out and, under the fsync policy, syncs them to the device. */
    public void commit() {
        commit(CommitTimings.NONE);
    }

    /** {@link #commit()}, timed: the write's and the sync's durations go to {@code timings}. */
    @Override
    public void commit(CommitTimings timings) {
        long started = System.nanoTime();
        writeBatch();
        long written = System.nanoTime();
        boolean syncing = fsync && unsynced;
        if (syncing) {
            sync();
        }
        timings.committed(written - started, syncing ? System.nanoTime() - written : 0);
    }

    private void sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("journal sync failed in " + directory, e);
        }
        unsynced = false;
        syncs++;
    }

    private void writeBatch() {
        if (batch.position() == 0) {
            return;
        }
        batch.flip();
        try {
            while (batch.hasRemaining()) {
                segmentBytes += channel.write(batch);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("journal write failed in " + directory, e);
        } finally {
            batch.clear();
        }
        unsynced = true;
    }

    private void roll() {
        writeBatch();
        if (fsync && unsynced) {
            sync();
        }
        closeChannel();
        startSegment(nextSequence);
    }

    private void startSegment(long firstSequence) {
        Path path = RecordLog.segmentPath(directory, firstSequence);
        try {
            channel = FileChannel.open(
                    path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            ByteBuffer header = ByteBuffer.allocate(RecordLog.SEGMENT_HEADER_BYTES)
                    .putInt(RecordLog.MAGIC)
                    .putInt(RecordLog.FORMAT_VERSION)
                    .putLong(firstSequence)
                    .flip();
            while (header.hasRemaining()) {
                channel.write(header);
            }
            segmentBytes = RecordLog.SEGMENT_HEADER_BYTES;
            if (fsync) {
                channel.force(false);
                RecordLog.forceDirectory(directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start segment " + path, e);
        }
    }

    private void continueSegment(Path path, long validBytes) {
        try {
            channel = FileChannel.open(path, StandardOpenOption.WRITE);
            if (channel.size() > validBytes) {
                channel.truncate(validBytes);
                channel.force(false);
            }
            channel.position(validBytes);
            segmentBytes = validBytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reopen segment " + path, e);
        }
    }

    /**
     * Deletes the segments whose records all come before {@code sequence}, keeping the newest
     * {@code keepSegments} of those and never the one being written. Safe beside the writing thread:
     * it only touches files the writer is done with.
     *
     * @return how many segments were deleted
     */
    public static int retireBefore(Path directory, long sequence, int keepSegments) {
        List<RecordLog.Segment> segments = RecordLog.segments(directory);
        int retirable = 0;
        for (int i = 0; i + 1 < segments.size(); i++) {
            if (segments.get(i + 1).firstSequence() <= sequence) {
                retirable = i + 1;
            }
        }
        int deleted = 0;
        for (int i = 0; i < retirable - keepSegments; i++) {
            try {
                Files.deleteIfExists(segments.get(i).path());
                deleted++;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot retire " + segments.get(i).path(), e);
            }
        }
        return deleted;
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close segment in " + directory, e);
        }
    }

    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        try {
            commit();
            if (!fsync) {
                sync();
            }
        } finally {
            closeChannel();
            channel = null;
        }
    }
}
