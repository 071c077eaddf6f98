package io.checkout.benchmarks;

import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import io.checkout.state.ChronicleCheckoutState;
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
 * The cost of each Chronicle Map operation a reserve makes, one at a time, through
 * {@link ChronicleCheckoutState}: the floor under {@link EngineReserveBenchmark}. A successful
 * reserve of a new buyer does two lookups that miss (request id, per-user units) and three inserts
 * (per-user units, order, outcome); the SKU record is written once per batch.
 *
 * <p>One invocation applies {@link Workload#SALE_SIZE} operations of one kind to a fresh state sized
 * for them, with the same ids as the sale benchmarks; the score is nanoseconds per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 5, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"})
@Threads(1)
@State(Scope.Benchmark)
public class StateOperationBenchmark {
    /**
     * {@code outcomeMiss}, {@code userUnitsMiss}: lookups of keys that are not there.
     * {@code userUnitsInsert}, {@code orderInsert}, {@code outcomeInsert}: inserts of new keys.
     * {@code skuWrite}: a SKU record changed and flushed every time (the per-command write that the
     * end-of-batch flush avoids). {@code outcomeForget}: the retention sweep removing answers older
     * than the window, per answer removed (the table is filled before the clock starts).
     */
    @Param({"outcomeMiss", "userUnitsMiss", "userUnitsInsert", "orderInsert", "outcomeInsert", "skuWrite",
            "outcomeForget"})
    public String operation;

    private Workload workload;
    private Path dataDirectory;
    private ChronicleCheckoutState state;
    private final OrderRecord order = new OrderRecord();
    private final Outcome outcome = new Outcome();
    private final SkuRecord sku = new SkuRecord();

    @Setup(Level.Trial)
    public void buildWorkload() {
        workload = Workload.create("hotSku");
    }

    @Setup(Level.Invocation)
    public void openState() {
        dataDirectory = Workload.newDataDirectory();
        state = Workload.openChronicle(dataDirectory, 1, 1);
        sku.index = 0;
        sku.skuId = "sku-000000";
        sku.currency = CurrencyCode.pack("EUR");
        sku.totalStock = Workload.STOCK_PER_SKU;
        sku.available = Workload.STOCK_PER_SKU;
        sku.reservationTtlMillis = Workload.RESERVATION_TTL_MILLIS;
        state.writeSku(sku);
        state.flush();
        order.userId = "user";
        order.lineCount = 1;
        order.quantities[0] = 1;
        order.unitPricesMinor[0] = Workload.PRICE_MINOR;
        order.amountMinor = Workload.PRICE_MINOR;
        order.currency = sku.currency;
        order.state = OrderState.RESERVED;
        outcome.set(CommandType.RESERVE, ResultCode.SUCCESS, 1, OrderState.RESERVED, -1, 0, 0);
        if (operation.equals("outcomeForget")) {
            for (int i = 0; i < Workload.SALE_SIZE; i++) {
                outcome.orderId = i + 1;
                state.writeOutcome(workload.requestIds[i], outcome);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(Workload.SALE_SIZE)
    public long apply() {
        final String[] requestIds = workload.requestIds;
        final String[] userIds = workload.userIds;
        final ChronicleCheckoutState s = state;
        long sink = 0;
        switch (operation) {
            case "outcomeMiss" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    sink += s.readOutcome(requestIds[i], outcome) ? 1 : 0;
                }
            }
            case "userUnitsMiss" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    sink += s.userUnits(userIds[i], 0);
                }
            }
            case "userUnitsInsert" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    s.writeUserUnits(userIds[i], 0, 1);
                }
            }
            case "orderInsert" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    order.orderId = i + 1;
                    order.userId = userIds[i];
                    s.writeOrder(order);
                }
            }
            case "outcomeInsert" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    outcome.orderId = i + 1;
                    s.writeOutcome(requestIds[i], outcome);
                }
            }
            case "skuWrite" -> {
                for (int i = 0; i < Workload.SALE_SIZE; i++) {
                    sku.available--;
                    sku.reserved++;
                    s.writeSku(sku);
                    s.flush();
                }
            }
            case "outcomeForget" -> {
                // One step per segment, each a sweep step later in engine time: one whole cycle
                // (each step sweeps its own segment and the one before, as ticks do).
                for (int step = 0; step < s.outcomeSegments(); step++) {
                    s.forgetOutcomesBefore(1, step * ChronicleCheckoutState.OUTCOME_SWEEP_STEP_MILLIS);
                }
                if (s.outcomeCount() != 0) {
                    throw new IllegalStateException(s.outcomeCount() + " answers survived a full sweep");
                }
            }
            default -> throw new IllegalArgumentException("unknown operation " + operation);
        }
        return sink;
    }

    @TearDown(Level.Invocation)
    public void closeState() {
        state.close();
        Workload.deleteRecursively(dataDirectory);
    }
}
