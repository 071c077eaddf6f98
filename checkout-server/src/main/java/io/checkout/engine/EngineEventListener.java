package io.checkout.engine;

/**
 * Hears every change the engine makes to an order or a SKU, on the engine's thread, right after
 * the change is written to the state. The order event stream is built from it. Records passed in
 * are the engine's scratch copies: read them during the call, never keep them.
 */
public interface EngineEventListener {
    EngineEventListener NONE = new EngineEventListener() {
        @Override
        public void onOrderChanged(OrderRecord order, OrderState previous) {}

        @Override
        public void onSkuChanged(SkuRecord sku, long stockDelta, boolean upserted, long atEpochMillis) {}
    };

    /**
     * An order was created ({@code previous} null) or moved to {@code order.state}; its
     * {@code updatedAtEpochMillis} is when.
     */
    void onOrderChanged(OrderRecord order, OrderState previous);

    /**
     * An order was refunded, in part or whole ({@code order.refundedQuantity(line)} counts every
     * unit refunded so far, {@code refundedNow[line]} those of this refund), for {@code reason}
     * (null: none given). One event, like {@link #onOrderChanged}, which it defaults to.
     */
    default void onOrderRefunded(OrderRecord order, OrderState previous, String reason, int[] refundedNow) {
        onOrderChanged(order, previous);
    }

    /** A SKU was defined or updated ({@code upserted}), or its stock adjusted by {@code stockDelta}. */
    void onSkuChanged(SkuRecord sku, long stockDelta, boolean upserted, long atEpochMillis);
}
