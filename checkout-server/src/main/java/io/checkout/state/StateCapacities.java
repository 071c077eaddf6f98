package io.checkout.state;

/**
 * How much state there may be. Each capacity is the most entries the engine will put in a table;
 * beyond it the caller gets a "table full" answer.
 */
public record StateCapacities(int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {

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
}
