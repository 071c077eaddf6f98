package io.checkout.loadgen;

import io.checkout.proto.v1.OrderState;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the server told this run: every acknowledged order, the state it was last told, and
 * anything the run cannot vouch for (calls whose outcome is unknown, answers that contradict
 * earlier ones). The audit checks the server against it. Bounded: past {@code ordersMax} orders it
 * stops remembering and says so, and the audit fails as incomplete rather than pass on a part.
 */
final class Ledger {

    /** Recently acknowledged order ids that read-back operations choose from. */
    private static final int RECENT_ORDERS = 65_536;

    /** One acknowledged order. The told state changes only on an acknowledged confirm or cancel. */
    static final class Ack {
        final long orderId;
        final String userId;
        final String skuId;
        final int quantity;
        final long expiresAtEpochMillis;
        volatile OrderState told = OrderState.ORDER_STATE_RESERVED;
        /** A confirm or cancel of it failed without an answer, so it may have happened. */
        volatile boolean changeUnknown;

        Ack(long orderId, String userId, String skuId, int quantity, long expiresAtEpochMillis) {
            this.orderId = orderId;
            this.userId = userId;
            this.skuId = skuId;
            this.quantity = quantity;
            this.expiresAtEpochMillis = expiresAtEpochMillis;
        }
    }

    private final int ordersMax;
    private final ConcurrentHashMap<Long, Ack> orders;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong untracked = new AtomicLong();
    private final AtomicLong duplicateOrderIds = new AtomicLong();
    private final AtomicLong ambiguousReserves = new AtomicLong();
    private final AtomicLong ambiguousChanges = new AtomicLong();
    private final AtomicLong repeatMismatches = new AtomicLong();
    private final AtomicLong readBackMismatches = new AtomicLong();
    private final AtomicLongArray recent = new AtomicLongArray(RECENT_ORDERS);
    private final AtomicLong recentWritten = new AtomicLong();

    Ledger(int ordersMax) {
        this.ordersMax = ordersMax;
        this.orders = new ConcurrentHashMap<>(Math.min(ordersMax, 1 << 16));
    }

    /** Records an acknowledged RESERVED answer. */
    void reserved(long orderId, String userId, String skuId, int quantity, long expiresAtEpochMillis) {
        if (size.incrementAndGet() > ordersMax) {
            size.decrementAndGet();
            untracked.incrementAndGet();
            return;
        }
        Ack previous = orders.putIfAbsent(orderId, new Ack(orderId, userId, skuId, quantity, expiresAtEpochMillis));
        if (previous != null) {
            // Two different reserves told the same order id: the server broke its contract.
            size.decrementAndGet();
            duplicateOrderIds.incrementAndGet();
            return;
        }
        recent.set((int) (recentWritten.getAndIncrement() % RECENT_ORDERS), orderId);
    }

    /** Records an acknowledged confirm or cancel: the order's state as the server answered it. */
    void changed(long orderId, OrderState state) {
        Ack ack = orders.get(orderId);
        if (ack != null) {
            ack.told = state;
        }
    }

    /** A confirm or cancel failed without a clear refusal: the change may or may not have happened. */
    void changeUnknown(long orderId) {
        ambiguousChanges.incrementAndGet();
        Ack ack = orders.get(orderId);
        if (ack != null) {
            ack.changeUnknown = true;
        }
    }

    /** A reserve failed without a clear refusal: the server may hold units the run never heard of. */
    void reserveUnknown() {
        ambiguousReserves.incrementAndGet();
    }

    /** A reserve sent again with the same request id got a different answer than the first time. */
    void repeatMismatch() {
        repeatMismatches.incrementAndGet();
    }

    /** A read-back of an order during the run contradicted what the run was told. */
    void readBackMismatch() {
        readBackMismatches.incrementAndGet();
    }

    /** A recently acknowledged order id, or 0 when none was acknowledged yet. */
    long recentOrderId(int draw) {
        long written = recentWritten.get();
        if (written == 0) {
            return 0;
        }
        int filled = (int) Math.min(written, RECENT_ORDERS);
        return recent.get(draw % filled);
    }

    Ack get(long orderId) {
        return orders.get(orderId);
    }

    Collection<Ack> orders() {
        return orders.values();
    }

    int ordersMax() {
        return ordersMax;
    }

    long untracked() {
        return untracked.get();
    }

    long duplicateOrderIds() {
        return duplicateOrderIds.get();
    }

    long ambiguousReserves() {
        return ambiguousReserves.get();
    }

    long ambiguousChanges() {
        return ambiguousChanges.get();
    }

    long repeatMismatches() {
        return repeatMismatches.get();
    }

    long readBackMismatches() {
        return readBackMismatches.get();
    }
}
