package io.checkout.benchmarks;

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.AdminRequestType;
import io.aeron.cluster.codecs.AdminResponseCode;
import io.aeron.logbuffer.Header;
import io.checkout.cluster.ClusterCounters;
import io.checkout.cluster.ClusterGateway;
import io.checkout.cluster.ClusterMember;
import io.checkout.cluster.ClusterMemberConfig;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.state.StateCapacities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.DirectBuffer;

/**
 * How long a cluster snapshot pauses ingress, for a state of N orders: a one-member cluster in this
 * JVM (driver, archive, consensus module, engine, gateway, as a member runs them), N reserves from
 * N buyers through the gateway, then a snapshot requested as an operator would (an admin request),
 * while a probe sends one read through the log every millisecond. Open-source Aeron Cluster takes
 * the snapshot on the service thread between log messages, so the log waits for it: the probe's
 * worst latency during the snapshot is the pause a caller sees. The engine's own snapshot time comes
 * from the cluster's counters. Each member of a real group takes its snapshot at the same log
 * position in parallel, so one member's pause is the group's.
 *
 * <pre>ClusterSnapshotPause DIR ORDERS [SNAPSHOTS] [FILE_SYNC_LEVEL]</pre>
 *
 * Prints one line per snapshot: {@code orders=... snapshot_ms=... service_snapshot_ms=... probe_max_ms=...}.
 */
public final class ClusterSnapshotPause {
    private static final String SKU = "SNAP-SKU";
    private static final long NOW = System.currentTimeMillis();
    private static final int PUBLISH_BATCH = 256;
    private static final CommandPublisher.CommandTranslator<Command> COPY = (from, into) -> {
        into.type(from.type());
        into.requestId.copyFrom(from.requestId);
        into.skuId.copyFrom(from.skuId);
        into.priceMinor = from.priceMinor;
        into.currency = from.currency;
        into.totalStock = from.totalStock;
        into.perUserLimit = from.perUserLimit;
        into.saleStartEpochMillis = from.saleStartEpochMillis;
        into.saleEndEpochMillis = from.saleEndEpochMillis;
        into.reservationTtlMillis = from.reservationTtlMillis;
    };

    private ClusterSnapshotPause() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ClusterSnapshotPause DIR ORDERS [SNAPSHOTS] [FILE_SYNC_LEVEL]");
            System.exit(2);
            return;
        }
        Path directory = Path.of(args[0]);
        int orders = Integer.parseInt(args[1]);
        int snapshots = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int fileSyncLevel = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        Workload.deleteRecursively(directory);
        Files.createDirectories(directory);
        StateCapacities capacities = new StateCapacities(16, orders + 1_000L, orders + 1_000L, orders + 1_000L);
        ClusterMemberConfig config = new ClusterMemberConfig(
                0,
                List.of(new ClusterMemberConfig.Endpoint("localhost", 22_000)),
                directory.resolve("cluster"),
                Path.of("/dev/shm/checkout-snapshot-benchmark"),
                4 << 20,
                fileSyncLevel,
                1_500,
                1_000,
                capacities,
                EngineLimits.defaults(),
                100);
        AtomicReference<ClusterGateway> gatewayReference = new AtomicReference<>();
        try (ClusterMember member = ClusterMember.launch(config, (session, batchId, commands, count) -> {
            ClusterGateway gateway = gatewayReference.get();
            if (gateway != null) {
                gateway.onBatchApplied(session, batchId, commands, count);
            }
        })) {
            ClusterGateway gateway = new ClusterGateway(
                    16_384, System::currentTimeMillis, member.clientContexts(5_000), 256, 30_000, () -> {});
            gatewayReference.set(gateway);
            gateway.start();
            try {
                run(member, gateway, orders, snapshots);
            } finally {
                gateway.close();
            }
        }
    }

    private static void run(ClusterMember member, ClusterGateway gateway, int orders, int snapshots)
            throws InterruptedException {
        Answers answers = new Answers();
        Command define = Command.upsertSku(NOW, "define", SKU, 100, "EUR", orders, 1, 0, 0, 86_400_000);
        while (!gateway.tryPublish(COPY, define, answers, null)) {
            Thread.sleep(10);
        }
        answers.await(1);
        long start = System.nanoTime();
        int published = 0;
        while (published < orders) {
            int count = Math.min(PUBLISH_BATCH, orders - published);
            int first = published;
            if (gateway.tryPublishEach(
                    (batch, index, command) -> reserve(first + index, command), null, count, answers, null)) {
                published += count;
            } else {
                Thread.onSpinWait();
            }
        }
        answers.await(1L + orders);
        if (answers.failures.get() > 0 || answers.refused.get() > 0) {
            throw new IllegalStateException(answers.failures + " failures, " + answers.refused + " refusals loading");
        }
        System.out.printf(
                "loaded %,d orders in %,d ms%n", orders, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

        ClusterCounters counters = new ClusterCounters(member);
        AtomicReference<AdminResponseCode> response = new AtomicReference<>();
        try (AeronCluster admin =
                AeronCluster.connect(member.clientContexts(5_000).get().egressListener(new AdminListener(response)))) {
            for (int i = 0; i < snapshots; i++) {
                long snapshotsBefore = counters.snapshots();
                Probe probe = new Probe(gateway);
                Thread probeThread = new Thread(probe, "snapshot-probe");
                probeThread.start();
                Thread.sleep(200);
                response.set(null);
                long requested = System.nanoTime();
                while (!admin.sendAdminRequestToTakeASnapshot(i + 1)) {
                    admin.pollEgress();
                    Thread.yield();
                }
                while (counters.snapshots() == snapshotsBefore) {
                    admin.pollEgress();
                    Thread.sleep(1);
                }
                long snapshotNanos = System.nanoTime() - requested;
                Thread.sleep(200);
                probe.stop = true;
                probeThread.join();
                System.out.printf(
                        "orders=%d snapshot_ms=%d service_snapshot_max_ms=%d probe_max_ms=%.1f probes=%d admin=%s%n",
                        orders,
                        TimeUnit.NANOSECONDS.toMillis(snapshotNanos),
                        TimeUnit.NANOSECONDS.toMillis(counters.serviceSnapshotMaxNanos()),
                        probe.maxNanos.get() / 1e6,
                        probe.answered.get(),
                        response.get());
            }
        }
    }

    private static void reserve(int buyer, Command command) {
        command.type(CommandType.RESERVE);
        command.requestId.set("r-" + buyer);
        command.userId.set("buyer-" + buyer);
        command.addLine(SKU, 1);
    }

    /** Counts answers; any thread may wait for a number of them. */
    private static final class Answers implements ReplyHandler {
        final AtomicLong answered = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong refused = new AtomicLong();

        @Override
        public void reply(Command command, Object context, Throwable failure) {
            if (failure != null) {
                failures.incrementAndGet();
            } else if (command.result() != ResultCode.SUCCESS) {
                refused.incrementAndGet();
            }
            answered.incrementAndGet();
        }

        void await(long count) throws InterruptedException {
            while (answered.get() < count) {
                Thread.sleep(1);
            }
        }
    }

    /** One read through the log every millisecond; keeps the worst time to its answer. */
    private static final class Probe implements Runnable, ReplyHandler {
        final AtomicLong maxNanos = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        volatile boolean stop;
        private final ClusterGateway gateway;

        Probe(ClusterGateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public void run() {
            while (!stop) {
                long sent = System.nanoTime();
                gateway.tryPublish(
                        (unused, command) -> {
                            command.type(CommandType.GET_SKU);
                            command.skuId.set(SKU);
                        },
                        null,
                        this,
                        sent);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void reply(Command command, Object context, Throwable failure) {
            long latency = System.nanoTime() - (Long) context;
            maxNanos.accumulateAndGet(latency, Math::max);
            answered.incrementAndGet();
        }
    }

    private record AdminListener(AtomicReference<AdminResponseCode> response) implements EgressListener {
        @Override
        public void onMessage(
                long clusterSessionId, long timestamp, DirectBuffer buffer, int offset, int length, Header header) {}

        @Override
        public void onAdminResponse(
                long clusterSessionId,
                long correlationId,
                AdminRequestType requestType,
                AdminResponseCode responseCode,
                String message,
                DirectBuffer payload,
                int payloadOffset,
                int payloadLength) {
            response.set(responseCode);
        }
    }
}
