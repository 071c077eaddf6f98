package io.checkout.benchmarks;

import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.Recovery;
import io.checkout.pipeline.Snapshotter;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
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
 * RecoveryColdStart snapshot DIR COMMANDS  # recover, then write that state as a snapshot and load it back
 * RecoveryColdStart keep-snapshot DIR COMMANDS [BEHIND]  # write the snapshot a restart starts from, BEHIND
 *                                                       # commands before the journal's end (default 0)
 * RecoveryColdStart restart DIR COMMANDS [BEHIND]  # recover from that snapshot, as a restarted server does,
 *                                                 # replaying the BEHIND commands after it
 * </pre>
 *
 * A snapshot behind the journal's end is what a running server leaves: its background snapshotter
 * writes one every {@code snapshot-interval-commands}, so a restart replays what followed the
 * newest (at most that interval plus {@code snapshot-defer-max-commands}).
 *
 * Each prints one line: {@code recovered_ms=... jvm_uptime_ms=...}, where the uptime is taken when
 * recovery returns (JVM start to recovered state). {@code snapshot} adds {@code snapshot_write_ms}
 * (the Chronicle Map files of the recovered state, synced, as the background snapshotter and a
 * clean shutdown write them) and {@code snapshot_load_ms} (those files into a fresh state, as a
 * restart and the next background snapshot load them): what a snapshot costs against the replay
 * it saves.
 */
public final class RecoveryColdStart {
    private RecoveryColdStart() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length >= 3 ? args[0] : "";
        boolean behindAllowed = mode.equals("keep-snapshot") || mode.equals("restart");
        if (!(mode.equals("prepare") || mode.equals("recover") || mode.equals("snapshot") || behindAllowed)
                || args.length > (behindAllowed ? 4 : 3)) {
            System.err.println("usage: RecoveryColdStart prepare|recover|snapshot DIR COMMANDS, or"
                    + " RecoveryColdStart keep-snapshot|restart DIR COMMANDS [BEHIND]");
            System.exit(2);
            return;
        }
        Path dataDirectory = Paths.get(args[1]);
        long commands = Long.parseLong(args[2]);
        long behind = args.length == 4 ? Long.parseLong(args[3]) : 0;
        if (commands < 2 || commands > 1_000_000_000L || behind < 0 || behind >= commands) {
            System.err.println(
                    "COMMANDS must be 2..1000000000 and BEHIND 0..COMMANDS-1, got " + commands + " and " + behind);
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
        if (!mode.equals("restart")) {
            Workload.deleteRecursively(Recovery.Layout.under(dataDirectory).snapshots());
        }
        if (mode.equals("keep-snapshot") && behind > 0) {
            System.out.println(
                    "recovered_ms=0 jvm_uptime_ms=0 orders=0 " + keepBehind(dataDirectory, commands, behind));
            return;
        }
        Recovery.Recovered recovered = Recovery.recover(
                dataDirectory,
                RecoveryBenchmark.capacities(commands),
                EngineLimits.defaults(),
                JournalConfig.defaults(false));
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        try {
            long expected = mode.equals("restart") ? behind : commands;
            if (recovered.replayedCommands() != expected || recovered.snapshotSequence() != commands - expected) {
                throw new IllegalStateException("replayed " + recovered.replayedCommands() + " of " + commands
                        + " after a snapshot at " + recovered.snapshotSequence()
                        + (mode.equals("restart") ? ": run keep-snapshot first" : ""));
            }
            String snapshot = mode.equals("snapshot")
                    ? " " + writeAndLoad(dataDirectory, recovered, commands)
                    : mode.equals("keep-snapshot") ? " " + keep(dataDirectory, recovered, commands) : "";
            System.out.println("recovered_ms=" + recovered.recoveryMillis() + " jvm_uptime_ms=" + uptime + " orders="
                    + recovered.state().orderCount() + snapshot);
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    /**
     * Writes the snapshot at {@code commands - behind}, as the background snapshotter writes one
     * (the journal replayed onto an empty state up to there, with the true event sequence and the
     * engine's clock); retires nothing. Says how long it took.
     */
    private static String keepBehind(Path dataDirectory, long commands, long behind) {
        Snapshotter snapshotter =
                SnapshotCadence.offline(Recovery.Layout.under(dataDirectory), commands, 0, Snapshotter.Copy.TRANSIENT);
        long started = System.nanoTime();
        try {
            snapshotter.snapshotAt(commands - behind);
        } finally {
            snapshotter.close();
        }
        return "snapshot_at=" + (commands - behind) + " snapshot_ms=" + (System.nanoTime() - started) / 1_000_000;
    }

    /** Writes the recovered state as the snapshot a restart at the journal's end starts from; says how long it took. */
    private static String keep(Path dataDirectory, Recovery.Recovered recovered, long commands) {
        SnapshotStore store =
                new SnapshotStore(Recovery.Layout.under(dataDirectory).snapshots());
        store.warmUp();
        long started = System.nanoTime();
        store.write(
                recovered.state(),
                new SnapshotStore.Meta(
                        commands,
                        recovered.events().nextEventSequence(),
                        recovered.book().nowMillis()));
        return "snapshot_write_ms=" + (System.nanoTime() - started) / 1_000_000;
    }

    /** Writes the recovered state as a snapshot, loads it into a fresh state, checks it, and says how long each took. */
    private static String writeAndLoad(Path dataDirectory, Recovery.Recovered recovered, long commands) {
        Path snapshots = Recovery.Layout.under(dataDirectory).snapshots();
        SnapshotStore store = new SnapshotStore(snapshots);
        // Chronicle Map's first use in a JVM (class loading, the code it generates) is paid once, as
        // the server pays it at start (CheckoutServer warms the store up): timed apart from the write.
        long warming = System.nanoTime();
        store.warmUp();
        long started = System.nanoTime();
        store.write(recovered.state(), new SnapshotStore.Meta(commands, 1, 0));
        long written = System.nanoTime();
        PackedCheckoutState loaded =
                PackedCheckoutState.of(RecoveryBenchmark.capacities(commands).onDemand());
        SnapshotStore.Meta meta = store.loadLatest(loaded);
        long done = System.nanoTime();
        Workload.deleteRecursively(snapshots);
        if (meta.journalSequence() != commands
                || loaded.orderCount() != recovered.state().orderCount()
                || loaded.outcomeCount() != recovered.state().outcomeCount()) {
            throw new IllegalStateException("the snapshot loaded " + loaded.orderCount() + " orders and "
                    + loaded.outcomeCount() + " answers at journal sequence " + meta.journalSequence() + ", written "
                    + recovered.state().orderCount() + " and "
                    + recovered.state().outcomeCount() + " at " + commands);
        }
        return "chronicle_first_use_ms=" + (started - warming) / 1_000_000 + " snapshot_write_ms="
                + (written - started) / 1_000_000 + " snapshot_load_ms="
                + (done - written) / 1_000_000 + " answers=" + loaded.outcomeCount();
    }
}
