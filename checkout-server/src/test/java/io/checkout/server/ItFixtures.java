package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Shared set-up for the server's integration tests: small tables, loopback, readable error details. */
final class ItFixtures {
    /** Long enough that no reservation expires while a test runs, so stock levels only move when a test moves them. */
    static final long HOUR_MILLIS = 3_600_000L;

    /** The admin token of every test server; a test-only value, written to each test's own file. */
    static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

    private ItFixtures() {}

    /**
     * A configuration sized for tests: the defaults would make Chronicle reserve files for ten
     * million orders in every test's data directory.
     */
    static ServerConfig.Builder smallConfig(Path dataDir) {
        Path tokenFile = dataDir.resolve("admin-token");
        try {
            Files.createDirectories(dataDir);
            Files.writeString(tokenFile, ADMIN_TOKEN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ServerConfig.builder()
                .set(ServerConfig.Setting.METRICS_PORT, 0)
                .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, tokenFile.toAbsolutePath())
                .set(ServerConfig.Setting.HOST, "127.0.0.1")
                .set(ServerConfig.Setting.PORT, 0)
                .set(ServerConfig.Setting.DATA_DIR, dataDir.toAbsolutePath())
                .set(ServerConfig.Setting.SKU_CAPACITY, 1_000)
                .set(ServerConfig.Setting.ORDER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.USER_COUNTER_CAPACITY, 100_000)
                .set(ServerConfig.Setting.IDEMPOTENCY_CAPACITY, 200_000)
                // A leaked stream must not hold up @AfterEach for the default ten seconds.
                .set(ServerConfig.Setting.SHUTDOWN_GRACE_MILLIS, 2_000)
                // These tests race and flood to check correctness, on machines of any speed: a
                // burst of thousands of commands on a busy CI machine is rightly estimated to wait
                // over 100 ms and refused QUEUE_DELAY, which is not what they test. The limit stays
                // on, high, so a wildly wrong estimate (as a cold JVM's first windows once gave)
                // still fails them. Admission has its own tests (AdmissionTest,
                // CommandRingQueueDelayTest, OverloadBehaviourTest).
                .set(ServerConfig.Setting.QUEUE_DELAY_MAX_MILLIS, 10_000);
    }

    static ManagedChannel loopbackChannel(CheckoutServer server) {
        return Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
                .build();
    }

    /** A client with a deadline generous enough for a machine shared with other builds. */
    static CheckoutClient client(ManagedChannel channel) {
        return CheckoutClient.builder(channel)
                .deadline(Duration.ofSeconds(10))
                .adminToken(ADMIN_TOKEN)
                .build();
    }

    /** A SKU on sale from the epoch with no end, priced 19.99 USD, reservations held for an hour. */
    static UpsertSkuRequest sku(String skuId, long totalStock, long perUserLimit) {
        return UpsertSkuRequest.newBuilder()
                .setSkuId(skuId)
                .setPriceMinor(1_999)
                .setCurrency("USD")
                .setTotalStock(totalStock)
                .setPerUserLimit(perUserLimit)
                .setSaleStartEpochMillis(0)
                .setSaleEndEpochMillis(0)
                .setReservationTtlMillis(HOUR_MILLIS)
                .build();
    }

    /** The repository's jvm.options, found above the working directory, for a server started as its own JVM. */
    static Path jvmOptions() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("jvm.options"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError(
                    "jvm.options not found above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("jvm.options");
    }

    static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable closeable : closeables) {
            if (closeable == null) {
                continue;
            }
            try {
                closeable.close();
            } catch (Exception e) {
                // One failing close must not leave the later resources (a server, its files) open.
                System.err.println("close failed: " + e);
            }
        }
    }

    static void shutdownChannel(ManagedChannel channel) {
        if (channel == null) {
            return;
        }
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static HealthCheckResponse.ServingStatus health(Channel channel, String service) {
        return HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build())
                .getStatus();
    }

    /** Polls until {@code condition} holds; the bound is only reached if something hangs. */
    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0) {
                fail("not within " + timeout.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting: " + what);
            }
        }
    }

    // ---- rich errors ------------------------------------------------------------------------

    /** Runs {@code call}, which must fail with a gRPC status, and returns that failure. */
    static StatusRuntimeException grpcFailure(ThrowingCallable call) {
        try {
            call.call();
        } catch (StatusRuntimeException e) {
            return e;
        } catch (Throwable t) {
            throw new AssertionError("expected a StatusRuntimeException but got " + t, t);
        }
        throw new AssertionError("expected the call to fail with a gRPC status, but it succeeded");
    }

    static com.google.rpc.Status richStatus(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        assertThat(status)
                .as("google.rpc.Status in the trailers of %s", failure)
                .isNotNull();
        return status;
    }

    static <T extends Message> Optional<T> detail(com.google.rpc.Status status, Class<T> type) {
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return Optional.of(any.unpack(type));
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError("undecodable " + type.getSimpleName() + " detail", e);
                }
            }
        }
        return Optional.empty();
    }

    /** The server's Prometheus text, from its metrics port. */
    static String metricsText(CheckoutServer server) {
        try {
            return java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                            "http://127.0.0.1:" + server.metricsPort() + "/metrics"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static ErrorInfo errorInfo(Throwable failure) {
        return detail(richStatus(failure), ErrorInfo.class)
                .orElseThrow(() -> new AssertionError("no ErrorInfo detail in " + failure));
    }

    static List<String> violatedFields(Throwable failure) {
        return detail(richStatus(failure), BadRequest.class)
                .orElseThrow(() -> new AssertionError("no BadRequest detail in " + failure))
                .getFieldViolationsList()
                .stream()
                .map(BadRequest.FieldViolation::getField)
                .toList();
    }

    /**
     * Asserts the contract's shape of an invalid-argument error: the code, the field named in the
     * description, and the field as the one violation of a BadRequest detail.
     */
    static void assertInvalidArgument(StatusRuntimeException failure, String field) {
        assertThat(failure.getStatus().getCode()).as("code of %s", failure).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(failure.getStatus().getDescription()).as("description").contains(field);
        assertThat(violatedFields(failure)).as("BadRequest field violations").containsExactly(field);
        assertThat(errorInfo(failure).getDomain()).isEqualTo(GrpcErrors.DOMAIN);
    }
}
