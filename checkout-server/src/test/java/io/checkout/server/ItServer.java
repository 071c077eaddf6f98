package io.checkout.server;

import io.checkout.client.CheckoutClient;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The server an IT talks to, with its loopback channel and an admin client, on a data directory
 * that outlives a restart: {@link #start}, {@link #stop}, {@link #start} again. Registered with
 * {@code @RegisterExtension}, it is stopped after each test whatever the test did.
 */
final class ItServer implements AfterEachCallback {
    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;

    /** Starts a server with {@link ItFixtures#smallConfig} on {@code dataDir}. */
    void start(Path dataDir) {
        start(ItFixtures.smallConfig(dataDir).conclude());
    }

    /** Starts a server with {@code config}. */
    void start(ServerConfig config) {
        if (server != null) {
            throw new IllegalStateException("already started; stop it first");
        }
        server = CheckoutServer.start(config);
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
    }

    /** Closes the client, the channel and the server, in that order; a no-op when stopped. */
    void stop() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
        client = null;
        channel = null;
        server = null;
    }

    CheckoutServer server() {
        return requireStarted(server);
    }

    ManagedChannel channel() {
        return requireStarted(channel);
    }

    CheckoutClient client() {
        return requireStarted(client);
    }

    private static <T> T requireStarted(T part) {
        if (part == null) {
            throw new IllegalStateException("the server is not started");
        }
        return part;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stop();
    }
}
