package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.Command;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.Recovery;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.GetStockRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the server replays its journal it already listens: health says NOT_SERVING and checkout
 * calls get UNAVAILABLE (retryable), never a wrong answer from a half-recovered state; then it
 * turns SERVING.
 */
class RecoveryHealthIT {
    /** Enough that replay takes about two seconds here, so the window can be observed. */
    private static final int JOURNALLED_RESERVES = 1_500_000;

    @TempDir
    Path dataDir;

    @Test
    void serverShouldReportNotServingAndRefuseCallsWhileItRecovers() throws Exception {
        writeJournal();
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        ServerConfig config = ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.PORT, port)
                .set(ServerConfig.Setting.ORDER_CAPACITY, JOURNALLED_RESERVES + 1_000)
                .set(ServerConfig.Setting.USER_COUNTER_CAPACITY, JOURNALLED_RESERVES + 1_000)
                .set(ServerConfig.Setting.IDEMPOTENCY_CAPACITY, JOURNALLED_RESERVES + 1_000)
                .conclude();
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .build();
        // Load the client's classes before the server starts (the call fails: nothing listens yet),
        // so that a cold client does not miss the recovery window.
        try {
            HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder()
                            .setService(CheckoutGrpc.SERVICE_NAME)
                            .build());
        } catch (StatusRuntimeException expected) {
            // UNAVAILABLE: nothing listens on the port yet.
        }
        channel.resetConnectBackoff();
        CompletableFuture<CheckoutServer> starting = CompletableFuture.supplyAsync(() -> CheckoutServer.start(config));
        List<ServingStatus> seen = new ArrayList<>();
        StatusRuntimeException refusedWhileRecovering = null;
        CheckoutServer server = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                ServingStatus status;
                try {
                    status = HealthGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.newBuilder()
                                    .setService(CheckoutGrpc.SERVICE_NAME)
                                    .build())
                            .getStatus();
                } catch (StatusRuntimeException notListeningYet) {
                    // A failed connection makes the channel wait out a reconnect backoff (about a
                    // second) before it tries again, longer than a fast machine's whole replay:
                    // try again at once instead, so the recovery window is not missed.
                    channel.resetConnectBackoff();
                    Thread.sleep(5);
                    continue;
                }
                if (seen.isEmpty() || seen.get(seen.size() - 1) != status) {
                    seen.add(status);
                }
                if (status == ServingStatus.SERVING) {
                    break;
                }
                if (refusedWhileRecovering == null) {
                    try {
                        CheckoutGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(2, TimeUnit.SECONDS)
                                .getStock(GetStockRequest.newBuilder()
                                        .setSkuId("HOT")
                                        .build());
                    } catch (StatusRuntimeException e) {
                        if (!starting.isDone()) {
                            refusedWhileRecovering = e;
                        }
                    }
                }
                Thread.sleep(2);
            }
            server = starting.get(120, TimeUnit.SECONDS);

            assertThat(seen).as("health over time").containsExactly(ServingStatus.NOT_SERVING, ServingStatus.SERVING);
            assertThat(refusedWhileRecovering)
                    .as("a checkout call while recovering")
                    .isNotNull();
            assertThat(refusedWhileRecovering.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(refusedWhileRecovering.getStatus().getDescription()).contains("recovering");
            assertThat(CheckoutGrpc.newBlockingStub(channel)
                            .getStock(
                                    GetStockRequest.newBuilder().setSkuId("HOT").build())
                            .getReserved())
                    .isEqualTo(JOURNALLED_RESERVES);
        } finally {
            ItFixtures.shutdownChannel(channel);
            if (server == null && !starting.isDone()) {
                server = starting.get(120, TimeUnit.SECONDS);
            }
            ItFixtures.closeQuietly(server);
        }
    }

    /** A journal long enough that replaying it takes a noticeable while. */
    private void writeJournal() {
        Path journal = Recovery.Layout.under(dataDir).journal();
        JournalConfig config = JournalConfig.defaults(false);
        ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        long now = System.currentTimeMillis();
        try (RecordLogWriter writer = RecordLogWriter.open(
                journal,
                RecordLogReader.scan(journal, 1, (s, p) -> {}),
                1,
                config.segmentBytes(),
                false,
                config.batchBytes())) {
            CommandCodec.append(
                    writer,
                    scratch,
                    Command.upsertSku(now, "setup", "HOT", 100, "EUR", 10_000_000, 1, 0, 0, ItFixtures.HOUR_MILLIS));
            for (int i = 0; i < JOURNALLED_RESERVES; i++) {
                CommandCodec.append(writer, scratch, Command.reserve(now, "r-" + i, "u-" + i, "HOT", 1));
                if (i % 10_000 == 0) {
                    writer.commit();
                }
            }
        }
    }
}
