package io.checkout.engine;

/**
 * Where the engine keeps its state: SKUs, orders, per-(user, SKU) unit counters and the idempotency
 * table. The engine is the only caller and calls from one thread, so implementations need no
 * locking of their own. Every table has a capacity; the engine checks room before it writes
 * anything, so a write never fails half way through a command.
 *
 * <p>Implementations: {@code PackedCheckoutState} (the server's live state), the Chronicle Map one
 * (the snapshot format) and {@code HeapCheckoutState} (tests, simulation). All copy into and out of
 * caller-owned records so the hot path need not allocate.
 */
public interface CheckoutState extends AutoCloseable {
    /** Returned by {@link #skuIndex} for an unknown SKU. */
    int MISSING_SKU = -1;

    // ---- SKUs: dense indexes 0..skuCount()-1, assigned in creation order ----------------------

    int skuIndex(String skuId);

    int skuCount();

    int skuCapacity();

    /** Copies SKU {@code index} (0 <= index < skuCount()) into {@code into}. */
    void readSku(int index, SkuRecord into);

    /** Stores {@code sku}; {@code sku.index == skuCount()} creates it. */
    void writeSku(SkuRecord sku);

    // ---- per-(user, SKU) units held: reserved plus paid -------------------------------------

    long userUnits(String userId, int skuIndex);

    /** Stores the units; 0 removes the counter so that the table holds only users with units. */
    void writeUserUnits(String userId, int skuIndex, long units);

    long userCounterCount();

    long userCounterCapacity();

    // ---- orders: ids 1..orderCount(), dense, never removed --------------------------------

    long orderCount();

    long orderCapacity();

    /** Copies order {@code orderId} into {@code into}; false if there is no such order. */
    boolean readOrder(long orderId, OrderRecord into);

    /** Stores {@code order}; {@code order.orderId == orderCount() + 1} creates it. */
    void writeOrder(OrderRecord order);

    // ---- idempotency ---------------------------------------------------------------------

    /** Copies the first answer given to {@code requestId} into {@code into}; false if none. */
    boolean readOutcome(String requestId, Outcome into);

    void writeOutcome(String requestId, Outcome outcome);

    long outcomeCount();

    long outcomeCapacity();

    /**
     * Lets the state forget answers first given before {@code cutoffEpochMillis}. Called on every
     * tick when a retention window is set. An implementation may forget them all at once or a part
     * per call (the server's bounds the work per call), but never an answer given at or after the
     * cutoff; which answers go may depend only on the state and these arguments, so that the same
     * commands leave the same state.
     */
    void forgetOutcomesBefore(long cutoffEpochMillis, long nowMillis);

    /**
     * A hint that the engine will soon look up the answer to {@code requestId} and the units of
     * {@code userId} (either may be null): an implementation whose tables are larger than the CPU
     * caches may start loading what those lookups will read, so that several commands' cache
     * misses overlap instead of following one another. Changes nothing; the default does nothing.
     */
    default void prefetch(String requestId, String userId) {
    }

    /** Like {@link #prefetch}: a hint that order {@code orderId} will be read soon. */
    default void prefetchOrder(long orderId) {
    }

    /**
     * Like {@link #prefetchOrder}, a step later: order {@code orderId}'s row has been hinted a
     * little earlier, and what reading and releasing the order reads besides its row (its lines,
     * its user's entries) will be needed soon.
     */
    default void prefetchOrderParts(long orderId) {
    }

    /**
     * Writes out anything the implementation holds back for efficiency. The pipeline calls it at
     * the end of every batch; {@link #close()} calls it too. Reads never need it: they always see
     * every write made before them.
     */
    default void flush() {
    }

    // ---- whole-table visits, for snapshots (not the hot path; may allocate) -------------------

    /** Visits every per-(user, SKU) counter. */
    void forEachUserUnits(UserUnitsVisitor visitor);

    /** Visits every remembered answer; implementations that can, go oldest first. */
    void forEachOutcome(OutcomeVisitor visitor);

    @FunctionalInterface
    interface UserUnitsVisitor {
        void visit(String userId, int skuIndex, long units);
    }

    @FunctionalInterface
    interface OutcomeVisitor {
        void visit(String requestId, Outcome outcome);
    }

    /** Flushes and releases resources. The state is unusable afterwards. */
    @Override
    void close();
}
