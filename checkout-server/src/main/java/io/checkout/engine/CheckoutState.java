package io.checkout.engine;

/**
 * Where the engine keeps its state: SKUs, orders, per-(user, SKU) unit counters and the idempotency
 * table. The engine is the only caller and calls from one thread, so implementations need no
 * locking of their own. Every table has a capacity; the engine checks room before it writes
 * anything, so a write never fails half way through a command.
 *
 * <p>The server's live state is {@code PackedCheckoutState}; the tests also run the engine on a plain
 * heap state. Both copy into and out of caller-owned records so the hot path need not allocate.
 * SKUs are few and read on every reserve, so every state keeps them in a {@link SkuTable} on the
 * heap, and the SKU methods here read and write that table. Ids come as {@link IdBuffer}s, which
 * the state may read only during the call; the visits that write snapshots hand out strings.
 */
public interface CheckoutState {
    /** Returned by {@link #skuIndex} for an unknown SKU. */
    int MISSING_SKU = -1;

    // ---- SKUs: dense indexes 0..skuCount()-1, assigned in creation order ----------------------

    /** The SKU records themselves; the methods below are the engine's way to them. */
    SkuTable skus();

    int skuCapacity();

    default int skuIndex(IdBuffer skuId) {
        return skus().indexOf(skuId);
    }

    /** Like {@link #skuIndex(IdBuffer)}, for tests and cold paths (allocates). */
    default int skuIndex(String skuId) {
        return skuIndex(IdBuffer.of(skuId));
    }

    default int skuCount() {
        return skus().size();
    }

    /** Copies SKU {@code index} (0 <= index < skuCount()) into {@code into}. */
    default void readSku(int index, SkuRecord into) {
        skus().read(index, into);
    }

    /** Stores {@code sku}; {@code sku.index == skuCount()} creates it. */
    default void writeSku(SkuRecord sku) {
        skus().write(sku);
    }

    // ---- each user's orders, newest first ---------------------------------------------------------

    /** The id of the user's newest order, or 0 if the user has none. */
    long lastOrderOf(IdBuffer userId);

    /** The id of the order the same user made before order {@code orderId}, or 0 if none (or no such order). */
    long previousOrderOfUser(long orderId);

    // ---- merchants: rows appended, never changed -------------------------------------------------

    /** Merchants and their commission rates over time. */
    MerchantTable merchants();

    /** The most rows {@link #merchants()} may hold. */
    int merchantCapacity();

    // ---- SKU groups: a per-user limit across several SKUs ----------------------------------------

    /** The SKU groups, which hold their own capacity. */
    SkuGroupTable skuGroups();

    // ---- campaigns: terms kept by the state, redemptions counted by the engine --------------------

    /** The campaigns, which hold their own capacities. */
    CampaignTable campaigns();

    // ---- risk rules: blocklist, attempt limit and its counters ----------------------------------

    /** The risk rules and their tables, which hold their own capacities. */
    RiskTable risk();

    // ---- per-(user, SKU) units held: reserved plus paid -------------------------------------

    long userUnits(IdBuffer userId, int skuIndex);

    /** Like {@link #userUnits(IdBuffer, int)}, for tests and cold paths (allocates). */
    default long userUnits(String userId, int skuIndex) {
        return userUnits(IdBuffer.of(userId), skuIndex);
    }

    /** Stores the units; 0 removes the counter so that the table holds only users with units. */
    void writeUserUnits(IdBuffer userId, int skuIndex, long units);

    long userCounterCount();

    long userCounterCapacity();

    // ---- orders: ids 1..orderCount(), dense, never removed --------------------------------

    long orderCount();

    long orderCapacity();

    /** Copies order {@code orderId} into {@code into}; false if there is no such order. */
    boolean readOrder(long orderId, OrderRecord into);

    /**
     * Stores {@code order}; {@code order.orderId == orderCount() + 1} creates it. A payment on the
     * record is stored the first time the order is written with one, and then kept: an order is
     * paid with at most one payment, and a payment pays at most one order (the engine checks both,
     * and room in the payment table, before writing).
     */
    void writeOrder(OrderRecord order);

    // ---- payments: (provider, payment id) to the order it paid, one per paid order ------------

    /** The order the payment {@code (provider, paymentId)} paid, or 0 if it paid none. */
    long paymentOrder(IdBuffer provider, IdBuffer paymentId);

    long paymentCount();

    long paymentCapacity();

    // ---- idempotency ---------------------------------------------------------------------

    /** Copies the first answer given to {@code requestId} into {@code into}; false if none. */
    boolean readOutcome(IdBuffer requestId, Outcome into);

    void writeOutcome(IdBuffer requestId, Outcome outcome);

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
     * {@code userId} (either may be null or absent): an implementation whose tables are larger than the CPU
     * caches may start loading what those lookups will read, so that several commands' cache
     * misses overlap instead of following one another. Changes nothing; the default does nothing.
     */
    default void prefetch(IdBuffer requestId, IdBuffer userId) {}

    /** Like {@link #prefetch}: a hint that order {@code orderId} will be read soon. */
    default void prefetchOrder(long orderId) {}

    /**
     * Like {@link #prefetchOrder}, a step later: order {@code orderId}'s row has been hinted a
     * little earlier, and what reading and releasing the order reads besides its row (its lines,
     * its user's entries) will be needed soon.
     */
    default void prefetchOrderParts(long orderId) {}

    /**
     * Whether the state took the memory for its capacities up front: then the engine sizes its own
     * structures (the expiry queue) for them too, so that nothing grows mid-sale.
     */
    default boolean preallocated() {
        return false;
    }

    // ---- whole-table visits, for snapshots (not the hot path; may allocate) -------------------

    /** Visits every per-(user, SKU) counter; the user id is lent for the call. */
    void forEachUserUnits(UserUnitsVisitor visitor);

    /** Visits every remembered answer, oldest first (the order they were given in); id and answer are lent for the call. */
    void forEachOutcome(OutcomeVisitor visitor);

    @FunctionalInterface
    interface UserUnitsVisitor {
        void visit(IdBuffer userId, int skuIndex, long units);
    }

    @FunctionalInterface
    interface OutcomeVisitor {
        void visit(IdBuffer requestId, Outcome outcome);
    }
}
