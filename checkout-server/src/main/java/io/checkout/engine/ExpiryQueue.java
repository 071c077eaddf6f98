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
 * bounds. Arrays grow by half when full and never shrink; nothing is allocated otherwise.
 */
final class ExpiryQueue {
    // ---- FIFO: a ring of (expiry, order id) in non-decreasing order -----------------------------
    private long[] fifoExpiresAt;
    private long[] fifoOrderIds;
    private int fifoHead;
    private int fifoSize;

    // ---- heap: everything added out of order ------------------------------------------------------
    private long[] heapExpiresAt;
    private long[] heapOrderIds;
    private int heapSize;

    ExpiryQueue(int initialCapacity) {
        int capacity = Math.max(16, initialCapacity);
        fifoExpiresAt = new long[capacity];
        fifoOrderIds = new long[capacity];
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
        if (fifoSize == 0 || !less(expiresAt, orderId, fifoLastExpiresAt(), fifoLastOrderId())) {
            addToFifo(expiresAt, orderId);
        } else {
            addToHeap(expiresAt, orderId);
        }
    }

    /** The earliest expiry time; only when not empty. */
    long peekExpiresAt() {
        return fifoFirst() ? fifoExpiresAt[fifoHead] : heapExpiresAt[0];
    }

    /** Removes the earliest entry and returns its order id; only when not empty. */
    long poll() {
        if (fifoFirst()) {
            long orderId = fifoOrderIds[fifoHead];
            fifoHead = (fifoHead + 1) % fifoOrderIds.length;
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
        return ahead < fifoSize ? fifoOrderIds[(fifoHead + ahead) % fifoOrderIds.length] : 0;
    }

    /** Whether the FIFO holds the earliest entry. */
    private boolean fifoFirst() {
        if (heapSize == 0) {
            return true;
        }
        return fifoSize > 0 && less(fifoExpiresAt[fifoHead], fifoOrderIds[fifoHead], heapExpiresAt[0], heapOrderIds[0]);
    }

    private long fifoLastExpiresAt() {
        return fifoExpiresAt[(fifoHead + fifoSize - 1) % fifoExpiresAt.length];
    }

    private long fifoLastOrderId() {
        return fifoOrderIds[(fifoHead + fifoSize - 1) % fifoOrderIds.length];
    }

    private void addToFifo(long expiresAt, long orderId) {
        int length = fifoOrderIds.length;
        if (fifoSize == length) {
            int grown = Math.addExact(length, length >> 1);
            fifoExpiresAt = unrolled(fifoExpiresAt, grown);
            fifoOrderIds = unrolled(fifoOrderIds, grown);
            fifoHead = 0;
            length = grown;
        }
        int tail = (fifoHead + fifoSize) % length;
        fifoExpiresAt[tail] = expiresAt;
        fifoOrderIds[tail] = orderId;
        fifoSize++;
    }

    /** The ring's entries, oldest first, at the start of a new array of {@code length}. */
    private long[] unrolled(long[] ring, int length) {
        long[] copy = new long[length];
        int firstPart = Math.min(fifoSize, ring.length - fifoHead);
        System.arraycopy(ring, fifoHead, copy, 0, firstPart);
        System.arraycopy(ring, 0, copy, firstPart, fifoSize - firstPart);
        return copy;
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
