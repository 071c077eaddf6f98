package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.checkout.client.BatchStreamingReserver;
import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReserveBatchStream over loopback against the real server: each item of a batch gets exactly the
 * answer the unary Reserve gives, repeats are idempotent across both APIs, and an oversize batch or
 * an invalid item is answered REJECTED naming the field while the rest of the stream goes on.
 */
class ReserveBatchStreamIT {
    private static final String SKU = "DROP-1";
    private static final String OTHER_SKU = "DROP-2";
    /** Small, so a test can send a batch above it without a large message. */
    private static final int BATCH_MAX = 4;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.STREAM_BATCH_MAX, BATCH_MAX)
                .conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
        client.upsertSku(ItFixtures.sku(SKU, 3, 1));
        client.upsertSku(ItFixtures.sku(OTHER_SKU, 100, 0));
    }

    @AfterEach
    void stopServer() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    private static ReserveRequest reserve(String requestId, String userId, String skuId, int quantity) {
        return ReserveRequest.newBuilder()
                .setRequestId(requestId)
                .setUserId(userId)
                .addLines(line(skuId, quantity))
                .build();
    }

    private static List<ReserveReply> answers(List<CompletableFuture<ReserveReply>> futures) throws Exception {
        List<ReserveReply> replies = new ArrayList<>();
        for (CompletableFuture<ReserveReply> future : futures) {
            replies.add(future.get(10, TimeUnit.SECONDS));
        }
        return replies;
    }

    @Test
    void eachItemShouldGetTheAnswerUnaryReserveGivesAndRepeatsShouldGetTheFirstAnswer() throws Exception {
        // 3 units, limit 1 per buyer: a buyer coming back, a sell-out, an unknown SKU, in one batch.
        List<ReserveRequest> first = List.of(
                reserve("b-1", "ann", SKU, 1),
                reserve("b-2", "ann", SKU, 1),
                reserve("b-3", "bob", SKU, 1),
                reserve("b-4", "cid", "NO-SUCH-SKU", 1));
        List<ReserveRequest> second =
                List.of(reserve("b-5", "dan", SKU, 1), reserve("b-6", "eve", SKU, 1), reserve("b-7", "fay", SKU, 1));

        List<ReserveReply> firstAnswers;
        List<ReserveReply> secondAnswers;
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, BATCH_MAX)) {
            firstAnswers = answers(stream.submit(first));
            secondAnswers = answers(stream.submit(second));
        }

        assertThat(firstAnswers).extracting(ReserveReply::getRequestId).containsExactly("b-1", "b-2", "b-3", "b-4");
        assertThat(firstAnswers)
                .extracting(ReserveReply::getResult)
                .containsExactly(
                        ReserveResult.RESERVED,
                        ReserveResult.LIMIT_EXCEEDED,
                        ReserveResult.RESERVED,
                        ReserveResult.UNKNOWN_SKU);
        assertThat(secondAnswers)
                .extracting(ReserveReply::getResult)
                .containsExactly(ReserveResult.RESERVED, ReserveResult.SOLD_OUT, ReserveResult.SOLD_OUT);
        assertThat(firstAnswers.get(1).getFailedSkuId()).isEqualTo(SKU);
        assertThat(secondAnswers.get(1).getFailedSkuId()).isEqualTo(SKU);
        ReserveReply ann = firstAnswers.get(0);
        assertThat(ann.getAmountMinor()).isEqualTo(1_999);
        assertThat(ann.getCurrency()).isEqualTo("USD");
        assertThat(ann.getExpiresAtEpochMillis()).isPositive();
        Order annOrder = client.getOrder(ann.getOrderId());
        assertThat(annOrder.getUserId()).isEqualTo("ann");
        assertThat(annOrder.getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        Sku sku = client.getStock(SKU);
        assertThat(sku.getReserved()).isEqualTo(3);
        assertThat(sku.getAvailable()).isZero();

        // The same answers for the same request ids, whether repeated on a new batch stream or unary.
        List<ReserveReply> repeated;
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, BATCH_MAX)) {
            repeated = answers(stream.submit(first));
        }
        assertThat(repeated).isEqualTo(firstAnswers);
        for (int i = 0; i < second.size(); i++) {
            ReserveRequest request = second.get(i);
            assertThat(client.reserve(
                            request.getRequestId(),
                            request.getUserId(),
                            request.getLines(0).getSkuId(),
                            request.getLines(0).getQuantity()))
                    .isEqualTo(secondAnswers.get(i));
        }
        assertThat(client.getStock(SKU)).isEqualTo(sku);
    }

    @Test
    void oversizeBatchShouldAnswerEveryItemRejectedNamingRequestsAndChangeNothing() throws Exception {
        Sku before = client.getStock(OTHER_SKU);
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, BATCH_MAX + 4)) {
            List<ReserveRequest> oversize = new ArrayList<>();
            for (int i = 0; i <= BATCH_MAX; i++) {
                oversize.add(reserve("big-" + i, "buyer-" + i, OTHER_SKU, 1));
            }

            List<ReserveReply> refused = answers(stream.submit(oversize));

            assertThat(refused)
                    .extracting(ReserveReply::getRequestId)
                    .containsExactlyElementsOf(
                            oversize.stream().map(ReserveRequest::getRequestId).toList());
            for (ReserveReply reply : refused) {
                assertRejected(reply, "requests");
                assertThat(reply.getError().getMessage()).contains("stream-batch-max");
                assertThat(ItFixtures.detail(reply.getError(), ErrorInfo.class)
                                .orElseThrow()
                                .getReason())
                        .isEqualTo("BATCH_TOO_LARGE");
            }
            assertThat(client.getStock(OTHER_SKU)).isEqualTo(before);

            // The stream goes on, and the refused request ids were never remembered.
            List<ReserveReply> accepted = answers(stream.submit(oversize.subList(0, BATCH_MAX)));
            assertThat(accepted).extracting(ReserveReply::getResult).containsOnly(ReserveResult.RESERVED);
        }
        assertThat(client.getStock(OTHER_SKU).getReserved()).isEqualTo(before.getReserved() + BATCH_MAX);
    }

    @Test
    void invalidItemsShouldBeRejectedNamingTheFieldWhileTheValidOnesOfTheBatchAreReserved() throws Exception {
        List<OrderLine> sixtyFive = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            sixtyFive.add(line("MANY-" + i, 1));
        }
        Sku before = client.getStock(OTHER_SKU);
        List<ReserveRequest> mixed = List.of(
                reserve("mix-ok-1", "gil", OTHER_SKU, 1),
                reserve("mix-bad-quantity", "hal", OTHER_SKU, 0),
                ReserveRequest.newBuilder()
                        .setRequestId("mix-too-many-lines")
                        .setUserId("ida")
                        .addAllLines(sixtyFive)
                        .build(),
                reserve("mix-ok-2", "jon", OTHER_SKU, 2));
        List<ReserveRequest> badIds =
                List.of(reserve("mix-ok-3", "kim", OTHER_SKU, 1), reserve("mix-bad-user", "", OTHER_SKU, 1));

        List<ReserveReply> mixedAnswers;
        List<ReserveReply> badIdAnswers;
        try (BatchStreamingReserver stream = client.openReserveBatchStream(64, BATCH_MAX)) {
            mixedAnswers = answers(stream.submit(mixed));
            badIdAnswers = answers(stream.submit(badIds));
        }

        assertThat(mixedAnswers.get(0).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertRejected(mixedAnswers.get(1), "lines[0].quantity");
        assertRejected(mixedAnswers.get(2), "lines");
        assertThat(mixedAnswers.get(3).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(badIdAnswers.get(0).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertRejected(badIdAnswers.get(1), "user_id");
        // Only the valid items took stock: 1 + 2 + 1 units.
        Sku after = client.getStock(OTHER_SKU);
        assertThat(after.getReserved()).isEqualTo(before.getReserved() + 4);
        assertThat(after.getAvailable()).isEqualTo(before.getAvailable() - 4);
        // An invalid item was not remembered: corrected, its request id is accepted.
        ReserveReply corrected = client.reserve("mix-bad-quantity", "hal", OTHER_SKU, 1);
        assertThat(corrected.getResult()).isEqualTo(ReserveResult.RESERVED);
    }

    /**
     * A raw client (not the SDK, which checks ids before sending) sends request ids the engine
     * cannot hold unchanged, too long or not ASCII: on both streams the REJECTED reply echoes each
     * id exactly as sent, so a client matching replies by id finds them.
     */
    @Test
    void aRejectedStreamedReserveShouldEchoItsRequestIdAsSent() throws Exception {
        List<String> oddIds = List.of("x".repeat(200), "caf\u00e9-1", "ok-echo-1");
        CheckoutGrpc.CheckoutStub stub = CheckoutGrpc.newStub(channel);

        List<ReserveReply> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> streamDone = new CompletableFuture<>();
        StreamObserver<ReserveRequest> requests = stub.reserveStream(collect(streamed, streamDone));
        for (String id : oddIds) {
            requests.onNext(reserve(id, "echo-user-" + id.length(), SKU, 1));
        }
        requests.onCompleted();
        streamDone.get(10, TimeUnit.SECONDS);

        List<ReserveBatchReply> batchReplies = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> batchDone = new CompletableFuture<>();
        StreamObserver<ReserveBatch> batches = stub.reserveBatchStream(collect(batchReplies, batchDone));
        ReserveBatch.Builder batch = ReserveBatch.newBuilder();
        for (String id : oddIds) {
            batch.addRequests(reserve(id.replace("1", "2"), "echo-batch-" + id.length(), SKU, 1));
        }
        batches.onNext(batch.build());
        batches.onCompleted();
        batchDone.get(10, TimeUnit.SECONDS);
        List<ReserveReply> batched = batchReplies.stream()
                .flatMap(reply -> reply.getRepliesList().stream())
                .toList();

        for (List<ReserveReply> replies : List.of(streamed, batched)) {
            for (ReserveReply reply : replies) {
                if (reply.getRequestId().startsWith("ok-echo")) {
                    assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
                } else {
                    assertRejected(reply, "request_id");
                }
            }
        }
        assertThat(streamed).extracting(ReserveReply::getRequestId).containsExactlyInAnyOrderElementsOf(oddIds);
        assertThat(batched)
                .extracting(ReserveReply::getRequestId)
                .containsExactlyInAnyOrderElementsOf(
                        oddIds.stream().map(id -> id.replace("1", "2")).toList());
    }

    private static <T> StreamObserver<T> collect(List<T> into, CompletableFuture<Void> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                into.add(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }

    private static void assertRejected(ReserveReply reply, String field) {
        assertThat(reply.getResult()).isEqualTo(ReserveResult.REJECTED);
        assertThat(reply.getOrderId()).isZero();
        com.google.rpc.Status error = reply.getError();
        assertThat(error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(error.getMessage()).contains(field);
        assertThat(ItFixtures.detail(error, BadRequest.class).orElseThrow().getFieldViolationsList())
                .extracting(BadRequest.FieldViolation::getField)
                .containsExactly(field);
    }
}
