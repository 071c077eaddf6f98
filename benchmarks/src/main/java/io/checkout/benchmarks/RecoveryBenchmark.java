package io.checkout.benchmarks;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.Recovery;
import io.checkout.state.StateCapacities;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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
 * How long a restart takes with {@code commands} journalled commands and no snapshot: the worst
 * case that snapshots bound. One operation is one whole {@link Recovery#recover}: check the journal
 * end to end, check the event log, replay every command through the engine onto a fresh packed
 * state, and write the event log the replay produces.
 *
 * <p>The journal is a flash sale as the server would have journalled it: one SKU, then per buyer a
 * reserve (distinct buyer, distinct UUID-like request id) followed by a confirm for every other
 * buyer, and a tick every 1,000 commands. It is written once per trial.
 *
 * <p>{@code eventLog=present}: the event log is on disk, as after a crash (the first recovery of
 * the trial writes it; later ones find it and only count the events replay produces).
 * {@code eventLog=absent}: each iteration deletes it, so replay writes every event again.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(
        value = 1,
        jvmArgs = {"-Xms8g", "-Xmx8g", "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"})
@State(Scope.Benchmark)
public class RecoveryBenchmark {
    private static final String SKU = "HOT-SKU";
    private static final int TICK_EVERY = 1_000;

    @Param("10000000")
    public long commands;

    @Param({"present", "absent"})
    public String eventLog;

    private Path dataDirectory;
    private StateCapacities capacities;
    private Recovery.Recovered recovered;

    @Setup(Level.Trial)
    public void writeJournal() {
        dataDirectory = Workload.newDataDirectory();
        capacities = capacities(commands);
        writeFlashSaleJournal(dataDirectory, commands);
    }

    /** Tables large enough for the flash sale {@link #writeFlashSaleJournal} writes. */
    static StateCapacities capacities(long commands) {
        long orderCapacity = commands * 2 / 3 + 1;
        return new StateCapacities(16, orderCapacity, orderCapacity, commands + 1);
    }

    /**
     * Journals {@code commands} commands of a flash sale under {@code dataDirectory}, as the server
     * would have: one SKU, then per buyer a reserve, a confirm for every other buyer, and a tick
     * every {@value #TICK_EVERY} commands.
     */
    static void writeFlashSaleJournal(Path dataDirectory, long commands) {
        Path journalDirectory = Recovery.Layout.under(dataDirectory).journal();
        JournalConfig config = JournalConfig.defaults(false);
        ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        Command command = new Command();
        long now = 1_700_000_000_000L;
        try (RecordLogWriter journal = RecordLogWriter.open(
                journalDirectory,
                RecordLogReader.scan(journalDirectory, 1, (sequence, payload) -> {}),
                1,
                config.segmentBytes(),
                false,
                config.batchBytes())) {
            Command upsert = Command.upsertSku(now, "setup-sku", SKU, 1_999, "EUR", 1_000_000_000L, 2, 0, 0, 600_000);
            CommandCodec.append(journal, scratch, upsert);
            long written = 1;
            long buyer = 0;
            long orders = 0;
            long toConfirm = 0;
            while (written < commands) {
                now++;
                command.clear();
                command.timestampMillis = now;
                if (written % TICK_EVERY == 0) {
                    command.type(CommandType.TICK);
                } else if (toConfirm != 0) {
                    command.type(CommandType.CONFIRM);
                    command.requestId.set(requestId(buyer, 1));
                    command.orderId = toConfirm;
                    toConfirm = 0;
                } else {
                    buyer++;
                    command.type(CommandType.RESERVE);
                    command.requestId.set(requestId(buyer, 0));
                    command.userId.set(String.format("user-%010d", buyer));
                    command.addLine(SKU, 1);
                    orders++;
                    if (buyer % 2 == 0) {
                        toConfirm = orders;
                    }
                }
                CommandCodec.append(journal, scratch, command);
                written++;
                if (written % 10_000 == 0) {
                    journal.commit();
                }
            }
        }
    }

    private static String requestId(long buyer, int step) {
        return String.format("%08x-%04x-4%03x-a%03x-%012x", buyer >>> 16, buyer & 0xFFFF, step, buyer & 0xFFF, buyer);
    }

    @Setup(Level.Iteration)
    public void forgetEvents() {
        if (eventLog.equals("absent")) {
            Workload.deleteRecursively(Recovery.Layout.under(dataDirectory).events());
        }
        Workload.deleteRecursively(Recovery.Layout.under(dataDirectory).snapshots());
        // A restarted server's heap holds no earlier state: collect the previous iteration's (about
        // 2.5 GB, dropped by closeRecovered) before the clock starts, rather than during replay.
        System.gc();
    }

    @Benchmark
    public long recover() {
        recovered = Recovery.recover(dataDirectory, capacities, EngineLimits.defaults(), JournalConfig.defaults(false));
        if (recovered.replayedCommands() != commands) {
            throw new IllegalStateException("replayed " + recovered.replayedCommands() + " of " + commands);
        }
        return recovered.state().orderCount();
    }

    @TearDown(Level.Iteration)
    public void closeRecovered() {
        if (recovered != null) {
            recovered.journal().close();
            recovered.events().close();
            recovered = null;
        }
    }

    @TearDown(Level.Trial)
    public void deleteData() {
        Workload.deleteRecursively(dataDirectory);
    }
}
