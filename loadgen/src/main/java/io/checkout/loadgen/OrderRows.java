package io.checkout.loadgen;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Order id to row for one stripe of the {@link Ledger}, built for the ids a server hands out: a
 * partition's ids count up from 1 (the partition in the high bits), so a run's new orders are
 * nearly consecutive. The stripe's part of an id (the id without the bits that chose the stripe)
 * indexes pages of {@value #PAGE_SLOTS} rows directly: the page a new order lands in is the one
 * the last order used, so recording an order touches memory that is already in the cache. A hash
 * map scattered consecutive ids over the whole table by design: its probe (a cache miss per order)
 * and its rehashing as it grew were a fifth of the load generator's CPU under the batch stream,
 * on cores it shares with the server under test (2026-12-07).
 *
 * <p>Bounded for any ids: a page is made only while the pages stay within about twice what the
 * rows fill densely (plus {@value #SPARE_PAGES} for partitions' and runs' starts); an id whose
 * page would pass that goes to a hash map instead, so scattered ids cost what the hash map costs,
 * never a page each. Not thread-safe: the ledger locks the stripe around every call.
 */
final class OrderRows {
    /** What {@link #get} answers for an id it does not hold. */
    static final int NONE = -1;

    private static final int PAGE_BITS = 12;
    private static final int PAGE_SLOTS = 1 << PAGE_BITS;
    private static final int SLOT_MASK = PAGE_SLOTS - 1;
    /** Pages allowed beyond twice those the rows would fill if their ids were consecutive. */
    private static final int SPARE_PAGES = 64;

    private final int stripeBits;
    /** Page number to its slots; a slot holds row + 1, 0 when empty. */
    private final Long2ObjectHashMap<int[]> pages = new Long2ObjectHashMap<>();
    /** Ids whose page was not made (they were too scattered): id to row. */
    private final Long2LongHashMap scattered = new Long2LongHashMap(NONE);

    private long lastPageNumber;
    private int[] lastPage;
    private int rows;

    /**
     * @param stripeBits how many low bits of an id chose this stripe (the same for every id it gets),
     *     0..8
     */
    OrderRows(int stripeBits) {
        if (stripeBits < 0 || stripeBits > 8) {
            throw new IllegalArgumentException("stripeBits must be 0..8, got " + stripeBits);
        }
        this.stripeBits = stripeBits;
    }

    /** The row of {@code orderId}, or {@link #NONE}. */
    int get(long orderId) {
        long key = orderId >>> stripeBits;
        int[] page = page(key >>> PAGE_BITS);
        if (page != null) {
            int slot = page[(int) key & SLOT_MASK];
            if (slot != 0) {
                return slot - 1;
            }
        }
        return scattered.isEmpty() ? NONE : (int) scattered.get(orderId);
    }

    /** Remembers {@code orderId} at {@code row} (0 or more); the caller has found it absent. */
    void put(long orderId, int row) {
        if (row < 0 || row == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("row must be 0.." + (Integer.MAX_VALUE - 1) + ", got " + row);
        }
        long key = orderId >>> stripeBits;
        long pageNumber = key >>> PAGE_BITS;
        int[] page = page(pageNumber);
        if (page == null) {
            if (pages.size() >= 2L * (rows / PAGE_SLOTS + 1) + SPARE_PAGES) {
                scattered.put(orderId, row);
                rows++;
                return;
            }
            page = new int[PAGE_SLOTS];
            pages.put(pageNumber, page);
            lastPageNumber = pageNumber;
            lastPage = page;
        }
        page[(int) key & SLOT_MASK] = row + 1;
        rows++;
    }

    /** Pages made so far (tests). */
    int pages() {
        return pages.size();
    }

    /** Ids held in the hash map because their pages were not made (tests). */
    int scattered() {
        return scattered.size();
    }

    private int[] page(long pageNumber) {
        if (lastPage != null && lastPageNumber == pageNumber) {
            return lastPage;
        }
        int[] page = pages.get(pageNumber);
        if (page != null) {
            lastPageNumber = pageNumber;
            lastPage = page;
        }
        return page;
    }
}
