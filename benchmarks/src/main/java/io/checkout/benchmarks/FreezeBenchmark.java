package io.checkout.benchmarks;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.state.FrozenSnapshot;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a background snapshot by freezing ({@code snapshot-copy=freeze}) costs the engine's thread
 * at the freeze itself: {@link SnapshotStore#freeze} (the large tables held for copy-on-write, the
 * SKUs held by reference, the other small tables copied) and the thaw after it, on a state of
 * {@code skus} SKUs and {@code orders} orders. The live server logs the same step in each
 * snapshot's line ("the engine froze it in N us"). The writes made while frozen (a first write into
 * a held unit copies it aside; a SKU's first write replaces its record) are paid later, by the
 * commands, and are not in this figure.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgs = {"-Xms4g", "-Xmx4g", "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"})
@Threads(1)
@State(Scope.Benchmark)
public class FreezeBenchmark {
    /** latency.sh's catalog has about 41,000 SKUs. */
    @Param("41000")
    public int skus;

    @Param("1000000")
    public int orders;

    private PackedCheckoutState state;
    private FrozenSnapshot frozen;

    @Setup(Level.Trial)
    public void fillState() {
        state = PackedCheckoutState.of(new StateCapacities(skus, orders, orders, orders + skus + 2_000L, 1, false));
        CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
        long now = System.currentTimeMillis();
        for (int sku = 0; sku < skus; sku++) {
            check(
                    book,
                    Command.upsertSku(
                            now,
                            "sku-up-" + sku,
                            "sku-" + sku,
                            1_000,
                            "EUR",
                            1_000_000_000L,
                            1_000,
                            0,
                            now * 2,
                            600_000));
        }
        for (int order = 0; order < orders; order++) {
            check(book, Command.reserve(now, "r-" + order, "user-" + order, "sku-" + (order % skus), 1));
        }
    }

    private static void check(CheckoutBook book, Command command) {
        book.execute(command);
        if (command.result() != ResultCode.SUCCESS) {
            throw new IllegalStateException(command.type() + " refused in the setup: " + command.result());
        }
    }

    /**
     * The engine's part: it thaws the previous freeze (given up in the tear-down, as the
     * snapshotter gives a written one up) and freezes again. Giving up is not timed: in the server
     * the snapshotter's thread does it, reading or releasing every held unit.
     */
    @Benchmark
    public FrozenSnapshot thawAndFreeze() {
        state.thaw();
        frozen = SnapshotStore.freeze(state);
        return frozen;
    }

    @TearDown(Level.Invocation)
    public void giveUp() {
        if (frozen != null) {
            frozen.abandon();
        }
    }
}
