package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.server.CheckoutServer;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code loadgen fuzz} against the real server on loopback (issue 21): a short, seeded run in CI;
 * the long one is {@code benchmarks/fuzz.sh}. The server must answer every case with a status a
 * client may get, keep answering, and change nothing on a refused call.
 */
class WireFuzzIT {
    @TempDir
    Path directory;

    private CheckoutServer server;

    @BeforeEach
    void startServer() {
        server = TestServers.start(directory.resolve("data"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aSeededFuzzRunShouldFindTheServerAnsweringEveryCaseAndUnchangedByRefusals() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = TestServers.loadgen(
                out,
                "fuzz",
                "--target",
                "127.0.0.1:" + server.port(),
                "--admin-token",
                TestServers.adminToken(directory.resolve("data")),
                "--cases",
                "1500",
                "--seed",
                "2112");

        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("FUZZ PASS").contains("cases: 1,500");
        for (WireFuzzer.Mutation mutation : WireFuzzer.Mutation.values()) {
            assertThat(report).as("every kind of case was sent").contains(mutation.name() + " ");
        }
        // Most hostile payloads are refused by the parser or the validation, and some get through;
        // bytes that do not parse are INVALID_ARGUMENT too, not grpc-java's UNKNOWN.
        assertThat(report).contains("INVALID_ARGUMENT").contains("OK").doesNotContain("UNKNOWN");
    }

    @Test
    void aStatusFromAThrowingHandlerOrAGoneServerShouldCountAsAFailure() {
        assertThat(WireFuzzer.unexpected(Status.INVALID_ARGUMENT.withDescription("lines[0].quantity")))
                .isNull();
        assertThat(WireFuzzer.unexpected(Status.INTERNAL.withDescription("Invalid protobuf byte sequence")))
                .isNull();
        assertThat(WireFuzzer.unexpected(Status.UNKNOWN)).startsWith("UNKNOWN");
        assertThat(WireFuzzer.unexpected(Status.INTERNAL.withDescription("NullPointerException")))
                .startsWith("INTERNAL");
        assertThat(WireFuzzer.unexpected(Status.UNAVAILABLE.withDescription("io exception")))
                .startsWith("UNAVAILABLE");
    }
}
