package io.checkout.engine;

/**
 * Reservations ordered by expiry time: a binary min-heap over two primitive arrays, so adding and
 * polling never allocate once grown. Entries are never removed early: a confirmed or cancelled
 * order stays until its time comes and is then skipped, because the engine re-reads the order
 * before expiring it. Each order is added once, so the queue never holds more entries than there
 * are orders, which the order table already bounds.
 */
final class ExpiryQueue {
    private long[] expiresAtEpochMillis;
    private long[] orderIds;
    private int size;

    ExpiryQueue(int initialCapacity) {
        int capacity = Math.max(16, initialCapacity);
        expiresAtEpochMillis = new long[capacity];
        orderIds = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long expiresAt, long orderId) {
        if (size == orderIds.length) {
            int grown = Math.addExact(orderIds.length, orderIds.length >> 1);
            expiresAtEpochMillis = java.util.Arrays.copyOf(expiresAtEpochMillis, grown);
            orderIds = java.util.Arrays.copyOf(orderIds, grown);
        }
        int child = size++;
        while (child > 0) {
            int parent = (child - 1) >>> 1;
            if (!less(expiresAt, orderId, expiresAtEpochMillis[parent], orderIds[parent])) {
                break;
            }
            expiresAtEpochMillis[child] = expiresAtEpochMillis[parent];
            orderIds[child] = orderIds[parent];
            child = parent;
        }
        expiresAtEpochMillis[child] = expiresAt;
        orderIds[child] = orderId;
    }

    /** The earliest expiry time; only when not empty. */
    long peekExpiresAt() {
        return expiresAtEpochMillis[0];
    }

    /** Removes the earliest entry and returns its order id; only when not empty. */
    long poll() {
        long head = orderIds[0];
        size--;
        long lastExpiresAt = expiresAtEpochMillis[size];
        long lastOrderId = orderIds[size];
        int parent = 0;
        while (true) {
            int child = 2 * parent + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && less(expiresAtEpochMillis[child + 1], orderIds[child + 1],
                    expiresAtEpochMillis[child], orderIds[child])) {
                child++;
            }
            if (!less(expiresAtEpochMillis[child], orderIds[child], lastExpiresAt, lastOrderId)) {
                break;
            }
            expiresAtEpochMillis[parent] = expiresAtEpochMillis[child];
            orderIds[parent] = orderIds[child];
            parent = child;
        }
        expiresAtEpochMillis[parent] = lastExpiresAt;
        orderIds[parent] = lastOrderId;
        return head;
    }

    /** Ties break on order id so that expiry order, and with it replay, is fully deterministic. */
    private static boolean less(long expiresAtA, long orderIdA, long expiresAtB, long orderIdB) {
        return expiresAtA < expiresAtB || (expiresAtA == expiresAtB && orderIdA < orderIdB);
    }
}
