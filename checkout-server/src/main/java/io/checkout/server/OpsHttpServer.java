package io.checkout.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side door for platforms: {@code GET /metrics} (Prometheus text format), {@code /ready}
 * (200 only while grpc.health.v1 reports SERVING) and {@code /live} (200 while the pipeline's threads
 * run and the engine has not failed); anything else is 404, any method but GET or HEAD 405.
 *
 * <p>The JDK's own {@code com.sun.net.httpserver} is enough for three paths scraped a few times a
 * minute, and it brings no web framework into the server. It runs on a small bounded pool: two
 * threads and a queue of eight; past that the accepting thread serves the request itself, which
 * slows acceptance instead of queueing without bound. Scrapes never touch the engine's state.
 */
final class OpsHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpsHttpServer.class);
    private static final int THREADS_MAX = 2;
    private static final int QUEUED_MAX = 8;
    private static final int BACKLOG_MAX = 16;
    private static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer http;
    private final ThreadPoolExecutor executor;

    /** Scrape target: writes every metric in Prometheus text format. */
    interface Scraper {
        void scrape(OutputStream out) throws IOException;
    }

    private OpsHttpServer(HttpServer http, ThreadPoolExecutor executor) {
        this.http = http;
        this.executor = executor;
    }

    static OpsHttpServer start(String host, int port, Scraper metrics, BooleanSupplier ready, BooleanSupplier live) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), BACKLOG_MAX);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen for metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(
                1,
                THREADS_MAX,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED_MAX),
                runnable -> {
                    Thread thread = new Thread(runnable, "checkout-metrics-http-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.CallerRunsPolicy());
        http.setExecutor(executor);
        http.createContext(
                "/metrics",
                exchange -> handle(exchange, "/metrics", () -> {
                    ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
                    metrics.scrape(body);
                    send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", body.toByteArray());
                }));
        http.createContext(
                "/ready", exchange -> handle(exchange, "/ready", () -> probe(exchange, ready, "ready", "not ready")));
        http.createContext(
                "/live", exchange -> handle(exchange, "/live", () -> probe(exchange, live, "live", "not live")));
        http.createContext(
                "/",
                exchange -> handle(
                        exchange,
                        "/",
                        () -> send(
                                exchange,
                                404,
                                TEXT,
                                "not found; try /metrics, /ready or /live\n".getBytes(StandardCharsets.UTF_8))));
        http.start();
        return new OpsHttpServer(http, executor);
    }

    private interface Action {
        void run() throws IOException;
    }

    private static void handle(HttpExchange exchange, String path, Action action) {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, TEXT, "method not allowed\n".getBytes(StandardCharsets.UTF_8));
            } else if (!"/".equals(path) && !exchange.getRequestURI().getPath().equals(path)) {
                send(exchange, 404, TEXT, "not found\n".getBytes(StandardCharsets.UTF_8));
            } else {
                action.run();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("metrics endpoint failed on {}", path, e);
        }
    }

    private static void probe(HttpExchange exchange, BooleanSupplier check, String yes, String no) throws IOException {
        boolean ok = check.getAsBoolean();
        send(exchange, ok ? 200 : 503, TEXT, ((ok ? yes : no) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The port actually bound (useful when the configured port is 0). */
    int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
