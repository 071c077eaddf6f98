package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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

    @Test
    void columnsShouldKeepWhatWasWrittenAcrossChunks() {
        Columns.Longs longs = new Columns.Longs();
        Columns.Ints ints = new Columns.Ints();
        Columns.Bytes bytes = new Columns.Bytes();
        long rows = 3_000_000;
        for (long row = 0; row < rows; row++) {
            longs.set(row, row * 3);
            ints.set(row, (int) row ^ 0x5A5A);
            bytes.set(row, (byte) row);
        }
        for (long row = 0; row < rows; row++) {
            assertThat(longs.get(row)).isEqualTo(row * 3);
            assertThat(ints.get(row)).isEqualTo((int) row ^ 0x5A5A);
            assertThat(bytes.get(row)).isEqualTo((byte) row);
        }
    }
}
