package io.checkout.state;

/**
 * How much state there may be, and when its memory is taken. Each capacity is the most entries the
 * engine will put in a table; beyond it the caller gets a "table full" answer.
 *
 * @param preallocated whether the live state allocates its tables for these capacities at start-up
 *     ({@link PackedCheckoutState}): a heap too small for them then fails the start, not a sale, and
 *     a reserve allocates nothing. Otherwise memory follows the rows written.
 */
public record StateCapacities(
        int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity, boolean preallocated) {

    public StateCapacities {
        if (skuCapacity < 1) {
            throw new IllegalArgumentException("skuCapacity must be positive: " + skuCapacity);
        }
        if (orderCapacity < 1) {
            throw new IllegalArgumentException("orderCapacity must be positive: " + orderCapacity);
        }
        if (userCounterCapacity < 1) {
            throw new IllegalArgumentException("userCounterCapacity must be positive: " + userCounterCapacity);
        }
        if (outcomeCapacity < 1) {
            throw new IllegalArgumentException("outcomeCapacity must be positive: " + outcomeCapacity);
        }
    }

    /** Capacities whose memory follows the rows written. */
    public StateCapacities(int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {
        this(skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, false);
    }

    /** The same capacities, memory taken as rows are written: for a transient copy of the state. */
    public StateCapacities onDemand() {
        return new StateCapacities(skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, false);
    }
}
