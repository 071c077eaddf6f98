package io.checkout.loadgen;

import io.checkout.client.AdaptiveLimit;
import io.checkout.client.AutoBatching;
import io.checkout.client.BatchStreamingReserver;
import io.checkout.client.CheckoutClient;
import io.checkout.client.StreamingReserver;
import io.checkout.contract.PartitionTable;
import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.RiskRules;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.apache.commons.rng.simple.RandomSource;

/**
 * One load run: sets up or checks the SKUs, sends operations under the closed or open model for the
 * run's duration, waits for every answer, then audits the server against what it answered.
 *
 * <pre>
 *   sender thread ──(schedule, in-flight permit)──▶ async call on channel[seq % channels]
 *        ▲                                                   │ reply (gRPC thread)
 *        │                                                   ▼
 *   follow-up queue (bounded) ◀── confirm / cancel / repeat   record latency, result, ledger
 * </pre>
 *
 * <p>Closed model: at most {@code concurrency} calls in flight; a call is sent as soon as one
 * returns, and latency is measured from the actual send. Open model: operation {@code n} is due at
 * a fixed time on the schedule ({@code n / rate}, slower during the ramp) whatever happens to the
 * earlier ones; latency is measured from that intended time, so when the server stalls, or the
 * in-flight limit makes the sender wait, the waiting shows up in the latency instead of silently
 * thinning the load (the coordinated-omission correction wrk2 makes).
 */
final class LoadRun {

    /** With --setup: every SKU's price, in minor units, and its currency. */
    static final long PRICE_MINOR = 12_999;

    static final String CURRENCY = "EUR";

    /** SKUs polled each second for the progress line's "stock left". */
    private static final int PROGRESS_SKUS_MAX = 8;
    /** Threads doing setup writes and audit reads, each a blocking call with a deadline. */
    private static final int ADMIN_THREADS = 8;
    /** The audit's reads' deadline, at least; a run's longer deadline wins. */
    private static final Duration AUDIT_DEADLINE = Duration.ofSeconds(10);

    private final RunSettings settings;
    /** Every channel, of every partition. */
    private final List<ManagedChannel> channels = new ArrayList<>();
    /** The partition map the calls are routed by; one partition that owns everything when not partitioned. */
    private final PartitionTable table;
    /** The run's clients, a list per partition (one per channel to it). */
    private final List<List<CheckoutClient>> clients = new ArrayList<>();

    private final PrintStream progress;
    private final HistogramLogWriter logWriter;
    private final String runId;
    private final Ledger ledger;
    /**
     * Follow-ups the answers queue (reply threads) for the sender to send. Lock-free: the sender
     * polls it for every operation, hundreds of thousands a second in a crowd, and an empty {@code
     * ArrayBlockingQueue}'s poll takes its lock each time (a tenth of the sender's time, 2026-12-05).
     */
    private final ManyToOneConcurrentArrayQueue<FollowUpTask> followUps =
            new ManyToOneConcurrentArrayQueue<>(RunSettings.FOLLOW_UPS_QUEUED_MAX);

    private final LongAdder completed = new LongAdder();
    /**
     * The sender's: a slot of {@link #permits} it took for a call that never left (refused by the
     * SDK's limit), kept for its next send instead of released and taken again.
     */
    private boolean permitKept;

    private final Map<String, Sku> initialSkus = new HashMap<>();
    /** stream and stream-batch: a list per partition, one stream per channel. */
    private final List<List<StreamingReserver>> streams = new ArrayList<>();

    private final List<List<BatchStreamingReserver>> batchStreams = new ArrayList<>();
    /** Reserves answered RESERVED, by partition. */
    private final LongAdder[] reservedByPartition;
    /** stream-batch: reserves the sender has prepared and not yet sent; the sender thread's alone. */
    private final List<PendingReserve> batch = new ArrayList<>();

    private final List<ReserveRequest> batchRequests = new ArrayList<>();
    /** stream-batch: the pending reserves of the message being sent, parallel to {@link #batchRequests}. */
    private final List<PendingReserve> batchPending = new ArrayList<>();

    private int batchSize;
    private long batchesSent;
    /**
     * Reads for the audit and the progress line, one per partition: patient, with retries, and
     * without the run's client limit.
     */
    private final List<CheckoutClient> auditClients = new ArrayList<>();
    /** abuse: the answers per class of user and per hammer and blocked user; null in the other scenarios. */
    private final AbuseTally abuseTally;
    /** abuse with --setup: each partition's risk rules before the run set its own, put back after the audit. */
    private final List<RiskRules> previousRiskRules = new ArrayList<>();
    /** coupon: the answers with and without the campaign, and its redemptions; null in the other scenarios. */
    private final CouponTally couponTally;

    private Measurements measurements;
    private Timeline timeline;
    private InFlight permits;
    private long startNanos;
    private long warmupEndNanos;
    private volatile boolean warmingUp;
    /** With --setup: when the SKUs' sale windows opened (booking: its windows' close count from here). */
    private volatile long windowsOpenedAtMillis;
    /** {@link #windowsOpenedAtMillis} on the {@link System#nanoTime} clock. */
    private volatile long windowsOpenedAtNanos;

    private String progressNote = "";

    /** A call to send once a slot is free: a confirm or cancel of an order, or a reserve sent again. */
    private record FollowUpTask(OpKind kind, long orderId, ReserveRequest repeat, ReserveReply firstReply) {}

    /** A reserve waiting in the sender's batch, with what its answer's handling needs. */
    private record PendingReserve(
            ReserveRequest request,
            ReserveReply firstReply,
            Scenario.FollowUp followUp,
            boolean repeat,
            long latencyFromNanos,
            boolean measured) {}

    /**
     * @param settings the run's settings
     * @param channelsByPartition the channels to call over, a list per partition of {@code table};
     *     the caller owns and closes them
     * @param table the partition map calls are routed by ({@link PartitionTable#single()} when not
     *     partitioned)
     * @param adminCredentials sent with setup's admin calls, or null for none
     * @param progress where the per-second progress line goes, or null for none
     * @param logWriter where interval histograms go, or null for none
     * @param runId a short id that makes this run's request, user and SKU ids unique
     */
    LoadRun(
            RunSettings settings,
            List<List<ManagedChannel>> channelsByPartition,
            PartitionTable table,
            CallCredentials adminCredentials,
            PrintStream progress,
            HistogramLogWriter logWriter,
            String runId) {
        if (channelsByPartition.size() != table.partitionCount()
                || channelsByPartition.stream().anyMatch(List::isEmpty)) {
            throw new IllegalArgumentException("at least one channel per partition is needed");
        }
        this.settings = settings;
        this.table = table;
        this.reservedByPartition = new LongAdder[table.partitionCount()];
        this.progress = progress;
        this.logWriter = logWriter;
        this.runId = runId;
        this.ledger = new Ledger(settings.ordersTrackedMax());
        this.abuseTally =
                settings.abuse() == null ? null : new AbuseTally(settings.abuse(), runId, table.partitionCount());
        this.couponTally = settings.coupon() == null
                ? null
                : new CouponTally(
                        settings.coupon(),
                        runId,
                        table.partitionCount(),
                        orderGrossMinor(settings),
                        settings.reservationTtl().toMillis(),
                        settings.ordersTrackedMax());
        for (List<ManagedChannel> partitionChannels : channelsByPartition) {
            reservedByPartition[clients.size()] = new LongAdder();
            List<CheckoutClient> partitionClients = new ArrayList<>();
            for (ManagedChannel channel : partitionChannels) {
                channels.add(channel);
                partitionClients.add(CheckoutClient.builder(channel)
                        .deadline(settings.deadline())
                        // One attempt: a load generator reports what the server answered, it does not
                        // hide refusals behind retries. Repeats with the same request id are a scenario option.
                        .maxAttempts(1)
                        .adaptiveConcurrencyLimit(adaptiveLimit(settings))
                        .autoBatching(autoBatching(settings))
                        .callCredentials(adminCredentials)
                        .build());
            }
            clients.add(partitionClients);
            // The audit runs after the load, so an overloaded run still ends in a report: its reads
            // have their own deadline and retry what the server refuses for load.
            auditClients.add(CheckoutClient.builder(partitionChannels.get(0))
                    .deadline(AUDIT_DEADLINE.compareTo(settings.deadline()) > 0 ? AUDIT_DEADLINE : settings.deadline())
                    .maxAttempts(10)
                    .initialBackoff(Duration.ofMillis(50))
                    .maxBackoff(Duration.ofSeconds(1))
                    .callCredentials(adminCredentials)
                    .build());
        }
    }

    /** Appends {@code note} to every progress line of this run, e.g. to say it is a warm-up. */
    LoadRun progressNote(String note) {
        this.progressNote = note;
        return this;
    }

    /** Reserves answered RESERVED so far, by partition of the map the run routes by. */
    long[] reservedByPartition() {
        long[] counts = new long[reservedByPartition.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = reservedByPartition[i].sum();
        }
        return counts;
    }

    private static <T> T pick(List<T> choices, long seq) {
        return choices.get((int) (seq % choices.size()));
    }

    /** The partition an order id names; 0 for one the map does not know (its server refuses it). */
    private int partitionOfOrder(long orderId) {
        int partition = Partitioning.partitionOfOrder(orderId);
        return partition < clients.size() ? partition : 0;
    }

    private CheckoutClient clientForSku(String skuId, long seq) {
        return pick(clients.get(table.partitionOfSku(skuId)), seq);
    }

    private CheckoutClient clientForOrder(long orderId, long seq) {
        return pick(clients.get(partitionOfOrder(orderId)), seq);
    }

    private CheckoutClient auditClientForSku(String skuId) {
        return auditClients.get(table.partitionOfSku(skuId));
    }

    private CheckoutClient auditClientForOrder(long orderId) {
        return auditClients.get(partitionOfOrder(orderId));
    }

    /** The SDK limit {@code --client-limit} asks for, or null for none. */
    static AdaptiveLimit adaptiveLimit(RunSettings settings) {
        int max = settings.clientLimitMax();
        int min = Math.min(20, max);
        return switch (settings.clientLimit()) {
            case NONE -> null;
            // A call slower than half the deadline is a congestion signal, as a refusal is.
            case AIMD -> AdaptiveLimit.aimd(min, max, settings.deadline().dividedBy(2));
            case GRADIENT -> AdaptiveLimit.gradient(min, max);
        };
    }

    /**
     * unary-batched: the SDK's auto-batching with {@code --batch-size} as its largest batch (at most
     * the SDK's 256), no linger, over 2 streams whose windows hold the run's calls in flight; null
     * for the other APIs.
     */
    static AutoBatching autoBatching(RunSettings settings) {
        if (settings.api() != RunSettings.Api.UNARY_BATCHED) {
            return null;
        }
        int batch = Math.min(settings.batchSize(), AutoBatching.BATCH_SIZE_MAX);
        int inFlight = settings.model() == RunSettings.Model.CLOSED ? settings.concurrency() : settings.inFlightMax();
        return AutoBatching.of(
                batch, Duration.ZERO, 2, Math.min(AutoBatching.IN_FLIGHT_MAX, Math.max(batch, inFlight)));
    }

    /** What every order of a run costs: {@code --quantity} units at {@link #PRICE_MINOR}. */
    static long orderGrossMinor(RunSettings settings) {
        return settings.quantity() * PRICE_MINOR;
    }

    /** Runs the whole thing; the result holds the measurements and the audit. */
    RunResult run() throws InterruptedException {
        long setupStartedNanos = System.nanoTime();
        try {
            prepareSkus();
            prepareRiskRules();
            prepareCampaign();
            double setupSeconds = (System.nanoTime() - setupStartedNanos) / 1e9;
            return sendAndAudit(setupSeconds);
        } finally {
            restoreRiskRules();
            closeCampaign();
            auditClients.forEach(CheckoutClient::close);
        }
    }

    /** Sends the load, waits for the answers and audits the server; after setup. */
    private RunResult sendAndAudit(double setupSeconds) throws InterruptedException {
        int window = Math.min(settings.inFlightMax(), CheckoutClient.STREAM_IN_FLIGHT_MAX);
        if (settings.api() == RunSettings.Api.STREAM) {
            for (List<CheckoutClient> partitionClients : clients) {
                List<StreamingReserver> partitionStreams = new ArrayList<>();
                for (CheckoutClient client : partitionClients) {
                    partitionStreams.add(client.openReserveStream(window));
                }
                streams.add(partitionStreams);
            }
        } else if (settings.api() == RunSettings.Api.STREAM_BATCH) {
            batchSize = Math.min(settings.batchSize(), window);
            for (List<CheckoutClient> partitionClients : clients) {
                List<BatchStreamingReserver> partitionStreams = new ArrayList<>();
                for (CheckoutClient client : partitionClients) {
                    partitionStreams.add(client.openReserveBatchStream(window, batchSize));
                }
                batchStreams.add(partitionStreams);
            }
        }
        long startEpochMillis = System.currentTimeMillis() + settings.warmup().toMillis();
        measurements = new Measurements(
                logWriter,
                startEpochMillis,
                settings.scenario() == Scenario.Kind.EMPTY_CALL ? OpKind.HEALTH_CHECK : OpKind.RESERVE);
        permits = InFlight.of(settings.inFlightMax());
        long drainSeconds = 2 * settings.deadline().toSeconds() + 5;
        timeline = new Timeline((int) (settings.duration().toSeconds() + drainSeconds + 60));
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "loadgen-progress");
            thread.setDaemon(true);
            return thread;
        });
        startNanos = System.nanoTime();
        warmupEndNanos = startNanos + settings.warmup().toNanos();
        warmingUp = settings.warmup().toNanos() > 0;
        ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
        if (settings.clientLimit() != RunSettings.ClientLimit.NONE) {
            ticker.scheduleAtFixedRate(
                    this::sampleClientLimit,
                    Timeline.LIMIT_SAMPLE_MILLIS,
                    Timeline.LIMIT_SAMPLE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        long sent;
        long sendEndNanos;
        boolean drained;
        try {
            sent = sendAll();
            sendEndNanos = System.nanoTime();
            long drainMillis = 2 * settings.deadline().toMillis() + 5_000;
            drained = permits.awaitFree(settings.inFlightMax(), drainMillis, TimeUnit.MILLISECONDS);
            for (List<StreamingReserver> partitionStreams : streams) {
                partitionStreams.forEach(StreamingReserver::close);
            }
            for (List<BatchStreamingReserver> partitionStreams : batchStreams) {
                partitionStreams.forEach(BatchStreamingReserver::close);
            }
        } finally {
            // Let a progress line being written finish rather than interrupt its stock read.
            ticker.shutdown();
            if (!ticker.awaitTermination(settings.deadline().toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
                ticker.shutdownNow();
            }
            // Their retry timers and auto-batching streams go with them; a --prewarm run's would
            // otherwise live on beside the measured run's.
            clients.forEach(partitionClients -> partitionClients.forEach(CheckoutClient::close));
        }
        measurements.sampleInterval(System.currentTimeMillis());
        double measuredSeconds = Math.max(1e-9, (sendEndNanos - Math.min(sendEndNanos, warmupEndNanos)) / 1e9);
        timeline.sampleSecond(System.nanoTime() - startNanos);
        CouponAudit.OrderReads couponReads = couponTally == null
                ? null
                : new CouponAudit.OrderReads(couponTally, this::partitionOfOrder, System::currentTimeMillis);
        Auditor auditor = new Auditor(
                settings, this::auditClientForSku, this::auditClientForOrder, ledger, initialSkus, ADMIN_THREADS);
        if (couponReads != null) {
            auditor.onOrderRead(couponReads);
        }
        Audit audit = auditor.audit(drained);
        if (abuseTally != null) {
            audit = audit.withChecks(AbuseAudit.checks(abuseTally, this::readBlockedUser));
        }
        if (couponTally != null) {
            // After the orders were read, so nothing the reads saw is newer than the campaign's figures.
            readCampaign();
            audit = audit.withChecks(CouponAudit.checks(couponTally, couponReads, couponInexact(drained)));
        }
        return new RunResult(
                settings,
                runId,
                sent,
                setupSeconds,
                (sendEndNanos - startNanos) / 1e9,
                measuredSeconds,
                drained,
                measurements,
                timeline,
                ledger,
                audit,
                abuseTally,
                couponTally);
    }

    /**
     * abuse with --setup: sets the attempt limit on every partition (each counts on its own) and
     * blocks the run's blocked users on every partition, remembering the rules it found.
     */
    private void prepareRiskRules() throws InterruptedException {
        if (abuseTally == null || !settings.setup()) {
            return;
        }
        Abuse abuse = settings.abuse();
        for (int partition = 0; partition < auditClients.size(); partition++) {
            CheckoutClient client = auditClients.get(partition);
            try {
                RiskRules before = client.getRiskRules();
                client.setAttemptLimit(abuse.maxAttempts(), abuse.windowMillis());
                previousRiskRules.add(before);
            } catch (StatusRuntimeException e) {
                throw new SetupException(
                        "setting the attempt limit (" + abuse.maxAttempts() + " per " + abuse.windowMillis()
                                + " ms) on partition " + partition + " failed: " + describe(e),
                        e);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(ADMIN_THREADS);
        try {
            List<String> users = abuseTally.blockedUserIds();
            List<Future<?>> blocks = new ArrayList<>(users.size());
            for (String userId : users) {
                blocks.add(pool.submit(() -> auditClients.forEach(client -> client.blockUser(userId))));
            }
            for (int index = 0; index < blocks.size(); index++) {
                try {
                    blocks.get(index).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new SetupException(
                            "blocking user " + users.get(index) + " failed: " + describe(e.getCause()), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * abuse: after the audit (or a failed setup), lifts the run's blocks and puts back the attempt
     * limit each partition had, so the run leaves the server's risk rules as it found them; says
     * what it did in the report.
     */
    private void restoreRiskRules() {
        if (abuseTally == null || previousRiskRules.isEmpty()) {
            return;
        }
        try {
            for (String userId : abuseTally.blockedUserIds()) {
                for (CheckoutClient client : auditClients) {
                    client.unblockUser(userId);
                }
            }
            for (int partition = 0; partition < previousRiskRules.size(); partition++) {
                RiskRules before = previousRiskRules.get(partition);
                auditClients.get(partition).setAttemptLimit(before.getMaxAttempts(), before.getWindowMillis());
            }
            RiskRules first = previousRiskRules.get(0);
            abuseTally.afterwards(String.format(
                    java.util.Locale.ROOT,
                    "after the audit: %d blocked user(s) unblocked, the attempt limit put back to %s",
                    abuseTally.blockedUserIds().size(),
                    first.getMaxAttempts() == 0
                            ? "none"
                            : first.getMaxAttempts() + " per " + first.getWindowMillis() + " ms"));
        } catch (RuntimeException e) {
            abuseTally.afterwards("after the audit: the risk rules could not be put back (" + describe(e)
                    + "); the server keeps the run's attempt limit and blocks");
        }
    }

    /**
     * coupon with --setup: defines the run's campaign on every partition that owns some of the run's
     * SKUs (each keeps its own budget), listing those SKUs (for every SKU when a partition owns more
     * than a campaign may list), open from the SKUs' sale start, with no end.
     */
    private void prepareCampaign() {
        if (couponTally == null || !settings.setup()) {
            return;
        }
        Map<Integer, List<String>> skusByPartition = new java.util.TreeMap<>();
        for (int index = 0; index < settings.skus(); index++) {
            String skuId = settings.skuId(index);
            skusByPartition
                    .computeIfAbsent(table.partitionOfSku(skuId), partition -> new ArrayList<>())
                    .add(skuId);
        }
        for (Map.Entry<Integer, List<String>> part : skusByPartition.entrySet()) {
            List<String> skuIds = part.getValue().size() <= Coupon.SKUS_LISTED_MAX ? part.getValue() : List.of();
            Campaign campaign = settings.coupon()
                    .campaign(couponTally.campaignId(), CURRENCY, skuIds, windowsOpenedAtMillis - 1_000);
            try {
                couponTally.defined(
                        part.getKey(), auditClients.get(part.getKey()).upsertCampaign(campaign));
            } catch (StatusRuntimeException e) {
                throw new SetupException(
                        "defining campaign " + couponTally.campaignId() + " on partition " + part.getKey() + " failed: "
                                + describe(e),
                        e);
            }
        }
    }

    /**
     * coupon: after the audit (or a failed setup), closes the campaign's window on every partition
     * holding it, so nothing redeems it after the run. A campaign cannot be deleted: it stays
     * defined, with the redemptions its orders hold; says so in the report.
     */
    private void closeCampaign() {
        if (couponTally == null || couponTally.defined().isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        try {
            for (Map.Entry<Integer, Campaign> part : couponTally.defined().entrySet()) {
                Campaign defined = part.getValue();
                auditClients
                        .get(part.getKey())
                        .upsertCampaign(defined.toBuilder()
                                .setEndsAtEpochMillis(Math.max(now, defined.getStartsAtEpochMillis() + 1))
                                .clearRedeemed()
                                .clearRedeemingUsers()
                                .build());
            }
            couponTally.afterwards(String.format(
                    java.util.Locale.ROOT,
                    "after the audit: campaign %s closed (its window ends at %s, on %d partition(s)); a campaign"
                            + " cannot be deleted, so it stays defined with the redemptions its orders hold",
                    couponTally.campaignId(),
                    java.time.Instant.ofEpochMilli(now),
                    couponTally.defined().size()));
        } catch (RuntimeException e) {
            couponTally.afterwards("after the audit: campaign " + couponTally.campaignId() + " could not be closed ("
                    + describe(e) + "); it stays open on the server");
        }
    }

    /** coupon: the campaign as every partition holding it has it now, for the audit. */
    private void readCampaign() {
        for (int partition : couponTally.defined().keySet()) {
            try {
                couponTally.readAtAudit(partition, auditClients.get(partition).getCampaign(couponTally.campaignId()));
            } catch (StatusRuntimeException e) {
                throw new Auditor.AuditException(
                        "audit could not read campaign " + couponTally.campaignId() + " on partition " + partition
                                + ": " + describe(e),
                        e);
            }
        }
    }

    /**
     * coupon: why the run cannot know every redemption the server holds for it, or null when it
     * can: every call answered, no reserve without an answer, every order remembered.
     */
    private String couponInexact(boolean drained) {
        if (!drained) {
            return "some calls were still unanswered after the drain timeout";
        }
        if (ledger.ambiguousReserves() > 0) {
            return ledger.ambiguousReserves()
                    + " reserves ended without an answer, so the server may hold redemptions the run never heard of";
        }
        if (ledger.untracked() > 0 || couponTally.untracked() > 0) {
            return "orders past --audit-orders-max " + settings.ordersTrackedMax() + " were not remembered";
        }
        return null;
    }

    /** abuse: a blocked user as every partition has them: orders listed, and whether blocked on each. */
    private AbuseAudit.ServerUser readBlockedUser(String userId) {
        long orders = 0;
        boolean blocked = true;
        try {
            for (CheckoutClient client : auditClients) {
                orders += client.listUserOrders(userId, 100, null).getOrdersCount();
                blocked &= client.getUserRisk(userId).getBlocked();
            }
        } catch (StatusRuntimeException e) {
            throw new Auditor.AuditException("audit could not read user " + userId + ": " + describe(e), e);
        }
        return new AbuseAudit.ServerUser(orders, blocked);
    }

    /** With --setup, defines the run's SKUs; either way, reads each SKU as it stands before the run. */
    private void prepareSkus() throws InterruptedException {
        if (settings.scenario() == Scenario.Kind.EMPTY_CALL) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(ADMIN_THREADS);
        try {
            long now = System.currentTimeMillis();
            windowsOpenedAtMillis = now;
            windowsOpenedAtNanos = System.nanoTime();
            List<Future<Sku>> reads = new ArrayList<>(settings.skus());
            for (int index = 0; index < settings.skus(); index++) {
                String skuId = settings.skuId(index);
                String storeId = settings.storeId(index);
                // 0 (no end) but in booking: the slot's booking window, from now.
                long saleEnd = settings.saleEndEpochMillis(index, now);
                reads.add(pool.submit(() -> {
                    CheckoutClient client = auditClientForSku(skuId);
                    if (!settings.setup()) {
                        return client.getStock(skuId);
                    }
                    return client.upsertSku(UpsertSkuRequest.newBuilder()
                            .setRequestId("s-" + runId + "-" + skuId)
                            .setSkuId(skuId)
                            .setPriceMinor(PRICE_MINOR)
                            .setCurrency(CURRENCY)
                            .setTotalStock(settings.stock())
                            .setPerUserLimit(settings.perUserLimit())
                            // A second back, so the server's clock a little behind ours still has it on sale.
                            .setSaleStartEpochMillis(now - 1_000)
                            .setSaleEndEpochMillis(saleEnd)
                            .setReservationTtlMillis(settings.reservationTtl().toMillis())
                            .setStoreId(storeId)
                            .build());
                }));
            }
            for (int index = 0; index < reads.size(); index++) {
                try {
                    Sku sku = reads.get(index).get();
                    initialSkus.put(sku.getSkuId(), sku);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new SetupException(
                            (settings.setup() ? "creating" : "reading") + " SKU " + settings.skuId(index)
                                    + " failed: " + describe(e.getCause())
                                    + (settings.setup()
                                            ? ""
                                            : " (use --setup to create the SKUs, or --sku-prefix to name existing ones)"),
                            e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Sends until the duration or request count is used up; returns how many operations were sent. */
    private long sendAll() throws InterruptedException {
        Scenario scenario = new Scenario(
                settings,
                RandomSource.XO_RO_SHI_RO_128_PP.create(settings.seed()),
                runId,
                () -> settings.setup() ? System.currentTimeMillis() - windowsOpenedAtMillis : -1);
        long endNanos = sendEndNanos();
        long seq = 0;
        boolean open = settings.model() == RunSettings.Model.OPEN;
        // With a crowd the rate changes along the run, so each send is due one interval at the
        // rate of its time after the one before.
        double crowdScheduleSeconds = 0;
        RunSettings.RateCurve rates = settings.rateCurve();
        long sendTickNanos = settings.sendTick().toNanos();
        while (settings.requestsMax() == 0 || seq < settings.requestsMax()) {
            long latencyFromNanos;
            // The clock as the operation leaves, read once: at several hundred thousand offered
            // calls a second (a crowd, most of them refused in the SDK) each read is a share of
            // the generator's core that the server on the same machine loses.
            long nowNanos;
            if (open) {
                long intendedNanos;
                if (settings.crowd() == null) {
                    intendedNanos = startNanos + scheduledOffsetNanos(seq);
                } else {
                    intendedNanos = startNanos + (long) (crowdScheduleSeconds * 1e9);
                    crowdScheduleSeconds += 1 / rates.rateAt(crowdScheduleSeconds);
                }
                if (intendedNanos >= endNanos) {
                    break;
                }
                nowNanos = System.nanoTime();
                if (intendedNanos > nowNanos) {
                    sendBatch();
                    nowNanos = waitUntil(intendedNanos, sendTickNanos);
                }
                if (!takeSlot()) {
                    if (intendedNanos >= warmupEndNanos) {
                        measurements.lateSend();
                    }
                    sendBatch();
                    permits.acquire();
                    nowNanos = System.nanoTime();
                }
                latencyFromNanos = intendedNanos;
                if (intendedNanos >= warmupEndNanos) {
                    measurements.recordSendLag(nowNanos - intendedNanos);
                }
            } else {
                if (System.nanoTime() >= endNanos) {
                    break;
                }
                holdForClosedRamp();
                if (!takeSlot()) {
                    sendBatch();
                    permits.acquire();
                }
                latencyFromNanos = System.nanoTime();
                nowNanos = latencyFromNanos;
                if (latencyFromNanos >= endNanos) {
                    permits.release();
                    break;
                }
            }
            if (warmingUp && latencyFromNanos >= warmupEndNanos) {
                warmingUp = false;
            }
            send(seq, scenario, latencyFromNanos, nowNanos, latencyFromNanos >= warmupEndNanos);
            seq++;
        }
        if (permitKept) {
            permitKept = false;
            permits.release();
        }
        sendBatch();
        return seq;
    }

    /**
     * When sending stops: {@code --duration} after the start; in booking with --setup, {@code
     * --duration} is the booking horizon, from the windows' opening at setup to the last one's close,
     * so sending stops as the last window closes and the setup's time is part of the horizon.
     */
    private long sendEndNanos() {
        long from = settings.booking() != null && settings.setup() ? windowsOpenedAtNanos : startNanos;
        return from + settings.duration().toNanos();
    }

    /**
     * The open model's schedule: when operation {@code seq} is due, from the start. Without a ramp
     * that is {@code seq / rate}; during a ramp of length T the rate climbs linearly from 0, so
     * {@code seq} operations are due by {@code t = sqrt(2 T seq / rate)}.
     */
    long scheduledOffsetNanos(long seq) {
        return scheduledOffsetNanos(
                seq, settings.ratePerSecond(), settings.ramp().toNanos() / 1e9);
    }

    static long scheduledOffsetNanos(long seq, double ratePerSecond, double rampSeconds) {
        double rampOperations = ratePerSecond * rampSeconds / 2;
        double seconds = seq < rampOperations
                ? Math.sqrt(2 * rampSeconds * seq / ratePerSecond)
                : rampSeconds + (seq - rampOperations) / ratePerSecond;
        return (long) (seconds * 1e9);
    }

    /** Takes an in-flight slot for the next send without waiting: the one kept, or a free one; false if none. */
    private boolean takeSlot() {
        if (permitKept) {
            permitKept = false;
            return true;
        }
        return permits.tryAcquire();
    }

    /**
     * Parks until {@code deadlineNanos}, each time for at least {@code tickNanos} ({@code
     * --send-tick}); returns the clock's reading at or after it.
     */
    private static long waitUntil(long deadlineNanos, long tickNanos) {
        long now;
        while ((now = System.nanoTime()) < deadlineNanos) {
            LockSupport.parkNanos(Math.max(deadlineNanos - now, tickNanos));
        }
        return now;
    }

    /** Closed model with a ramp: the concurrency allowed climbs linearly from 1 to its target. */
    private void holdForClosedRamp() {
        long rampNanos = settings.ramp().toNanos();
        while (rampNanos > 0) {
            long elapsed = System.nanoTime() - startNanos;
            if (elapsed >= rampNanos) {
                return;
            }
            long allowed = Math.max(1, (long) Math.ceil((double) settings.concurrency() * elapsed / rampNanos));
            if (settings.inFlightMax() - permits.available() < allowed) {
                return;
            }
            sendBatch();
            LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * Sends operation {@code seq}, due at {@code latencyFromNanos} and leaving at {@code nowNanos}
     * (the sender's clock read for it).
     */
    private void send(long seq, Scenario scenario, long latencyFromNanos, long nowNanos, boolean measured) {
        if (settings.scenario() == Scenario.Kind.EMPTY_CALL) {
            healthCheck(channels.get((int) (seq % channels.size())), latencyFromNanos, measured);
            return;
        }
        FollowUpTask followUp = followUps.poll();
        if (followUp != null) {
            switch (followUp.kind()) {
                case CONFIRM ->
                    change(
                            clientForOrder(followUp.orderId(), seq)
                                    .confirmAsync("c-" + runId + "-" + seq, followUp.orderId()),
                            OpKind.CONFIRM,
                            followUp.orderId(),
                            latencyFromNanos,
                            measured);
                case CANCEL -> {
                    if (couponTally != null) {
                        couponTally.cancelSent(followUp.orderId(), System.currentTimeMillis());
                    }
                    change(
                            clientForOrder(followUp.orderId(), seq)
                                    .cancelAsync("c-" + runId + "-" + seq, followUp.orderId()),
                            OpKind.CANCEL,
                            followUp.orderId(),
                            latencyFromNanos,
                            measured);
                }
                default ->
                    reserve(
                            seq,
                            followUp.repeat(),
                            followUp.firstReply(),
                            Scenario.FollowUp.NONE,
                            false,
                            latencyFromNanos,
                            measured);
            }
            return;
        }
        if (scenario.nextIsGet()) {
            long orderId = ledger.recentOrderId(scenario.nextIndex(Integer.MAX_VALUE));
            if (orderId != 0) {
                getOrder(clientForOrder(orderId, seq), orderId, latencyFromNanos, measured);
                return;
            }
        }
        timeline.offered(latencyFromNanos - startNanos, nowNanos - latencyFromNanos);
        int skuIndex = scenario.nextSkuIndex();
        // One partition takes every SKU, so the refusal below needs no id built (a String per
        // offered call); with several, the id names the partition.
        String skuId = table.partitionCount() == 1 ? null : settings.skuId(skuIndex);
        if (streams.isEmpty()
                && batchStreams.isEmpty()
                && (skuId == null ? pick(clients.get(0), seq) : clientForSku(skuId, seq)).refusesAtOnce()) {
            // The SDK would refuse this call unsent; a crowd's caller pays for that on its own machine,
            // so the generator counts the same refusal without building a request to throw away.
            refusedByClientLimit(latencyFromNanos, nowNanos, measured);
            return;
        }
        if (skuId == null) {
            skuId = settings.skuId(skuIndex);
        }
        String userId = scenario.nextUserId();
        ReserveRequest.Builder builder = ReserveRequest.newBuilder()
                .setRequestId("r-" + runId + "-" + seq)
                .setUserId(userId)
                .addLines(OrderLine.newBuilder().setSkuId(skuId).setQuantity(settings.quantity()));
        if (couponTally != null) {
            boolean named = scenario.nextNamesCampaign();
            if (named) {
                builder.setCampaignId(couponTally.campaignId());
            }
            couponTally.sent(named);
        }
        ReserveRequest request = builder.build();
        if (abuseTally != null) {
            abuseTally.sent(userId, System.currentTimeMillis());
        }
        reserve(seq, request, null, scenario.nextFollowUp(), scenario.nextRepeats(), latencyFromNanos, measured);
    }

    private void reserve(
            long seq,
            ReserveRequest request,
            ReserveReply firstReply,
            Scenario.FollowUp followUp,
            boolean repeat,
            long latencyFromNanos,
            boolean measured) {
        if (!batchStreams.isEmpty()) {
            batch.add(new PendingReserve(request, firstReply, followUp, repeat, latencyFromNanos, measured));
            if (batch.size() >= batchSize) {
                sendBatch();
            }
            return;
        }
        CompletableFuture<ReserveReply> reply;
        long sentNanos = System.nanoTime();
        String skuId = request.getLines(0).getSkuId();
        if (streams.isEmpty()) {
            reply = clientForSku(skuId, seq).reserveAsync(request);
        } else {
            reply = pick(streams.get(table.partitionOfSku(skuId)), seq).submit(request);
        }
        reply.whenComplete((answer, failure) -> onReserveAnswer(
                request, firstReply, followUp, repeat, latencyFromNanos, sentNanos, measured, answer, failure));
    }

    /**
     * stream-batch: sends the reserves the sender has gathered as one batch, on the streams in
     * turn. Called when the batch is full and whenever the sender is about to wait (for a permit,
     * the schedule or the ramp), so no reserve waits for others that cannot come yet.
     */
    private void sendBatch() {
        if (batch.isEmpty()) {
            return;
        }
        long sentNanos = System.nanoTime();
        // One message per partition: a batch stream goes to one server.
        for (int partition = 0; partition < batchStreams.size(); partition++) {
            batchRequests.clear();
            batchPending.clear();
            for (PendingReserve pending : batch) {
                if (batchStreams.size() == 1
                        || table.partitionOfSku(pending.request().getLines(0).getSkuId()) == partition) {
                    batchRequests.add(pending.request());
                    batchPending.add(pending);
                }
            }
            if (batchRequests.isEmpty()) {
                continue;
            }
            List<CompletableFuture<ReserveReply>> replies =
                    pick(batchStreams.get(partition), batchesSent++).submit(batchRequests);
            for (int i = 0; i < replies.size(); i++) {
                PendingReserve pending = batchPending.get(i);
                replies.get(i)
                        .whenComplete((answer, failure) -> onReserveAnswer(
                                pending.request(),
                                pending.firstReply(),
                                pending.followUp(),
                                pending.repeat(),
                                pending.latencyFromNanos(),
                                sentNanos,
                                pending.measured(),
                                answer,
                                failure));
            }
        }
        batch.clear();
    }

    /**
     * A reserve the client's adaptive limit refused before it was built: recorded as the SDK's
     * refusal ({@code RESOURCE_EXHAUSTED}, by the client) would be, in the measurements and the
     * timeline. It never left the process, so its outcome is known.
     */
    private void refusedByClientLimit(long latencyFromNanos, long nowNanos, boolean measured) {
        try {
            if (measured) {
                measurements.recordClientRefusal(nowNanos - latencyFromNanos);
            }
            timeline.refused(latencyFromNanos - startNanos, true);
        } finally {
            completed.increment();
            // The sender keeps this call's slot for its next one: a release and an acquire are two
            // atomic updates of a count the reply threads update too, per offered call.
            permitKept = true;
        }
    }

    private void onReserveAnswer(
            ReserveRequest request,
            ReserveReply firstReply,
            Scenario.FollowUp followUp,
            boolean repeat,
            long latencyFromNanos,
            long sentNanos,
            boolean measured,
            ReserveReply answer,
            Throwable failure) {
        long now = System.nanoTime();
        long latency = now - latencyFromNanos;
        try {
            if (abuseTally != null && firstReply == null) {
                if (failure != null) {
                    abuseTally.failed(request.getUserId(), System.currentTimeMillis());
                } else {
                    abuseTally.answered(request.getUserId(), answer.getResult(), System.currentTimeMillis());
                }
            }
            if (couponTally != null && firstReply == null) {
                boolean named = !request.getCampaignId().isEmpty();
                if (failure != null) {
                    couponTally.failed(named);
                } else {
                    long nowMillis = System.currentTimeMillis();
                    couponTally.answered(
                            named,
                            request.getUserId(),
                            partitionOfOrder(answer.getOrderId()),
                            answer,
                            // Rounded down to the millisecond before: the reserve left no later.
                            nowMillis - (now - sentNanos) / 1_000_000 - 1,
                            nowMillis);
                }
            }
            if (failure != null) {
                Throwable cause = unwrap(failure);
                Status status = Status.fromThrowable(cause);
                if (measured) {
                    measurements.recordError(OpKind.RESERVE, status.getCode(), latency);
                    if (settings.model() == RunSettings.Model.OPEN) {
                        measurements.recordReserveFromSend(now - sentNanos);
                    }
                }
                recordInTimeline(latencyFromNanos, sentNanos, now, status, cause, false);
                if (firstReply == null && outcomeUnknown(status.getCode())) {
                    ledger.reserveUnknown();
                }
                return;
            }
            recordInTimeline(
                    latencyFromNanos,
                    sentNanos,
                    now,
                    answer.getResult() == ReserveResult.REJECTED
                            ? Status.fromCodeValue(answer.getError().getCode())
                            : Status.OK,
                    null,
                    answer.getResult() == ReserveResult.RESERVED);
            if (measured) {
                if (answer.getResult() == ReserveResult.REJECTED) {
                    measurements.recordError(
                            OpKind.RESERVE,
                            Status.fromCodeValue(answer.getError().getCode()).getCode(),
                            latency);
                } else {
                    measurements.recordSuccess(OpKind.RESERVE, latency);
                }
                if (settings.model() == RunSettings.Model.OPEN) {
                    measurements.recordReserveFromSend(now - sentNanos);
                }
                measurements.recordReserveResult(answer.getResult());
            }
            if (firstReply != null) {
                if (answer.getResult() != firstReply.getResult() || answer.getOrderId() != firstReply.getOrderId()) {
                    ledger.repeatMismatch();
                }
                return;
            }
            if (answer.getResult() == ReserveResult.RESERVED) {
                reservedByPartition[partitionOfOrder(answer.getOrderId())].increment();
                OrderLine line = request.getLines(0);
                ledger.reserved(
                        answer.getOrderId(),
                        request.getUserId(),
                        line.getSkuId(),
                        line.getQuantity(),
                        answer.getExpiresAtEpochMillis());
                if (followUp == Scenario.FollowUp.CONFIRM) {
                    queueFollowUp(new FollowUpTask(OpKind.CONFIRM, answer.getOrderId(), null, null), measured);
                } else if (followUp == Scenario.FollowUp.CANCEL) {
                    queueFollowUp(new FollowUpTask(OpKind.CANCEL, answer.getOrderId(), null, null), measured);
                }
            }
            if (repeat && answer.getResult() != ReserveResult.REJECTED) {
                queueFollowUp(new FollowUpTask(OpKind.RESERVE, 0, request, answer), measured);
            }
        } finally {
            completed.increment();
            permits.release();
        }
    }

    /**
     * One reserve's outcome in the second-by-second timeline.
     *
     * @param dueNanos when it was due to be sent; its second and its latency count from here
     * @param sentNanos when it was sent
     */
    private void recordInTimeline(
            long dueNanos, long sentNanos, long nowNanos, Status status, Throwable failure, boolean reserved) {
        long sent = dueNanos - startNanos;
        switch (status.getCode()) {
            case OK -> {
                int phase = 0;
                RunSettings.Crowd crowd = settings.crowd();
                if (crowd != null && dueNanos >= warmupEndNanos) {
                    if (sent < crowd.at().toNanos()) {
                        phase = -1;
                    } else if (sent < crowd.end().toNanos()) {
                        phase = 1;
                    }
                }
                timeline.admitted(
                        sent, nowNanos - startNanos, nowNanos - dueNanos, nowNanos - sentNanos, reserved, phase);
            }
            case RESOURCE_EXHAUSTED ->
                timeline.refused(sent, failure != null && CheckoutClient.isClientLimitRefusal(failure));
            case DEADLINE_EXCEEDED -> timeline.expired(sent);
            default -> timeline.failed(sent);
        }
    }

    private void change(
            CompletableFuture<Order> reply, OpKind kind, long orderId, long latencyFromNanos, boolean measured) {
        reply.whenComplete((order, failure) -> {
            long latency = System.nanoTime() - latencyFromNanos;
            try {
                if (failure != null) {
                    Status status = Status.fromThrowable(unwrap(failure));
                    if (measured) {
                        measurements.recordError(kind, status.getCode(), latency);
                    }
                    if (outcomeUnknown(status.getCode())) {
                        ledger.changeUnknown(orderId);
                    }
                    return;
                }
                if (measured) {
                    measurements.recordSuccess(kind, latency);
                }
                ledger.changed(orderId, order.getState());
            } finally {
                completed.increment();
                permits.release();
            }
        });
    }

    private void getOrder(CheckoutClient client, long orderId, long latencyFromNanos, boolean measured) {
        CompletableFuture<Order> reply = client.getOrderAsync(orderId);
        reply.whenComplete((order, failure) -> {
            long latency = System.nanoTime() - latencyFromNanos;
            try {
                Ledger.Ack ack = ledger.get(orderId);
                if (failure != null) {
                    Status status = Status.fromThrowable(unwrap(failure));
                    if (measured) {
                        measurements.recordError(OpKind.GET_ORDER, status.getCode(), latency);
                    }
                    if (status.getCode() == Status.Code.NOT_FOUND && ack != null) {
                        ledger.readBackMismatch();
                    }
                    return;
                }
                if (measured) {
                    measurements.recordSuccess(OpKind.GET_ORDER, latency);
                }
                if (ack != null && !Auditor.consistent(ack, order, Long.MAX_VALUE)) {
                    ledger.readBackMismatch();
                }
            } finally {
                completed.increment();
                permits.release();
            }
        });
    }

    private void healthCheck(ManagedChannel channel, long latencyFromNanos, boolean measured) {
        HealthGrpc.newStub(channel)
                .withDeadlineAfter(settings.deadline().toNanos(), TimeUnit.NANOSECONDS)
                .check(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse response) {
                        if (measured) {
                            measurements.recordSuccess(OpKind.HEALTH_CHECK, System.nanoTime() - latencyFromNanos);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (measured) {
                            measurements.recordError(
                                    OpKind.HEALTH_CHECK,
                                    Status.fromThrowable(t).getCode(),
                                    System.nanoTime() - latencyFromNanos);
                        }
                        completed.increment();
                        permits.release();
                    }

                    @Override
                    public void onCompleted() {
                        completed.increment();
                        permits.release();
                    }
                });
    }

    private void queueFollowUp(FollowUpTask task, boolean measured) {
        if (!followUps.offer(task) && measured) {
            measurements.followUpDropped();
        }
    }

    /**
     * Whether a failed call may still have been applied. The contract says RESOURCE_EXHAUSTED and
     * the validation errors change nothing; a timeout or a lost connection may have.
     */
    static boolean outcomeUnknown(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT,
                    NOT_FOUND,
                    FAILED_PRECONDITION,
                    RESOURCE_EXHAUSTED,
                    ALREADY_EXISTS,
                    PERMISSION_DENIED,
                    UNAUTHENTICATED,
                    UNIMPLEMENTED,
                    OUT_OF_RANGE -> false;
            default -> true;
        };
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    static String describe(Throwable failure) {
        if (failure instanceof StatusRuntimeException e) {
            return e.getStatus().getCode()
                    + (e.getStatus().getDescription() == null
                            ? ""
                            : " " + e.getStatus().getDescription());
        }
        return String.valueOf(failure);
    }

    /** The SDK's adaptive limit and its calls in flight, summed over the run's clients, into the timeline. */
    private void sampleClientLimit() {
        int limit = 0;
        int inFlight = 0;
        for (List<CheckoutClient> partitionClients : clients) {
            for (CheckoutClient client : partitionClients) {
                limit += client.concurrencyLimit();
                inFlight += client.limitedCallsInFlight();
            }
        }
        timeline.sampleClientLimit(System.nanoTime() - startNanos, limit, inFlight);
    }

    /** The progress line, once a second. */
    private void tick() {
        try {
            measurements.sampleInterval(System.currentTimeMillis());
            timeline.sampleSecond(System.nanoTime() - startNanos);
            if (progress == null) {
                return;
            }
            long elapsedSeconds = Math.round((System.nanoTime() - startNanos) / 1e9);
            Histogram interval = measurements.lastPrimaryInterval();
            long done = completed.sumThenReset();
            String p99 = interval.getTotalCount() == 0
                    ? "-"
                    : String.format("%.2f ms", Measurements.millis(interval.getValueAtPercentile(99)));
            int limit = clients.get(0).get(0).concurrencyLimit();
            progress.printf(
                    "[%4ds] %,9d ops/s  %s p99 %-10s errors %,d  stock left %s  in flight %d%s%s%s%n",
                    elapsedSeconds,
                    done,
                    measurements.primary().label(),
                    p99,
                    measurements.errorsTotal(),
                    stockLeft(),
                    settings.inFlightMax() - permits.available(),
                    limit > 0 ? "  client limit " + limit : "",
                    warmingUp ? "  (warm-up)" : "",
                    progressNote);
        } catch (RuntimeException e) {
            // A failed progress line must not end the run; the summary has the figures.
            if (progress != null) {
                progress.println("progress: " + e);
            }
        }
    }

    private String stockLeft() {
        if (settings.scenario() == Scenario.Kind.EMPTY_CALL) {
            return "-";
        }
        long available = 0;
        int polled = Math.min(settings.skus(), PROGRESS_SKUS_MAX);
        try {
            for (int index = 0; index < polled; index++) {
                String skuId = settings.skuId(index);
                available += clientForSku(skuId, 0).getStock(skuId).getAvailable();
            }
        } catch (StatusRuntimeException e) {
            return "? (" + e.getStatus().getCode() + ")";
        }
        return polled < settings.skus()
                ? String.format("%,d (top %d SKUs)", available, polled)
                : String.format("%,d", available);
    }

    /** Setup could not create or read a SKU; nothing was sent. */
    static final class SetupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SetupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
