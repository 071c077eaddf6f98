package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.AdminRequestType;
import io.aeron.cluster.codecs.AdminResponseCode;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import io.aeron.security.AuthorisationService;
import io.checkout.engine.CampaignKind;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.journal.CommandCodec;
import io.checkout.state.CampaignSamples;
import io.checkout.state.StateCapacities;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.NoOpLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkout service in a real Aeron Cluster (each member's driver, archive, consensus module and
 * service container in this JVM, a cluster client over UDP on loopback). One member: batches are
 * applied and answered, a malformed batch is refused whole, and after a snapshot and a restart the
 * member has every stock level, order, per-user counter and remembered answer it had. Three
 * members: their snapshots are the same bytes, and when the leader stops the other two go on with
 * every acknowledged order. (Separate processes and kill -9 are the next step.)
 */
class CheckoutClusteredServiceIT {
    private static final long NOW = 1_700_000_000_000L;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int INGRESS_PORT = 1;
    private static final int CONSENSUS_PORT = 2;
    private static final int LOG_PORT = 3;
    private static final int ARCHIVE_PORT = 9;
    /** What the client records for a batch refused whole. */
    private static final ClusterBatches.Reply[] REFUSED_BATCH = new ClusterBatches.Reply[0];

    @TempDir
    Path directory;

    @Test
    void shouldApplyBatchesAndKeepEverythingOverASnapshotAndARestart() {
        List<String> requestIds = new ArrayList<>();
        List<Long> orderIds = new ArrayList<>();
        long springOrder;
        try (Member member = Member.start(directory, 0, 1);
                Client client = Client.connect(directory, 1)) {
            assertThat(client.send(Command.upsertMerchant(NOW, "merchant", "acme", 1_000)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            // 15 units, one per buyer; the sale opened an hour ago by the log's clock.
            assertThat(client.send(Command.upsertSku(
                            NOW, "define", "SKU-1", 100, "EUR", 15, 1, 0, 0, 3_600_000, "acme", "store-1")))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            // Risk rules: a blocked user, and two reserves per user per day of the log's clock.
            assertThat(client.send(Command.setUserBlocked(NOW, "block", "scalper", true)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            assertThat(client.send(Command.setRiskRules(NOW, "rules", 2, 86_400_000L)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            // A SKU group of SKU-1 alone, with a limit of 5 per buyer.
            assertThat(client.send(Command.upsertSkuGroup(NOW, "group", "drop", 5)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            Command inGroup =
                    Command.upsertSku(NOW, "join", "SKU-1", 100, "EUR", 15, 1, 0, 0, 3_600_000, "acme", "store-1");
            inGroup.groupId().set("drop");
            assertThat(client.send(inGroup))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            for (ClusterBatches.Reply reply : client.send(reserves(1, 10, requestIds))) {
                assertThat(reply.result()).isEqualTo(ResultCode.SUCCESS);
                orderIds.add(reply.orderId());
            }
            assertThat(orderIds).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(client.sendRaw(new byte[] {1, 2, 3}))
                    .as("a malformed batch is refused whole")
                    .isNull();
            // Campaigns: 0.30 off SKU-C for two redemptions, one a buyer; 10% off acme's SKUs, one a
            // buyer. coupon-1 redeems the first and keeps it, coupon-2 the second and gives it back.
            assertThat(client.send(
                            Command.upsertSku(
                                    NOW, "define-c", "SKU-C", 100, "EUR", 10, 0, 0, 0, 3_600_000, "acme", null),
                            CampaignSamples.upsertCampaign(NOW, "spring", t -> {
                                CampaignSamples.terms(t, "SPRING", CampaignKind.AMOUNT_OFF).amountOffMinor = 30;
                                t.skuIds.add("SKU-C");
                                t.budget = 2;
                                t.perUserLimit = 1;
                            }),
                            CampaignSamples.upsertCampaign(NOW, "acme-10", t -> {
                                CampaignSamples.terms(t, "ACME-10", CampaignKind.PERCENT_OFF).percentOffBps = 1_000;
                                t.merchantId = "acme";
                                t.perUserLimit = 1;
                            })))
                    .extracting(ClusterBatches.Reply::result)
                    .containsOnly(ResultCode.SUCCESS);
            ClusterBatches.Reply[] coupons = client.send(
                    CampaignSamples.reserve(NOW, "coupon-1", "coupon-1", "SPRING", "SKU-C", 1),
                    CampaignSamples.reserve(NOW, "coupon-2", "coupon-2", "ACME-10", "SKU-C", 1));
            assertThat(coupons).extracting(ClusterBatches.Reply::result).containsOnly(ResultCode.SUCCESS);
            springOrder = coupons[0].orderId();
            assertThat(client.send(Command.orderCommand(CommandType.CANCEL, NOW, "cancel-2", coupons[1].orderId())))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);

            client.takeSnapshot();
            for (ClusterBatches.Reply reply : client.send(reserves(11, 3, requestIds))) {
                assertThat(reply.result()).isEqualTo(ResultCode.SUCCESS);
                orderIds.add(reply.orderId());
            }
        }

        try (Member member = Member.start(directory, 0, 1);
                Client client = Client.connect(directory, 1)) {
            assertThat(member.service.startedFromSnapshot()).isTrue();
            // The campaigns, their numbers and SKUs and merchant, and the redemptions counted again
            // from the orders: coupon-1 holds SPRING's one a buyer, one of two is left, and
            // coupon-2's cancelled order gave ACME-10 back.
            assertThat(client.send(
                            CampaignSamples.getCampaign("SPRING"),
                            CampaignSamples.reserve(NOW, "coupon-1-again", "coupon-1", "SPRING", "SKU-C", 1),
                            CampaignSamples.reserve(NOW, "coupon-3", "coupon-3", "SPRING", "SKU-C", 1),
                            CampaignSamples.reserve(NOW, "coupon-4", "coupon-4", "SPRING", "SKU-C", 1),
                            CampaignSamples.reserve(NOW, "coupon-2-again", "coupon-2", "ACME-10", "SKU-C", 1),
                            CampaignSamples.reserve(NOW, "coupon-5", "coupon-5", "NOPE", "SKU-C", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(
                            ResultCode.SUCCESS,
                            ResultCode.CAMPAIGN_USER_LIMIT_REACHED,
                            ResultCode.SUCCESS,
                            ResultCode.CAMPAIGN_BUDGET_EXHAUSTED,
                            ResultCode.SUCCESS,
                            ResultCode.CAMPAIGN_UNKNOWN);
            // coupon-1's order kept its campaign: cancelling it gives its redemption back.
            assertThat(client.send(
                            Command.orderCommand(CommandType.CANCEL, NOW, "cancel-1", springOrder),
                            CampaignSamples.reserve(NOW, "coupon-4-again", "coupon-4", "SPRING", "SKU-C", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS, ResultCode.SUCCESS);
            // The SKU group: SKU-2 joins the group defined before the snapshot, beside SKU-1.
            Command join = Command.upsertSku(NOW, "join-2", "SKU-3", 100, "EUR", 1, 1, 0, 0, 3_600_000);
            join.groupId().set("drop");
            assertThat(client.send(join))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            assertThat(client.send(Command.getSkuGroup("drop")))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            // ACME-10 still names acme: SKU-3, which has no merchant, is not in it.
            assertThat(client.send(CampaignSamples.reserve(NOW, "coupon-6", "coupon-6", "ACME-10", "SKU-3", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.CAMPAIGN_NOT_APPLICABLE);
            // The merchant table: a SKU may name the merchant defined before the snapshot.
            assertThat(client.send(Command.upsertSku(
                            NOW, "define-2", "SKU-2", 100, "EUR", 1, 1, 0, 0, 3_600_000, "acme", null)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS);
            // The remembered answers: every request id repeated gets its first order back.
            assertThat(client.send(repeatsOf(requestIds)))
                    .extracting(ClusterBatches.Reply::orderId)
                    .containsExactlyElementsOf(orderIds);
            // The per-user counters: buyer 1 holds their one unit.
            assertThat(client.send(Command.reserve(NOW, "again-1", "buyer-1", "SKU-1", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.LIMIT_EXCEEDED);
            // The risk rules: the blocklist, and buyer 1's two attempts counted in the day.
            assertThat(client.send(Command.reserve(NOW, "scalper-1", "scalper", "SKU-1", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.BLOCKED);
            assertThat(client.send(Command.reserve(NOW, "again-2", "buyer-1", "SKU-1", 1)))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.RATE_LIMITED);
            // The stock: 13 of 15 units are held, so two more buyers get one and the third none.
            assertThat(client.send(reserves(14, 3, new ArrayList<>())))
                    .extracting(ClusterBatches.Reply::result)
                    .containsExactly(ResultCode.SUCCESS, ResultCode.SUCCESS, ResultCode.SOLD_OUT);
        }
    }

    @Test
    void threeMembersShouldAgreeAndTheSaleShouldGoOnWhenTheLeaderStops() {
        List<Member> members = new ArrayList<>();
        try {
            for (int id = 0; id < 3; id++) {
                members.add(Member.start(directory, id, 3));
            }
            List<String> requestIds = new ArrayList<>();
            List<Long> orderIds = new ArrayList<>();
            try (Client client = Client.connect(directory, 3)) {
                assertThat(client.send(Command.upsertSku(NOW, "define", "SKU-1", 100, "EUR", 40, 1, 0, 0, 3_600_000)))
                        .extracting(ClusterBatches.Reply::result)
                        .containsExactly(ResultCode.SUCCESS);
                for (int first = 1; first <= 20; first += 10) {
                    for (ClusterBatches.Reply reply : client.send(reserves(first, 10, requestIds))) {
                        assertThat(reply.result()).isEqualTo(ResultCode.SUCCESS);
                        orderIds.add(reply.orderId());
                    }
                }

                // The same log to the same position: the three members' snapshots are the same bytes.
                client.takeSnapshot();
                awaitSnapshotsAtOnePosition(members);
                assertThat(members)
                        .extracting(member -> member.service.snapshotDigest())
                        .containsOnly(members.get(0).service.snapshotDigest());

                Member leader = members.stream()
                        .filter(member -> member.service.role() == io.aeron.cluster.service.Cluster.Role.LEADER)
                        .findFirst()
                        .orElseThrow();
                leader.close();
                members.remove(leader);

                // The two that are left elect a leader, which has every acknowledged order.
                assertThat(client.send(repeatsOf(requestIds)))
                        .extracting(ClusterBatches.Reply::orderId)
                        .containsExactlyElementsOf(orderIds);
                assertThat(client.send(reserves(21, 5, new ArrayList<>())))
                        .extracting(ClusterBatches.Reply::result)
                        .containsOnly(ResultCode.SUCCESS);
            }
        } finally {
            members.forEach(Member::close);
        }
    }

    private static void awaitSnapshotsAtOnePosition(List<Member> members) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (members.stream()
                                .map(member -> member.service.snapshotLogPosition())
                                .distinct()
                                .count()
                        != 1
                || members.get(0).service.snapshotLogPosition() < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the members did not all take the snapshot");
            }
            Thread.yield();
        }
    }

    /** The reserves of {@link #reserves} again, under the same request ids. */
    private static Command[] repeatsOf(List<String> requestIds) {
        Command[] commands = new Command[requestIds.size()];
        for (int i = 0; i < commands.length; i++) {
            commands[i] = Command.reserve(NOW, requestIds.get(i), "buyer-" + (i + 1), "SKU-1", 1);
        }
        return commands;
    }

    /** Reserves of one unit for buyers {@code first..first + count - 1}, their request ids added to {@code ids}. */
    private static Command[] reserves(int first, int count, List<String> ids) {
        Command[] commands = new Command[count];
        for (int i = 0; i < count; i++) {
            String requestId = "reserve-" + (first + i);
            ids.add(requestId);
            commands[i] = Command.reserve(NOW, requestId, "buyer-" + (first + i), "SKU-1", 1);
        }
        return commands;
    }

    /** Member {@code memberId}'s port for {@code offset}: ten ports a member from 18000. */
    private static int port(int memberId, int offset) {
        return 18_000 + memberId * 10 + offset;
    }

    /** The consensus module's member list: id, ingress, consensus, log, catch-up and archive endpoints. */
    private static String members(int memberCount) {
        StringBuilder members = new StringBuilder();
        for (int id = 0; id < memberCount; id++) {
            members.append(id == 0 ? "" : "|")
                    .append(id)
                    .append(",localhost:")
                    .append(port(id, INGRESS_PORT))
                    .append(",localhost:")
                    .append(port(id, CONSENSUS_PORT))
                    .append(",localhost:")
                    .append(port(id, LOG_PORT))
                    .append(",localhost:0")
                    .append(",localhost:")
                    .append(port(id, ARCHIVE_PORT));
        }
        return members.toString();
    }

    /** One cluster member, all of it in this JVM, over directories that survive a restart. */
    private static final class Member implements AutoCloseable {
        final ClusteredMediaDriver driver;
        final ClusteredServiceContainer container;
        final CheckoutClusteredService service;
        final String aeronDirectory;

        private Member(
                ClusteredMediaDriver driver,
                ClusteredServiceContainer container,
                CheckoutClusteredService service,
                String aeronDirectory) {
            this.driver = driver;
            this.container = container;
            this.service = service;
            this.aeronDirectory = aeronDirectory;
        }

        static Member start(Path root, int memberId, int memberCount) {
            Path base = root.resolve("member-" + memberId);
            String aeronDirectory = base.resolve("aeron").toString();
            File clusterDirectory = base.resolve("cluster").toFile();
            MediaDriver.Context driver = new MediaDriver.Context()
                    .aeronDirectoryName(aeronDirectory)
                    .threadingMode(ThreadingMode.SHARED)
                    .termBufferSparseFile(true)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true);
            Archive.Context archive = new Archive.Context()
                    .aeronDirectoryName(aeronDirectory)
                    .archiveDir(base.resolve("archive").toFile())
                    .controlChannel("aeron:udp?endpoint=localhost:" + port(memberId, ARCHIVE_PORT))
                    .localControlChannel("aeron:ipc?term-length=64k")
                    .replicationChannel("aeron:udp?endpoint=localhost:0")
                    .recordingEventsEnabled(false)
                    .threadingMode(ArchiveThreadingMode.SHARED);
            AeronArchive.Context archiveClient = new AeronArchive.Context()
                    .lock(NoOpLock.INSTANCE)
                    .controlRequestChannel(archive.localControlChannel())
                    .controlResponseChannel(archive.localControlChannel())
                    .aeronDirectoryName(aeronDirectory);
            ConsensusModule.Context consensus = new ConsensusModule.Context()
                    .clusterMemberId(memberId)
                    .clusterMembers(members(memberCount))
                    .leaderHeartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
                    .leaderHeartbeatTimeoutNs(TimeUnit.SECONDS.toNanos(1))
                    .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(250))
                    .clusterDir(clusterDirectory)
                    .ingressChannel("aeron:udp")
                    .replicationChannel("aeron:udp?endpoint=localhost:0")
                    .archiveContext(archiveClient.clone())
                    .authorisationServiceSupplier(() -> AuthorisationService.ALLOW_ALL)
                    .idleStrategySupplier(() -> new BackoffIdleStrategy())
                    .errorHandler(Throwable::printStackTrace);
            archive.errorHandler(Throwable::printStackTrace);
            driver.errorHandler(Throwable::printStackTrace);
            CheckoutClusteredService service = new CheckoutClusteredService(
                    new StateCapacities(16, 1_000, 1_000, 1_000), EngineLimits.defaults(), 60_000);
            ClusteredMediaDriver clusteredDriver = ClusteredMediaDriver.launch(driver, archive, consensus);
            ClusteredServiceContainer container;
            try {
                container = ClusteredServiceContainer.launch(new ClusteredServiceContainer.Context()
                        .aeronDirectoryName(aeronDirectory)
                        .archiveContext(archiveClient.clone())
                        .clusterDir(clusterDirectory)
                        .clusteredService(service)
                        .idleStrategySupplier(() -> new BackoffIdleStrategy())
                        .errorHandler(Throwable::printStackTrace));
            } catch (RuntimeException e) {
                clusteredDriver.close();
                throw e;
            }
            Member member = new Member(clusteredDriver, container, service, aeronDirectory);
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            while (memberCount == 1 && service.role() != io.aeron.cluster.service.Cluster.Role.LEADER) {
                if (System.nanoTime() > deadline) {
                    member.close();
                    throw new AssertionError("the member did not become leader within the timeout");
                }
                Thread.yield();
            }
            return member;
        }

        @Override
        public void close() {
            CloseHelper.closeAll(container, driver);
        }
    }

    /** A cluster client that sends one batch at a time and waits for its answers. */
    private static final class Client implements AutoCloseable, EgressListener {
        private final AeronCluster cluster;
        private final MediaDriver driver;
        private final Map<Long, ClusterBatches.Reply[]> answers = new ConcurrentHashMap<>();
        private final AtomicReference<AdminResponseCode> snapshotResponse = new AtomicReference<>();
        private final java.util.concurrent.atomic.AtomicLong leaderChanges =
                new java.util.concurrent.atomic.AtomicLong();
        private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
        private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        private long nextBatchId = 1;

        private Client(MediaDriver driver, AeronCluster.Context context) {
            this.driver = driver;
            this.cluster = AeronCluster.connect(context.egressListener(this));
        }

        static Client connect(Path root, int memberCount) {
            String aeronDirectory = root.resolve("client-aeron").toString();
            MediaDriver driver = MediaDriver.launch(new MediaDriver.Context()
                    .aeronDirectoryName(aeronDirectory)
                    .threadingMode(ThreadingMode.SHARED)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true));
            StringBuilder endpoints = new StringBuilder();
            for (int id = 0; id < memberCount; id++) {
                endpoints
                        .append(id == 0 ? "" : ",")
                        .append(id)
                        .append("=localhost:")
                        .append(port(id, INGRESS_PORT));
            }
            try {
                return new Client(
                        driver,
                        new AeronCluster.Context()
                                .aeronDirectoryName(aeronDirectory)
                                .ingressChannel("aeron:udp")
                                .ingressEndpoints(endpoints.toString())
                                .egressChannel("aeron:udp?endpoint=localhost:0")
                                .messageTimeoutNs(TIMEOUT_NANOS));
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
        }

        ClusterBatches.Reply[] send(Command... commands) {
            long batchId = nextBatchId++;
            int length = ClusterBatches.encodeBatch(batchId, commands, commands.length, buffer, scratch);
            return offerAndAwait(batchId, length);
        }

        ClusterBatches.Reply[] sendRaw(byte[] garbage) {
            long batchId = nextBatchId++;
            buffer.putLong(0, batchId, java.nio.ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(Long.BYTES, 1, java.nio.ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(Long.BYTES + Integer.BYTES, ClusterBatches.REPLY_ON_EGRESS, java.nio.ByteOrder.LITTLE_ENDIAN);
            buffer.putBytes(ClusterBatches.HEADER_BYTES, garbage);
            return offerAndAwait(batchId, ClusterBatches.HEADER_BYTES + garbage.length);
        }

        /**
         * Offers the batch and waits for its answers; offers it again whenever a new leader is
         * announced before they came, as a gateway does: the old leader may have taken the batch
         * without committing it, and a batch the log already holds is answered again from the
         * remembered answers.
         */
        private ClusterBatches.Reply[] offerAndAwait(long batchId, int length) {
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            long offeredInTerm = -1;
            while (!answers.containsKey(batchId)) {
                long term = leaderChanges.get();
                if (term != offeredInTerm) {
                    if (cluster.offer(buffer, 0, length) > 0) {
                        offeredInTerm = term;
                    }
                }
                awaitProgress(deadline, "answers to batch " + batchId);
            }
            ClusterBatches.Reply[] replies = answers.remove(batchId);
            return replies == REFUSED_BATCH ? null : replies;
        }

        void takeSnapshot() {
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            while (!cluster.sendAdminRequestToTakeASnapshot(nextBatchId++)) {
                awaitProgress(deadline, "snapshot request");
            }
            while (snapshotResponse.get() == null) {
                awaitProgress(deadline, "snapshot response");
            }
            assertThat(snapshotResponse.get()).isEqualTo(AdminResponseCode.OK);
        }

        private void awaitProgress(long deadline, String what) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for the " + what);
            }
            if (cluster.pollEgress() == 0) {
                Thread.onSpinWait();
                Thread.yield();
            }
        }

        @Override
        public void onMessage(
                long clusterSessionId, long timestamp, DirectBuffer message, int offset, int length, Header header) {
            ClusterBatches.Reply[] replies = ClusterBatches.decodeReplies(message, offset, length);
            answers.put(ClusterBatches.repliedBatchId(message, offset), replies == null ? REFUSED_BATCH : replies);
        }

        @Override
        public void onNewLeader(
                long clusterSessionId, long leadershipTermId, int leaderMemberId, String ingressEndpoints) {
            leaderChanges.incrementAndGet();
        }

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
            snapshotResponse.set(responseCode);
        }

        @Override
        public void close() {
            CloseHelper.closeAll(cluster, driver);
        }
    }
}
