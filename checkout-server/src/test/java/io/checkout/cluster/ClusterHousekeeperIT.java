package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.OrderState;
import io.checkout.engine.ResultCode;
import io.checkout.state.StateCapacities;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real one-member cluster with small log terms (64 KiB, so 256 KiB archive segments): the
 * housekeeper asks for snapshots when the interval has passed and the log is quiet, purges the log
 * and the snapshots older than the retained ones, and the member still recovers every order after
 * a restart. The housekeeper's clock is the test's, so "an hour later" takes no time.
 */
class ClusterHousekeeperIT {
    private static final long NOW = 1_700_000_000_000L;
    private static final long INTERVAL_MILLIS = TimeUnit.MINUTES.toMillis(60);
    /**
     * Generous: a CI machine busy with other builds once took over 5 s to answer one of the reads
     * that grow the log (the reads are only ballast here; the housekeeping is what is tested).
     */
    private static final long OUTCOME_TIMEOUT_MILLIS = 60_000;

    @TempDir
    Path directory;

    private final AtomicLong nanos = new AtomicLong(System.nanoTime());

    @Test
    void scheduledSnapshotsShouldPurgeTheLogBeforeTheRetainedOnesAndTheMemberStillRecoverEverything() throws Exception {
        ClusterMemberConfig config = smallTerms(ClusterGatewayIT.config(directory, 0, 1));
        List<Long> orders = new ArrayList<>();
        try (ClusterGatewayIT.Fixture fixture = ClusterGatewayIT.Fixture.start(config, OUTCOME_TIMEOUT_MILLIS)) {
            ClusterCounters counters = new ClusterCounters(fixture.member);
            ClusterHousekeeper housekeeper = new ClusterHousekeeper(
                    fixture.member, counters, new ClusterHousekeeper.Settings(INTERVAL_MILLIS, 2), nanos::get);
            assertThat(fixture.send(Command.upsertSku(NOW, "define", "SKU-1", 250, "EUR", 100, 1, 0, 0, 600_000))
                            .result())
                    .isEqualTo(ResultCode.SUCCESS);
            for (int i = 0; i < 20; i++) {
                Command reserve = fixture.send(Command.reserve(NOW, "r-" + i, "buyer-" + i, "SKU-1", 1));
                assertThat(reserve.result()).isEqualTo(ResultCode.SUCCESS);
                orders.add(reserve.order.orderId);
            }

            // Before the interval: no snapshot asked for, nothing purged.
            housekeeper.runOnce();
            advance(TimeUnit.MINUTES.toMillis(30));
            housekeeper.runOnce();
            assertThat(housekeeper.snapshotsRequested()).isZero();

            for (int round = 1; round <= 4; round++) {
                growLog(fixture, counters, 600 * 1024);
                housekeeper.runOnce(); // sees the log grow
                advance(INTERVAL_MILLIS);
                housekeeper.runOnce(); // an hour later, quiet: asks
                assertThat(housekeeper.snapshotsRequested())
                        .as("round " + round)
                        .isEqualTo(round);
                awaitSnapshots(counters, round);
                housekeeper.runOnce(); // sees the snapshot, purges
            }
            assertThat(housekeeper.failures()).isZero();
            assertThat(housekeeper.memberLogLag(0)).as("the leader's own lag").isZero();
            assertThat(housekeeper.memberAppendAgeSeconds(0)).isZero();
            // Four snapshots, two kept: the log before the third is gone (whole segments), and the
            // first two snapshots' recordings (the consensus module's and the service's) with it.
            assertThat(housekeeper.logBytesPurged()).isGreaterThan(3 * 600 * 1024 - 256 * 1024);
            assertThat(housekeeper.retainedLogStart()).isEqualTo(housekeeper.logBytesPurged());
            assertThat(housekeeper.snapshotRecordingsPurged()).isEqualTo(4);
            try (var archive = io.aeron.archive.client.AeronArchive.connect(fixture.member.archiveClient())) {
                assertThat(archive.listRecordings(0, 100, (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) -> {}))
                        .as("the log and the last two snapshots' two recordings each")
                        .isEqualTo(5);
            }
        }

        try (ClusterGatewayIT.Fixture restarted = ClusterGatewayIT.Fixture.start(config, OUTCOME_TIMEOUT_MILLIS)) {
            for (long orderId : orders) {
                Command order = restarted.send(Command.getOrder(orderId));
                assertThat(order.result()).isEqualTo(ResultCode.SUCCESS);
                assertThat(order.order.state()).isEqualTo(OrderState.RESERVED);
            }
            // (Known once it answers: the service starts in the background.)
            assertThat(restarted.member.service().startedFromSnapshot()).isTrue();
            assertThat(restarted.send(Command.getSku("SKU-1")).sku.reserved).isEqualTo(20);
        }
    }

    @Test
    void aBusyLogShouldPutTheSnapshotOffUntilTwiceTheInterval() throws Exception {
        ClusterMemberConfig config = smallTerms(ClusterGatewayIT.config(directory, 0, 1));
        try (ClusterGatewayIT.Fixture fixture = ClusterGatewayIT.Fixture.start(config, OUTCOME_TIMEOUT_MILLIS)) {
            ClusterCounters counters = new ClusterCounters(fixture.member);
            ClusterHousekeeper housekeeper = new ClusterHousekeeper(
                    fixture.member, counters, new ClusterHousekeeper.Settings(10_000, 0), nanos::get);
            awaitLeader(counters);
            housekeeper.runOnce();
            // A crowd that never lets up: every second the log grows by more than the quiet rate.
            for (int second = 1; second <= 20; second++) {
                growLog(fixture, counters, ClusterHousekeeper.QUIET_LOG_BYTES_PER_SECOND + 1);
                advance(1_000);
                housekeeper.runOnce();
                assertThat(housekeeper.snapshotsRequested())
                        .as("after %d busy seconds, interval 10 s", second)
                        .isEqualTo(second < 20 ? 0 : 1);
            }
            awaitSnapshots(counters, 1);
        }
    }

    private void advance(long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** Sends reads (they go through the log too) until the log grew by {@code bytes}. */
    private static void growLog(ClusterGatewayIT.Fixture fixture, ClusterCounters counters, long bytes)
            throws Exception {
        long target = Math.max(0, counters.commitPosition()) + bytes;
        while (counters.commitPosition() < target) {
            List<CompletableFuture<Command>> reads = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                reads.add(fixture.publish(Command.getSku("SKU-1")));
            }
            for (CompletableFuture<Command> read : reads) {
                try {
                    read.get(2 * OUTCOME_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    throw new AssertionError(diagnose(fixture, counters), e);
                }
            }
        }
    }

    /** What the member and its gateway looked like when a read was not answered. */
    static String diagnose(ClusterGatewayIT.Fixture fixture, ClusterCounters counters) {
        StringBuilder out = new StringBuilder("a ballast read was not answered; ");
        out.append("role=")
                .append(counters.role())
                .append(" term=")
                .append(counters.leadershipTermId())
                .append(" elections=")
                .append(counters.elections())
                .append(" commit=")
                .append(counters.commitPosition())
                .append(" snapshots=")
                .append(counters.snapshots())
                .append(" cmErrors=")
                .append(counters.consensusModuleErrors())
                .append(" serviceErrors=")
                .append(counters.serviceErrors())
                .append(" clientTimeouts=")
                .append(counters.clientTimeouts())
                .append("; gateway connected=")
                .append(fixture.gateway.isConnected())
                .append(" alive=")
                .append(fixture.gateway.isAlive())
                .append(" sessions=")
                .append(fixture.gateway.sessionsOpened())
                .append(" offered=")
                .append(fixture.gateway.batchesOffered())
                .append(" reoffered=")
                .append(fixture.gateway.batchesReoffered())
                .append(" unknown=")
                .append(fixture.gateway.outcomesUnknown())
                .append(" pending=")
                .append(fixture.gateway.pendingCommands())
                .append(" applied=")
                .append(fixture.gateway.commandsApplied())
                .append('\n');
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        try (java.io.PrintStream print =
                new java.io.PrintStream(errors, true, java.nio.charset.StandardCharsets.UTF_8)) {
            io.aeron.cluster.ClusterTool.errors(
                    print, fixture.member.consensusDirectory().toFile());
        } catch (RuntimeException e) {
            out.append("(cluster errors unreadable: ").append(e).append(")\n");
        }
        out.append(errors.toString(java.nio.charset.StandardCharsets.UTF_8));
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            out.append("thread ")
                    .append(thread.getName())
                    .append(' ')
                    .append(thread.getState())
                    .append('\n');
            for (int i = 0; i < Math.min(stack.length, 12); i++) {
                out.append("    at ").append(stack[i]).append('\n');
            }
        });
        return out.toString();
    }

    private static void awaitSnapshots(ClusterCounters counters, long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counters.snapshots() < count) {
            assertThat(System.nanoTime()).as("snapshot " + count + " taken").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static void awaitLeader(ClusterCounters counters) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counters.role() != 2) {
            assertThat(System.nanoTime()).as("a leader").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static ClusterMemberConfig smallTerms(ClusterMemberConfig config) {
        return new ClusterMemberConfig(
                config.memberId(),
                config.members(),
                config.clusterDirectory(),
                config.aeronDirectory(),
                64 * 1024,
                config.fileSyncLevel(),
                config.leaderHeartbeatTimeoutMillis(),
                config.idleParkMaxMicros(),
                new StateCapacities(16, 1_000, 1_000, 1_000),
                EngineLimits.defaults(),
                config.tickIntervalMillis());
    }
}
