package io.checkout.loadgen;

import io.checkout.server.CheckoutServer;
import io.checkout.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real server on loopback as loadgen's integration tests run it, and loadgen's command line against it. */
final class TestServers {
    private TestServers() {}

    /** Settings for a test server on loopback with a data directory {@code dataDir}: small tables, short grace. */
    static ServerConfig.Builder config(Path dataDir) {
        return ServerConfig.builder()
                .set(ServerConfig.Setting.HOST, "127.0.0.1")
                .set(ServerConfig.Setting.PORT, 0)
                .set(ServerConfig.Setting.METRICS_PORT, 0)
                .set(ServerConfig.Setting.DATA_DIR, dataDir.toAbsolutePath())
                .set(ServerConfig.Setting.SKU_CAPACITY, 1_000)
                .set(ServerConfig.Setting.ORDER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.USER_COUNTER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.IDEMPOTENCY_CAPACITY, 200_000)
                .set(ServerConfig.Setting.SHUTDOWN_GRACE_MILLIS, 2_000);
    }

    /** A server with {@link #config} on {@code dataDir}. */
    static CheckoutServer start(Path dataDir) {
        return CheckoutServer.start(config(dataDir).conclude());
    }

    /** The admin token a server made in its data directory. */
    static String adminToken(Path dataDir) {
        try {
            return Files.readString(dataDir.resolve("admin-token")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs loadgen's command line with {@code args}, its output into {@code out}; the exit code. */
    static int loadgen(ByteArrayOutputStream out, String... args) {
        return Loadgen.commandLine(new Loadgen(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, null))
                .execute(args);
    }
}
