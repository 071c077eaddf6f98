package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordChunksTest {
    private static final int RECORDS = 10_000;
    /** A long and up to 31 more bytes: about 24 bytes a record on average, so four chunks or so. */
    private static final int RECORD_BYTES_MAX = 8 + 1 + 31;
    /**
     * What the map is told a record takes: a fifth of the truth, so the records fill five times
     * the chunks it was created for and it must grow to hold them.
     */
    private static final int RECORD_BYTES = 5;

    @TempDir
    Path directory;

    @Test
    void recordsShouldComeBackInTheOrderWrittenAcrossChunks() {
        try (ChronicleMap<LongCell, RecordChunks.Chunk> map = written(RECORDS)) {
            assertThat(map.longSize())
                    .as("chunks")
                    .isBetween(2L, 1L + RECORDS * (long) RECORD_BYTES_MAX / RecordChunks.CHUNK_BYTES);
            List<Long> read = new ArrayList<>();
            RecordChunks.readAll(map, "numbers", eachRecord(in -> read.add(readRecord(in))));

            assertThat(read).hasSize(RECORDS);
            for (int i = 0; i < RECORDS; i++) {
                assertThat(read.get(i)).isEqualTo(i);
            }
        }
    }

    @Test
    void aFileReopenedShouldKeepItsChunks() {
        written(RECORDS).close();
        try (ChronicleMap<LongCell, RecordChunks.Chunk> map =
                RecordChunks.open(directory, "numbers.chunks.cm", "numbers", 0, 1, 1)) {
            long[] count = {0};
            RecordChunks.readAll(map, "numbers", eachRecord(in -> {
                assertThat(readRecord(in)).isEqualTo(count[0]);
                count[0]++;
            }));
            assertThat(count[0]).isEqualTo(RECORDS);
        }
    }

    @Test
    void noRecordsShouldMakeNoChunk() {
        try (ChronicleMap<LongCell, RecordChunks.Chunk> map = written(0)) {
            assertThat(map.longSize()).isZero();
            RecordChunks.readAll(map, "numbers", (in, records) -> {
                throw new AssertionError("no record");
            });
        }
    }

    @Test
    void readShouldRefuseAMissingChunkAChunkCutShortAndBytesAfterTheLastRecord() {
        try (ChronicleMap<LongCell, RecordChunks.Chunk> map = written(RECORDS)) {
            RecordChunks.Chunk chunk = new RecordChunks.Chunk();
            chunk.bytes.writeInt(3);
            writeRecord(chunk.bytes, 0);
            writeRecord(chunk.bytes, 1);
            map.put(new LongCell(0), chunk);
            assertThatThrownBy(() -> RecordChunks.readAll(map, "numbers", eachRecord(RecordChunksTest::readRecord)))
                    .hasMessage("numbers chunk 0 ends inside a record");

            chunk.bytes.writeInt(0, 1);
            map.put(new LongCell(0), chunk);
            assertThatThrownBy(() -> RecordChunks.readAll(map, "numbers", eachRecord(RecordChunksTest::readRecord)))
                    .hasMessageStartingWith("numbers chunk 0 holds ")
                    .hasMessageEndingWith(" bytes after its last record");

            chunk.bytes.clear();
            chunk.bytes.writeInt(0);
            map.put(new LongCell(0), chunk);
            assertThatThrownBy(() -> RecordChunks.readAll(map, "numbers", eachRecord(RecordChunksTest::readRecord)))
                    .hasMessage("numbers chunk 0 counts 0 records");

            chunk.bytes.clear();
            chunk.bytes.writeInt(1);
            writeRecord(chunk.bytes, 0);
            map.put(new LongCell(0), chunk);
            map.remove(new LongCell(1));
            assertThatThrownBy(() -> RecordChunks.readAll(map, "numbers", eachRecord(RecordChunksTest::readRecord)))
                    .hasMessageStartingWith("numbers misses chunk ");
        }
    }

    /** Reads one record from a chunk. */
    @FunctionalInterface
    private interface RecordReader {
        void read(Bytes<?> in);
    }

    /** A chunk reader that reads and hands on one record at a time. */
    private static RecordChunks.ChunkReader eachRecord(RecordReader reader) {
        return (in, records) -> {
            for (int record = 0; record < records; record++) {
                reader.read(in);
            }
        };
    }

    /** A map of {@code records} records: record i is i, then i % 32 bytes of padding. */
    private ChronicleMap<LongCell, RecordChunks.Chunk> written(int records) {
        ChronicleMap<LongCell, RecordChunks.Chunk> map =
                RecordChunks.open(directory, "numbers.chunks.cm", "numbers", records, RECORD_BYTES, RECORD_BYTES_MAX);
        RecordChunks.Writer writer = new RecordChunks.Writer(map);
        for (int i = 0; i < records; i++) {
            writeRecord(writer.out(), i);
            writer.recordWritten();
        }
        writer.finish();
        return map;
    }

    private static void writeRecord(Bytes<?> out, long value) {
        out.writeLong(value);
        int padding = (int) (value % 32);
        out.writeUnsignedByte(padding);
        for (int i = 0; i < padding; i++) {
            out.writeByte((byte) i);
        }
    }

    private static long readRecord(Bytes<?> in) {
        long value = in.readLong();
        int padding = in.readUnsignedByte();
        for (int i = 0; i < padding; i++) {
            if (in.readByte() != i) {
                throw new AssertionError("padding of " + value);
            }
        }
        return value;
    }
}
