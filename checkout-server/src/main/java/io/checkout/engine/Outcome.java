package io.checkout.engine;

/**
 * What a request id was first answered with: enough to give a repeat the same answer. Fixed size,
 * no references but to immutable records, so it stores compactly in the idempotency table.
 */
public final class Outcome {
    public CommandType commandType;
    public ResultCode result;
    /** The order created or addressed, or 0. */
    public long orderId;
    /** The order's state as the first answer reported it, or null when there was no order. */
    public OrderState orderState;
    /** The line a refused reserve failed on, or -1. */
    public int failedLine = -1;
    /** Engine time of the first answer: what the retention window counts from. */
    public long atEpochMillis;
    /** For an answer about an order, the order's update time that answer reported; otherwise 0. */
    public long orderUpdatedAtEpochMillis;

    public void set(
            CommandType commandType,
            ResultCode result,
            long orderId,
            OrderState orderState,
            int failedLine,
            long atEpochMillis,
            long orderUpdatedAtEpochMillis) {
        // Stored only when they change: the engine's one Outcome is long-lived, and each reference
        // stored into it would dirty a card for G1 to refine, once per reserve (see Command.typeCode).
        if (this.commandType != commandType) {
            this.commandType = commandType;
        }
        if (this.result != result) {
            this.result = result;
        }
        this.orderId = orderId;
        if (this.orderState != orderState) {
            this.orderState = orderState;
        }
        this.failedLine = failedLine;
        this.atEpochMillis = atEpochMillis;
        this.orderUpdatedAtEpochMillis = orderUpdatedAtEpochMillis;
    }

    public void copyFrom(Outcome other) {
        set(
                other.commandType,
                other.result,
                other.orderId,
                other.orderState,
                other.failedLine,
                other.atEpochMillis,
                other.orderUpdatedAtEpochMillis);
    }

    @Override
    public String toString() {
        return "Outcome{" + commandType + ' ' + result + " order=" + orderId + ' ' + orderState + " failedLine="
                + failedLine
                + " at=" + atEpochMillis
                + " orderUpdatedAt=" + orderUpdatedAtEpochMillis + '}';
    }
}
