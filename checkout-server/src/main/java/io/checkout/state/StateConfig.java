package io.checkout.state;

import java.nio.file.Path;

/**
 * Where the state lives and how much of it there may be. Each capacity is the most entries the
 * engine will put in a table; beyond it the caller gets a "table full" answer.
 */
public record StateConfig(Path dataDirectory, int skuCapacity, long orderCapacity, long userCounterCapacity,
        long outcomeCapacity) {

    public StateConfig {
        if (dataDirectory == null) {
            throw new IllegalArgumentException("dataDirectory is required");
        }
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
