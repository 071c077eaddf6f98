package io.checkout.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Reads a {@link RecordLog} in sequence order, checking every record's length, sequence and
 * checksum. Two uses:
 * <ul>
 *   <li>{@link #scan}: recovery reads the whole log once. A bad record in the last segment is a
 *       torn tail (the process died mid-write): reading stops there and the result says how many
 *       bytes follow the last good record. A bad record anywhere else is corruption and throws.</li>
 *   <li>{@link #read}: a tailer (an event subscriber) reads records up to a sequence the writer has
 *       published as complete; below that mark any bad record is corruption.</li>
 * </ul>
 * A zero record header (all 16 bytes zero, which no record has: the checksum of a sequence is never
 * zero) ends a segment's records as the end of the file does: the writer's prepared segments are
 * zero-filled ahead of its records ({@link SegmentPreparer}). Since those zeros may be overwritten
 * while a tailer reads, a tailer never keeps bytes read at or past them, and reads a record it was
 * told is complete once more from the file before it calls it damaged.
 * One thread uses a reader. Readers never write.
 */
public final class RecordLogReader implements AutoCloseable {
    private static final int READ_BUFFER_BYTES = 1 << 20;
    private static final String END_OF_SEGMENT = "end of segment";
    /** A zero record header: the unwritten rest of a prepared segment. */
    private static final String END_OF_WRITTEN = "end of the written records";

    private static final String STOPPED = "stopped";

    private final Path directory;
    private final ByteBuffer buffer;
    private final CRC32C crc = new CRC32C();

    private FileChannel channel;
    private RecordLog.Segment segment;
    /** File offset of {@code buffer}'s position 0. */
    private long bufferFileOffset;

    private long nextSequence;
    private Predicate<ByteBuffer> stopBefore;

    /** Called for every good record; {@code payload}'s position and limit frame the payload. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(long sequence, ByteBuffer payload);
    }

    private RecordLogReader(Path directory, int bufferBytes) {
        this.directory = directory;
        this.buffer = ByteBuffer.allocate(bufferBytes);
    }

    /**
     * A reader positioned at the first record with a sequence of at least {@code fromSequence}.
     *
     * @throws SequenceNotRetainedException if the log no longer holds {@code fromSequence}
     */
    public static RecordLogReader openAt(Path directory, long fromSequence) {
        RecordLogReader reader = new RecordLogReader(directory, READ_BUFFER_BYTES);
        List<RecordLog.Segment> segments = RecordLog.segments(directory);
        if (segments.isEmpty()) {
            throw new SequenceNotRetainedException("no log segments in " + directory);
        }
        RecordLog.Segment start = null;
        for (RecordLog.Segment candidate : segments) {
            if (candidate.firstSequence() <= fromSequence) {
                start = candidate;
            }
        }
        if (start == null) {
            start = segments.get(0);
            if (start.firstSequence() > fromSequence) {
                throw new SequenceNotRetainedException(
                        "sequence " + fromSequence + " is no longer retained; the oldest is " + start.firstSequence());
            }
        }
        reader.openSegment(start);
        while (reader.nextSequence < fromSequence) {
            if (!reader.readOne(Long.MAX_VALUE, (sequence, payload) -> {})) {
                break;
            }
        }
        return reader;
    }

    /** The sequence of the next record this reader returns. */
    public long nextSequence() {
        return nextSequence;
    }

    /**
     * Reads records up to and including {@code maxSequence}, at most {@code maxRecords} of them.
     * Records up to {@code maxSequence} must be complete on disk: the writer said so.
     *
     * @return how many records were handed over
     */
    public int read(long maxSequence, int maxRecords, RecordHandler handler) {
        int count = 0;
        while (count < maxRecords && nextSequence <= maxSequence && readOne(maxSequence, handler)) {
            count++;
        }
        return count;
    }

    /**
     * Reads the whole log from its first record, handing every good record to {@code handler},
     * and reports where the good records end.
     *
     * @throws JournalCorruptException for damage anywhere but the tail of the last segment
     */
    public static ScanResult scan(Path directory, long fromSequence, RecordHandler handler) {
        return scan(directory, RecordLog.segments(directory), 0, fromSequence, handler, null);
    }

    /**
     * Ends the log before the first record that {@code stopBefore} picks, for a log whose picked
     * records are a tail (once it picks a record it picks every later one, as "not backed by the
     * journal" does for the event log): the result reports that record and all after it as
     * discarded, and segments after the one holding it are deleted, so that a writer opened on the
     * result continues right before it. Damage in the segments read is handled as {@link #scan}
     * does (a torn tail of the last segment is cut, anything else throws).
     *
     * <p>Only the segments from the last one whose first record is sound and not picked are read:
     * in the common case, nothing to cut, the last segment alone. A segment without such a first
     * record (picked, empty, torn or damaged) is read from the segment before it, so the full checks
     * of {@link #scan} see it. Earlier segments are not checked here; a reader of them checks every
     * record it reads, as readers always do.
     */
    public static ScanResult scanUntilFromTail(Path directory, Predicate<ByteBuffer> stopBefore) {
        List<RecordLog.Segment> all = RecordLog.segments(directory);
        int start = all.size() - 1;
        while (start > 0 && !firstRecordKept(directory, all.get(start), stopBefore)) {
            start--;
        }
        return scan(directory, all, Math.max(0, start), Long.MAX_VALUE, (sequence, payload) -> {}, stopBefore);
    }

    /** Whether the segment starts with a sound record that {@code stopBefore} does not pick. */
    private static boolean firstRecordKept(
            Path directory, RecordLog.Segment segment, Predicate<ByteBuffer> stopBefore) {
        RecordLogReader reader = new RecordLogReader(directory, READ_BUFFER_BYTES);
        try {
            if (reader.openSegmentChecked(segment) != null) {
                return false;
            }
            reader.stopBefore = stopBefore;
            return reader.tryRecord(Long.MAX_VALUE, (sequence, payload) -> {}) == null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + segment.path(), e);
        } finally {
            reader.close();
        }
    }

    /**
     * Finds where the log's good records end by checking only its last segment: only the last
     * segment can end in a torn record, and a reader of the earlier ones checks them as it goes.
     */
    public static ScanResult scanLastSegment(Path directory) {
        List<RecordLog.Segment> all = RecordLog.segments(directory);
        return scan(directory, all, all.size() - 1, Long.MAX_VALUE, (sequence, payload) -> {}, null);
    }

    /** Scans segments {@code fromSegment} (clamped to the last one) to the end of {@code all}, the log's segments. */
    private static ScanResult scan(
            Path directory,
            List<RecordLog.Segment> all,
            int fromSegment,
            long fromSequence,
            RecordHandler handler,
            Predicate<ByteBuffer> stopBefore) {
        if (all.isEmpty()) {
            return new ScanResult(null, -1, -1, 0, 0, null);
        }
        List<RecordLog.Segment> segments = all.subList(Math.min(fromSegment, all.size() - 1), all.size());
        RecordLogReader reader = new RecordLogReader(directory, READ_BUFFER_BYTES);
        try {
            long first = all.get(0).firstSequence();
            for (int i = 0; i < segments.size(); i++) {
                RecordLog.Segment segment = segments.get(i);
                boolean last = i == segments.size() - 1;
                if (i > 0 && segment.firstSequence() != reader.nextSequence) {
                    throw new JournalCorruptException("gap in " + directory + ": " + segment.path() + " starts at "
                            + segment.firstSequence() + ", expected " + reader.nextSequence);
                }
                String headerProblem = reader.openSegmentChecked(segment);
                if (headerProblem != null) {
                    if (!last) {
                        throw new JournalCorruptException(segment.path() + ": " + headerProblem);
                    }
                    long size = sizeOf(segment.path());
                    return new ScanResult(segment.path(), first, segment.firstSequence() - 1, 0, size, headerProblem);
                }
                reader.stopBefore = stopBefore;
                while (true) {
                    String problem = reader.tryRecord(fromSequence, handler);
                    if (problem == null) {
                        continue;
                    }
                    long validBytes = reader.bufferFileOffset + reader.buffer.position();
                    long size = reader.channel.size();
                    if (problem == END_OF_SEGMENT || problem == END_OF_WRITTEN) {
                        if (last) {
                            return new ScanResult(segment.path(), first, reader.nextSequence - 1, validBytes, 0, null);
                        }
                        break;
                    }
                    if (problem == STOPPED) {
                        for (int later = i + 1; later < segments.size(); later++) {
                            Files.deleteIfExists(segments.get(later).path());
                        }
                        return new ScanResult(
                                segment.path(),
                                first,
                                reader.nextSequence - 1,
                                validBytes,
                                size - validBytes,
                                "records from " + reader.nextSequence + " on are not backed");
                    }
                    if (!last) {
                        throw new JournalCorruptException(segment.path() + " at byte " + validBytes + ": " + problem);
                    }
                    return new ScanResult(
                            segment.path(), first, reader.nextSequence - 1, validBytes, size - validBytes, problem);
                }
            }
            throw new AssertionError("unreachable");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scan " + directory, e);
        } finally {
            reader.close();
        }
    }

    private static long sizeOf(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads one record at the current position. Returns null when a record was read, or what stopped
     * it ({@link #END_OF_SEGMENT} when the file ends cleanly at a record boundary).
     */
    private String tryRecord(long handFrom, RecordHandler handler) throws IOException {
        if (!fill(RecordLog.RECORD_HEADER_BYTES)) {
            return buffer.remaining() == 0
                    ? END_OF_SEGMENT
                    : "record header cut short (" + buffer.remaining() + " of " + RecordLog.RECORD_HEADER_BYTES
                            + " bytes)";
        }
        int start = buffer.position();
        int length = buffer.getInt(start);
        int storedCrc = buffer.getInt(start + 4);
        long sequence = buffer.getLong(start + 8);
        if (length == 0 && storedCrc == 0 && sequence == 0) {
            return END_OF_WRITTEN;
        }
        if (length < 0 || length > RecordLog.PAYLOAD_BYTES_MAX) {
            return "record length " + length + " out of bounds";
        }
        if (!fill(RecordLog.RECORD_HEADER_BYTES + length)) {
            return "record " + sequence + " cut short (" + buffer.remaining() + " of "
                    + (RecordLog.RECORD_HEADER_BYTES + length) + " bytes)";
        }
        start = buffer.position();
        int end = start + RecordLog.RECORD_HEADER_BYTES + length;
        crc.reset();
        int limit = buffer.limit();
        buffer.position(start + 8).limit(end);
        crc.update(buffer);
        buffer.limit(limit).position(start);
        if ((int) crc.getValue() != storedCrc) {
            return "checksum mismatch in the record after " + (nextSequence - 1);
        }
        if (sequence != nextSequence) {
            return "sequence " + sequence + " where " + nextSequence + " was expected";
        }
        if (stopBefore != null) {
            ByteBuffer payload = buffer.duplicate();
            payload.position(start + RecordLog.RECORD_HEADER_BYTES).limit(end);
            if (stopBefore.test(payload)) {
                return STOPPED;
            }
        }
        if (sequence >= handFrom) {
            ByteBuffer payload = buffer.duplicate();
            payload.position(start + RecordLog.RECORD_HEADER_BYTES).limit(end);
            handler.onRecord(sequence, payload);
        }
        buffer.position(end);
        nextSequence++;
        return null;
    }

    private boolean readOne(long maxSequence, RecordHandler handler) {
        try {
            boolean readAgain = false;
            while (true) {
                String problem = tryRecord(Long.MIN_VALUE, handler);
                if (problem == null) {
                    return true;
                }
                if (problem == END_OF_SEGMENT || problem == END_OF_WRITTEN) {
                    RecordLog.Segment next = nextSegment();
                    if (next != null && next.firstSequence() == nextSequence) {
                        openSegment(next);
                        continue;
                    }
                }
                if (nextSequence <= maxSequence && maxSequence != Long.MAX_VALUE) {
                    if (!readAgain) {
                        // Bytes read before the writer finished writing them over a prepared
                        // segment's zeros: the record is complete in the file now.
                        readAgain = true;
                        dropBuffered();
                        continue;
                    }
                    throw new JournalCorruptException(
                            segment.path() + ": record " + nextSequence + " should be complete but is not: " + problem);
                }
                // What was read from here on (zeros, a record half written) may be written
                // meanwhile: read it from the file next time.
                dropBuffered();
                return false;
            }
        } catch (NoSuchFileException gone) {
            throw new SequenceNotRetainedException("segment " + gone.getFile() + " was retired while being read");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory, e);
        }
    }

    private RecordLog.Segment nextSegment() {
        for (RecordLog.Segment candidate : RecordLog.segments(directory)) {
            if (candidate.firstSequence() > segment.firstSequence()) {
                return candidate;
            }
        }
        return null;
    }

    /** Forgets the bytes read past the buffer's position, so the next {@link #fill} reads them from the file. */
    private void dropBuffered() {
        buffer.limit(buffer.position());
    }

    /** Makes at least {@code bytes} bytes available from the buffer's position; false at end of file. */
    private boolean fill(int bytes) throws IOException {
        if (buffer.remaining() >= bytes) {
            return true;
        }
        if (bytes > buffer.capacity()) {
            throw new IllegalStateException("record larger than the read buffer");
        }
        bufferFileOffset += buffer.position();
        buffer.compact();
        while (buffer.position() < bytes) {
            int read = channel.read(buffer, bufferFileOffset + buffer.position());
            if (read <= 0) {
                break;
            }
        }
        buffer.flip();
        return buffer.remaining() >= bytes;
    }

    private void openSegment(RecordLog.Segment next) {
        String problem;
        try {
            problem = openSegmentChecked(next);
        } catch (NoSuchFileException gone) {
            throw new SequenceNotRetainedException("segment " + next.path() + " was retired");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + next.path(), e);
        }
        if (problem != null) {
            throw new JournalCorruptException(next.path() + ": " + problem);
        }
    }

    /** Opens a segment and checks its header; returns what is wrong with it, or null. */
    private String openSegmentChecked(RecordLog.Segment next) throws IOException {
        if (channel != null) {
            channel.close();
        }
        channel = FileChannel.open(next.path(), StandardOpenOption.READ);
        segment = next;
        bufferFileOffset = 0;
        buffer.clear().flip();
        if (!fill(RecordLog.SEGMENT_HEADER_BYTES)) {
            return "segment header cut short";
        }
        int magic = buffer.getInt();
        int version = buffer.getInt();
        long firstSequence = buffer.getLong();
        if (magic != RecordLog.MAGIC) {
            return "not a log segment (magic " + Integer.toHexString(magic) + ")";
        }
        if (version != RecordLog.FORMAT_VERSION) {
            return "unsupported format version " + version;
        }
        if (firstSequence != next.firstSequence()) {
            return "header says it starts at " + firstSequence;
        }
        nextSequence = firstSequence;
        return null;
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                channel = null;
            }
        }
    }

    /**
     * Where the good records of a log end. {@code lastSegment} is null for an empty log;
     * {@code discardedBytes} follow the last good record (a torn tail), for the reason given.
     */
    public record ScanResult(
            Path lastSegment,
            long firstSequence,
            long lastSequence,
            long validBytes,
            long discardedBytes,
            String discardReason) {}
}
