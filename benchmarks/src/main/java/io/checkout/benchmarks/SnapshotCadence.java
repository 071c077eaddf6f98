package io.checkout.benchmarks;

import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.Recovery;
import io.checkout.pipeline.Snapshotter;
import io.checkout.state.SnapshotStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * What the background snapshotter costs over a sale's journal, as a running server pays it: the
 * snapshotter's own code ({@link Snapshotter#snapshotAt}) takes a snapshot every {@code EVERY}
 * commands of a journal {@code benchmarks/recovery-cold.sh --keep} prepared, one after the other
 * in one JVM, with its copy of the state kept between snapshots or loaded afresh for each. Prints
 * each snapshot's wall and CPU time (the calling thread's; the journal's read-ahead thread is not
 * in it) and the totals. Nothing else runs: the engine's share of the CPUs is the question this
 * answers, not how the snapshotter yields to a crowd. No journal segment is retired (they are kept
 * for the next run).
 *
 * <pre>
 * SnapshotCadence DIR COMMANDS EVERY keep|transient
 * </pre>
 */
public final class SnapshotCadence {
    private SnapshotCadence() {}

    /**
     * The server's snapshotter over {@code layout}'s journal of {@code commands} commands (the flash
     * sale {@link RecoveryBenchmark} journals), Chronicle warmed up, not started: the caller calls
     * {@link Snapshotter#snapshotAt}. Every journal segment is kept (a prepared journal serves many
     * runs), and it never waits: nothing else runs.
     */
    static Snapshotter offline(Recovery.Layout layout, long commands, long intervalCommands, Snapshotter.Copy copy) {
        SnapshotStore store = new SnapshotStore(layout.snapshots());
        store.warmUp();
        return new Snapshotter(
                layout,
                store,
                RecoveryBenchmark.capacities(commands),
                EngineLimits.defaults(),
                intervalCommands,
                0,
                copy,
                100_000,
                0,
                () -> commands,
                () -> 0,
                () -> Double.NaN);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || !(args[3].equals("keep") || args[3].equals("transient"))) {
            System.err.println("usage: SnapshotCadence DIR COMMANDS EVERY keep|transient");
            System.exit(2);
            return;
        }
        Path dataDirectory = Paths.get(args[0]);
        long commands = Long.parseLong(args[1]);
        long every = Long.parseLong(args[2]);
        Snapshotter.Copy copy = args[3].equals("keep") ? Snapshotter.Copy.KEEP : Snapshotter.Copy.TRANSIENT;
        if (commands < 2 || commands > 1_000_000_000L || every < 1 || every > commands) {
            System.err.println(
                    "COMMANDS must be 2..1000000000 and EVERY 1..COMMANDS, got " + commands + " and " + every);
            System.exit(2);
            return;
        }
        Recovery.Layout layout = Recovery.Layout.under(dataDirectory);
        if (!Files.isDirectory(layout.journal())) {
            System.err.println("no journal under " + dataDirectory + ": run benchmarks/recovery-cold.sh --keep first");
            System.exit(2);
            return;
        }
        Workload.deleteRecursively(layout.snapshots());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Snapshotter snapshotter = offline(layout, commands, every, copy);
        long wallTotal = 0;
        long cpuTotal = 0;
        int taken = 0;
        try {
            for (long target = every; target <= commands; target += every) {
                long cpu = threads.getCurrentThreadCpuTime();
                long started = System.nanoTime();
                snapshotter.snapshotAt(target);
                long wall = System.nanoTime() - started;
                cpu = threads.getCurrentThreadCpuTime() - cpu;
                wallTotal += wall;
                cpuTotal += cpu;
                taken++;
                System.out.printf(
                        Locale.ROOT,
                        "snapshot at %d: wall_ms=%d cpu_ms=%d%n",
                        target,
                        wall / 1_000_000,
                        cpu / 1_000_000);
            }
        } finally {
            snapshotter.close();
            Workload.deleteRecursively(layout.snapshots());
        }
        System.out.printf(
                Locale.ROOT,
                "copy=%s every=%d snapshots=%d loaded=%d wall_ms=%d cpu_ms=%d cpu_ms_per_million_commands=%d%n",
                args[3],
                every,
                taken,
                snapshotter.snapshotsLoaded(),
                wallTotal / 1_000_000,
                cpuTotal / 1_000_000,
                cpuTotal / 1_000_000 * 1_000_000 / (every * taken));
    }
}
