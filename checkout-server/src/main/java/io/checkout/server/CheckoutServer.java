package io.checkout.server;

import io.checkout.cluster.ClusterCounters;
import io.checkout.cluster.ClusterGateway;
import io.checkout.cluster.ClusterHousekeeper;
import io.checkout.cluster.ClusterMember;
import io.checkout.engine.CheckoutState;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.FreezeWarmUp;
import io.checkout.pipeline.OthersCpu;
import io.checkout.pipeline.Recovery;
import io.checkout.pipeline.Snapshotter;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.MutableHandlerRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole server: state, engine, pipeline and gRPC services, started and stopped in order.
 *
 * <p>Start: listen at once, reporting NOT_SERVING on {@code grpc.health.v1} (checkout calls get
 * UNAVAILABLE); recover (newest snapshot plus the journal after it); start the pipeline; put the
 * real services in place; then report SERVING. Close: report NOT_SERVING, stop taking
 * calls and let running ones finish (bounded by {@code shutdown-grace-millis}), drain the ring so
 * every accepted command is applied and answered, then close the state files.
 */
public final class CheckoutServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckoutServer.class);
    /**
     * grpc-java logs a WARNING with a stack trace for every inbound message over the size limit; the
     * client gets RESOURCE_EXHAUSTED naming the limit, which is all there is to say. At WARNING, a
     * client could fill the log (and its disk) with oversized messages. Held here: JUL keeps only a
     * weak reference to a logger, and a collected one loses its level.
     */
    private static final java.util.logging.Logger OVERSIZED_MESSAGE_LOG =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");

    static {
        OVERSIZED_MESSAGE_LOG.setLevel(java.util.logging.Level.SEVERE);
    }
    /** How long the gateway waits for the cluster to answer one connection attempt. */
    private static final long CLUSTER_CONNECT_TIMEOUT_MILLIS = 5_000;
    /** How far (log bytes, about ten thousand reserves) a member may be behind the commit and be ready. */
    private static final long CLUSTER_CAUGHT_UP_BYTES = 1 << 20;

    private final ServerConfig config;
    private final LongSupplier clockMillis;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ServerMetrics metrics;
    /** Where the real services go once recovery is done; until then, placeholders answer UNAVAILABLE. */
    private final MutableHandlerRegistry services = new MutableHandlerRegistry();

    private final Server server;
    private final PartitionGuard partitions;
    private final ScheduledExecutorService partitionMapWatch;
    private volatile ServingStatus servingStatus = ServingStatus.NOT_SERVING;
    private OpsHttpServer opsHttp;
    private boolean closed;

    // Set by recovery, before SERVING.
    private Recovery.Recovered recovered;
    private CheckoutState state;
    private volatile CheckoutPipeline pipeline;
    private OrderEventsService orderEvents;
    private Snapshotter snapshotter;

    // Cluster mode, set instead of the above.
    private ClusterMember member;
    private volatile ClusterGateway gateway;
    private ScheduledExecutorService clusterWatch;
    private ClusterCounters clusterCounters;
    private ScheduledExecutorService clusterChores;

    private CheckoutServer(ServerConfig config, ServerBuilder<?> serverBuilder, LongSupplier clockMillis) {
        this.config = config;
        this.clockMillis = clockMillis;
        this.metrics = new ServerMetrics(config.metricsSkuSeriesMax(), config.metricsStockIntervalMillis());
        this.partitions = config.partitionGuard();
        metrics.bindPartitions(partitions);
        for (ServiceDescriptor descriptor : List.of(
                CheckoutGrpc.getServiceDescriptor(),
                InventoryGrpc.getServiceDescriptor(),
                OrderEventsGrpc.getServiceDescriptor())) {
            services.addService(UnparseableRequests.lenient(unavailableWhileRecovering(descriptor)));
        }
        this.server = serverBuilder
                .addService(
                        UnparseableRequests.lenient(health.getHealthService().bindService()))
                .addService(UnparseableRequests.lenient(
                        ProtoReflectionServiceV1.newInstance().bindService()))
                .addService(UnparseableRequests.lenient(new PartitionsService(partitions).bindService()))
                .fallbackHandlerRegistry(services)
                // Bytes that are not a request: INVALID_ARGUMENT, not UNKNOWN and a SEVERE stack trace.
                .intercept(UnparseableRequests.INTERCEPTOR)
                // Outermost, so calls refused by the admin check (or while recovering) are counted too.
                .intercept(metrics.grpcInterceptor())
                .maxInboundMessageSize(config.inboundMessageBytesMax())
                .build();
        if (partitions.isPartitioned()) {
            // A ConfigMap volume changes the file under a running pod; a new map version is picked up.
            partitionMapWatch = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "checkout-partition-map-watch");
                thread.setDaemon(true);
                return thread;
            });
            partitionMapWatch.scheduleWithFixedDelay(partitions::reloadIfChanged, 2, 2, TimeUnit.SECONDS);
        } else {
            partitionMapWatch = null;
        }
    }

    /** Starts a server on Netty at the configured host and port, with the wall clock. */
    public static CheckoutServer start(ServerConfig config) {
        // Service methods only validate and tryPublish, never block, so they run on the Netty event
        // loop itself: one thread hand-off less per call.
        NettyServerBuilder builder = NettyServerBuilder.forAddress(
                        new InetSocketAddress(config.host(), config.port()),
                        TransportSecurity.serverCredentials(config))
                .directExecutor()
                .maxConcurrentCallsPerConnection(config.concurrentCallsPerConnectionMax())
                .permitKeepAliveTime(10, TimeUnit.SECONDS);
        return start(config, builder, System::currentTimeMillis);
    }

    /**
     * Starts a server on the given transport (tests pass an in-process one) and clock, and returns
     * once it is SERVING. It listens from the start: while it recovers, health reports NOT_SERVING,
     * /ready answers 503, and checkout calls get UNAVAILABLE (safe to retry with the same request id).
     */
    public static CheckoutServer start(ServerConfig config, ServerBuilder<?> serverBuilder, LongSupplier clockMillis) {
        CheckoutServer server = new CheckoutServer(config, serverBuilder, clockMillis);
        server.listen();
        try {
            server.recoverAndServe();
        } catch (RuntimeException | Error e) {
            server.abortStart();
            throw e;
        }
        return server;
    }

    private void listen() {
        setServing(ServingStatus.NOT_SERVING);
        try {
            server.start();
        } catch (IOException e) {
            metrics.close();
            throw new UncheckedIOException(
                    "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        if (config.metricsPort() >= 0) {
            try {
                opsHttp = OpsHttpServer.start(
                        config.host(),
                        config.metricsPort(),
                        metrics::scrape,
                        () -> servingStatus == ServingStatus.SERVING,
                        this::isAlive);
            } catch (RuntimeException e) {
                server.shutdownNow();
                metrics.close();
                throw e;
            }
        }
        LOG.info(
                "checkout server listening on port {} ({}), recovering; metrics {}",
                port(),
                config.tlsCertFile() == null ? "plaintext" : config.tlsClientCaFile() == null ? "TLS" : "mutual TLS",
                opsHttp == null ? "off" : "on http port " + opsHttp.port());
    }

    /** Alive while recovering, and afterwards while the pipeline threads run and the engine has not failed. */
    private boolean isAlive() {
        ClusterGateway runningGateway = gateway;
        if (runningGateway != null) {
            return runningGateway.isAlive() || closed;
        }
        CheckoutPipeline running = pipeline;
        return running == null ? !closed : running.isAlive();
    }

    /**
     * Runs a freeze's paths, and an id lookup's past a colliding hash, through the engine's code on a
     * scratch state ({@link FreezeWarmUp}), so that neither throws the compiled engine away later. A failure is logged:
     * the server serves, its first snapshot as slow as without.
     */
    private void warmUpFreezes() {
        Path scratch = config.dataDirectory().resolve("freeze-warm-up.tmp");
        try {
            FreezeWarmUp.Result warmed = FreezeWarmUp.run(config.engineLimits(), scratch);
            LOG.info(
                    "freeze warm-up: {} commands on a scratch state ({} reserved, {} expired, {} lookups of a colliding"
                            + " id), {} freezes, a snapshot of {} KB written, in {} ms",
                    warmed.commands(),
                    warmed.reserved(),
                    warmed.expired(),
                    warmed.collidingLookups(),
                    warmed.freezes(),
                    warmed.snapshotBytes() >> 10,
                    warmed.millis());
        } catch (RuntimeException e) {
            LOG.warn("the freeze warm-up failed; the first background snapshot will cost more", e);
        }
    }

    private void recoverAndServe() {
        if (config.mode() == ServerConfig.Mode.CLUSTER) {
            joinClusterAndServe();
            return;
        }
        recovered = Recovery.recover(
                config.dataDirectory(), config.stateCapacities(), config.engineLimits(), config.journalConfig());
        state = recovered.state();
        // Before serving: the snapshot at shutdown must not be Chronicle's first use in this process.
        recovered.snapshots().warmUp();
        if (config.snapshotCopy() == Snapshotter.Copy.FREEZE && config.snapshotIntervalCommands() > 0) {
            warmUpFreezes();
        }
        AdminAuthInterceptor adminAuth = AdminAuthInterceptor.fromConfig(config);
        CheckoutPipeline started = new CheckoutPipeline(
                recovered.book(), config.pipelineConfig(), clockMillis, recovered.journal(), recovered.events());
        started.observer(metrics);
        metrics.bindServer(started, () -> servingStatus == ServingStatus.SERVING);
        metrics.bindStorage(started::isStorageFailed);
        Recovery.Layout layout = Recovery.Layout.under(config.dataDirectory());
        snapshotter = new Snapshotter(
                layout,
                recovered.snapshots(),
                config.stateCapacities(),
                config.engineLimits(),
                config.snapshotIntervalCommands(),
                config.snapshotDeferMaxCommands(),
                config.snapshotCopy(),
                config.journalRetainedSegments(),
                recovered.snapshotSequence(),
                started::answeredJournalSequence,
                started::queueDelayNanos,
                OthersCpu.ofThisMachine());
        snapshotter.freezeFrom(started);
        metrics.bindSnapshotter(snapshotter);
        orderEvents = new OrderEventsService(
                started::visibleEventSequence, layout.events(), config.eventSubscribersMax(), partitions.orderIdBase());
        Admission admission = new Admission(started, config.queueDelayMaxMillis(), metrics, partitions);
        ServerServiceDefinition checkout = checkoutService(admission);
        // Only the admin service asks for a credential; frontline calls stay open.
        ServerServiceDefinition inventory = ServerInterceptors.intercept(new InventoryService(admission), adminAuth);
        metrics.grpcInterceptor().preregisterService(checkout);
        metrics.grpcInterceptor().preregisterService(inventory);
        // A stopped engine answers every command with UNAVAILABLE; probes must see it too.
        started.onEngineFailure(() -> setServing(ServingStatus.NOT_SERVING));
        started.start();
        pipeline = started;
        snapshotter.start();
        services.addService(UnparseableRequests.lenient(checkout));
        services.addService(UnparseableRequests.lenient(inventory));
        services.addService(UnparseableRequests.lenient(orderEvents.bindService()));
        setServing(ServingStatus.SERVING);
        LOG.info(
                "checkout server serving on port {}; {} SKUs, {} orders in {}",
                port(),
                state.skuCount(),
                state.orderCount(),
                config.dataDirectory().toAbsolutePath());
    }

    /**
     * Cluster mode: starts this member (its driver, archive, consensus module and the engine as a
     * clustered service, which replays the log after the newest snapshot) and the gateway that feeds
     * it. Health reports SERVING while the gateway has a session with a leader.
     */
    private void joinClusterAndServe() {
        AdminAuthInterceptor adminAuth = AdminAuthInterceptor.fromConfig(config);
        member = ClusterMember.launch(config.clusterMemberConfig(), (session, batchId, commands, count) -> {
            ClusterGateway started = gateway;
            if (started != null) {
                started.onBatchApplied(session, batchId, commands, count);
            }
        });
        ClusterGateway started = new ClusterGateway(
                config.ringSize(),
                clockMillis,
                member.clientContexts(CLUSTER_CONNECT_TIMEOUT_MILLIS),
                config.clusterBatchCommandsMax(),
                config.clusterOutcomeTimeoutMillis(),
                metrics::onExpiredSkipped);
        metrics.bindServer(started, () -> servingStatus == ServingStatus.SERVING);
        clusterCounters = new ClusterCounters(member);
        ClusterHousekeeper housekeeper =
                new ClusterHousekeeper(member, clusterCounters, config.clusterHousekeeping(), System::nanoTime);
        metrics.bindCluster(member, clusterCounters, started, housekeeper);
        member.service().observer(metrics);
        Admission admission = new Admission(started, config.queueDelayMaxMillis(), metrics, partitions);
        ServerServiceDefinition checkout = checkoutService(admission);
        ServerServiceDefinition inventory = ServerInterceptors.intercept(new InventoryService(admission), adminAuth);
        metrics.grpcInterceptor().preregisterService(checkout);
        metrics.grpcInterceptor().preregisterService(inventory);
        gateway = started;
        started.start();
        services.addService(UnparseableRequests.lenient(checkout));
        services.addService(UnparseableRequests.lenient(inventory));
        orderEvents = new OrderEventsService(
                member.service()::visibleEventSequence,
                member.config().eventsDirectory(),
                config.eventSubscribersMax(),
                partitions.orderIdBase());
        services.addService(UnparseableRequests.lenient(orderEvents.bindService()));
        clusterWatch = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "checkout-cluster-watch");
            thread.setDaemon(true);
            return thread;
        });
        clusterWatch.scheduleWithFixedDelay(this::watchCluster, 0, 100, TimeUnit.MILLISECONDS);
        // Its own thread: a membership query or a purge may take a second, readiness must not wait.
        clusterChores = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "checkout-cluster-housekeeper");
            thread.setDaemon(true);
            return thread;
        });
        clusterChores.scheduleWithFixedDelay(housekeeper::runOnce, 1, 1, TimeUnit.SECONDS);
        LOG.info(
                "checkout server on port {} is cluster member {} of {}; serving once a leader takes its session",
                port(),
                config.clusterMemberConfig().memberId(),
                config.clusterMemberConfig().members().size());
    }

    /**
     * SERVING while the gateway has a session with a leader and this member's engine has applied
     * the committed log to within {@link #CLUSTER_CAUGHT_UP_BYTES}: a member still catching up
     * would make its callers wait for the catch-up (it answers from its own engine).
     */
    private void watchCluster() {
        boolean caughtUp =
                clusterCounters.commitPosition() - member.service().appliedLogPosition() <= CLUSTER_CAUGHT_UP_BYTES;
        ServingStatus wanted =
                gateway.isConnected() && caughtUp && !closed ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        if (wanted != servingStatus && !closed) {
            setServing(wanted);
            LOG.info("cluster member {}: {}", config.clusterMemberConfig().memberId(), wanted);
        }
    }

    /** Undoes a start that failed part way (recovery refused bad data, say). */
    private void abortStart() {
        closed = true;
        if (partitionMapWatch != null) {
            partitionMapWatch.shutdownNow();
        }
        server.shutdownNow();
        if (opsHttp != null) {
            opsHttp.close();
        }
        if (pipeline != null) {
            pipeline.shutdown(0);
        }
        if (snapshotter != null) {
            snapshotter.close();
        }
        if (recovered != null) {
            closeLogs();
        }
        closeCluster();
        metrics.close();
    }

    /** The Checkout service over {@code admission}, with this server's stream and answer settings. */
    private ServerServiceDefinition checkoutService(Admission admission) {
        return new CheckoutService(
                        admission,
                        config.streamWindow(),
                        config.streamBatchMax(),
                        metrics,
                        config.unaryAnswers() == ServerConfig.AnswerThread.EVENT_LOOP,
                        config.streamAnswers() == ServerConfig.AnswerThread.EVENT_LOOP)
                .bindService();
    }

    private void closeCluster() {
        if (clusterWatch != null) {
            clusterWatch.shutdownNow();
        }
        if (clusterChores != null) {
            clusterChores.shutdownNow();
            try {
                // A purge in progress uses the member's archive: let it end before the member closes.
                clusterChores.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (gateway != null) {
            gateway.close();
        }
        if (member != null) {
            member.close();
        }
    }

    /** Every method of the service answers UNAVAILABLE until recovery has finished. */
    private static ServerServiceDefinition unavailableWhileRecovering(ServiceDescriptor descriptor) {
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor);
        for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
            addUnavailable(builder, method);
        }
        return builder.build();
    }

    private static <Q, R> void addUnavailable(ServerServiceDefinition.Builder builder, MethodDescriptor<Q, R> method) {
        builder.addMethod(method, (call, headers) -> {
            call.close(
                    Status.UNAVAILABLE.withDescription(
                            "recovering: the server is replaying its journal; retry" + " with the same request id"),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        });
    }

    private void setServing(ServingStatus status) {
        servingStatus = status;
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        health.setStatus(CheckoutGrpc.SERVICE_NAME, status);
        health.setStatus(InventoryGrpc.SERVICE_NAME, status);
    }

    /** The port actually bound (useful when the configured port is 0). */
    public int port() {
        return server.getPort();
    }

    /** The port of /metrics, /ready and /live, or -1 when they are off. */
    public int metricsPort() {
        return opsHttp == null ? -1 : opsHttp.port();
    }

    public CheckoutPipeline pipeline() {
        return pipeline;
    }

    /** Blocks until the gRPC server terminates. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        setServing(ServingStatus.NOT_SERVING);
        if (partitionMapWatch != null) {
            partitionMapWatch.shutdownNow();
        }
        // Subscriptions never end by themselves: end them first so the grace period serves the rest.
        if (orderEvents != null) {
            orderEvents.close();
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(config.shutdownGraceMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("calls still running after {} ms; cancelling them", config.shutdownGraceMillis());
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        if (gateway != null) {
            closeCluster();
            health.enterTerminalState();
            closeOps();
            LOG.info("checkout server stopped; {} commands answered through the cluster", gateway.commandsApplied());
            return;
        }
        pipeline.shutdown(config.shutdownGraceMillis() + 1_000);
        snapshotter.close();
        health.enterTerminalState();
        snapshotter.snapshotAtShutdown(pipeline, recovered.events());
        closeLogs();
        closeOps();
        LOG.info("checkout server stopped; {} commands applied", pipeline.commandsApplied());
    }

    private void closeOps() {
        if (opsHttp != null) {
            opsHttp.close();
        }
        metrics.close();
    }

    private void closeLogs() {
        try {
            recovered.journal().close();
        } finally {
            recovered.events().close();
        }
    }
}
