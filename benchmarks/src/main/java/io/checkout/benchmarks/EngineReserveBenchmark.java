package io.checkout.benchmarks;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import java.nio.file.Path;
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
 * fills one reused {@link Command} and calls {@link CheckoutBook#execute} itself, over either the
 * packed heap state the server runs on, the Chronicle Map state (the former live state, now the
 * snapshot format) or the heap state the tests use. Comparing them shows where a reserve's time goes:
 *
 * <ul>
 *   <li>pipeline vs engine on {@code chronicle}: what the ring, the thread hand-offs and the
 *       replier cost (and, on 2 cores, what three busy threads sharing them cost);</li>
 *   <li>engine on {@code chronicle} vs {@code heap}: what Chronicle Map costs against
 *       {@code HashMap}s of objects. The heap state copies every record it stores and keeps them
 *       all (an order record with its 64-line arrays is about 1 KB), so its cost is mostly
 *       allocation and GC, not lookups: it is a reference point, not a tuned alternative.</li>
 * </ul>
 *
 * Per command, the loop does what the pipeline does around the engine: clear the command, fill
 * it (with a {@code System.currentTimeMillis()} timestamp, as the server stamps commands), execute,
 * check the answer, and flush every {@link #flushEvery} commands. One operation is one reserve; one invocation is a whole sale of
 * {@link Workload#SALE_SIZE} reserves on a fresh state (fresh temporary directory for Chronicle),
 * created, checked and deleted outside the timed region, exactly as in the pipeline benchmark.
 * {@code gc.alloc.rate.norm} includes that setup spread over the sale; {@code timed.alloc.norm}
 * (added with {@code -prof gc}) counts only the timed region.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 10, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"})
@Threads(1)
@State(Scope.Benchmark)
public class EngineReserveBenchmark {
    @Param({"hotSku", "catalog"})
    public String scenario;

    /**
     * {@code packed}: PackedCheckoutState (the server's live state). {@code chronicle}:
     * ChronicleCheckoutState (the snapshot format, and the live state before the journal).
     * {@code heap}: HeapCheckoutState (the tests').
     */
    @Param({"packed", "chronicle"})
    public String state;

    /** Table capacities as a multiple of the sale size (1: sized exactly for it). */
    @Param("1")
    public int capacityMultiple;

    /**
     * Commands between two {@link CheckoutBook#flush()} calls, standing in for the pipeline's
     * end-of-batch flush (SKU records reach their map once per batch). Under load Disruptor batches
     * are far larger; 1 shows the cost of writing the SKU record on every command.
     */
    @Param("100")
    public int flushEvery;

    private Workload workload;
    private Path dataDirectory;
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
        switch (state) {
            case "chronicle" -> {
                dataDirectory = Workload.newDataDirectory();
                checkoutState = Workload.openChronicle(dataDirectory, workload.skuCount(), capacityMultiple);
            }
            case "packed" -> checkoutState = Workload.newPackedState(workload.skuCount(), capacityMultiple);
            case "heap" -> checkoutState = Workload.newHeapState(workload.skuCount(), capacityMultiple);
            default -> throw new IllegalArgumentException("unknown state " + state + "; expected packed, chronicle or heap");
        }
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
            if (c.result != ResultCode.SUCCESS && refused++ == 0) {
                firstRefusal = c.result;
            }
            if ((i + 1) % flushEvery == 0) {
                engine.flush();
            }
        }
        engine.flush();
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
        if (checkoutState != null) {
            checkoutState.close();
            checkoutState = null;
        }
        book = null; // the heap state's records become garbage before the next sale is set up
        Workload.deleteRecursively(dataDirectory);
        dataDirectory = null;
    }
}
