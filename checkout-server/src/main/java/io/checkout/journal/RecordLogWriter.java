package io.checkout.journal;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to a {@link RecordLog}, one group commit at a time: {@link #append} only copies
 * the record into a batch buffer; {@link #commit} writes the batch with one system call and, under
 * the {@code fsync} policy, syncs it to the device before returning. One thread owns a writer.
 *
 * <p>Once {@code commit} returns, the records survive the process dying (they are in the OS page
 * cache); with {@code fsync} they survive the machine losing power too.
 *
 * <p>With prepared segments ({@link #open(Path, RecordLogReader.ScanResult, long, long, boolean,
 * int, boolean)}), a new segment is a file made ahead at its full size and zero-filled by a
 * {@link SegmentPreparer}, and records overwrite its zeros: a reader takes a zero record header
 * for the end of what was written. The writer cuts a segment to its records when it leaves it (a
 * roll, {@link #close}). When no prepared file is ready it appends to a new file as without them,
 * and moves to a prepared one at the first commit after one is ready (right after opening, too).
 *
 * <p>Under the {@code fsync} policy a prepared segment is written with direct I/O and synced by
 * the write itself ({@code O_DIRECT | O_DSYNC}): each commit writes whole blocks of
 * {@link #DIRECT_ALIGNMENT} bytes from the start of the block its records begin in (the written part
 * of that block is kept at the front of the batch buffer, zeros padding the last block), so there
 * is no copy into the page cache, no page to allocate, and one system call where a write and an
 * {@code fdatasync} were two. Since the file's size and blocks do not change, the sync carries no
 * file-system metadata. Rewriting the last block is safe against a torn write: the block's bytes
 * already acknowledged are written again unchanged. On this project's VM an 8 KB commit took 116
 * against 220 us and 28 against 70-100 us of system time ({@code dd}, benchmarks/README History
 * 2026-12-07). Where the file system refuses direct I/O the preparer zero-fills through the page
 * cache and the segment is written as without fsync, then synced.
 */
public final class RecordLogWriter implements Journal, AutoCloseable {
    /** The block a directly written segment is written in: buffer, file offset and length aligned to it. */
    public static final int DIRECT_ALIGNMENT = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(RecordLogWriter.class);

    private static final ByteBuffer ZEROS =
            ByteBuffer.allocateDirect(DIRECT_ALIGNMENT).asReadOnlyBuffer();

    private final Path directory;
    private final long segmentBytesMax;
    private final boolean fsync;
    private final ByteBuffer batch;
    /** The batch's memory again, to copy within it (the last block's written part to its front). */
    private final ByteBuffer batchView;
    /** How far records may fill the batch; past it, up to its capacity, is room for a block's padding. */
    private final int recordLimit;

    private final CRC32C crc = new CRC32C();

    /** Makes the next segment file ahead; null: segments are appended to new files. */
    private final SegmentPreparer preparer;

    private FileChannel channel;
    /** Bytes of the current segment written: its header and records. */
    private long segmentBytes;
    /** Whether the current segment is a prepared file: zeros past {@link #segmentBytes}. */
    private boolean prepared;
    /** Whether the current segment is written with direct I/O, each write synced (see the class comment). */
    private boolean direct;
    /**
     * Written directly: the bytes at the front of {@link #batch} that are in the file already, the
     * written part of the block the next write starts at. Otherwise 0.
     */
    private int carried;

    private long nextSequence;
    private boolean unsynced;
    private long syncs;

    private RecordLogWriter(
            Path directory,
            long segmentBytesMax,
            boolean fsync,
            int batchBytes,
            long nextSequence,
            boolean prepareSegments) {
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
        // A block more than asked for: a direct write keeps up to a block's bytes at the front.
        this.recordLimit = batchBytes + DIRECT_ALIGNMENT;
        // Aligned for direct writes (the slice loses less than a block at each end), with at least
        // a block of room past the records for the last block's padding.
        this.batch =
                ByteBuffer.allocateDirect(batchBytes + 4 * DIRECT_ALIGNMENT).alignedSlice(DIRECT_ALIGNMENT);
        this.batch.limit(recordLimit);
        this.batchView = batch.duplicate();
        this.nextSequence = nextSequence;
        this.preparer = prepareSegments
                ? new SegmentPreparer(
                        directory,
                        segmentBytesMax,
                        fsync && directWritable(directory, segmentBytesMax),
                        "log-prepare-" + directory.getFileName())
                : null;
    }

    /** Whether segments in {@code directory} can be written in blocks of {@link #DIRECT_ALIGNMENT}. */
    private static boolean directWritable(Path directory, long segmentBytesMax) {
        if (segmentBytesMax % DIRECT_ALIGNMENT != 0) {
            return false;
        }
        try {
            // open() has made the directory.
            long block = Files.getFileStore(directory).getBlockSize();
            return block > 0 && block <= DIRECT_ALIGNMENT && DIRECT_ALIGNMENT % block == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Opens the log for appending after {@code scan} has checked it: the bytes after the last good
     * record of the last segment are cut off, and the next record gets the next sequence. An empty
     * log starts a segment at {@code firstSequenceIfEmpty}. Segments are appended to new files.
     */
    public static RecordLogWriter open(
            Path directory,
            RecordLogReader.ScanResult scan,
            long firstSequenceIfEmpty,
            long segmentBytesMax,
            boolean fsync,
            int batchBytes) {
        return open(directory, scan, firstSequenceIfEmpty, segmentBytesMax, fsync, batchBytes, false);
    }

    /**
     * {@link #open(Path, RecordLogReader.ScanResult, long, long, boolean, int)}, and with {@code
     * prepareSegments} each next segment is made ahead by a thread of the writer's own (see the
     * class comment). {@link #close} stops that thread.
     */
    public static RecordLogWriter open(
            Path directory,
            RecordLogReader.ScanResult scan,
            long firstSequenceIfEmpty,
            long segmentBytesMax,
            boolean fsync,
            int batchBytes,
            boolean prepareSegments) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        long next = scan.lastSegment() == null ? firstSequenceIfEmpty : scan.lastSequence() + 1;
        RecordLogWriter writer =
                new RecordLogWriter(directory, segmentBytesMax, fsync, batchBytes, next, prepareSegments);
        try {
            if (scan.lastSegment() == null || scan.validBytes() < RecordLog.SEGMENT_HEADER_BYTES) {
                // An empty log, or a last segment whose header was cut short: (re)start it whole.
                writer.startSegment(next);
            } else {
                writer.continueSegment(scan.lastSegment(), scan.validBytes());
            }
        } catch (RuntimeException e) {
            if (writer.preparer != null) {
                writer.preparer.close();
            }
            throw e;
        }
        if (writer.preparer != null) {
            writer.preparer.prepare();
        }
        return writer;
    }

    /**
     * Waits up to {@code timeoutMillis} for the next segment's file and moves to it now, as the
     * first commit after it is ready would: for a caller that wants the writes it times to go to a
     * prepared segment (a benchmark's setup). Only while nothing is appended and not committed, and
     * before any reader opens the log: a segment without records is replaced under its name.
     *
     * @return whether the current segment is a prepared one now
     */
    public boolean awaitPreparedSegment(long timeoutMillis) {
        if (preparer == null || batch.position() != carried) {
            return prepared;
        }
        if (!prepared && preparer.awaitReady(timeoutMillis)) {
            roll();
        }
        return prepared;
    }

    /** Whether the segment being written is a prepared file (see the class comment). */
    public boolean writingPreparedSegment() {
        return prepared;
    }

    /** Whether the segment being written is written with direct I/O, each write synced (see the class comment). */
    public boolean writingDirectly() {
        return direct;
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
        if (segmentBytes - carried + batch.position() + recordBytes > segmentBytesMax) {
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
        batch.limit(recordLimit).position(end);
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
        boolean wrote = writeBatch();
        long written = System.nanoTime();
        if (direct) {
            // One call wrote and synced: timed as the sync, the part that waits for the device.
            timings.committed(0, wrote ? written - started : 0);
        } else {
            boolean syncing = fsync && unsynced;
            if (syncing) {
                sync();
            }
            timings.committed(written - started, syncing ? System.nanoTime() - written : 0);
        }
        if (!prepared && preparer != null && segmentBytes > RecordLog.SEGMENT_HEADER_BYTES && preparer.ready()) {
            // Appending to a new file since the last roll or the start: move to the prepared one.
            // Not from a segment without records: the new one would replace it under its name,
            // and a reader that has the old file open would wait on it for good.
            roll();
        }
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

    /** Writes the batch's records out; false if there were none. */
    private boolean writeBatch() {
        if (direct) {
            return writeDirect();
        }
        if (batch.position() == 0) {
            return false;
        }
        batch.flip();
        try {
            while (batch.hasRemaining()) {
                segmentBytes += channel.write(batch);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("journal write failed in " + directory, e);
        } finally {
            batch.clear().limit(recordLimit);
        }
        unsynced = true;
        return true;
    }

    /**
     * Writes the batch directly, synced: whole blocks from the one the carried bytes start, the
     * last padded with zeros; then keeps the written part of the last block at the batch's front.
     */
    private boolean writeDirect() {
        int end = batch.position();
        if (end == carried) {
            return false;
        }
        int padded = (end + DIRECT_ALIGNMENT - 1) & -DIRECT_ALIGNMENT;
        long blockStart = segmentBytes - carried;
        boolean written = false;
        try {
            batch.limit(padded);
            batch.put(end, ZEROS, 0, padded - end);
            batch.position(0);
            long at = blockStart;
            while (batch.hasRemaining()) {
                at += channel.write(batch, at);
            }
            written = true;
        } catch (IOException e) {
            throw new UncheckedIOException("journal write failed in " + directory, e);
        } finally {
            if (written) {
                segmentBytes = blockStart + end;
                int keep = (int) (segmentBytes % DIRECT_ALIGNMENT);
                // end - keep is a whole number of blocks: from 0 (the batch stayed in one block,
                // the bytes are in place already) or past keep, so the copy never overlaps.
                if (end - keep > 0 && keep > 0) {
                    batch.put(0, batchView, end - keep, keep);
                }
                carried = keep;
                syncs++;
            }
            // Failed: the records are dropped, as a failed write through the page cache drops them.
            batch.limit(recordLimit).position(carried);
        }
        return true;
    }

    private void roll() {
        writeBatch();
        if (fsync && unsynced) {
            sync();
        }
        cutPreparedTail();
        closeChannel();
        SegmentPreparer.Prepared ready = preparer == null ? null : preparer.take();
        if (ready != null) {
            startPreparedSegment(nextSequence, ready);
        } else {
            startSegment(nextSequence);
        }
        if (preparer != null) {
            preparer.prepare();
        }
    }

    /**
     * Cuts a prepared segment's unwritten zeros off as the writer leaves it, so that a segment
     * other than the last ends with its last record. A reader would take the zeros for the end of
     * the segment anyway; the cut only gives the space back. Not synced: lost in a crash, it
     * changes nothing a reader finds.
     */
    private void cutPreparedTail() {
        if (!prepared) {
            return;
        }
        try {
            channel.truncate(segmentBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cut segment in " + directory + " at " + segmentBytes, e);
        }
        prepared = false;
        direct = false;
        carried = 0;
        batch.clear().limit(recordLimit);
    }

    /**
     * Makes the prepared file {@code ready} the segment starting at {@code firstSequence}: its
     * header written (and synced under fsync) while it still has the prepared file's name, then
     * renamed into place, so that a segment never shows without its header. A file zeroed directly
     * is written directly, its header the first bytes carried in the batch (see the class comment).
     */
    private void startPreparedSegment(long firstSequence, SegmentPreparer.Prepared made) {
        Path ready = made.file();
        Path path = RecordLog.segmentPath(directory, firstSequence);
        try {
            if (made.direct()) {
                startDirectSegment(firstSequence, ready, path);
            } else {
                startBufferedSegment(firstSequence, ready, path);
            }
            prepared = true;
        } catch (IOException | UncheckedIOException | UnsupportedOperationException e) {
            LOG.warn("cannot start segment {} from the prepared {}; starting it as a new file", path, ready, e);
            closeQuietly();
            direct = false;
            carried = 0;
            batch.clear().limit(recordLimit);
            startSegment(firstSequence);
        }
    }

    private void startBufferedSegment(long firstSequence, Path ready, Path path) throws IOException {
        try (FileChannel file = FileChannel.open(ready, StandardOpenOption.WRITE)) {
            ByteBuffer header = segmentHeader(firstSequence);
            while (header.hasRemaining()) {
                file.write(header, header.position());
            }
            if (fsync) {
                file.force(false);
            }
        }
        Files.move(ready, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (fsync) {
            RecordLog.forceDirectory(directory);
        }
        channel = FileChannel.open(path, StandardOpenOption.WRITE);
        channel.position(RecordLog.SEGMENT_HEADER_BYTES);
        segmentBytes = RecordLog.SEGMENT_HEADER_BYTES;
    }

    /** The header goes out as the first record bytes would: {@link #writeDirect}, synced, then the rename. */
    private void startDirectSegment(long firstSequence, Path ready, Path path) throws IOException {
        OpenOption[] options = {StandardOpenOption.WRITE, StandardOpenOption.DSYNC, ExtendedOpenOption.DIRECT};
        channel = FileChannel.open(ready, options);
        direct = true;
        segmentBytes = 0;
        carried = 0;
        batch.clear().limit(recordLimit);
        batch.put(segmentHeader(firstSequence));
        writeDirect(); // leaves the header carried at the batch's front
        Files.move(ready, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        RecordLog.forceDirectory(directory);
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("cannot close segment in {}", directory, e);
            }
        }
    }

    private static ByteBuffer segmentHeader(long firstSequence) {
        return ByteBuffer.allocate(RecordLog.SEGMENT_HEADER_BYTES)
                .putInt(RecordLog.MAGIC)
                .putInt(RecordLog.FORMAT_VERSION)
                .putLong(firstSequence)
                .flip();
    }

    private void startSegment(long firstSequence) {
        Path path = RecordLog.segmentPath(directory, firstSequence);
        try {
            channel = FileChannel.open(
                    path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            ByteBuffer header = segmentHeader(firstSequence);
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
            cutPreparedTail();
        } finally {
            try {
                closeChannel();
            } finally {
                channel = null;
                if (preparer != null) {
                    preparer.close();
                }
            }
        }
    }
}
