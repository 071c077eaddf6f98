package io.checkout.server;

import io.checkout.cluster.CheckoutClusteredService;
import io.checkout.cluster.ClusterCounters;
import io.checkout.cluster.ClusterGateway;
import io.checkout.cluster.ClusterHousekeeper;
import io.checkout.cluster.ClusterMember;
import io.checkout.engine.CampaignTable;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.SkuRecord;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.PipelineObserver;
import io.checkout.pipeline.Snapshotter;
import io.checkout.proto.v1.ReserveResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Everything the server exports to Prometheus, in one Micrometer registry: gRPC calls (Micrometer's
 * own interceptor), reserve outcomes, the pipeline (ring, batches, expiries, commands applied),
 * stock of SKUs on sale, whether the server is serving, JVM and process.
 *
 * <p>Names follow Prometheus conventions once Micrometer's naming applies: base units in the name
 * ({@code _seconds}, {@code _bytes}), {@code _total} on counters. No label ever carries a user or an
 * order id; the open-ended labels are bounded: {@code sku} by {@code metrics-sku-series-max}, and
 * {@code campaign} by {@link #CAMPAIGN_SERIES_MAX} (the first campaigns defined; campaigns are never
 * removed, so the set only grows to that bound).
 *
 * <p>Latencies are exported as cumulative histograms with fixed buckets (not client-side
 * percentiles), so {@code histogram_quantile} works and series from several pods aggregate.
 */
final class ServerMetrics implements PipelineObserver, AutoCloseable {
    /** gRPC server latency as Micrometer's interceptor names it. */
    static final String GRPC_SERVER_DURATION = "grpc.server.processing.duration";
    /** The journal's latency timers (added by the journal); they get the same buckets. */
    static final String JOURNAL_PREFIX = "checkout.journal.";

    /**
     * The fixed-capacity tables, as {@code checkout_table_*{table=...}} names them, in the order of
     * {@link TableUsage}'s arrays; each refuses with its {@code *_TABLE_FULL} reason when full.
     */
    static final List<String> TABLES = List.of(
            "orders",
            "user_counters",
            "request_ids",
            "skus",
            "payments",
            "merchants",
            "blocklist",
            "attempt_counters",
            "sku_groups",
            "campaigns",
            "redemptions",
            "group_attempt_counters");

    /**
     * The most campaigns with their own {@code checkout_campaign_redeemed} and {@code
     * checkout_campaign_budget} series: the first ones defined (a campaign's number is the order it
     * was first defined in). Those defined later have none; {@code
     * checkout_table_used_entries{table="campaigns"}} counts them all.
     */
    static final int CAMPAIGN_SERIES_MAX = 64;
    /** Records made by {@link #warmUpMaxRotation}; the clock steps past a rotation time before every other one. */
    static final int MAX_ROTATION_WARM_UP_RECORDS = 20_000;

    /**
     * Latency bucket bounds, 50 µs to 10 s. A fixed list keeps every latency series at 18 buckets,
     * rather than the 70-odd of Micrometer's generated percentile histogram, and covers both an
     * in-memory reserve and a slow fsync.
     */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
        Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
        Duration.ofSeconds(10),
    };

    private final PrometheusMeterRegistry registry;
    private final MetricCollectingServerInterceptor grpcInterceptor;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final DistributionSummary batchSizes;
    private final Counter expiries;
    private final Counter expiredSkips;
    private final DistributionSummary reserveBatchSizes;
    private final Timer journalWrite;
    private final Timer journalSync;
    private final Map<ReserveResult, Counter> reserveOutcomes = new EnumMap<>(ReserveResult.class);
    private final Map<String, Counter> refusals = new HashMap<>();
    private final MultiGauge skuStock;
    private final MultiGauge campaignRedeemed;
    private final MultiGauge campaignBudget;
    private final int skuSeriesMax;
    private final long stockIntervalMillis;
    private final Object scrapeLock = new Object();

    /** Null until the first tick. */
    private volatile TableUsage tables;

    // Written only by the business-logic thread (onTick); read by scrapes through the volatile.
    private long lastStockSnapshotMillis = Long.MIN_VALUE;
    private volatile StockSnapshot stockSnapshot = new StockSnapshot(List.of(), 0);
    /** The first {@link #CAMPAIGN_SERIES_MAX} campaigns' redemptions, copied by the engine's thread at every tick. */
    private volatile List<CampaignFigures> campaigns = List.of();
    // The series registered now, by SKU and by campaign; used by scrapes only, under the scrape lock.
    private Map<String, Figures> stockSeries = Map.of();
    private Map<String, Figures> campaignSeries = Map.of();

    private final SkuRecord scratchSku = new SkuRecord();

    ServerMetrics(int skuSeriesMax, long stockIntervalMillis) {
        warmUpMaxRotation();
        this.skuSeriesMax = skuSeriesMax;
        this.stockIntervalMillis = stockIntervalMillis;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(latencyBuckets());

        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        this.grpcInterceptor = new MetricCollectingServerInterceptor(registry);
        bindTables();

        batchSizes = DistributionSummary.builder("checkout.pipeline.batch.size")
                .description("commands the business-logic thread applied in one batch")
                .baseUnit("commands")
                .serviceLevelObjectives(batchBuckets())
                .register(registry);
        journalWrite = Timer.builder(JOURNAL_PREFIX + "append")
                .description("one batch's journal write (the write call, before any sync)")
                .register(registry);
        journalSync = Timer.builder(JOURNAL_PREFIX + "sync")
                .description("one batch's journal sync to the device (journal-durability=fsync)")
                .register(registry);
        reserveBatchSizes = DistributionSummary.builder("checkout.reserve.batch.size")
                .description("reserves in one ReserveBatchStream message, as received (oversize batches included)")
                .baseUnit("reserves")
                .serviceLevelObjectives(reserveBatchBuckets())
                .register(registry);
        expiries = Counter.builder("checkout.reservations.expired")
                .description("reservations expired because their TTL ran out")
                .register(registry);
        expiredSkips = Counter.builder("checkout.commands.skipped.expired")
                .description("commands skipped, not applied, because their caller's deadline had passed in the queue")
                .register(registry);
        for (ReserveResult result : ReserveResult.values()) {
            if (result == ReserveResult.UNRECOGNIZED || result == ReserveResult.RESERVE_RESULT_UNSPECIFIED) {
                continue;
            }
            reserveOutcomes.put(
                    result,
                    Counter.builder("checkout.reserve.outcomes")
                            .description("reserve answers by result; REJECTED counts requests refused with an error")
                            .tag("result", result.name())
                            .register(registry));
        }
        for (String reason : List.of("queue_delay", "ring_full", "shutting_down", "partition")) {
            refusals.put(
                    reason,
                    Counter.builder("checkout.requests.refused")
                            .description("calls refused before their command was queued, by reason: queue_delay"
                                    + " (the wait would exceed queue-delay-max-millis or the call's deadline),"
                                    + " ring_full, shutting_down, partition (another partition owns it, or a"
                                    + " reserve's lines span partitions)")
                            .tag("reason", reason)
                            .register(registry));
        }
        skuStock = MultiGauge.builder("checkout.sku.stock")
                .description("units of a SKU on sale, by state (available, reserved, sold)")
                .baseUnit("units")
                .register(registry);
        campaignRedeemed = MultiGauge.builder("checkout.campaign.redeemed")
                .description("redemptions of a campaign held now (reserved or paid orders, refunded ones too), for the"
                        + " first " + CAMPAIGN_SERIES_MAX + " campaigns defined")
                .register(registry);
        campaignBudget = MultiGauge.builder("checkout.campaign.budget")
                .description("the most redemptions of a campaign held at once, for the first " + CAMPAIGN_SERIES_MAX
                        + " campaigns defined")
                .register(registry);
        Gauge.builder("checkout.sku.stock.unreported", this, metrics -> metrics.stockSnapshot.unreported)
                .description("SKUs on sale without their own stock series because of metrics-sku-series-max")
                .baseUnit("skus")
                .register(registry);
    }

    private static MeterFilter latencyBuckets() {
        double[] bucketsNanos = new double[LATENCY_BUCKETS.length];
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            bucketsNanos[i] = LATENCY_BUCKETS[i].toNanos();
        }
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() == Meter.Type.TIMER
                        && (id.getName().equals(GRPC_SERVER_DURATION)
                                || id.getName().startsWith(JOURNAL_PREFIX))) {
                    return DistributionStatisticConfig.builder()
                            .percentilesHistogram(false)
                            .serviceLevelObjectives(bucketsNanos)
                            .build()
                            .merge(config);
                }
                return config;
            }
        };
    }

    /** Powers of two up to the largest ring: a batch is never larger than the ring. */
    private static double[] batchBuckets() {
        List<Double> bounds = new ArrayList<>();
        for (long bound = 1; bound <= PipelineConfig.RING_SIZE_MAX; bound <<= 1) {
            bounds.add((double) bound);
        }
        return bounds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Powers of two up to the largest stream-batch-max. */
    private static double[] reserveBatchBuckets() {
        List<Double> bounds = new ArrayList<>();
        for (long bound = 1; bound <= ServerConfig.STREAM_BATCH_MAX_LIMIT; bound <<= 1) {
            bounds.add((double) bound);
        }
        return bounds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The gRPC interceptor that counts and times every call by service, method and status code. */
    MetricCollectingServerInterceptor grpcInterceptor() {
        return grpcInterceptor;
    }

    /** Gauges and counters read from the pipeline and the server; called once both exist. */
    /**
     * Each fixed-capacity table's entries in use and its capacity (NaN before the engine's first
     * tick): orders (never removed), per-user counters (a user with units of a SKU), remembered
     * request ids (answers kept for idempotency-retention-millis), SKUs.
     */
    private void bindTables() {
        for (int i = 0; i < TABLES.size(); i++) {
            int table = i;
            Gauge.builder("checkout.table.used", this, m -> m.tableFigure(table, true))
                    .description("entries in use in a fixed-capacity table; a full table refuses with *_TABLE_FULL")
                    .tag("table", TABLES.get(table))
                    .baseUnit("entries")
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("checkout.table.capacity", this, m -> m.tableFigure(table, false))
                    .description("capacity of a fixed-capacity table (settings *-capacity)")
                    .tag("table", TABLES.get(table))
                    .baseUnit("entries")
                    .strongReference(true)
                    .register(registry);
        }
    }

    private double tableFigure(int table, boolean used) {
        TableUsage usage = tables;
        if (usage == null) {
            return Double.NaN;
        }
        return used ? usage.used()[table] : usage.capacity()[table];
    }

    /** This server's partition and the version of the partition map in force. */
    void bindPartitions(PartitionGuard partitions) {
        Gauge.builder("checkout.partition.id", partitions, PartitionGuard::partition)
                .description("this server's partition (0 when not partitioned): the high bits of its order ids")
                .strongReference(true)
                .register(registry);
        Gauge.builder("checkout.partition.info", () -> 1)
                .description("1, labelled with this server's partition, to group other series by partition"
                        + " (* on (instance) group_left (partition) checkout_partition_info)")
                .tag("partition", Integer.toString(partitions.partition()))
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "checkout.partition.map.version",
                        partitions,
                        p -> p.table().version())
                .description("version of the partition map in force (0 when not partitioned)")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("checkout.partition.map.reload.failures", partitions, PartitionGuard::reloadFailures)
                .description("changed partition map files not taken (invalid, or moving this partition's slots)")
                .register(registry);
    }

    /** Single node: the snapshots this process writes, and how long a due one waits for a saturated engine. */
    void bindSnapshotter(Snapshotter snapshotter) {
        FunctionCounter.builder("checkout.snapshots", snapshotter, Snapshotter::snapshotsWritten)
                .description("snapshots this process wrote (every snapshot-interval-commands, and at shutdown)")
                .register(registry);
        FunctionCounter.builder("checkout.snapshot.loads", snapshotter, Snapshotter::snapshotsLoaded)
                .description("background snapshots that started from a load of the newest snapshot on disk (the"
                        + " first, and every one with snapshot-copy=transient); with keep the others replayed onto"
                        + " the copy kept since the last; with freeze, the default, none loads or replays")
                .register(registry);
        FunctionCounter.builder("checkout.snapshot.failures", snapshotter, Snapshotter::failures)
                .description("snapshots that failed (a background one is tried again a second later)")
                .register(registry);
        Gauge.builder("checkout.snapshot.last", snapshotter, s -> s.lastWrittenEpochMillis() / 1000.0)
                .description("when this process last wrote a snapshot, Unix seconds (0: none since it started)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("checkout.snapshot.duration.last", snapshotter, s -> s.lastDurationNanos() / 1e9)
                .description("how long the last snapshot took, its waits for a saturated engine included")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("checkout.snapshot.waiting", snapshotter, s -> s.waitingNanos() / 1e9)
                .description("how long the due snapshot has waited for a saturated engine to quieten (0: none"
                        + " waiting); it waits at most snapshot-defer-max-commands more commands")
                .baseUnit("seconds")
                .register(registry);
        FunctionCounter.builder("checkout.snapshot.paused", snapshotter, s -> s.pausedNanosTotal() / 1e9)
                .description("time running snapshots slept, in all, while the engine was saturated")
                .baseUnit("seconds")
                .register(registry);
    }

    void bindServer(CommandPublisher pipeline, BooleanSupplier serving) {
        Gauge.builder("checkout.ring.remaining", pipeline, CommandPublisher::remainingCapacity)
                .description("free slots in the command ring; 0 means new commands are refused")
                .baseUnit("slots")
                .register(registry);
        Gauge.builder("checkout.queue.delay.estimate", pipeline, p -> p.queueDelayNanos() / 1e9)
                .description("the estimated wait of a command queued now before the engine takes it up: commands"
                        + " ahead over their recent service rate (the basis of admission by queueing delay)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("checkout.ring.capacity", pipeline, CommandPublisher::ringSize)
                .description("slots in the command ring")
                .baseUnit("slots")
                .register(registry);
        FunctionCounter.builder("checkout.commands.applied", pipeline, CommandPublisher::commandsApplied)
                .description("commands the engine has applied, ticks included")
                .register(registry);
        // Strong reference: Micrometer holds a gauge's object weakly, and nothing else holds this lambda.
        Gauge.builder("checkout.serving", serving, supplier -> supplier.getAsBoolean() ? 1 : 0)
                .description("1 while grpc.health.v1 reports SERVING, else 0")
                .strongReference(true)
                .register(registry);
    }

    /** Single-node mode: whether the journal or the event log has failed (a full disk, an I/O error). */
    void bindStorage(BooleanSupplier failed) {
        Gauge.builder("checkout.storage.failed", failed, supplier -> supplier.getAsBoolean() ? 1 : 0)
                .description("1 once the journal or the order event log could not be written (a full disk, an I/O"
                        + " error): changes are refused, reads still answered; a restart once the disk is writable"
                        + " recovers everything acknowledged")
                .strongReference(true)
                .register(registry);
    }

    /** Cluster mode: this member's role, term, elections, commit and apply positions, snapshots, gateway. */
    void bindCluster(
            ClusterMember member, ClusterCounters counters, ClusterGateway gateway, ClusterHousekeeper housekeeper) {
        CheckoutClusteredService service = member.service();
        Gauge.builder("checkout.cluster.role", counters, ClusterCounters::role)
                .description("this member's role: 0 follower, 1 candidate, 2 leader (-1 while starting)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("checkout.cluster.leadership.term", counters, ClusterCounters::leadershipTermId)
                .description("the current leadership term id")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("checkout.cluster.elections", counters, ClusterCounters::elections)
                .description("elections this member has taken part in since it started")
                .register(registry);
        Gauge.builder("checkout.cluster.commit.position", counters, ClusterCounters::commitPosition)
                .description("log position a majority has appended (synced, at cluster-file-sync-level 1)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("checkout.cluster.applied.position", service, CheckoutClusteredService::appliedLogPosition)
                .description("log position of the last batch this member's engine applied")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "checkout.cluster.apply.lag",
                        counters,
                        reader -> Math.max(0, reader.commitPosition() - service.appliedLogPosition()))
                .description("committed log this member's engine has not applied yet (on a follower: how far behind)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("checkout.cluster.snapshots", counters, ClusterCounters::snapshots)
                .description("snapshots the cluster has taken")
                .register(registry);
        Gauge.builder(
                        "checkout.cluster.snapshot.duration.max",
                        counters,
                        reader -> reader.serviceSnapshotMaxNanos() / 1e9)
                .description("longest snapshot of the engine (ingress pauses for it)")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
        Gauge.builder("checkout.cluster.snapshot.last", service, s -> s.snapshotEpochMillis() / 1000.0)
                .description("when this member last took a snapshot, Unix seconds (0: never since it started)")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder(
                        "checkout.cluster.errors",
                        counters,
                        reader -> Math.max(0, reader.consensusModuleErrors()) + Math.max(0, reader.serviceErrors()))
                .description("errors the consensus module and the clustered service reported")
                .register(registry);
        bindHousekeeping(housekeeper);
        Gauge.builder("checkout.cluster.gateway.connected", gateway, g -> g.isConnected() ? 1 : 0)
                .description("1 while this member's gateway has a session with a leader")
                .strongReference(true)
                .register(registry);
        Gauge.builder("checkout.cluster.gateway.pending", gateway, ClusterGateway::pendingCommands)
                .description("commands published to the gateway and not yet answered")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("checkout.cluster.gateway.batches.offered", gateway, ClusterGateway::batchesOffered)
                .description("ingress messages the gateway offered")
                .register(registry);
        FunctionCounter.builder("checkout.cluster.gateway.batches.reoffered", gateway, ClusterGateway::batchesReoffered)
                .description("ingress messages offered again after a leader change or a new session")
                .register(registry);
        FunctionCounter.builder("checkout.cluster.gateway.outcomes.unknown", gateway, ClusterGateway::outcomesUnknown)
                .description("commands answered UNAVAILABLE because the cluster did not answer within the timeout")
                .register(registry);
        FunctionCounter.builder("checkout.cluster.gateway.leader.changes", gateway, ClusterGateway::leaderChanges)
                .description("new leaders the gateway's session was told of")
                .register(registry);
    }

    /** Cluster mode: each member's log as the leader sees it, snapshots asked for, log purged. */
    private void bindHousekeeping(ClusterHousekeeper housekeeper) {
        for (int id = 0; id < housekeeper.memberCount(); id++) {
            int member = id;
            Gauge.builder("checkout.cluster.member.log.lag", housekeeper, h -> nanIfUnknown(h.memberLogLag(member)))
                    .description("on the leader: how far each member's log is behind the furthest member's"
                            + " (NaN on followers and while unknown)")
                    .tag("member", Integer.toString(member))
                    .baseUnit("bytes")
                    .strongReference(true)
                    .register(registry);
            Gauge.builder(
                            "checkout.cluster.member.append.age",
                            housekeeper,
                            h -> nanIfUnknown(h.memberAppendAgeSeconds(member)))
                    .description("on the leader: time since each member last reported its log position"
                            + " (NaN on followers and while unknown)")
                    .tag("member", Integer.toString(member))
                    .baseUnit("seconds")
                    .strongReference(true)
                    .register(registry);
        }
        FunctionCounter.builder(
                        "checkout.cluster.snapshots.requested", housekeeper, ClusterHousekeeper::snapshotsRequested)
                .description("snapshots this member asked for on schedule while it led")
                .register(registry);
        Gauge.builder("checkout.cluster.log.retained.start", housekeeper, h -> nanIfUnknown(h.retainedLogStart()))
                .description("where this member's archived log starts after purging (NaN until first purged)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("checkout.cluster.log.purged", housekeeper, ClusterHousekeeper::logBytesPurged)
                .description("archived log this member deleted, older than its retained snapshots")
                .baseUnit("bytes")
                .register(registry);
        FunctionCounter.builder(
                        "checkout.cluster.snapshot.recordings.purged",
                        housekeeper,
                        ClusterHousekeeper::snapshotRecordingsPurged)
                .description("snapshot recordings this member deleted, older than its retained snapshots")
                .register(registry);
        FunctionCounter.builder("checkout.cluster.purges.held.back", housekeeper, ClusterHousekeeper::purgesHeldBack)
                .description("purges the leader put off because a member's log was behind the purge point")
                .register(registry);
        FunctionCounter.builder("checkout.cluster.housekeeping.failures", housekeeper, ClusterHousekeeper::failures)
                .description("rounds of snapshot scheduling, membership query or purge that failed")
                .register(registry);
    }

    private static double nanIfUnknown(double value) {
        return value < 0 ? Double.NaN : value;
    }

    /** Counts one reserve answer; called by the replier (or a gRPC thread for a refusal). */
    void reserveOutcome(ReserveResult result) {
        Counter counter = reserveOutcomes.get(result);
        if (counter != null) {
            counter.increment();
        }
    }

    /** Counts one call refused before its command was queued; {@code reason} is one of the registered ones. */
    void refused(String reason) {
        Counter counter = refusals.get(reason);
        if (counter != null) {
            counter.increment();
        }
    }

    /** Records the size of one ReserveBatchStream message; called on the gRPC thread that received it. */
    void reserveBatch(int reserves) {
        reserveBatchSizes.record(reserves);
    }

    // ---- PipelineObserver: on the business-logic thread ------------------------------------------

    @Override
    public void onBatch(int size) {
        batchSizes.record(size);
    }

    @Override
    public void onExpiries(int count) {
        expiries.increment(count);
    }

    @Override
    public void onExpiredSkipped() {
        expiredSkips.increment();
    }

    // On the journaller thread; Micrometer timers are thread-safe.

    @Override
    public void onJournalWrite(long nanos) {
        journalWrite.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public void onJournalSync(long nanos) {
        journalSync.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * Copies the stock of at most {@code metrics-sku-series-max} SKUs on sale, at most once per
     * {@code metrics-stock-interval-millis} of engine time. It runs on the single writer, so it reads
     * the state safely; scrapes see only the immutable copy. A scan reads every SKU once, so the
     * interval bounds its cost on a large catalog.
     */
    @Override
    public void onTick(CheckoutState state, long nowMillis) {
        tables = new TableUsage(
                new long[] {
                    state.orderCount(),
                    state.userCounterCount(),
                    state.outcomeCount(),
                    state.skuCount(),
                    state.paymentCount(),
                    state.merchants().rowCount(),
                    state.risk().blockedCount(),
                    state.risk().countedCount(),
                    state.skuGroups().size(),
                    state.campaigns().size(),
                    state.campaigns().redemptionRows(),
                    state.skuGroups().attemptRows()
                },
                new long[] {
                    state.orderCapacity(),
                    state.userCounterCapacity(),
                    state.outcomeCapacity(),
                    state.skuCapacity(),
                    state.paymentCapacity(),
                    state.merchantCapacity(),
                    state.risk().blocklistCapacity(),
                    state.risk().attemptCounterCapacity(),
                    state.skuGroups().capacity(),
                    state.campaigns().capacity(),
                    state.campaigns().redemptionCapacity(),
                    state.skuGroups().attemptCounterCapacity()
                });
        copyCampaigns(state.campaigns());
        if (lastStockSnapshotMillis != Long.MIN_VALUE && nowMillis - lastStockSnapshotMillis < stockIntervalMillis) {
            return;
        }
        lastStockSnapshotMillis = nowMillis;
        List<SkuStock> rows = new ArrayList<>(Math.min(skuSeriesMax, state.skuCount()));
        int unreported = 0;
        for (int index = 0; index < state.skuCount(); index++) {
            state.readSku(index, scratchSku);
            if (!scratchSku.isOnSale(nowMillis)) {
                continue;
            }
            if (rows.size() < skuSeriesMax) {
                rows.add(new SkuStock(scratchSku.skuId, scratchSku.available, scratchSku.reserved, scratchSku.sold));
            } else {
                unreported++;
            }
        }
        stockSnapshot = new StockSnapshot(List.copyOf(rows), unreported);
    }

    /** Copies the first {@link #CAMPAIGN_SERIES_MAX} campaigns' redemptions and budgets; on the engine's thread. */
    private void copyCampaigns(CampaignTable table) {
        int count = Math.min(table.size(), CAMPAIGN_SERIES_MAX);
        if (count == 0) {
            return;
        }
        List<CampaignFigures> rows = new ArrayList<>(count);
        for (int number = 0; number < count; number++) {
            rows.add(new CampaignFigures(table.campaignId(number), table.redeemed(number), table.terms(number).budget));
        }
        campaigns = rows;
    }

    /**
     * Takes the rotation of Micrometer's windowed max ({@code TimeWindowMax.rotate}) many times, on
     * a timer and a summary of a scratch registry whose clock steps past the rotation time before
     * every other record; the server's own meters see nothing of it. Why: the real timers rotate
     * once every 40 s each, so the JIT compiled the business-logic thread's loop (the journal's and
     * the batches' meters are recorded inside it) with the rotation left out, and a first rotation
     * threw the loop's compiled code away mid-sale (2026-12-08, {@code -XX:+LogCompilation}: uncommon
     * traps at {@code TimeWindowMax.rotate@23} in {@code BatchEventProcessor.processEvents} and
     * {@code RecordLogWriter.commit}, 60 s apart). A method's profile is shared by all its callers,
     * so rotations taken here make the compiled code keep the branch. Returns how many times the
     * timer's max fell, which only a rotation of its whole window does.
     */
    static int warmUpMaxRotation() {
        MockClock clock = new MockClock();
        SimpleMeterRegistry scratch = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
        try {
            Timer timer = Timer.builder("warm-up.timer").register(scratch);
            DistributionSummary summary =
                    DistributionSummary.builder("warm-up.summary").register(scratch);
            // A live timer rotates one step past its rotation time, or (idle a while) its whole
            // window at once: both, in turns.
            DistributionStatisticConfig defaults = DistributionStatisticConfig.DEFAULT;
            Duration oneStep =
                    defaults.getExpiry().dividedBy(defaults.getBufferLength()).plusMillis(1);
            Duration wholeWindow = defaults.getExpiry().plusMillis(1);
            int fell = 0;
            double max = 0;
            for (int i = 0; i < MAX_ROTATION_WARM_UP_RECORDS; i++) {
                if ((i & 3) == 0) {
                    clock.add(oneStep);
                } else if ((i & 3) == 2) {
                    clock.add(wholeWindow);
                }
                long value = MAX_ROTATION_WARM_UP_RECORDS - i; // falling, so only a rotation lowers the max
                timer.record(value, TimeUnit.NANOSECONDS);
                summary.record(value);
                double now = timer.max(TimeUnit.NANOSECONDS);
                fell += now < max ? 1 : 0;
                max = now;
            }
            return fell;
        } finally {
            scratch.close();
        }
    }

    // ---- scraping ------------------------------------------------------------------------------

    /** Writes every series in Prometheus text format 0.0.4. */
    void scrape(OutputStream out) throws IOException {
        synchronized (scrapeLock) {
            refreshSkuStock();
            refreshCampaigns();
            registry.scrape(out, "text/plain; version=0.0.4; charset=utf-8");
        }
    }

    /**
     * Brings the per-SKU series to the latest snapshot; SKUs no longer on sale lose theirs. The
     * gauges read {@link Figures} kept per SKU, so a scrape only copies numbers into them, and
     * registers rows only when the SKUs on sale change. Replacing every row at every scrape
     * removed and registered 300 meters again each time: a scrape took 4.6 ms of the server's CPU
     * against 4.1 now (medians of 3, 2026-12-08; most of what is left is the text format's writing).
     */
    private void refreshSkuStock() {
        StockSnapshot snapshot = stockSnapshot;
        if (!sameKeys(stockSeries, snapshot.skus, SkuStock::skuId)) {
            Map<String, Figures> series = new HashMap<>();
            List<MultiGauge.Row<?>> rows = new ArrayList<>(snapshot.skus.size() * 3);
            for (SkuStock sku : snapshot.skus) {
                Figures figures = stockSeries.getOrDefault(sku.skuId, new Figures());
                if (series.putIfAbsent(sku.skuId, figures) != null) {
                    continue;
                }
                rows.add(MultiGauge.Row.of(Tags.of("sku", sku.skuId, "state", "available"), figures, Figures::first));
                rows.add(MultiGauge.Row.of(Tags.of("sku", sku.skuId, "state", "reserved"), figures, Figures::second));
                rows.add(MultiGauge.Row.of(Tags.of("sku", sku.skuId, "state", "sold"), figures, Figures::third));
            }
            skuStock.register(rows, false); // rows kept keep their Figures; the rest are removed
            stockSeries = series;
        }
        for (SkuStock sku : snapshot.skus) {
            stockSeries.get(sku.skuId).set(sku.available, sku.reserved, sku.sold);
        }
    }

    /** Brings the per-campaign series to the latest copy, as {@link #refreshSkuStock} does. */
    private void refreshCampaigns() {
        List<CampaignFigures> copy = campaigns;
        if (!sameKeys(campaignSeries, copy, CampaignFigures::campaignId)) {
            Map<String, Figures> series = new HashMap<>();
            List<MultiGauge.Row<?>> redeemed = new ArrayList<>(copy.size());
            List<MultiGauge.Row<?>> budgets = new ArrayList<>(copy.size());
            for (CampaignFigures campaign : copy) {
                Figures figures = campaignSeries.getOrDefault(campaign.campaignId, new Figures());
                if (series.putIfAbsent(campaign.campaignId, figures) != null) {
                    continue;
                }
                Tags tags = Tags.of("campaign", campaign.campaignId);
                redeemed.add(MultiGauge.Row.of(tags, figures, Figures::first));
                budgets.add(MultiGauge.Row.of(tags, figures, Figures::second));
            }
            campaignRedeemed.register(redeemed, false);
            campaignBudget.register(budgets, false);
            campaignSeries = series;
        }
        for (CampaignFigures campaign : copy) {
            campaignSeries.get(campaign.campaignId).set(campaign.redeemed, campaign.budget, 0);
        }
    }

    /**
     * Whether {@code rows} name exactly the keys of {@code series}. The rows name distinct keys
     * (SKU ids and campaign ids are unique), so equal counts and every row's key found say so.
     */
    private static <R> boolean sameKeys(Map<String, Figures> series, List<R> rows, Function<R, String> key) {
        if (rows.size() != series.size()) {
            return false;
        }
        for (R row : rows) {
            if (!series.containsKey(key.apply(row))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The figures a SKU's or a campaign's gauges read: written by scrapes (under the scrape lock),
     * read by them and by anyone reading the registry's gauges.
     */
    private static final class Figures {
        private volatile long first;
        private volatile long second;
        private volatile long third;

        void set(long first, long second, long third) {
            this.first = first;
            this.second = second;
            this.third = third;
        }

        double first() {
            return first;
        }

        double second() {
            return second;
        }

        double third() {
            return third;
        }
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }

    private record SkuStock(String skuId, long available, long reserved, long sold) {}

    private record StockSnapshot(List<SkuStock> skus, int unreported) {}

    private record CampaignFigures(String campaignId, long redeemed, long budget) {}

    /** Entries in use and capacity of each of {@link #TABLES}, copied by the engine's thread at every tick. */
    private record TableUsage(long[] used, long[] capacity) {}
}
