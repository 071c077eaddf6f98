package io.checkout.engine;

import java.util.Arrays;

/**
 * Finds a row by its id ({@link IdBuffer}): an open-addressing hash table with linear probing whose slots hold
 * the id's 32-bit hash next to the row, packed in one {@code long}. A probe reads only the slot
 * array, and the id itself is compared only when the full hash matches, so a lookup costs one or
 * two cache lines however full the table is.
 *
 * <p>Why not a general map of {@code String} to {@code int} (Agrona's {@code Object2IntHashMap}):
 * such a map compares keys with {@code equals} on every occupied slot it passes, and each compare
 * reads the stored {@code String} and its byte array, two cache misses per probe on a table of
 * millions of ids, the largest cost of replaying a long journal (benchmarks/README.md, recovery).
 *
 * <p>The ids live with the caller (the SKU records, or the state's id bytes); the index asks
 * {@link KeyMatcher} whether a row holds a given id. Removal shifts later entries back (no
 * tombstones), so the table never degrades. One thread uses an index. Rows are 0 to
 * {@code Integer.MAX_VALUE - 1}; the table doubles when it passes its load factor, up to 2^30 slots.
 */
public final class IdIndex {
    public static final int NONE = -1;
    private static final float LOAD_FACTOR = 0.75f;
    private static final int SLOTS_MAX = 1 << 30;

    /** Tells whether {@code row} holds {@code id}. */
    @FunctionalInterface
    public interface KeyMatcher {
        boolean matches(int row, IdBuffer id);
    }

    /** Where {@link #writeSlots} writes the slot array (a snapshot's image of the index). */
    @FunctionalInterface
    public interface SlotsOut {
        void longs(long[] array, int offset, int length);
    }

    /** Where {@link #readSlots} reads what {@link #writeSlots} wrote. */
    @FunctionalInterface
    public interface SlotsIn {
        void longs(long[] into, int offset, int length);
    }

    /** Slots read at a time when an image is re-inserted into a table of another size. */
    private static final int READ_BLOCK = 8192;

    private final KeyMatcher matcher;
    private long[] slots;
    private int mask;
    private int shift;
    private int size;
    private int resizeAt;
    /** While frozen ({@link #freeze}): the slots held for a reader, which every write checks first; else null. */
    private FrozenArray frozen;

    /** Sized so that {@code expected} entries fit without growing. */
    public IdIndex(long expected, KeyMatcher matcher) {
        this(new long[slotsFor(expected)], matcher);
    }

    /**
     * An index over {@code freshSlots}, an array just allocated (all zero) of {@link #slotsFor} slots:
     * for a caller that has a large one zeroed on another thread meanwhile.
     */
    public IdIndex(long[] freshSlots, KeyMatcher matcher) {
        int count = freshSlots.length;
        if (count < 16 || count > SLOTS_MAX || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("slot count must be a power of two in 16.." + SLOTS_MAX + ": " + count);
        }
        this.matcher = matcher;
        use(freshSlots);
    }

    /** The slots of an index sized so that {@code expected} entries fit without growing. */
    public static int slotsFor(long expected) {
        long wanted = Math.max(16, (long) (Math.min(expected, SLOTS_MAX) / LOAD_FACTOR) + 1);
        return (int) Math.min(SLOTS_MAX, Long.highestOneBit(wanted - 1) << 1);
    }

    private void use(long[] emptySlots) {
        int slotCount = emptySlots.length;
        slots = emptySlots;
        mask = slotCount - 1;
        shift = 64 - Integer.numberOfTrailingZeros(slotCount);
        resizeAt = (int) Math.min(Integer.MAX_VALUE, (long) (slotCount * (double) LOAD_FACTOR));
    }

    public int size() {
        return size;
    }

    /** The table's length: a power of two. */
    public int slotCount() {
        return slots.length;
    }

    /** Writes the slot array as it is: {@link #slotCount} longs, each an entry's hash and row + 1, or 0. */
    public void writeSlots(SlotsOut out) {
        out.longs(slots, 0, slots.length);
    }

    /**
     * Fills this empty index from what {@link #writeSlots} wrote of an index of {@code slotCount}
     * slots holding {@code entries} entries: read straight into the table if it has as many slots
     * (no entry re-inserted, so no cache miss an entry), else each entry re-inserted. Refuses a row
     * of {@code rowLimit} or above and a count of entries other than {@code entries}, so a damaged
     * image stops the load instead of pointing lookups at rows that are not there.
     */
    public void readSlots(int slotCount, int entries, int rowLimit, SlotsIn in) {
        if (size != 0) {
            throw new IllegalStateException("an index reads slots only while empty; it holds " + size);
        }
        if (slotCount < 16 || slotCount > SLOTS_MAX || Integer.bitCount(slotCount) != 1) {
            throw new IllegalStateException(
                    "an index image of " + slotCount + " slots: not a power of two in 16.." + SLOTS_MAX);
        }
        if (entries < 0 || entries > slotCount || entries > rowLimit) {
            throw new IllegalStateException("an index image of " + slotCount + " slots for " + rowLimit + " rows holds "
                    + entries + " entries");
        }
        int found = 0;
        if (slotCount == slots.length) {
            in.longs(slots, 0, slotCount);
            for (long entry : slots) {
                if (entry != 0) {
                    requireRow(entry, rowLimit);
                    found++;
                }
            }
        } else {
            int wanted = slotsFor(entries);
            if (wanted > slots.length) {
                use(new long[wanted]);
            }
            if (entries > resizeAt) {
                throw new IllegalStateException("id index full at " + entries + " entries");
            }
            long[] block = new long[Math.min(slotCount, READ_BLOCK)];
            for (int done = 0; done < slotCount; done += block.length) {
                in.longs(block, 0, block.length);
                for (long entry : block) {
                    if (entry != 0) {
                        requireRow(entry, rowLimit);
                        if (++found > entries) {
                            break;
                        }
                        insert((int) (entry >>> 32), (int) entry - 1);
                    }
                }
            }
        }
        if (found != entries) {
            Arrays.fill(slots, 0L);
            throw new IllegalStateException("an index image says " + entries + " entries and holds " + found);
        }
        size = entries;
    }

    private void requireRow(long entry, int rowLimit) {
        int row = (int) entry - 1;
        if (row < 0 || row >= rowLimit) {
            Arrays.fill(slots, 0L);
            throw new IllegalStateException("an index image names row " + row + " of " + rowLimit);
        }
    }

    /**
     * Holds the slot table as it is now for a reader on another thread ({@link FrozenArray#read}
     * hands it over as {@link #writeSlots} would have, {@link #slotCount} longs), until {@link
     * #thaw}; the owner's adds and removes go on, copying a unit of slots aside first where the
     * reader has not read it yet. Take {@link #size} and {@link #slotCount} at the same time.
     */
    public FrozenArray freeze() {
        if (frozen != null) {
            throw new IllegalStateException("the index is frozen already");
        }
        frozen = FrozenArray.of(slots, slots.length);
        return frozen;
    }

    /** Ends the freeze: call once the reader has read (or abandoned) the slots it was given. */
    public void thaw() {
        frozen = null;
    }

    /** The row holding {@code id}, or {@link #NONE}. */
    public int get(IdBuffer id) {
        int slot = slotOf(id);
        return slot < 0 ? NONE : (int) slots[slot] - 1;
    }

    /** The slot holding {@code id}, or -1. */
    private int slotOf(IdBuffer id) {
        int hash = id.hash();
        long[] table = slots;
        int slot = home(hash);
        long entry;
        while ((entry = table[slot]) != 0) {
            if ((int) (entry >>> 32) == hash && matcher.matches((int) entry - 1, id)) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /**
     * Reads the slot where a lookup of {@code id} starts, so that the lookup itself finds it in the
     * cache; returns what it read, for the caller to fold into a field (a read whose value is never
     * used may be left out by the compiler).
     */
    public long touch(IdBuffer id) {
        return slots[home(id.hash())];
    }

    /** Adds {@code id} at {@code row}; the caller knows the id is not in the index yet. */
    public void add(IdBuffer id, int row) {
        if (row < 0 || row == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("row out of range: " + row);
        }
        if (size >= resizeAt) {
            grow();
        }
        insert(id.hash(), row);
        size++;
    }

    /** Removes {@code id} if present; returns its row, or {@link #NONE}. */
    public int remove(IdBuffer id) {
        int slot = slotOf(id);
        if (slot < 0) {
            return NONE;
        }
        int row = (int) slots[slot] - 1;
        removeAt(slot);
        size--;
        return row;
    }

    /** Removes every entry; the table keeps its size, so refilling it to the same size allocates nothing. */
    public void clear() {
        if (frozen != null) {
            frozen.beforeWrite(0, slots.length);
        }
        Arrays.fill(slots, 0L);
        size = 0;
    }

    /** Removes the entry for {@code row}, whose id hashes to {@code hash}; false if there is none. */
    public boolean removeRow(int hash, int row) {
        long wanted = ((long) hash << 32) | (row + 1L);
        int slot = home(hash);
        long entry;
        while ((entry = slots[slot]) != 0) {
            if (entry == wanted) {
                removeAt(slot);
                size--;
                return true;
            }
            slot = (slot + 1) & mask;
        }
        return false;
    }

    private int home(int hash) {
        return (int) ((hash * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    }

    private void insert(int hash, int row) {
        int slot = home(hash);
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        if (frozen != null) {
            frozen.beforeWrite(slot);
        }
        slots[slot] = ((long) hash << 32) | (row + 1L);
    }

    /** Backward-shift deletion: moves every later entry of the run that may sit in the freed slot. */
    private void removeAt(int freed) {
        int hole = freed;
        int next = hole;
        while (true) {
            next = (next + 1) & mask;
            long entry = slots[next];
            if (entry == 0) {
                break;
            }
            int wanted = home((int) (entry >>> 32));
            // The entry stays if its home lies cyclically in (hole, next].
            boolean stays = hole <= next ? hole < wanted && wanted <= next : hole < wanted || wanted <= next;
            if (!stays) {
                if (frozen != null) {
                    frozen.beforeWrite(hole);
                }
                slots[hole] = entry;
                hole = next;
            }
        }
        if (frozen != null) {
            frozen.beforeWrite(hole);
        }
        slots[hole] = 0;
    }

    private void grow() {
        if (slots.length >= SLOTS_MAX) {
            throw new IllegalStateException("id index full at " + size + " entries");
        }
        long[] old = slots;
        // A reader of a freeze goes on reading the old table, which nothing writes any more.
        frozen = null;
        use(new long[old.length * 2]);
        for (long entry : old) {
            if (entry != 0) {
                insert((int) (entry >>> 32), (int) entry - 1);
            }
        }
    }
}
