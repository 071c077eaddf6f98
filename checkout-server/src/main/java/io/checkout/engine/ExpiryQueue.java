package io.checkout.engine;

/**
 * Reservations ordered by expiry time, earliest first, ties broken by order id.
 *
 * <p>Two parts: a FIFO for reservations added in order (expiry = creation time + the SKU's TTL, so
 * with one TTL in a sale every new reservation expires after the ones before it), and a binary
 * min-heap for the rest. Adding to the FIFO and polling from it cost O(1) and touch memory in
 * sequence; the heap's O(log n) scattered reads are paid only by reservations that arrive out of
 * order (a SKU with a shorter TTL). {@link #poll()} takes the smaller head of the two, so the
 * order is exactly that of a single heap, and replay stays deterministic.
 *
 * <p>Entries are never removed early: a confirmed or cancelled order stays until its time comes and
 * is then skipped, because the engine re-reads the order before expiring it. Each order is added
 * once, so the queue never holds more entries than there are orders, which the order table already
 * bounds.
 *
 * <p>The FIFO is a ring of chunks of {@link #CHUNK_ENTRIES} entries (each chunk one array, an
 * entry's expiry and order id side by side). A chunk the head has passed is used again by the tail;
 * past the chunks there are, the tail gets a new chunk, and past the ring's slots the ring (of
 * references only) doubles. So growing never copies entries: as one array grown by half, a sale
 * holding millions of reservations copied tens of megabytes on the engine's thread at each growth,
 * and the first growth (at the presized million) also threw the reserve's compiled code away
 * (2026-12-08). Chunks are never freed; nothing is allocated while the chunks there are suffice.
 */
final class ExpiryQueue {
    static final int CHUNK_BITS = 10;
    static final int CHUNK_ENTRIES = 1 << CHUNK_BITS;
    private static final int IN_CHUNK = CHUNK_ENTRIES - 1;

    // ---- FIFO: a ring of chunks of (expiry, order id) in non-decreasing order -------------------
    /**
     * The entry at position {@code p} (counted from the queue's first add) is in chunk slot
     * {@code (p >>> CHUNK_BITS) & chunkMask}, at {@code 2 * (p & IN_CHUNK)}. A slot is null until a
     * chunk is first needed there.
     */
    private long[][] fifoChunks;

    private int chunkMask;
    private long fifoHead;
    private int fifoSize;

    // ---- heap: everything added out of order ------------------------------------------------------
    private long[] heapExpiresAt;
    private long[] heapOrderIds;
    private int heapSize;

    /** A queue with chunks for {@code initialCapacity} FIFO entries (at least one chunk) allocated now. */
    ExpiryQueue(int initialCapacity) {
        int chunks = Math.max(1, (int) ((Math.max(0L, initialCapacity) + IN_CHUNK) >>> CHUNK_BITS));
        int slots = Integer.highestOneBit(chunks);
        slots = slots == chunks ? slots : slots << 1;
        fifoChunks = new long[slots][];
        chunkMask = slots - 1;
        for (int chunk = 0; chunk < chunks; chunk++) {
            fifoChunks[chunk] = new long[2 * CHUNK_ENTRIES];
        }
        heapExpiresAt = new long[16];
        heapOrderIds = new long[16];
    }

    boolean isEmpty() {
        return fifoSize == 0 && heapSize == 0;
    }

    int size() {
        return fifoSize + heapSize;
    }

    void add(long expiresAt, long orderId) {
        if (fifoSize == 0
                || !less(
                        expiresAt,
                        orderId,
                        fifoExpiresAt(fifoHead + fifoSize - 1),
                        fifoOrderId(fifoHead + fifoSize - 1))) {
            addToFifo(expiresAt, orderId);
        } else {
            addToHeap(expiresAt, orderId);
        }
    }

    /** The earliest expiry time; only when not empty. */
    long peekExpiresAt() {
        return fifoFirst() ? fifoExpiresAt(fifoHead) : heapExpiresAt[0];
    }

    /** Removes the earliest entry and returns its order id; only when not empty. */
    long poll() {
        if (fifoFirst()) {
            long orderId = fifoOrderId(fifoHead);
            fifoHead++;
            fifoSize--;
            return orderId;
        }
        return pollHeap();
    }

    /**
     * The order id {@code ahead} places behind the FIFO's head, or 0 if the FIFO is shorter: what
     * polling is likely to return soon, for prefetching. Changes nothing.
     */
    long fifoOrderIdAhead(int ahead) {
        return ahead < fifoSize ? fifoOrderId(fifoHead + ahead) : 0;
    }

    /** How many FIFO chunks are allocated (in use or ready for use again). */
    int fifoChunks() {
        int count = 0;
        for (long[] chunk : fifoChunks) {
            count += chunk == null ? 0 : 1;
        }
        return count;
    }

    /** Whether the FIFO holds the earliest entry. */
    private boolean fifoFirst() {
        if (heapSize == 0) {
            return true;
        }
        return fifoSize > 0 && less(fifoExpiresAt(fifoHead), fifoOrderId(fifoHead), heapExpiresAt[0], heapOrderIds[0]);
    }

    private long fifoExpiresAt(long position) {
        return chunkAt(position)[((int) position & IN_CHUNK) << 1];
    }

    private long fifoOrderId(long position) {
        return chunkAt(position)[(((int) position & IN_CHUNK) << 1) + 1];
    }

    /** The chunk holding FIFO position {@code position}. */
    private long[] chunkAt(long position) {
        return fifoChunks[(int) (position >>> CHUNK_BITS) & chunkMask];
    }

    private void addToFifo(long expiresAt, long orderId) {
        long tail = fifoHead + fifoSize;
        int offset = ((int) tail & IN_CHUNK) << 1;
        if (offset == 0) {
            startChunk(tail >>> CHUNK_BITS);
        }
        long[] chunk = chunkAt(tail);
        chunk[offset] = expiresAt;
        chunk[offset + 1] = orderId;
        fifoSize++;
    }

    /**
     * Makes chunk number {@code chunk} (counted from the queue's first) ready for the tail: its slot
     * is free unless the head's chunk, still in use, is there, in which case the ring doubles first.
     */
    private void startChunk(long chunk) {
        if (chunk - (fifoHead >>> CHUNK_BITS) > chunkMask) {
            doubleRing(chunk);
        }
        int slot = (int) chunk & chunkMask;
        if (fifoChunks[slot] == null) {
            fifoChunks[slot] = new long[2 * CHUNK_ENTRIES];
        }
    }

    /**
     * Doubles the ring's slots: the chunks in use (the head's up to chunk {@code tail}, excluded)
     * take their numbers' slots in the new ring; the others fill free ones.
     */
    private void doubleRing(long tail) {
        long[][] old = fifoChunks;
        int oldMask = chunkMask;
        long[][] ring = new long[Math.multiplyExact(old.length, 2)][];
        int mask = ring.length - 1;
        for (long chunk = fifoHead >>> CHUNK_BITS; chunk < tail; chunk++) {
            ring[(int) chunk & mask] = old[(int) chunk & oldMask];
            old[(int) chunk & oldMask] = null;
        }
        int free = 0;
        for (long[] spare : old) {
            if (spare != null) {
                while (ring[free] != null) {
                    free++;
                }
                ring[free] = spare;
            }
        }
        fifoChunks = ring;
        chunkMask = mask;
    }

    private void addToHeap(long expiresAt, long orderId) {
        if (heapSize == heapOrderIds.length) {
            int grown = Math.addExact(heapOrderIds.length, heapOrderIds.length >> 1);
            heapExpiresAt = java.util.Arrays.copyOf(heapExpiresAt, grown);
            heapOrderIds = java.util.Arrays.copyOf(heapOrderIds, grown);
        }
        int child = heapSize++;
        while (child > 0) {
            int parent = (child - 1) >>> 1;
            if (!less(expiresAt, orderId, heapExpiresAt[parent], heapOrderIds[parent])) {
                break;
            }
            heapExpiresAt[child] = heapExpiresAt[parent];
            heapOrderIds[child] = heapOrderIds[parent];
            child = parent;
        }
        heapExpiresAt[child] = expiresAt;
        heapOrderIds[child] = orderId;
    }

    private long pollHeap() {
        long head = heapOrderIds[0];
        heapSize--;
        long lastExpiresAt = heapExpiresAt[heapSize];
        long lastOrderId = heapOrderIds[heapSize];
        int parent = 0;
        while (true) {
            int child = 2 * parent + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize
                    && less(
                            heapExpiresAt[child + 1],
                            heapOrderIds[child + 1],
                            heapExpiresAt[child],
                            heapOrderIds[child])) {
                child++;
            }
            if (!less(heapExpiresAt[child], heapOrderIds[child], lastExpiresAt, lastOrderId)) {
                break;
            }
            heapExpiresAt[parent] = heapExpiresAt[child];
            heapOrderIds[parent] = heapOrderIds[child];
            parent = child;
        }
        heapExpiresAt[parent] = lastExpiresAt;
        heapOrderIds[parent] = lastOrderId;
        return head;
    }

    /** Ties break on order id so that expiry order, and with it replay, is fully deterministic. */
    private static boolean less(long expiresAtA, long orderIdA, long expiresAtB, long orderIdB) {
        return expiresAtA < expiresAtB || (expiresAtA == expiresAtB && orderIdA < orderIdB);
    }
}
