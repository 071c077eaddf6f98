package io.checkout.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments made ahead and zero-filled ({@link SegmentPreparer}), written over by {@link
 * RecordLogWriter}: what the readers find in them while they are written, after a crash (the files
 * as the page cache held them) and after a clean close.
 */
class PreparedSegmentsTest {
    static final long SEGMENT_BYTES = 4L << 20;
    static final int BATCH_BYTES = 2 << 20;
    static final long AWAIT_MILLIS = 30_000;

    @TempDir
    Path dir;

    @TempDir
    Path crashed;

    /** The writer's fsync policy: with it, prepared segments are written directly ({@link DirectSegmentsTest}). */
    boolean fsync() {
        return false;
    }

    RecordLogWriter openWriter(long first) {
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        return RecordLogWriter.open(dir, scan, first, SEGMENT_BYTES, fsync(), BATCH_BYTES, true);
    }

    @Test
    void recordsShouldReadBackAcrossPreparedSegmentsAndEachSegmentShouldEndWithItsRecords() throws IOException {
        List<Boolean> preparedAtEachRoll = new ArrayList<>();
        int count = 120_000;
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            int segments = 1;
            for (long sequence = 1; sequence <= count; sequence++) {
                writer.append(payload("record " + sequence + " " + "p".repeat(100)));
                if (sequence % 100 == 0) {
                    writer.commit();
                }
                int now = RecordLog.segments(dir).size();
                if (now != segments) {
                    segments = now;
                    preparedAtEachRoll.add(writer.writingPreparedSegment());
                }
            }
        }
        assertThat(preparedAtEachRoll)
                .as("after each roll, writing a prepared segment")
                .contains(true);

        List<Long> sequences = new ArrayList<>();
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {
            assertThat(text(payload)).startsWith("record " + sequence + " ");
            sequences.add(sequence);
        });
        assertThat(scan.lastSequence()).isEqualTo(count);
        assertThat(scan.discardedBytes()).isZero();
        assertThat(sequences).hasSize(count).endsWith((long) count);
        long recordBytes = 0;
        for (RecordLog.Segment segment : RecordLog.segments(dir)) {
            recordBytes += Files.size(segment.path()) - RecordLog.SEGMENT_HEADER_BYTES;
        }
        assertThat(recordBytes)
                .as("every segment cut to its records, the last one at close")
                .isEqualTo(sequences.size() * (long) RecordLog.RECORD_HEADER_BYTES + payloadBytes(1, count, 100));
        assertThat(preparedFiles()).isEmpty();
    }

    @Test
    void aCrashInAPreparedSegmentShouldLeaveItsRecordsFoundAndTheZerosAfterThemCutWhenWritingGoesOn()
            throws IOException {
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            for (long sequence = 1; sequence <= 500; sequence++) {
                writer.append(payload("record " + sequence));
            }
            writer.commit();
            copyLogTo(crashed); // the files as a killed process leaves them: zeros after the records
        }
        List<RecordLog.Segment> segments = RecordLog.segments(crashed);
        assertThat(Files.size(segments.get(segments.size() - 1).path())).isEqualTo(SEGMENT_BYTES);

        RecordLogReader.ScanResult scan = RecordLogReader.scan(crashed, 1, (sequence, payload) -> {});
        assertThat(scan.lastSequence()).isEqualTo(500);
        assertThat(scan.discardedBytes()).isZero();
        assertThat(scan.discardReason()).isNull();
        assertThat(RecordLogReader.scanUntilFromTail(crashed, payload -> false).lastSequence())
                .isEqualTo(500);

        try (RecordLogWriter writer =
                RecordLogWriter.open(crashed, scan, 1, SEGMENT_BYTES, fsync(), BATCH_BYTES, true)) {
            assertThat(writer.nextSequence()).isEqualTo(501);
            writer.append(payload("record 501"));
            writer.commit();
        }
        List<String> texts = new ArrayList<>();
        RecordLogReader.scan(crashed, 499, (sequence, payload) -> texts.add(text(payload)));
        assertThat(texts).containsExactly("record 499", "record 500", "record 501");
    }

    @Test
    void anEmptyPreparedLastSegmentShouldBeLookedBehindAndItsPredecessorsRecordsFound() throws IOException {
        try (RecordLogWriter writer = openWriter(1)) {
            for (long sequence = 1; sequence <= 300; sequence++) {
                writer.append(payload("record " + sequence));
            }
            writer.commit();
            // Moved into the prepared file after its first commit; nothing written there yet.
            assertThat(awaitPrepared(writer)).isTrue();
            copyLogTo(crashed);
        }
        assertThat(RecordLog.segments(crashed)).hasSize(2);
        RecordLogReader.ScanResult scan = RecordLogReader.scanUntilFromTail(crashed, payload -> false);
        assertThat(scan.lastSequence()).isEqualTo(300);
        assertThat(RecordLogReader.scan(crashed, 1, (sequence, payload) -> {}).lastSequence())
                .isEqualTo(300);
    }

    @Test
    void zerosLeftAfterTheRecordsOfASegmentThatIsNotTheLastShouldEndItAsItsEndOfFileWould() throws IOException {
        writeRecords(1, 60_000);
        List<RecordLog.Segment> segments = RecordLog.segments(dir);
        assertThat(segments).hasSizeGreaterThan(1);
        // A cut not synced before a power loss: the first segment keeps its prepared zeros.
        try (RandomAccessFile file = new RandomAccessFile(segments.get(0).path().toFile(), "rw")) {
            file.setLength(SEGMENT_BYTES);
        }

        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        assertThat(scan.lastSequence()).isEqualTo(60_000);
        try (RecordLogReader reader = RecordLogReader.openAt(dir, 1)) {
            assertThat(reader.read(60_000, 100_000, (sequence, payload) -> {})).isEqualTo(60_000);
        }
    }

    @Test
    void aTailerShouldReadRecordsWrittenOverZerosItHadAlreadyRead() {
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            append(writer, 1, 10);
            try (RecordLogReader reader = RecordLogReader.openAt(dir, 1)) {
                List<Long> seen = new ArrayList<>();
                assertThat(reader.read(10, 100, (sequence, payload) -> seen.add(sequence)))
                        .isEqualTo(10);
                assertThat(reader.read(Long.MAX_VALUE, 100, (sequence, payload) -> seen.add(sequence)))
                        .as("zeros after record 10: nothing more yet")
                        .isZero();

                append(writer, 11, 20);
                assertThat(reader.read(Long.MAX_VALUE, 100, (sequence, payload) -> seen.add(sequence)))
                        .as("what is there now, the zeros read before forgotten")
                        .isEqualTo(10);
                append(writer, 21, 30);
                assertThat(reader.read(30, 100, (sequence, payload) -> seen.add(sequence)))
                        .isEqualTo(10);
                assertThat(seen).hasSize(30).endsWith(30L);
            }
        }
    }

    @Test
    void aTailerShouldReadARecordAgainThatItFirstReadHalfWritten() throws IOException {
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            append(writer, 1, 11);
            Path segment = RecordLog.segments(dir)
                    .get(RecordLog.segments(dir).size() - 1)
                    .path();
            long end = RecordLog.SEGMENT_HEADER_BYTES + 11L * RecordLog.RECORD_HEADER_BYTES + payloadBytes(1, 11, 0);
            int lastRecordBytes =
                    RecordLog.RECORD_HEADER_BYTES + payload("record 11").remaining();
            byte[] saved = new byte[lastRecordBytes / 2];
            try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
                // Record 11 as a reader may see it while the writer's copy is half done.
                file.seek(end - saved.length);
                file.readFully(saved);
                file.seek(end - saved.length);
                file.write(new byte[saved.length]);

                try (RecordLogReader toldComplete = RecordLogReader.openAt(dir, 1);
                        RecordLogReader readingAll = RecordLogReader.openAt(dir, 1)) {
                    assertThat(toldComplete.read(10, 100, (sequence, payload) -> {}))
                            .isEqualTo(10);
                    assertThat(readingAll.read(Long.MAX_VALUE, 100, (sequence, payload) -> {}))
                            .as("up to the half-written record")
                            .isEqualTo(10);

                    file.seek(end - saved.length);
                    file.write(saved);
                    AtomicReference<String> last = new AtomicReference<>();
                    assertThat(toldComplete.read(11, 100, (sequence, payload) -> last.set(text(payload))))
                            .isEqualTo(1);
                    assertThat(last.get()).isEqualTo("record 11");
                    assertThat(readingAll.read(Long.MAX_VALUE, 100, (sequence, payload) -> {}))
                            .isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aTailerShouldFollowAWriterAcrossPreparedSegmentsWithoutLosingOrRepeatingARecord() throws Exception {
        int count = 150_000;
        AtomicLong committed = new AtomicLong(0);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Long> seen = new ArrayList<>();
        try (RecordLogWriter writer = openWriter(1)) {
            append(writer, 1, 1);
            committed.set(1);
            Thread tailer = new Thread(() -> {
                try (RecordLogReader reader = RecordLogReader.openAt(dir, 1)) {
                    while (reader.nextSequence() <= count) {
                        int read = reader.read(committed.get(), 1_000, (sequence, payload) -> {
                            assertThat(text(payload)).startsWith("record " + sequence);
                            seen.add(sequence);
                        });
                        if (read == 0) {
                            Thread.yield();
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            tailer.start();
            for (long sequence = 2; sequence <= count; sequence++) {
                writer.append(payload("record " + sequence + " " + "q".repeat(60)));
                if (sequence % 7 == 0 || sequence == count) {
                    writer.commit();
                    committed.set(sequence);
                }
            }
            tailer.join(60_000);
            assertThat(tailer.isAlive()).isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(seen).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(seen.get(i)).isEqualTo(i + 1L);
        }
    }

    @Test
    void aPreparedFileLeftByAnEarlierProcessShouldBeDeletedAndNoneLeftAfterClose() throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("next-segment" + SegmentPreparer.SUFFIX), new byte[] {1, 2, 3});
        try (RecordLogWriter writer = openWriter(1)) {
            append(writer, 1, 5);
            assertThat(awaitPrepared(writer)).isTrue();
        }
        assertThat(preparedFiles()).isEmpty();
        assertThat(RecordLogReader.scan(dir, 1, (sequence, payload) -> {}).lastSequence())
                .isEqualTo(5);
    }

    @Test
    void withoutPreparationTheWriterShouldAppendToNewFilesAsBefore() {
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        try (RecordLogWriter writer = RecordLogWriter.open(dir, scan, 1, SEGMENT_BYTES, false, BATCH_BYTES)) {
            append(writer, 1, 5);
            assertThat(writer.awaitPreparedSegment(10)).isFalse();
            assertThat(writer.writingPreparedSegment()).isFalse();
        }
        assertThat(preparedFiles()).isEmpty();
    }

    /** Commits until the writer has moved into a prepared segment (its first commit after one is ready). */
    static boolean awaitPrepared(RecordLogWriter writer) {
        long deadline = System.nanoTime() + AWAIT_MILLIS * 1_000_000;
        while (!writer.writingPreparedSegment() && System.nanoTime() < deadline) {
            writer.commit();
            Thread.onSpinWait();
        }
        return writer.writingPreparedSegment();
    }

    private void writeRecords(long first, int count) {
        try (RecordLogWriter writer = openWriter(first)) {
            writer.awaitPreparedSegment(AWAIT_MILLIS);
            for (long sequence = first; sequence < first + count; sequence++) {
                writer.append(payload("record " + sequence + " " + "p".repeat(100)));
                if (sequence % 100 == 0) {
                    writer.commit();
                }
            }
        }
    }

    static void append(RecordLogWriter writer, long from, long to) {
        for (long sequence = from; sequence <= to; sequence++) {
            writer.append(payload("record " + sequence));
        }
        writer.commit();
    }

    void copyLogTo(Path target) throws IOException {
        for (RecordLog.Segment segment : RecordLog.segments(dir)) {
            Files.copy(segment.path(), target.resolve(segment.path().getFileName()));
        }
    }

    List<Path> preparedFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(SegmentPreparer.SUFFIX))
                    .toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Payload bytes of the records {@code from..to} as {@link #writeRecords} (padding 100) or {@link #append} (0) write them. */
    private static long payloadBytes(long from, long to, int padding) {
        long bytes = 0;
        for (long sequence = from; sequence <= to; sequence++) {
            bytes += ("record " + sequence + (padding > 0 ? " " + "p".repeat(padding) : "")).length();
        }
        return bytes;
    }

    static ByteBuffer payload(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    static String text(ByteBuffer payload) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
