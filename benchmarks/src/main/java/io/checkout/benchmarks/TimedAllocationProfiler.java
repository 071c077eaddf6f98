package io.checkout.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;

/**
 * {@code timed.alloc.norm}: bytes allocated by all threads of the benchmark JVM while the timed
 * part of an invocation ran, per operation. Where {@code -prof gc}'s {@code gc.alloc.rate.norm}
 * spreads over the operations everything the iteration allocated, per-invocation setup included
 * (a fresh engine per sale: the ring's preallocated slots, the maps, the catalog's SKUs), this
 * counts only what happens between the first publish and the last reply: what commands cost.
 *
 * <p>{@link BenchmarkMain} adds it whenever {@code -prof gc} is asked for; on its own:
 * {@code -prof io.checkout.benchmarks.TimedAllocationProfiler}. The benchmarks report their
 * timed windows through {@link #start()} and {@link #stop(long, long)}, from one thread.
 */
public final class TimedAllocationProfiler implements InternalProfiler {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static volatile long bytes;
    private static volatile long operations;

    /** Call first thing in the timed region; pass the result to {@link #stop}. */
    static long start() {
        return THREADS.getTotalThreadAllocatedBytes();
    }

    /** Call last thing in the timed region. */
    static void stop(long startBytes, long completedOperations) {
        long allocated = THREADS.getTotalThreadAllocatedBytes() - startBytes;
        bytes += allocated;
        operations += completedOperations;
    }

    @Override
    public String getDescription() {
        return "Bytes allocated (all threads) during the timed region only, per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        bytes = 0;
        operations = 0;
    }

    @Override
    @SuppressWarnings("rawtypes") // the interface's signature
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        return List.of(PerOperation.result("timed.alloc.norm", bytes, operations, "B/op"));
    }
}
