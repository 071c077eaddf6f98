package io.checkout.benchmarks;

import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.ScalarResult;

/** What the benchmarks' own JMH profilers report: a total over an iteration's timed regions, per operation. */
final class PerOperation {
    private PerOperation() {}

    /** {@code total / operations} as {@code label} in {@code unit}, averaged over iterations; NaN with no operation. */
    static ScalarResult result(String label, long total, long operations, String unit) {
        double perOperation = operations == 0 ? Double.NaN : (double) total / operations;
        return new ScalarResult(label, perOperation, unit, AggregationPolicy.AVG);
    }
}
