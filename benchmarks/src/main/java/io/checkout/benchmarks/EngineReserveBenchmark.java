package io.checkout.benchmarks;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same flash sales as {@link PipelineReserveBenchmark}, without the pipeline: the JMH thread
 * fills one reused {@link Command} and calls {@link CheckoutBook#execute} itself, over the packed
 * state the server runs on. Against the pipeline benchmark it shows what the ring and the thread
 * hand-offs cost.
 *
 * <p>Per command, the loop does what the pipeline does around the engine: clear the command, fill
 * it (with a {@code System.currentTimeMillis()} timestamp, as the server stamps commands), execute
 * and check the answer. One operation is one reserve; one invocation is a whole sale of
 * {@link Workload#SALE_SIZE} reserves on a fresh state, created, checked and dropped outside the
 * timed region, exactly as in the pipeline benchmark.
 * {@code gc.alloc.rate.norm} includes that setup spread over the sale; {@code timed.alloc.norm}
 * (added with {@code -prof gc}) counts only the timed region.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 10, timeUnit = TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgs = {"-Xms4g", "-Xmx4g", "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"})
@Threads(1)
@State(Scope.Benchmark)
public class EngineReserveBenchmark {
    @Param({"hotSku", "catalog"})
    public String scenario;

    /** Table capacities as a multiple of the sale size (1: sized exactly for it). */
    @Param("1")
    public int capacityMultiple;

    /**
     * As the server's {@code state-memory}: {@code on-demand} (its default) takes memory as rows are
     * written, {@code preallocate} allocates the tables for their capacities in the (untimed) setup.
     */
    @Param("on-demand")
    public String stateMemory;

    private Workload workload;
    private CheckoutState checkoutState;
    private CheckoutBook book;
    private final Command command = new Command();
    private int refused;
    private ResultCode firstRefusal;

    @Setup(Level.Trial)
    public void buildWorkload() {
        workload = Workload.create(scenario);
    }

    @Setup(Level.Invocation)
    public void openSale() {
        checkoutState = Workload.newPackedState(workload.skuCount(), capacityMultiple, stateMemory);
        book = new CheckoutBook(checkoutState, EngineLimits.defaults());
        workload.createSkus(book, System.currentTimeMillis());
        refused = 0;
        firstRefusal = null;
    }

    @Benchmark
    @OperationsPerInvocation(Workload.SALE_SIZE)
    public int flashSale() {
        long allocatedBefore = TimedAllocationProfiler.start();
        final Workload sale = workload;
        final CheckoutBook engine = book;
        final Command c = command;
        for (int i = 0; i < Workload.SALE_SIZE; i++) {
            c.clear();
            sale.fillReserve(c, i, System.currentTimeMillis());
            engine.execute(c);
            if (c.result() != ResultCode.SUCCESS && refused++ == 0) {
                firstRefusal = c.result();
            }
        }
        TimedAllocationProfiler.stop(allocatedBefore, Workload.SALE_SIZE);
        return refused;
    }

    @TearDown(Level.Invocation)
    public void closeSale() {
        try {
            if (refused > 0) {
                throw new IllegalStateException(refused + " of " + Workload.SALE_SIZE + " reserves were not SUCCESS,"
                        + " the first " + firstRefusal + "; the sale must take the full success path");
            }
            workload.checkAfterSale(book);
        } finally {
            closeState();
        }
    }

    @TearDown(Level.Trial)
    public void cleanUp() {
        closeState();
    }

    private void closeState() {
        checkoutState = null;
        book = null; // the sale's state becomes garbage before the next sale is set up
    }
}
