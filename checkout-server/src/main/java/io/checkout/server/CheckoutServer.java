package io.checkout.server;

import io.checkout.engine.CheckoutBook;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.state.ChronicleCheckoutState;
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
    private final ChronicleCheckoutState state;
    private final CheckoutPipeline pipeline;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ServerMetrics metrics;
    private final Server server;
    private volatile ServingStatus servingStatus = ServingStatus.NOT_SERVING;
    private OpsHttpServer opsHttp;
    private boolean closed;

    private CheckoutServer(ServerConfig config, ServerBuilder<?> serverBuilder, LongSupplier clockMillis) {
        this.config = config;
        this.state = ChronicleCheckoutState.open(config.stateConfig());
        this.metrics = new ServerMetrics(config.metricsSkuSeriesMax(), config.metricsStockIntervalMillis());
        try {
            AdminAuthInterceptor adminAuth = AdminAuthInterceptor.fromConfig(config);
            CheckoutBook book = new CheckoutBook(state, config.engineLimits());
            this.pipeline = new CheckoutPipeline(book, config.pipelineConfig(), clockMillis);
            pipeline.observer(metrics);
            metrics.bindServer(pipeline, () -> servingStatus == ServingStatus.SERVING);
            ServerServiceDefinition checkout = new CheckoutService(pipeline, config.streamWindow(), metrics).bindService();
            // Only the admin service asks for a credential; frontline calls stay open.
            ServerServiceDefinition inventory = ServerInterceptors.intercept(new InventoryService(pipeline), adminAuth);
            metrics.grpcInterceptor().preregisterService(checkout);
            metrics.grpcInterceptor().preregisterService(inventory);
            this.server = serverBuilder
                    .addService(checkout)
                    .addService(inventory)
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    // Outermost, so calls refused by the admin check are counted too.
                    .intercept(metrics.grpcInterceptor())
                    .maxInboundMessageSize(config.inboundMessageBytesMax())
                    .build();
        } catch (RuntimeException e) {
            metrics.close();
            state.close();
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
        try {
            server.start();
        } catch (IOException e) {
            pipeline.shutdown(0);
            metrics.close();
            state.close();
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        if (config.metricsPort() >= 0) {
            try {
                opsHttp = OpsHttpServer.start(config.host(), config.metricsPort(), metrics::scrape,
                        () -> servingStatus == ServingStatus.SERVING, pipeline::isAlive);
            } catch (RuntimeException e) {
                server.shutdownNow();
                pipeline.shutdown(0);
                metrics.close();
                state.close();
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
        health.enterTerminalState();
        if (pipeline.isFailed()) {
            LOG.error("engine failed; state changes held back since the last batch are not written");
            state.discardUnflushed();
        }
        state.close();
        if (opsHttp != null) {
            opsHttp.close();
        }
        metrics.close();
        LOG.info("checkout server stopped; {} commands applied", pipeline.commandsApplied());
    }
}
