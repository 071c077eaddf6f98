package io.checkout.server;

import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.engine.CheckoutState;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogWriter;
import io.checkout.pipeline.Snapshotter;
import io.checkout.pipeline.Recovery;
import io.checkout.state.SnapshotStore;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.InventoryGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole server: state, engine, pipeline and gRPC services, started and stopped in order.
 *
 * <p>Start: open the state files, rebuild the engine's derived indexes, start the pipeline, start
 * serving, then report SERVING on {@code grpc.health.v1}. Close: report NOT_SERVING, stop taking
 * calls and let running ones finish (bounded by {@code shutdown-grace-millis}), drain the ring so
 * every accepted command is applied and answered, then close the state files.
 */
public final class CheckoutServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckoutServer.class);

    private final ServerConfig config;
    private final Recovery.Recovered recovered;
    private final CheckoutState state;
    private final CheckoutPipeline pipeline;
    private final OrderEventsService orderEvents;
    private final Snapshotter snapshotter;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ServerMetrics metrics;
    private final Server server;
    private volatile ServingStatus servingStatus = ServingStatus.NOT_SERVING;
    private OpsHttpServer opsHttp;
    private boolean closed;

    private CheckoutServer(ServerConfig config, ServerBuilder<?> serverBuilder, LongSupplier clockMillis) {
        this.config = config;
        this.recovered = Recovery.recover(config.dataDirectory(), config.stateConfig(), config.engineLimits(),
                config.journalConfig());
        this.state = recovered.state();
        this.metrics = new ServerMetrics(config.metricsSkuSeriesMax(), config.metricsStockIntervalMillis());
        try {
            AdminAuthInterceptor adminAuth = AdminAuthInterceptor.fromConfig(config);
            this.pipeline = new CheckoutPipeline(recovered.book(), config.pipelineConfig(), clockMillis,
                    recovered.journal(), recovered.events());
            pipeline.observer(metrics);
            metrics.bindServer(pipeline, () -> servingStatus == ServingStatus.SERVING);
            this.snapshotter = new Snapshotter(Recovery.Layout.under(config.dataDirectory()), recovered.snapshots(),
                    config.stateConfig(), config.engineLimits(), config.snapshotIntervalCommands(),
                    config.journalRetainedSegments(), recovered.snapshotSequence(), pipeline::answeredJournalSequence);
            this.orderEvents = new OrderEventsService(pipeline,
                    Recovery.Layout.under(config.dataDirectory()).events(), config.eventSubscribersMax());
            ServerServiceDefinition checkout = new CheckoutService(pipeline, config.streamWindow(), metrics).bindService();
            // Only the admin service asks for a credential; frontline calls stay open.
            ServerServiceDefinition inventory = ServerInterceptors.intercept(new InventoryService(pipeline), adminAuth);
            metrics.grpcInterceptor().preregisterService(checkout);
            metrics.grpcInterceptor().preregisterService(inventory);
            this.server = serverBuilder
                    .addService(checkout)
                    .addService(inventory)
                    .addService(orderEvents)
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    // Outermost, so calls refused by the admin check are counted too.
                    .intercept(metrics.grpcInterceptor())
                    .maxInboundMessageSize(config.inboundMessageBytesMax())
                    .build();
        } catch (RuntimeException e) {
            metrics.close();
            closeLogs();
            throw e;
        }
    }

    /** Starts a server on Netty at the configured host and port, with the wall clock. */
    public static CheckoutServer start(ServerConfig config) {
        // Service methods only validate and tryPublish, never block, so they run on the Netty event
        // loop itself: one thread hand-off less per call.
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(config.host(), config.port()), TransportSecurity.serverCredentials(config))
                .directExecutor()
                .maxConcurrentCallsPerConnection(config.concurrentCallsPerConnectionMax())
                .permitKeepAliveTime(10, TimeUnit.SECONDS);
        return start(config, builder, System::currentTimeMillis);
    }

    /** Starts a server on the given transport (tests pass an in-process one) and clock. */
    public static CheckoutServer start(ServerConfig config, ServerBuilder<?> serverBuilder, LongSupplier clockMillis) {
        CheckoutServer server = new CheckoutServer(config, serverBuilder, clockMillis);
        server.startServing();
        return server;
    }

    private void startServing() {
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        // A stopped engine answers every command with UNAVAILABLE; probes must see it too.
        pipeline.onEngineFailure(() -> setServing(ServingStatus.NOT_SERVING));
        pipeline.start();
        snapshotter.start();
        try {
            server.start();
        } catch (IOException e) {
            pipeline.shutdown(0);
            snapshotter.close();
            metrics.close();
            closeLogs();
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        if (config.metricsPort() >= 0) {
            try {
                opsHttp = OpsHttpServer.start(config.host(), config.metricsPort(), metrics::scrape,
                        () -> servingStatus == ServingStatus.SERVING, pipeline::isAlive);
            } catch (RuntimeException e) {
                server.shutdownNow();
                pipeline.shutdown(0);
                snapshotter.close();
                metrics.close();
                closeLogs();
                throw e;
            }
        }
        setServing(ServingStatus.SERVING);
        LOG.info("checkout server listening on port {} ({}); {} SKUs, {} orders in {}; metrics {}", port(),
                config.tlsCertFile() == null ? "plaintext" : config.tlsClientCaFile() == null ? "TLS" : "mutual TLS",
                state.skuCount(), state.orderCount(), config.dataDirectory().toAbsolutePath(),
                opsHttp == null ? "off" : "on http port " + opsHttp.port());
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
        // Subscriptions never end by themselves: end them first so the grace period serves the rest.
        orderEvents.close();
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
        pipeline.shutdown(config.shutdownGraceMillis() + 1_000);
        snapshotter.close();
        health.enterTerminalState();
        if (pipeline.isFailed()) {
            LOG.error("engine failed; no snapshot is written, the next start recovers from the journal");
        } else {
            writeSnapshot();
        }
        closeLogs();
        if (opsHttp != null) {
            opsHttp.close();
        }
        metrics.close();
        LOG.info("checkout server stopped; {} commands applied", pipeline.commandsApplied());
    }

    /**
     * Writes the drained state as a snapshot, so the next start replays nothing, and retires the
     * journal it covers. Runs only when the pipeline's threads have stopped.
     */
    private void writeSnapshot() {
        long started = System.nanoTime();
        long journalled = pipeline.journalledSequence();
        if (pipeline.answeredJournalSequence() != journalled) {
            LOG.warn("the ring did not drain (journalled {}, applied and answered {}); no snapshot, the next start"
                    + " replays the journal", journalled, pipeline.answeredJournalSequence());
            return;
        }
        Recovery.Layout layout = Recovery.Layout.under(config.dataDirectory());
        SnapshotStore.Meta meta = new SnapshotStore.Meta(journalled, recovered.events().nextEventSequence(),
                recovered.book().nowMillis());
        try {
            recovered.events().commit();
            RecordLog.forceSegments(layout.events());
            recovered.snapshots().write(state, meta);
            int retired = RecordLogWriter.retireBefore(layout.journal(), journalled + 1, config.journalRetainedSegments());
            RecordLogWriter.retireBefore(layout.events(), meta.nextEventSequence(), config.journalRetainedSegments());
            recovered.snapshots().retainNewest(2);
            LOG.info("snapshot at journal sequence {} written in {} ms; {} journal segments retired", journalled,
                    (System.nanoTime() - started) / 1_000_000, retired);
        } catch (RuntimeException e) {
            LOG.error("snapshot at shutdown failed; the next start recovers from the journal", e);
        }
    }

    private void closeLogs() {
        try {
            recovered.journal().close();
        } finally {
            recovered.events().close();
        }
    }
}
