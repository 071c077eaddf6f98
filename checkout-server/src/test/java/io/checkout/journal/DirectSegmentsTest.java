package io.checkout.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Prepared segments under the fsync policy, written with direct I/O, each write synced: every test
 * of {@link PreparedSegmentsTest} again, and what is particular to writing whole blocks (the
 * written part of the last block carried from one commit to the next, a commit ending on a block's
 * end, a write of many blocks), checked by reading the files back as a restart would.
 */
class DirectSegmentsTest extends PreparedSegmentsTest {
    @Override
    boolean fsync() {
        return true;
    }

    @BeforeEach
    void directIoWhereTheTestsWrite() throws IOException {
        // A file system without direct I/O (tmpfs) makes the writer fall back to the page cache,
        // which PreparedSegmentsTest covers.
        Path probe = dir.resolve("probe");
        boolean supported;
        try (FileChannel channel = FileChannel.open(
                probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            supported = true;
        } catch (IOException | UnsupportedOperationException e) {
            supported = false;
        }
        Files.deleteIfExists(probe);
        assumeTrue(supported, "direct I/O in " + dir);
    }

    @Test
    void aPreparedSegmentShouldBeWrittenDirectlyWithOneSyncPerCommit() {
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            assertThat(writer.writingDirectly()).isTrue();
            long syncs = writer.syncs();
            append(writer, 1, 3);
            append(writer, 4, 4);
            writer.commit(); // nothing appended: no write
            assertThat(writer.syncs() - syncs).isEqualTo(2);
        }
    }

    @Test
    void recordsCommittedFewAtATimeShouldAllBeFoundAsEachCommitWritesItsLastBlockAgain() throws IOException {
        Random random = new Random(18);
        List<byte[]> written = new ArrayList<>();
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            long sequence = 1;
            for (int commit = 0; commit < 1_500; commit++) {
                int records = 1 + random.nextInt(4);
                for (int i = 0; i < records; i++) {
                    byte[] payload = payloadOf(sequence++, random.nextInt(3_000));
                    written.add(payload);
                    writer.append(ByteBuffer.wrap(payload));
                }
                writer.commit();
                if (commit % 300 == 0) {
                    // The files as a killed process (or a power loss after the commit) leaves them.
                    assertThat(readBack(dir)).as("after commit %d", commit).hasSize(written.size());
                }
            }
            assertThat(writer.writingDirectly()).isTrue();
        }
        List<byte[]> read = readBack(dir);
        assertThat(read).hasSize(written.size());
        for (int i = 0; i < read.size(); i++) {
            assertThat(read.get(i)).as("record %d", i + 1).isEqualTo(written.get(i));
        }
    }

    @Test
    void aCommitEndingOnABlockEndAndOneOfManyBlocksShouldReadBack() throws IOException {
        int block = RecordLogWriter.DIRECT_ALIGNMENT;
        try (RecordLogWriter writer = openWriter(1)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            // Header (16) + one record's header (16) + this payload = exactly one block.
            writer.append(ByteBuffer.wrap(payloadOf(1, block - 2 * RecordLog.RECORD_HEADER_BYTES)));
            writer.commit();
            writer.append(ByteBuffer.wrap(payloadOf(2, 10)));
            writer.commit();
            for (long sequence = 3; sequence < 3 + 200; sequence++) {
                writer.append(ByteBuffer.wrap(payloadOf(sequence, 700)));
            }
            writer.commit(); // about 35 blocks at once
            writer.append(ByteBuffer.wrap(payloadOf(203, 1)));
            writer.commit();
        }
        List<byte[]> read = readBack(dir);
        assertThat(read).hasSize(203);
        assertThat(read.get(0)).isEqualTo(payloadOf(1, block - 2 * RecordLog.RECORD_HEADER_BYTES));
        assertThat(read.get(1)).isEqualTo(payloadOf(2, 10));
        assertThat(read.get(202)).isEqualTo(payloadOf(203, 1));
    }

    @Test
    void withoutFsyncAPreparedSegmentShouldBeWrittenThroughThePageCache() {
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        try (RecordLogWriter writer = RecordLogWriter.open(dir, scan, 1, SEGMENT_BYTES, false, BATCH_BYTES, true)) {
            assertThat(writer.awaitPreparedSegment(AWAIT_MILLIS)).isTrue();
            assertThat(writer.writingDirectly()).isFalse();
            append(writer, 1, 3);
        }
        assertThat(RecordLogReader.scan(dir, 1, (sequence, payload) -> {}).lastSequence())
                .isEqualTo(3);
    }

    /** A payload naming its sequence, padded to {@code bytes} (at least the name's length). */
    private static byte[] payloadOf(long sequence, int bytes) {
        byte[] name = ("record " + sequence + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] payload = Arrays.copyOf(name, Math.max(bytes, name.length));
        Arrays.fill(payload, name.length, payload.length, (byte) ('a' + sequence % 26));
        return payload;
    }

    private static List<byte[]> readBack(Path directory) {
        List<byte[]> read = new ArrayList<>();
        RecordLogReader.ScanResult scan = RecordLogReader.scan(directory, 1, (sequence, payload) -> {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            assertThat(sequence).isEqualTo(read.size() + 1L);
            read.add(bytes);
        });
        assertThat(scan.discardedBytes()).isZero();
        return read;
    }
}
