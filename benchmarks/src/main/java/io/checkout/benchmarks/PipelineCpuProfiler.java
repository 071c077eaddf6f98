package io.checkout.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;

/**
 * {@code pipeline.cpu.norm}: CPU time of the pipeline's own threads ({@code checkout-pipeline-*}: the
 * business-logic thread, and the journaller's with {@code journalThread=OWN}) while the timed part
 * of an invocation ran, in nanoseconds per operation; {@code producer.cpu.norm}: the same for the
 * benchmark's thread, which publishes. Where {@code pipeline.cpu.norm} is about the inverse of the
 * rate, the single writer was busy all the time and the rate is its cost per command (which, on a
 * shared machine, moves with what the neighbours do to the caches as much as the rate does); where
 * it is well below, the writer waited, for the producer or for fsync.
 *
 * <p>On its own: {@code -prof io.checkout.benchmarks.PipelineCpuProfiler}. The benchmarks report
 * their timed windows through {@link #start()} and {@link #stop(Mark, long)}, from one thread.
 * The pipeline's threads are looked up at each start (a fresh pipeline per invocation), by name,
 * through the thread groups: no safepoint, unlike a thread dump.
 */
public final class PipelineCpuProfiler implements InternalProfiler {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String PIPELINE_THREAD_PREFIX = "checkout-pipeline-";
    /** Threads of the benchmark JVM looked at, at most; a few dozen live there. */
    private static final int THREADS_MAX = 4_096;

    private static volatile long pipelineNanos;
    private static volatile long producerNanos;
    private static volatile long operations;

    /**
     * Where a timed region started: the pipeline threads' ids, their CPU time and the caller's.
     *
     * @param pipelineThreadIds the {@code checkout-pipeline-*} threads alive at the start
     * @param pipelineCpuNanos their CPU time so far
     * @param producerCpuNanos the calling thread's CPU time so far
     */
    record Mark(long[] pipelineThreadIds, long pipelineCpuNanos, long producerCpuNanos) {}

    /**
     * Call first thing in the timed region, once the pipeline runs; pass the result to {@link
     * #stop}.
     */
    static Mark start() {
        long[] ids = pipelineThreadIds();
        return new Mark(ids, pipelineCpuNanos(ids), THREADS.getCurrentThreadCpuTime());
    }

    /** Call last thing in the timed region, on the thread that called {@link #start}. */
    static void stop(Mark start, long completedOperations) {
        long producer = THREADS.getCurrentThreadCpuTime() - start.producerCpuNanos();
        long pipeline = pipelineCpuNanos(start.pipelineThreadIds()) - start.pipelineCpuNanos();
        pipelineNanos += pipeline;
        producerNanos += producer;
        operations += completedOperations;
    }

    private static long pipelineCpuNanos(long[] ids) {
        long total = 0;
        for (long cpu : THREADS.getThreadCpuTime(ids)) {
            // -1: the thread has ended (it cannot within the timed region) or CPU time is not measured.
            total += Math.max(0, cpu);
        }
        return total;
    }

    private static long[] pipelineThreadIds() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[THREADS_MAX];
        int count = root.enumerate(threads, true);
        return Arrays.stream(threads, 0, count)
                .filter(thread -> thread.getName().startsWith(PIPELINE_THREAD_PREFIX) && thread.isAlive())
                .mapToLong(Thread::getId)
                .toArray();
    }

    @Override
    public String getDescription() {
        return "CPU time of the pipeline's threads and of the producer during the timed region, per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        pipelineNanos = 0;
        producerNanos = 0;
        operations = 0;
    }

    @Override
    @SuppressWarnings("rawtypes") // the interface's signature
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        long ops = operations;
        return List.of(
                PerOperation.result("pipeline.cpu.norm", pipelineNanos, ops, "ns/op"),
                PerOperation.result("producer.cpu.norm", producerNanos, ops, "ns/op"));
    }
}
