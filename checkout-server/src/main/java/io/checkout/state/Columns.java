package io.checkout.state;

/**
 * Growable primitive columns indexed by a long row number, stored in fixed-size chunks so that
 * growing never copies what is there (no pause proportional to the table) and memory follows the
 * rows actually written. One thread uses a column. Callers keep within their table's capacity.
 */
final class Columns {
    static final int CHUNK_BITS = 16;
    static final int CHUNK_ROWS = 1 << CHUNK_BITS;
    private static final int CHUNK_MASK = CHUNK_ROWS - 1;
    private static final int INITIAL_CHUNKS = 16;

    private Columns() {
    }

    private static int chunk(long row) {
        long chunk = row >>> CHUNK_BITS;
        if (chunk > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("row out of range: " + row);
        }
        return (int) chunk;
    }

    private static int grown(int length, int needed) {
        return Math.max(needed + 1, length * 2);
    }

    static final class Longs {
        private long[][] chunks = new long[INITIAL_CHUNKS][];

        long get(long row) {
            return chunks[chunk(row)][(int) row & CHUNK_MASK];
        }

        void set(long row, long value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
            }
            long[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = new long[CHUNK_ROWS];
            }
            rows[(int) row & CHUNK_MASK] = value;
        }
    }

    static final class Ints {
        private int[][] chunks = new int[INITIAL_CHUNKS][];

        int get(long row) {
            return chunks[chunk(row)][(int) row & CHUNK_MASK];
        }

        void set(long row, int value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
            }
            int[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = new int[CHUNK_ROWS];
            }
            rows[(int) row & CHUNK_MASK] = value;
        }
    }

    static final class Bytes {
        private byte[][] chunks = new byte[INITIAL_CHUNKS][];

        byte get(long row) {
            return chunks[chunk(row)][(int) row & CHUNK_MASK];
        }

        void set(long row, byte value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
            }
            byte[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = new byte[CHUNK_ROWS];
            }
            rows[(int) row & CHUNK_MASK] = value;
        }
    }

    static final class Objects<T> {
        private Object[][] chunks = new Object[INITIAL_CHUNKS][];

        @SuppressWarnings("unchecked")
        T get(long row) {
            return (T) chunks[chunk(row)][(int) row & CHUNK_MASK];
        }

        void set(long row, T value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
            }
            Object[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = new Object[CHUNK_ROWS];
            }
            rows[(int) row & CHUNK_MASK] = value;
        }
    }
}
