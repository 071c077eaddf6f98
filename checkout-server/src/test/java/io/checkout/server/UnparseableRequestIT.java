package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes that are not a request message: INVALID_ARGUMENT naming the message type and the parser's
 * reason (grpc-java's own answer is UNKNOWN and a SEVERE stack trace in the log), nothing changed,
 * and on a stream only that message is rejected.
 */
class UnparseableRequestIT {
    /** A string field whose length runs past the end of the message. */
    private static final byte[] TRUNCATED = {0x0A, 0x40, 'a', 'b'};

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;

    @BeforeEach
    void start() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
        client.upsertSku(ItFixtures.sku("SKU-U", 10, 0));
    }

    @AfterEach
    void stop() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    @Test
    void aUnaryCallWithBytesThatDoNotParseShouldGetInvalidArgumentNamingTheMessageType() throws Exception {
        Status reserve = call(CheckoutGrpc.getReserveMethod(), List.of(TRUNCATED), null);
        assertThat(reserve.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(reserve.getDescription())
                .startsWith("the request is not a valid checkout.v1.ReserveRequest message: ")
                .contains("truncated");

        Status health = call(HealthGrpc.getCheckMethod(), List.of(new byte[] {(byte) 0xFF}), null);
        assertThat(health.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(health.getDescription()).contains("grpc.health.v1.HealthCheckRequest");

        // The admin check closes the call first; the garbage after it does not close it twice.
        Status admin = call(InventoryGrpc.getUpsertSkuMethod(), List.of(TRUNCATED), null);
        assertThat(admin.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

        Sku sku = client.getStock("SKU-U");
        assertThat(sku.getAvailable()).isEqualTo(10);
        assertThat(sku.getReserved()).isZero();
    }

    @Test
    void onAStreamOnlyTheMessageThatDoesNotParseShouldBeRejected() throws Exception {
        byte[] good = ReserveRequest.newBuilder()
                .setRequestId("good-1")
                .setUserId("buyer-1")
                .addLines(OrderLine.newBuilder().setSkuId("SKU-U").setQuantity(1))
                .build()
                .toByteArray();
        List<ReserveReply> replies = new CopyOnWriteArrayList<>();

        Status stream = call(CheckoutGrpc.getReserveStreamMethod(), List.of(TRUNCATED, good), replies);

        assertThat(stream.getCode()).isEqualTo(Status.Code.OK);
        assertThat(replies).hasSize(2);
        ReserveReply rejected = replies.stream()
                .filter(r -> r.getRequestId().isEmpty())
                .findFirst()
                .orElseThrow();
        assertThat(rejected.getResult()).isEqualTo(ReserveResult.REJECTED);
        assertThat(rejected.getError().getMessage()).contains("not a valid checkout.v1.ReserveRequest");
        ReserveReply reserved = replies.stream()
                .filter(r -> r.getRequestId().equals("good-1"))
                .findFirst()
                .orElseThrow();
        assertThat(reserved.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(client.getStock("SKU-U").getReserved()).isEqualTo(1);
    }

    /** Sends raw messages on {@code method}; collects replies (parsed as ReserveReply) if asked. */
    private Status call(MethodDescriptor<?, ?> method, List<byte[]> messages, List<ReserveReply> replies)
            throws Exception {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(BYTES, BYTES).build();
        ClientCall<byte[], byte[]> call =
                channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(
                new ClientCall.Listener<>() {
                    @Override
                    public void onMessage(byte[] message) {
                        if (replies != null) {
                            try {
                                replies.add(ReserveReply.parseFrom(message));
                            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        closed.complete(status);
                    }
                },
                new Metadata());
        call.request(Integer.MAX_VALUE);
        for (byte[] message : messages) {
            call.sendMessage(message);
        }
        call.halfClose();
        return closed.get(15, TimeUnit.SECONDS);
    }
}
