package io.checkout.state;

import io.checkout.engine.FrozenArray;
import io.checkout.engine.IdBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Text ids stored as bytes, one after another, for a table that adds ids at its tail and forgets
 * them from its head (the remembered answers), or never (the users). Keeping millions of ids as {@code String} objects
 * costs two objects each and makes every young collection copy them until they are promoted; here
 * they are a length byte and their characters in 4 MB chunks, which G1 allocates straight into the
 * old generation: nothing for the collector to copy or trace.
 *
 * <p>An id is addressed by its position, which only grows. Chunks are reused in a ring sized for
 * the most bytes the table can hold live ({@code capacity} ids of at most {@link #ID_CHARS_MAX}
 * characters), allocated when first written and dropped once every id in them is released, so
 * memory follows the ids actually held. An id never spans two chunks. Ids must be ASCII (the
 * engine accepts only printable ASCII ids before it remembers anything). One thread uses it.
 */
final class IdBytes {
    static final int ID_CHARS_MAX = 127;
    static final int CHUNK_BITS = 22;
    static final int CHUNK_BYTES = 1 << CHUNK_BITS;
    private static final int CHUNK_MASK = CHUNK_BYTES - 1;

    private final ArrayStock stock;
    private final byte[][] chunks;
    private long tail;
    private long released;
    /** Set by {@link #preallocate}: released chunks are kept for reuse instead of dropped. */
    private boolean keepChunks;
    /**
     * While frozen ({@link #freeze}): by ring slot, the chunk held for a reader (null for the slots
     * holding none); an append into a held chunk checks it first. Else null.
     */
    private FrozenArray[] frozenBySlot;

    /**
     * Room for {@code capacity} live ids of up to {@code charsMax} characters each, taking chunks
     * from {@code stock} as they are first written (see {@link ArrayStock}).
     */
    IdBytes(long capacity, int charsMax, ArrayStock stock) {
        this.stock = stock;
        if (charsMax < 1 || charsMax > ID_CHARS_MAX) {
            throw new IllegalArgumentException("charsMax must be 1.." + ID_CHARS_MAX + ": " + charsMax);
        }
        long slots = chunkSlots(capacity, charsMax);
        if (slots > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("capacity too large: " + capacity);
        }
        chunks = new byte[(int) slots][];
    }

    /** The ring's chunks for {@code capacity} ids of up to {@code charsMax} characters. */
    private static long chunkSlots(long capacity, int charsMax) {
        long perChunk = CHUNK_BYTES / (charsMax + 1);
        return (capacity + perChunk - 1) / perChunk + 2;
    }

    /** What {@link #preallocate} allocates for {@code capacity} ids of up to {@code charsMax} characters. */
    static long preallocatedBytes(long capacity, int charsMax) {
        return chunkSlots(capacity, charsMax) * CHUNK_BYTES;
    }

    /**
     * Allocates every chunk of the ring now and keeps them for good, so that appending never
     * allocates; returns the bytes allocated.
     */
    long preallocate() {
        keepChunks = true;
        long bytes = 0;
        for (int slot = 0; slot < chunks.length; slot++) {
            if (chunks[slot] == null) {
                chunks[slot] = new byte[CHUNK_BYTES];
                bytes += CHUNK_BYTES;
            }
        }
        return bytes;
    }

    /** Appends {@code id} and returns its position. */
    long append(IdBuffer id) {
        int length = id.length();
        if (length == 0 || length > ID_CHARS_MAX) {
            throw new IllegalArgumentException("id length must be 1.." + ID_CHARS_MAX + ": " + length);
        }
        long at = tail;
        if ((at & CHUNK_MASK) + length + 1 > CHUNK_BYTES) {
            at = (at | CHUNK_MASK) + 1; // the rest of this chunk stays unused
        }
        if (at + length + 1 - released > (long) (chunks.length - 1) * CHUNK_BYTES) {
            throw new IllegalStateException("id bytes full: release before appending");
        }
        byte[] chunk = chunkFor(at);
        int offset = (int) (at & CHUNK_MASK);
        FrozenArray[] held = frozenBySlot;
        if (held != null) {
            // Appends land past what was written at the freeze, except in a chunk the ring reuses.
            FrozenArray frozen = held[slotOf(at)];
            if (frozen != null && frozen.array() == chunk) {
                frozen.beforeWrite(offset, offset + length + 1);
            }
        }
        chunk[offset] = (byte) length;
        id.copyTo(chunk, offset + 1);
        tail = at + length + 1;
        return at;
    }

    private int slotOf(long position) {
        return (int) ((position >>> CHUNK_BITS) % chunks.length);
    }

    private byte[] chunkFor(long position) {
        int slot = slotOf(position);
        byte[] chunk = chunks[slot];
        if (chunk == null) {
            chunk = chunks[slot] = stock.idBytes();
        }
        return chunk;
    }

    private byte[] chunkAt(long position) {
        return chunks[(int) ((position >>> CHUNK_BITS) % chunks.length)];
    }

    /** Whether the id at {@code position} is {@code id}. */
    boolean matches(long position, IdBuffer id) {
        byte[] chunk = chunkAt(position);
        int offset = (int) (position & CHUNK_MASK);
        return id.contentEquals(chunk, offset + 1, chunk[offset]);
    }

    /** Copies the id at {@code position} into {@code into}. */
    void read(long position, IdBuffer into) {
        byte[] chunk = chunkAt(position);
        int offset = (int) (position & CHUNK_MASK);
        into.set(chunk, offset + 1, chunk[offset]);
    }

    /** Reads the id's length byte, so that a later read finds its line in the cache; returns it. */
    int touch(long position) {
        return chunkAt(position)[(int) (position & CHUNK_MASK)];
    }

    /** The id at {@code position}, as a new string (snapshots and other cold paths). */
    String read(long position) {
        byte[] chunk = chunkAt(position);
        int offset = (int) (position & CHUNK_MASK);
        return new String(chunk, offset + 1, chunk[offset], StandardCharsets.US_ASCII);
    }

    /** The id's {@code String.hashCode()}, computed from its bytes. */
    int hash(long position) {
        byte[] chunk = chunkAt(position);
        int offset = (int) (position & CHUNK_MASK);
        int length = chunk[offset];
        int hash = 0;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + chunk[offset + 1 + i];
        }
        return hash;
    }

    /**
     * Writes what a state image needs: the tail and the released position, then every chunk that
     * holds an id not yet released, up to the tail (the last in part).
     */
    void writeTo(StateImageFile.Out out) {
        out.putLong(tail);
        out.putLong(released);
        for (long chunk = firstLiveChunk(); chunk <= lastLiveChunk(); chunk++) {
            byte[] bytes = chunkAt(chunk << CHUNK_BITS);
            if (bytes == null) {
                throw new IllegalStateException("id bytes miss chunk " + chunk + " below their tail " + tail);
            }
            out.bytes(bytes, 0, usedBytes(chunk));
        }
    }

    /**
     * The ids held as they are now for a reader on another thread, written by {@link Frozen#writeTo}
     * as {@link #writeTo} would write them now, until {@link #thaw}: the owner goes on appending and
     * releasing (appends land past the held bytes; one into a held chunk the ring reuses copies its
     * unit aside first).
     */
    Frozen freeze() {
        if (frozenBySlot != null) {
            throw new IllegalStateException("the id bytes are frozen already");
        }
        long first = firstLiveChunk();
        long last = lastLiveChunk();
        FrozenArray[] held = new FrozenArray[(int) Math.max(0, last - first + 1)];
        FrozenArray[] bySlot = new FrozenArray[chunks.length];
        for (long chunk = first; chunk <= last; chunk++) {
            byte[] bytes = chunkAt(chunk << CHUNK_BITS);
            if (bytes == null) {
                throw new IllegalStateException("id bytes miss chunk " + chunk + " below their tail " + tail);
            }
            FrozenArray frozen = FrozenArray.of(bytes, usedBytes(chunk));
            held[(int) (chunk - first)] = frozen;
            bySlot[slotOf(chunk << CHUNK_BITS)] = frozen;
        }
        frozenBySlot = bySlot;
        return new Frozen(tail, released, held);
    }

    /** Ends the freeze: call once the reader has written (or abandoned) what it was given. */
    void thaw() {
        frozenBySlot = null;
    }

    /** Id bytes as they were at a {@link #freeze}: their tail and released position, and their chunks. */
    static final class Frozen {
        private final long tail;
        private final long released;
        private final Columns.Frozen chunks;

        private Frozen(long tail, long released, FrozenArray[] chunks) {
            this.tail = tail;
            this.released = released;
            this.chunks = new Columns.Frozen(chunks);
        }

        /** Writes what {@link IdBytes#writeTo} wrote at the freeze. Once; the reader's thread. */
        void writeTo(StateImageFile.Out out) {
            out.putLong(tail);
            out.putLong(released);
            chunks.writeTo(out);
        }

        /** Releases every unit not yet written, so the owner never waits for it. */
        void abandon() {
            chunks.abandon();
        }

        /** Units the owner copied aside (see {@link FrozenArray#savedUnits}). */
        long savedUnits() {
            return chunks.savedUnits();
        }
    }

    /**
     * Reads what {@link #writeTo} wrote into these empty id bytes, placing each chunk in this
     * ring's slot for it (the ring may differ in length from the writer's); refuses ids this ring
     * has no room for.
     */
    void readFrom(StateImageFile.In in) {
        if (tail != 0) {
            throw new IllegalStateException("id bytes read an image only while empty");
        }
        long imageTail = in.getLong();
        long imageReleased = in.getLong();
        if (imageTail < 0 || imageReleased < 0 || imageReleased > imageTail) {
            throw new IllegalStateException(
                    "an id bytes image with tail " + imageTail + " and released position " + imageReleased);
        }
        if (imageTail - imageReleased > (long) (chunks.length - 1) * CHUNK_BYTES) {
            throw new IllegalStateException("the snapshot holds " + (imageTail - imageReleased)
                    + " bytes of ids, more than the configured capacity's " + (long) (chunks.length - 1) * CHUNK_BYTES
                    + "; raise the capacity to load it");
        }
        tail = imageTail;
        released = imageReleased;
        for (long chunk = firstLiveChunk(); chunk <= lastLiveChunk(); chunk++) {
            byte[] bytes = chunkFor(chunk << CHUNK_BITS);
            in.bytes(bytes, 0, usedBytes(chunk));
        }
    }

    private long firstLiveChunk() {
        return released >>> CHUNK_BITS;
    }

    /** The chunk of the last byte written, or -1 if none. */
    private long lastLiveChunk() {
        return tail == 0 ? -1 : (tail - 1) >>> CHUNK_BITS;
    }

    /** The bytes of {@code chunk} written, up to the tail. */
    private int usedBytes(long chunk) {
        return chunk == lastLiveChunk() ? (int) (((tail - 1) & CHUNK_MASK) + 1) : CHUNK_BYTES;
    }

    /** The position the next id would be appended at: releasing up to it releases everything. */
    long end() {
        return tail;
    }

    /** Every id before {@code position} is no longer needed: drops the chunks that held only those. */
    void releaseBefore(long position) {
        if (position <= released) {
            return;
        }
        if (keepChunks) {
            released = position;
            return;
        }
        long firstKept = position >>> CHUNK_BITS;
        for (long chunk = released >>> CHUNK_BITS; chunk < firstKept; chunk++) {
            chunks[(int) (chunk % chunks.length)] = null;
        }
        released = position;
    }
}
