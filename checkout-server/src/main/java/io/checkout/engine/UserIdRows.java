package io.checkout.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A set of user ids, each in a dense row (0..size()-1), found through an {@link IdIndex}. The ids'
 * bytes live in one array at a fixed stride of {@link EngineLimits#ID_LENGTH_MAX}, so adding a user
 * allocates nothing once the arrays have grown to the most rows held so far: the attempt counters
 * add users on the reserve path and start afresh every window.
 *
 * <p>Removing a user moves the last row into its place, so rows stay dense. Arrays grow by doubling
 * up to {@code capacity} rows and never shrink. One thread uses a set.
 */
final class UserIdRows {
    private static final int STRIDE = EngineLimits.ID_LENGTH_MAX;
    private static final int INITIAL_ROWS = 16;

    private final int capacity;
    private IdIndex index;
    /** Moves a row's id back into the index after a removal. */
    private final IdBuffer scratch = new IdBuffer();

    private byte[] bytes = new byte[INITIAL_ROWS * STRIDE];
    private byte[] lengths = new byte[INITIAL_ROWS];
    private int[] hashes = new int[INITIAL_ROWS];
    private int size;

    UserIdRows(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.index = newIndex(INITIAL_ROWS);
    }

    private IdIndex newIndex(int expected) {
        return new IdIndex(expected, (row, id) -> id.contentEquals(bytes, row * STRIDE, lengths[row]));
    }

    /**
     * Takes the memory for every row the capacity allows now, so that adding users later allocates
     * nothing; called on an admin path, never on a reserve. Does nothing if it was taken already.
     */
    void preallocate() {
        if (lengths.length == capacity) {
            return;
        }
        bytes = Arrays.copyOf(bytes, capacity * STRIDE);
        lengths = Arrays.copyOf(lengths, capacity);
        hashes = Arrays.copyOf(hashes, capacity);
        IdIndex sized = newIndex(capacity);
        for (int row = 0; row < size; row++) {
            sized.add(idOf(row), row);
        }
        index = sized;
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    /** Reads the slot where a lookup of {@code userId} starts (see {@link IdIndex#touch}); 0 when empty. */
    long touch(IdBuffer userId) {
        return size == 0 ? 0 : index.touch(userId);
    }

    /** Whether {@code row} (0..size()-1) holds {@code userId}: a check without a probe. */
    boolean holds(int row, IdBuffer userId) {
        return row < size && userId.contentEquals(bytes, row * STRIDE, lengths[row]);
    }

    /** The row holding {@code userId}, or -1. */
    int rowOf(IdBuffer userId) {
        return index.get(userId);
    }

    /**
     * Adds {@code userId}, which the caller knows is absent, valid (1..{@link EngineLimits#ID_LENGTH_MAX}
     * bytes) and fits ({@code size() < capacity()}).
     *
     * @return its row
     */
    int add(IdBuffer userId) {
        int length = userId.length();
        if (length < 1 || length > STRIDE) {
            throw new IllegalArgumentException("not a user id: " + userId);
        }
        if (size >= capacity) {
            throw new IllegalStateException("user rows full at " + capacity);
        }
        int row = size;
        if (row == lengths.length) {
            int rows = (int) Math.min(capacity, 2L * row);
            bytes = Arrays.copyOf(bytes, rows * STRIDE);
            lengths = Arrays.copyOf(lengths, rows);
            hashes = Arrays.copyOf(hashes, rows);
        }
        userId.copyTo(bytes, row * STRIDE);
        lengths[row] = (byte) length;
        hashes[row] = userId.hash();
        index.add(userId, row);
        size++;
        return row;
    }

    /**
     * Removes {@code userId} if present: the last row moves into its row.
     *
     * @return the row it held (now holding what was the last row), or -1
     */
    int remove(IdBuffer userId) {
        int row = index.remove(userId);
        if (row == IdIndex.NONE) {
            return -1;
        }
        int last = size - 1;
        if (row != last) {
            index.removeRow(hashes[last], last);
            System.arraycopy(bytes, last * STRIDE, bytes, row * STRIDE, lengths[last]);
            lengths[row] = lengths[last];
            hashes[row] = hashes[last];
            index.add(idOf(row), row);
        }
        size--;
        return row;
    }

    /** Forgets every user; the memory is kept for the next ones. */
    void clear() {
        if (size > 0) {
            index.clear();
            size = 0;
        }
    }

    /** The id in {@code row}, as a new {@code String}: for snapshots and answers. */
    String userId(int row) {
        return new String(bytes, row * STRIDE, lengths[row], StandardCharsets.ISO_8859_1);
    }

    private IdBuffer idOf(int row) {
        return scratch.set(bytes, row * STRIDE, lengths[row]);
    }
}
