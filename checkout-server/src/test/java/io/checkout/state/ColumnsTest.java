package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ColumnsTest {
    /** Consecutive rows fill each chunk from offset 0 to its last row, then start the next one. */
    @Test
    void rowsShouldMapOneToOneOntoChunks() {
        int chunk = 0;
        int offset = -1;
        for (long row = 0; row < 40_000_000L; row++) {
            int c = Columns.chunk(row);
            int o = Columns.offset(row, c);
            if (c == chunk) {
                assertThat(o).as("row %d", row).isEqualTo(offset + 1);
            } else {
                assertThat(c).as("row %d", row).isEqualTo(chunk + 1);
                assertThat(offset).as("last offset of chunk %d", chunk).isEqualTo(Columns.rows(chunk) - 1);
                assertThat(o).isZero();
            }
            chunk = c;
            offset = o;
        }
        assertThat(Columns.rows(0)).isEqualTo(Columns.FIRST_CHUNK_ROWS);
        assertThat(Columns.rows(chunk)).isEqualTo(Columns.CHUNK_ROWS_MAX);
    }

    /** Also with full-size chunks taken from a running {@link ArrayStock}. */
    @ParameterizedTest(name = "stock running {0}")
    @ValueSource(booleans = {false, true})
    void columnsShouldKeepWhatWasWrittenAcrossChunks(boolean stockRunning) {
        ArrayStock stock = new ArrayStock();
        if (stockRunning) {
            assertThat(stock.start(Long.MAX_VALUE)).isTrue();
        }
        try {
            Columns.Longs longs = new Columns.Longs(stock);
            Columns.Ints ints = new Columns.Ints(stock);
            Columns.Bytes bytes = new Columns.Bytes();
            long rows = 6_000_000;
            for (long row = 0; row < rows; row++) {
                longs.set(row, row * 3);
                ints.set(row, (int) row ^ 0x5A5A);
                bytes.set(row, (byte) row);
            }
            for (long row = 0; row < rows; row++) {
                if (longs.get(row) != row * 3
                        || ints.get(row) != ((int) row ^ 0x5A5A)
                        || bytes.get(row) != (byte) row) {
                    throw new AssertionError("row " + row + " reads back wrong");
                }
            }
            // 6M rows: chunks 0..3 double up to the full size, chunks 4..8 (five per column) are full-size.
            assertThat(stock.takenReady() + stock.allocatedInline()).isEqualTo(stockRunning ? 10 : 0);
        } finally {
            stock.stop();
        }
    }
    /**
     * Frozen with rows in the first chunk, then written everywhere: over held rows, into chunks made
     * after the freeze, and past the chunk table the freeze saw (it grows): the image written from
     * the freeze is the one written before those writes.
     */
    @Test
    void aFrozenColumnShouldWriteWhatItHeldWhateverIsWrittenAfter(@TempDir Path directory) throws IOException {
        ArrayStock stock = new ArrayStock();
        Columns.Longs longs = new Columns.Longs(stock);
        Columns.Bytes bytes = new Columns.Bytes();
        long heldRows = Columns.FIRST_CHUNK_ROWS - 100;
        for (long row = 0; row < heldRows; row++) {
            longs.set(row, row * 7);
            bytes.set(row, (byte) row);
        }
        try (StateImageFile.Out out = StateImageFile.create(directory, "expected", SnapshotStore.NO_PAUSE)) {
            longs.writeTo(out, heldRows);
            bytes.writeTo(out, heldRows);
        }
        Columns.Frozen frozenLongs = longs.freeze(heldRows);
        Columns.Frozen frozenBytes = bytes.freeze(heldRows);
        // Past the 16 entries of the chunk table a column starts with: it grows while frozen.
        long bytesPastTheTable = Columns.firstRow(17) + 1;
        for (long row = 0; row < bytesPastTheTable; row += 997) {
            bytes.set(row, (byte) ~row);
        }
        bytes.set(bytesPastTheTable - 1, (byte) 1);
        for (long row = 0; row < Columns.firstRow(3); row += 13) {
            longs.set(row, -row);
        }
        try (StateImageFile.Out out = StateImageFile.create(directory, "frozen", SnapshotStore.NO_PAUSE)) {
            frozenLongs.writeTo(out);
            frozenBytes.writeTo(out);
        }
        longs.thaw();
        bytes.thaw();

        assertThat(Files.mismatch(directory.resolve("expected"), directory.resolve("frozen")))
                .isEqualTo(-1L);
        assertThat(bytes.get(bytesPastTheTable - 1)).isEqualTo((byte) 1);
        assertThat(longs.get(13)).isEqualTo(-13L);
    }

    /** Every chunk starts where the one before ends. */
    @Test
    void firstRowShouldBeWhereEachChunkStarts() {
        for (int chunk = 0; chunk < 40; chunk++) {
            long first = Columns.firstRow(chunk);
            assertThat(Columns.chunk(first)).as("chunk %d", chunk).isEqualTo(chunk);
            assertThat(Columns.offset(first, chunk)).isZero();
            assertThat(Columns.firstRow(chunk + 1)).isEqualTo(first + Columns.rows(chunk));
        }
    }

    /** Far chunks too, up to the last one a row may have; a row past it is refused. */
    @Test
    void farRowsShouldMapOntoTheirChunks() {
        for (int chunk : new int[] {41, 1_000, 1 << 20, 1 << 30, Integer.MAX_VALUE - 8}) {
            long first = Columns.firstRow(chunk);
            assertThat(Columns.chunk(first)).as("chunk %d", chunk).isEqualTo(chunk);
            assertThat(Columns.offset(first, chunk)).isZero();
            assertThat(Columns.chunk(first - 1)).as("before chunk %d", chunk).isEqualTo(chunk - 1);
            assertThat(Columns.offset(first - 1, chunk - 1)).isEqualTo(Columns.CHUNK_ROWS_MAX - 1);
            assertThat(Columns.offset(first + 12_345, chunk)).isEqualTo(12_345);
        }
        long pastTheLast = Columns.firstRow(Integer.MAX_VALUE - 7);
        assertThatThrownBy(() -> Columns.chunk(pastTheLast)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Written to a state image and read back into fresh columns (chunks allocated inline, or taken
     * from a running stock), past the doubling chunks into full-size ones, ending inside a chunk.
     */
    @ParameterizedTest(name = "stock running {0}")
    @ValueSource(booleans = {false, true})
    void columnsShouldComeBackFromAnImageAcrossFullSizeChunks(boolean stockRunning, @TempDir Path directory) {
        long rows = Columns.firstRow(Columns.chunk(Columns.CHUNK_ROWS_MAX * 3L)) + 12_345;
        ArrayStock stock = new ArrayStock();
        Columns.Longs longs = new Columns.Longs(stock);
        Columns.Ints ints = new Columns.Ints(stock);
        Columns.Bytes bytes = new Columns.Bytes();
        for (long row = 0; row < rows; row++) {
            longs.set(row, row * 31 + 7);
            ints.set(row, (int) (row ^ 0x5A5A));
            bytes.set(row, (byte) row);
        }
        try (StateImageFile.Out out = StateImageFile.create(directory, StateImageFile.FILE, () -> {})) {
            longs.writeTo(out, rows);
            ints.writeTo(out, rows);
            bytes.writeTo(out, rows);
        }

        ArrayStock readStock = new ArrayStock();
        if (stockRunning) {
            assertThat(readStock.start(Long.MAX_VALUE)).isTrue();
        }
        Columns.Longs longsRead = new Columns.Longs(readStock);
        Columns.Ints intsRead = new Columns.Ints(readStock);
        Columns.Bytes bytesRead = new Columns.Bytes();
        try (StateImageFile.In in = StateImageFile.read(directory, StateImageFile.FILE, () -> {})) {
            longsRead.readFrom(in, rows);
            intsRead.readFrom(in, rows);
            bytesRead.readFrom(in, rows);
            in.requireEnd();
        } finally {
            readStock.stop();
        }
        for (long row = 0; row < rows; row++) {
            if (longsRead.get(row) != row * 31 + 7
                    || intsRead.get(row) != (int) (row ^ 0x5A5A)
                    || bytesRead.get(row) != (byte) row) {
                throw new AssertionError("row " + row + " of " + rows + " came back as " + longsRead.get(row) + ", "
                        + intsRead.get(row) + ", " + bytesRead.get(row));
            }
        }
        longsRead.set(rows, -1);
        assertThat(longsRead.get(rows)).as("the column goes on after its image").isEqualTo(-1);
    }
}
