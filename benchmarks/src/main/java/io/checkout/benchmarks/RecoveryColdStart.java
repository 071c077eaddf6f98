package io.checkout.benchmarks;

import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.Recovery;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Recovery as a restarted server sees it: one fresh JVM per measurement, so JIT compilation and
 * the first touch of the heap are inside the figure, which {@link RecoveryBenchmark}'s warmed
 * iterations leave out. Driven by {@code benchmarks/recovery-cold.sh}:
 *
 * <pre>
 * RecoveryColdStart prepare DIR COMMANDS   # journal COMMANDS commands, then recover once (writes the event log)
 * RecoveryColdStart recover DIR COMMANDS   # recover, as after a crash with the event log on disk
 * </pre>
 *
 * Each prints one line: {@code recovered_ms=... jvm_uptime_ms=...}, where the uptime is taken when
 * recovery returns (JVM start to recovered state).
 */
public final class RecoveryColdStart {
    private RecoveryColdStart() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("prepare") || args[0].equals("recover"))) {
            System.err.println("usage: RecoveryColdStart prepare|recover DIR COMMANDS");
            System.exit(2);
            return;
        }
        Path dataDirectory = Paths.get(args[1]);
        long commands = Long.parseLong(args[2]);
        if (commands < 2 || commands > 1_000_000_000L) {
            System.err.println("COMMANDS must be 2..1000000000, got " + commands);
            System.exit(2);
            return;
        }
        if (args[0].equals("prepare")) {
            Workload.deleteRecursively(dataDirectory);
            Files.createDirectories(dataDirectory);
            RecoveryBenchmark.writeFlashSaleJournal(dataDirectory, commands);
        } else if (!Files.isDirectory(Recovery.Layout.under(dataDirectory).journal())) {
            System.err.println("no journal under " + dataDirectory + ": run prepare first");
            System.exit(2);
            return;
        }
        Workload.deleteRecursively(Recovery.Layout.under(dataDirectory).snapshots());
        Recovery.Recovered recovered = Recovery.recover(
                dataDirectory,
                RecoveryBenchmark.capacities(commands),
                EngineLimits.defaults(),
                JournalConfig.defaults(false));
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        try {
            if (recovered.replayedCommands() != commands) {
                throw new IllegalStateException("replayed " + recovered.replayedCommands() + " of " + commands);
            }
            System.out.println("recovered_ms=" + recovered.recoveryMillis() + " jvm_uptime_ms=" + uptime + " orders="
                    + recovered.state().orderCount());
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }
}
