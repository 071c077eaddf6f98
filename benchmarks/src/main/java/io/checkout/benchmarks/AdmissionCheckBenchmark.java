package io.checkout.benchmarks;

import com.lmax.disruptor.BlockingWaitStrategy;
import io.checkout.engine.Command;
import io.checkout.pipeline.CommandRing;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What admission by queueing delay (issue 22) adds to every reserve, on the gRPC thread before it
 * publishes: the ring's wait estimate ({@link CommandRing#queueDelayNanos}, a clock read, the
 * cursor and the consumers' sequences) and what is left of the call's deadline (the gRPC context's
 * deadline, another clock read); the two together are the check's cost (the comparisons after them
 * are free next to a clock read). {@code nanoTime} alone is the baseline.
 *
 * <p>The ring holds {@code inUse} published commands that no consumer takes, as in a crowd; the
 * estimate has its busy windows or not depending on the clock, which is what a real server sees
 * too. Run: {@code java -jar benchmarks/target/benchmarks.jar AdmissionCheckBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Benchmark)
public class AdmissionCheckBenchmark {
    @Param({"0", "4096"})
    public int inUse;

    private CommandRing ring;
    private ScheduledExecutorService deadlines;
    private Context.CancellableContext withDeadline;
    private Context previous;

    @Setup(Level.Trial)
    public void setUp() {
        ring = CommandRing.multiProducer(16_384, System::currentTimeMillis, new BlockingWaitStrategy());
        ring.consumer(); // a consumer that never takes anything: what is published stays in use
        for (int i = 0; i < inUse; i++) {
            ring.tryPublish((request, slot) -> slot.type(request.type()), new Command(), (c, x, f) -> {}, null);
        }
        deadlines = Executors.newSingleThreadScheduledExecutor();
        withDeadline = Context.current().withDeadline(Deadline.after(1, TimeUnit.HOURS), deadlines);
        previous = withDeadline.attach();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        withDeadline.detach(previous);
        withDeadline.close();
        deadlines.shutdownNow();
    }

    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public long queueDelayEstimate() {
        return ring.queueDelayNanos();
    }

    @Benchmark
    public long callersRemaining() {
        Deadline deadline = Context.current().getDeadline();
        return deadline == null ? Long.MAX_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
    }
}
