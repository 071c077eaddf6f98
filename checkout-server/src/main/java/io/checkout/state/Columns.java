package io.checkout.state;

import io.checkout.engine.FrozenArray;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Growable primitive columns indexed by a long row number, stored in chunks so that growing never
 * copies what is there (no pause proportional to the table) and memory follows the rows actually
 * written. One thread uses a column. Callers keep within their table's capacity.
 *
 * <p>Chunks double from {@link #FIRST_CHUNK_ROWS} rows up to {@link #CHUNK_ROWS_MAX} rows, then stay
 * at that size: a small table costs little, and a large one is mostly in chunks of megabytes, which
 * G1 allocates as humongous objects straight into the old generation. Small chunks were copied by
 * every young collection until promoted, which made replaying millions of orders mostly GC work.
 * The largest chunk (8 MB of longs) is also the most one write ever zeroes at once.
 */
final class Columns {
    static final int FIRST_CHUNK_BITS = 16;
    static final int CHUNK_BITS_MAX = 20;
    static final int FIRST_CHUNK_ROWS = 1 << FIRST_CHUNK_BITS;
    static final int CHUNK_ROWS_MAX = 1 << CHUNK_BITS_MAX;

    private static final int DOUBLINGS = CHUNK_BITS_MAX - FIRST_CHUNK_BITS;
    /** Rows held by the doubling chunks 0..DOUBLINGS. */
    private static final long DOUBLING_ROWS = ((1L << (DOUBLINGS + 1)) - 1) << FIRST_CHUNK_BITS;
    /** The same in first chunks' rows. */
    private static final long DOUBLING_UNITS = DOUBLING_ROWS >>> FIRST_CHUNK_BITS;

    private static final int INITIAL_CHUNKS = 16;

    /**
     * Stands for a chunk a freeze does not hold (made after it, or holding none of its rows): a
     * write into it copies nothing. Immutable, so shared.
     */
    private static final FrozenArray NOT_HELD = FrozenArray.of(new byte[0], 0);

    private Columns() {}

    /*
     * chunk() and offset() have no branch on the row on purpose. With one, the first row past the
     * doubling chunks (about 2M, reached mid-sale) took a branch the engine's compiled code had
     * never seen taken: an uncommon trap that sent the reserve back to the interpreter while the
     * sale ran (seen with -XX:+LogCompilation, 2026-12-08).
     */

    static int chunk(long row) {
        // Counted in first chunks' rows past the doubling chunks: negative within them.
        long past = (row >>> FIRST_CHUNK_BITS) - DOUBLING_UNITS;
        long within = past >> 63;
        long chunk = 63
                - Long.numberOfLeadingZeros(DOUBLING_UNITS + 1 + (past & within))
                + ((past & ~within) >>> (CHUNK_BITS_MAX - FIRST_CHUNK_BITS));
        if (chunk > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("row out of range: " + row);
        }
        return (int) chunk;
    }

    static int offset(long row, int chunk) {
        // A chunk's first row plus FIRST_CHUNK_ROWS is a multiple of the chunk's size.
        return (int) ((row + FIRST_CHUNK_ROWS) & ((FIRST_CHUNK_ROWS << Math.min(chunk, DOUBLINGS)) - 1));
    }

    static int rows(int chunk) {
        return chunk <= DOUBLINGS ? FIRST_CHUNK_ROWS << chunk : CHUNK_ROWS_MAX;
    }

    private static int grown(int length, int needed) {
        return Math.max(needed + 1, length * 2);
    }

    /** How many chunks hold rows {@code 0..rows-1}. */
    static int chunksFor(long rows) {
        return rows <= 0 ? 0 : chunk(rows - 1) + 1;
    }

    /**
     * Allocates every chunk rows {@code 0..rows-1} will use that is not there yet, now rather than
     * as the rows are first written; returns the chunk table, grown if it had too few entries. The
     * columns call it before any row is written.
     */
    private static <C> C[] reserveChunks(C[] chunks, long rows, IntFunction<C> newChunk) {
        int count = chunksFor(rows);
        C[] table = count > chunks.length ? Arrays.copyOf(chunks, count) : chunks;
        for (int chunk = 0; chunk < count; chunk++) {
            if (table[chunk] == null) {
                table[chunk] = newChunk.apply(rows(chunk));
            }
        }
        return table;
    }

    /** The first row chunk {@code chunk} holds. */
    static long firstRow(int chunk) {
        if (chunk <= DOUBLINGS) {
            return ((1L << chunk) - 1) << FIRST_CHUNK_BITS;
        }
        return DOUBLING_ROWS + ((long) (chunk - DOUBLINGS - 1) << CHUNK_BITS_MAX);
    }

    /** A column as a state image holds it ({@link StateImageFile}). */
    interface Column {
        /** Writes rows {@code 0..rows-1}, every one of which was set, chunk by chunk. */
        void writeTo(StateImageFile.Out out, long rows);

        /** Reads rows {@code 0..rows-1} as {@link #writeTo} wrote them, allocating the chunks not there yet. */
        void readFrom(StateImageFile.In in, long rows);

        /**
         * Holds rows {@code 0..rows-1} as they are now for a reader on another thread, until
         * {@link #thaw}; every row of them was set. The owner's writes go on, copying a unit aside
         * first where the reader has not read it yet.
         */
        Frozen freeze(long rows);

        /** Ends the freeze: call once the reader has written (or abandoned) what it was given. */
        void thaw();
    }

    /** What {@link #forEachChunk} hands on: a chunk and how many of its first rows are wanted. */
    @FunctionalInterface
    private interface ChunkRows<C> {
        void accept(C chunk, int rows);
    }

    /**
     * Hands each chunk of rows {@code 0..rows-1} to {@code action} with how many of those rows it
     * holds; a missing chunk means the state's counts are wrong, and stops.
     */
    private static <C> void forEachChunk(C[] chunks, long rows, ChunkRows<C> action) {
        for (int chunk = 0, count = chunksFor(rows); chunk < count; chunk++) {
            if (chunk >= chunks.length || chunks[chunk] == null) {
                throw new IllegalStateException("a column of " + rows + " rows has no chunk " + chunk);
            }
            action.accept(chunks[chunk], (int) Math.min(rows(chunk), rows - firstRow(chunk)));
        }
    }

    /** What {@code reserve(rows)} allocates on an empty column of {@code rowBytes}-byte rows. */
    static long reservedBytes(long rows, int rowBytes) {
        long bytes = 0;
        for (int chunk = 0, count = chunksFor(rows); chunk < count; chunk++) {
            bytes += (long) rows(chunk) * rowBytes;
        }
        return bytes;
    }

    /**
     * A column's rows {@code 0..rows-1} (or any chunked table's, such as {@link IdBytes}'s) held as
     * they were at a freeze, for a state image written on another thread while the owner goes on
     * ({@link FrozenArray}: copy-on-write by units).
     */
    static final class Frozen {
        private final FrozenArray[] chunks;

        Frozen(FrozenArray[] chunks) {
            this.chunks = chunks;
        }

        /** Writes the rows as {@link Column#writeTo} would have at the freeze. Once; the reader's thread. */
        void writeTo(StateImageFile.Out out) {
            FrozenArray.UnitReader units = out.frozenUnits();
            for (FrozenArray chunk : chunks) {
                chunk.read(units);
            }
        }

        /** Releases every unit not yet written, so the owner never waits for it (a snapshot that stopped). */
        void abandon() {
            for (FrozenArray chunk : chunks) {
                chunk.abandon();
            }
        }

        /** Units the owner copied aside since the freeze (owner thread; metrics, tests). */
        long savedUnits() {
            long units = 0;
            for (FrozenArray chunk : chunks) {
                units += chunk.savedUnits();
            }
            return units;
        }
    }

    /** What each chunk of rows {@code 0..rows-1} holds, frozen; {@code freeze} makes one chunk's. */
    private static <C> FrozenArray[] freezeChunks(C[] chunks, long rows, ChunkFreezer<C> freeze) {
        int count = chunksFor(rows);
        FrozenArray[] frozen = new FrozenArray[count];
        for (int chunk = 0; chunk < count; chunk++) {
            if (chunk >= chunks.length || chunks[chunk] == null) {
                throw new IllegalStateException("a column of " + rows + " rows has no chunk " + chunk);
            }
            frozen[chunk] = freeze.freeze(chunks[chunk], (int) Math.min(rows(chunk), rows - firstRow(chunk)));
        }
        return frozen;
    }

    /**
     * Before a write at {@code offset} of {@code chunk}: lets a freeze copy the unit aside first
     * ({@code held} null: none; else it covers every chunk entry, {@link #covering}).
     */
    private static void beforeWrite(FrozenArray[] held, int chunk, int offset) {
        if (held != null) {
            held[chunk].beforeWrite(offset);
        }
    }

    /**
     * What the writes look up while frozen: {@code held} for the chunks it holds, and {@link
     * #NOT_HELD} for every other entry of a chunk table of {@code entries}, so that a write finds
     * its chunk's freeze without a bounds test. Such a test, which failed only for a write into a
     * chunk made after the freeze, was one the engine's compiled code had never seen fail before the
     * first live freeze (the warm-up's tables fit one chunk): the JIT had left its other side out,
     * and the first freeze of a process threw the engine's compiled code away (an uncommon trap,
     * 2026-12-07; {@code io.checkout.pipeline.FreezeWarmUp}).
     */
    private static FrozenArray[] covering(FrozenArray[] held, int entries) {
        if (held.length >= entries) {
            return held;
        }
        FrozenArray[] cover = Arrays.copyOf(held, entries);
        Arrays.fill(cover, held.length, entries, NOT_HELD);
        return cover;
    }

    @FunctionalInterface
    private interface ChunkFreezer<C> {
        FrozenArray freeze(C chunk, int rows);
    }

    static final class Longs implements Column {
        private final ArrayStock stock;
        private long[][] chunks = new long[INITIAL_CHUNKS][];
        /** While frozen ({@link #freeze}): every chunk entry's freeze ({@link #covering}), which every write checks first; else null. */
        private FrozenArray[] frozen;

        /** A column whose full-size chunks come from {@code stock} (see {@link ArrayStock}). */
        Longs(ArrayStock stock) {
            this.stock = stock;
        }

        /** See {@link Columns#reserveChunks}; returns the bytes of rows {@code 0..rows-1}'s chunks. */
        long reserve(long rows) {
            chunks = reserveChunks(chunks, rows, long[]::new);
            return reservedBytes(rows, Long.BYTES);
        }

        long get(long row) {
            int chunk = chunk(row);
            return chunks[chunk][offset(row, chunk)];
        }

        @Override
        public void writeTo(StateImageFile.Out out, long rows) {
            forEachChunk(chunks, rows, (chunk, used) -> out.longs(chunk, 0, used));
        }

        @Override
        public void readFrom(StateImageFile.In in, long rows) {
            chunks = reserveChunks(chunks, rows, stock::longs);
            forEachChunk(chunks, rows, (chunk, used) -> in.longs(chunk, 0, used));
        }

        @Override
        public Frozen freeze(long rows) {
            if (frozen != null) {
                throw new IllegalStateException("the column is frozen already");
            }
            FrozenArray[] held = freezeChunks(chunks, rows, FrozenArray::of);
            frozen = covering(held, chunks.length);
            return new Frozen(held);
        }

        @Override
        public void thaw() {
            frozen = null;
        }

        void set(long row, long value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
                if (frozen != null) {
                    frozen = covering(frozen, chunks.length);
                }
            }
            long[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = stock.longs(rows(chunk));
            }
            int offset = offset(row, chunk);
            beforeWrite(frozen, chunk, offset);
            rows[offset] = value;
        }
    }

    static final class Ints implements Column {
        private final ArrayStock stock;
        private int[][] chunks = new int[INITIAL_CHUNKS][];
        /** While frozen ({@link #freeze}): every chunk entry's freeze ({@link #covering}), which every write checks first; else null. */
        private FrozenArray[] frozen;

        /** A column whose full-size chunks come from {@code stock} (see {@link ArrayStock}). */
        Ints(ArrayStock stock) {
            this.stock = stock;
        }

        /** See {@link Columns#reserveChunks}; returns the bytes of rows {@code 0..rows-1}'s chunks. */
        long reserve(long rows) {
            chunks = reserveChunks(chunks, rows, int[]::new);
            return reservedBytes(rows, Integer.BYTES);
        }

        int get(long row) {
            int chunk = chunk(row);
            return chunks[chunk][offset(row, chunk)];
        }

        @Override
        public void writeTo(StateImageFile.Out out, long rows) {
            forEachChunk(chunks, rows, (chunk, used) -> out.ints(chunk, 0, used));
        }

        @Override
        public void readFrom(StateImageFile.In in, long rows) {
            chunks = reserveChunks(chunks, rows, stock::ints);
            forEachChunk(chunks, rows, (chunk, used) -> in.ints(chunk, 0, used));
        }

        @Override
        public Frozen freeze(long rows) {
            if (frozen != null) {
                throw new IllegalStateException("the column is frozen already");
            }
            FrozenArray[] held = freezeChunks(chunks, rows, FrozenArray::of);
            frozen = covering(held, chunks.length);
            return new Frozen(held);
        }

        @Override
        public void thaw() {
            frozen = null;
        }

        void set(long row, int value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
                if (frozen != null) {
                    frozen = covering(frozen, chunks.length);
                }
            }
            int[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = stock.ints(rows(chunk));
            }
            int offset = offset(row, chunk);
            beforeWrite(frozen, chunk, offset);
            rows[offset] = value;
        }
    }

    static final class Bytes implements Column {
        private byte[][] chunks = new byte[INITIAL_CHUNKS][];
        /** While frozen ({@link #freeze}): every chunk entry's freeze ({@link #covering}), which every write checks first; else null. */
        private FrozenArray[] frozen;

        /** See {@link Columns#reserveChunks}; returns the bytes of rows {@code 0..rows-1}'s chunks. */
        long reserve(long rows) {
            chunks = reserveChunks(chunks, rows, byte[]::new);
            return reservedBytes(rows, 1);
        }

        byte get(long row) {
            int chunk = chunk(row);
            return chunks[chunk][offset(row, chunk)];
        }

        @Override
        public void writeTo(StateImageFile.Out out, long rows) {
            forEachChunk(chunks, rows, (chunk, used) -> out.bytes(chunk, 0, used));
        }

        @Override
        public void readFrom(StateImageFile.In in, long rows) {
            chunks = reserveChunks(chunks, rows, byte[]::new);
            forEachChunk(chunks, rows, (chunk, used) -> in.bytes(chunk, 0, used));
        }

        @Override
        public Frozen freeze(long rows) {
            if (frozen != null) {
                throw new IllegalStateException("the column is frozen already");
            }
            FrozenArray[] held = freezeChunks(chunks, rows, FrozenArray::of);
            frozen = covering(held, chunks.length);
            return new Frozen(held);
        }

        @Override
        public void thaw() {
            frozen = null;
        }

        void set(long row, byte value) {
            int chunk = chunk(row);
            if (chunk >= chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, grown(chunks.length, chunk));
                if (frozen != null) {
                    frozen = covering(frozen, chunks.length);
                }
            }
            byte[] rows = chunks[chunk];
            if (rows == null) {
                rows = chunks[chunk] = new byte[rows(chunk)];
            }
            int offset = offset(row, chunk);
            beforeWrite(frozen, chunk, offset);
            rows[offset] = value;
        }
    }
}
