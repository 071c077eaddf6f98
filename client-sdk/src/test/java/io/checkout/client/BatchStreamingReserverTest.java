package io.checkout.client;

import static io.checkout.client.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchStreamingReserverTest {

    private final FakeCheckoutService checkout = new FakeCheckoutService();
    private final HeldBatches held = new HeldBatches();
    private InProcessServer server;
    private CheckoutClient client;

    @BeforeEach
    void start() {
        checkout.onReserveBatchStream(held::attach);
        server = new InProcessServer(checkout);
        client = CheckoutClient.builder(server.channel())
                .deadline(Duration.ofSeconds(5))
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static ReserveRequest request(String requestId, long user) {
        return ReserveRequest.newBuilder()
                .setRequestId(requestId)
                .setUserId("user-" + user)
                .addLines(OrderLine.newBuilder().setSkuId("sku-1").setQuantity(1))
                .build();
    }

    private static List<ReserveRequest> requests(String prefix, int count) {
        List<ReserveRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(request(prefix.isEmpty() ? "" : prefix + i, i));
        }
        return requests;
    }

    @Test
    void eachFutureShouldGetTheReplyWithItsRequestIdWhenRepliesAreRegroupedAndReordered() throws Exception {
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(64, 8)) {
            List<CompletableFuture<ReserveReply>> first = reserver.submit(requests("a-", 8));
            List<CompletableFuture<ReserveReply>> second = reserver.submit(requests("", 5));
            List<CompletableFuture<ReserveReply>> third = reserver.submit(requests("c-", 3));
            awaitTrue(() -> held.batches().size() == 3);

            assertThat(held.batches())
                    .extracting(ReserveBatch::getRequestsCount)
                    .containsExactly(8, 5, 3);
            assertThat(reserver.inFlight()).isEqualTo(16);
            // All 16 answers in two replies that cut across the batches, each in reverse order.
            held.answerAllReversedInRepliesOf(10);

            List<CompletableFuture<ReserveReply>> all = new ArrayList<>(first);
            all.addAll(second);
            all.addAll(third);
            List<ReserveRequest> sent = new ArrayList<>();
            held.batches().forEach(batch -> sent.addAll(batch.getRequestsList()));
            for (int i = 0; i < all.size(); i++) {
                ReserveReply reply = all.get(i).get(5, TimeUnit.SECONDS);
                assertThat(reply.getRequestId()).isEqualTo(sent.get(i).getRequestId());
                assertThat(reply.getOrderId()).isEqualTo(FakeCheckoutService.orderIdOf(sent.get(i)));
            }
            // Empty ids were replaced by generated, distinct, valid ones.
            List<String> generated = held.batches().get(1).getRequestsList().stream()
                    .map(ReserveRequest::getRequestId)
                    .toList();
            assertThat(generated)
                    .doesNotHaveDuplicates()
                    .allSatisfy(id -> assertThat(RequestIds.isValid(id)).isTrue());
            assertThat(reserver.inFlight()).isZero();
        }
    }

    @Test
    void batchThatDoesNotFitTheWindowShouldFailEveryFutureAtOnceAndSendNothing() throws Exception {
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(10, 8)) {
            List<CompletableFuture<ReserveReply>> admitted = reserver.submit(requests("in-", 8));
            List<CompletableFuture<ReserveReply>> refused = reserver.submit(requests("out-", 3));

            assertThat(refused)
                    .allSatisfy(
                            future -> assertThat(failureOf(future).getStatus().getCode())
                                    .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            awaitTrue(() -> held.batches().size() == 1);
            held.answerAllReversedInRepliesOf(8);
            for (CompletableFuture<ReserveReply> future : admitted) {
                future.get(5, TimeUnit.SECONDS);
            }
            // Once answered, the same requests fit.
            List<CompletableFuture<ReserveReply>> retried = reserver.submit(requests("out-", 3));
            awaitTrue(() -> held.batches().size() == 2);
            held.answerAllReversedInRepliesOf(8);
            assertThat(retried.get(2).get(5, TimeUnit.SECONDS).getRequestId()).isEqualTo("out-2");
            assertThat(held.batches())
                    .extracting(ReserveBatch::getRequestsCount)
                    .containsExactly(8, 3);
        }
    }

    @Test
    void requestIdAlreadyPendingOrRepeatedInTheBatchShouldFailOnlyThatFutureAndSendTheRest() throws Exception {
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(64, 8)) {
            reserver.submit(List.of(request("dup", 1)));
            List<CompletableFuture<ReserveReply>> futures =
                    reserver.submit(List.of(request("dup", 2), request("fresh", 3), request("fresh", 4)));

            assertThat(failureOf(futures.get(0)).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(failureOf(futures.get(2)).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            awaitTrue(() -> held.batches().size() == 2);
            assertThat(held.batches().get(1).getRequestsList())
                    .extracting(ReserveRequest::getRequestId)
                    .containsExactly("fresh");
            held.answerAllReversedInRepliesOf(8);
            assertThat(futures.get(1).get(5, TimeUnit.SECONDS).getOrderId()).isEqualTo(3);
        }
    }

    @Test
    void aStreamWithARequestBudgetShouldGiveItToEveryRequestWithoutOneOfItsOwn() throws Exception {
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(64, 8, Duration.ofMillis(300))) {
            reserver.submit(List.of(
                    request("a", 1),
                    request("b", 2).toBuilder().setBudgetMillis(7).build()));
            awaitTrue(() -> held.batches().size() == 1);
            assertThat(held.batches().get(0).getRequestsList())
                    .extracting(ReserveRequest::getBudgetMillis)
                    .containsExactly(300, 7);
            held.answerAllReversedInRepliesOf(8);
        }
    }

    @Test
    void batchSizesAndArgumentsShouldBeCheckedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> client.openReserveBatchStream(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.openReserveBatchStream(16, 17))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchSize");
        assertThatThrownBy(() -> client.openReserveBatchStream(100_000, CheckoutClient.STREAM_BATCH_SIZE_MAX + 1))
                .isInstanceOf(IllegalArgumentException.class);
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(64, 4)) {
            assertThatThrownBy(() -> reserver.submit(List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> reserver.submit(requests("big-", 5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1..4");
            assertThatThrownBy(() -> reserver.submit(List.of(request("has space", 1))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(reserver.inFlight()).isZero();
        }
        assertThat(held.batches()).isEmpty();
    }

    @Test
    void streamErrorShouldFailEveryPendingFutureWithItsStatus() throws Exception {
        BatchStreamingReserver reserver = client.openReserveBatchStream(64, 8);
        List<CompletableFuture<ReserveReply>> futures = reserver.submit(requests("e-", 4));
        awaitTrue(() -> held.batches().size() == 1);

        held.fail(Status.UNAVAILABLE.withDescription("going away"));
        awaitTrue(() -> futures.stream().allMatch(CompletableFuture::isDone));

        assertThat(futures)
                .allSatisfy(future ->
                        assertThat(failureOf(future).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(failureOf(reserver.submit(requests("late-", 1)).get(0))
                        .getStatus()
                        .getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
        reserver.close();
    }

    @Test
    void closeShouldSendWhatIsQueuedAndWaitForTheAnswers() throws Exception {
        BatchStreamingReserver reserver = client.openReserveBatchStream(64, 8);
        List<CompletableFuture<ReserveReply>> futures = reserver.submit(requests("z-", 6));

        reserver.close();

        for (int i = 0; i < futures.size(); i++) {
            assertThat(futures.get(i)).isDone();
            assertThat(futures.get(i).get().getRequestId()).isEqualTo("z-" + i);
        }
        assertThat(failureOf(reserver.submit(requests("x-", 1)).get(0))
                        .getStatus()
                        .getCode())
                .isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    void batchesShouldWaitInTheQueueUntilTheServerAsksForThem() throws Exception {
        held.manualInbound = true;
        try (BatchStreamingReserver reserver = client.openReserveBatchStream(64, 4)) {
            reserver.submit(requests("q1-", 4));
            reserver.submit(requests("q2-", 4));
            reserver.submit(requests("q3-", 2));
            held.request(1);
            awaitTrue(() -> held.batches().size() == 1);
            // The transport holds a little ahead of the server's demand, the reserver the rest; all
            // ten stay pending, and none is lost or sent twice once the server asks for more.
            assertThat(reserver.inFlight()).isEqualTo(10);
            held.request(2);
            awaitTrue(() -> held.batches().size() == 3);
            assertThat(held.batches())
                    .extracting(ReserveBatch::getRequestsCount)
                    .containsExactly(4, 4, 2);
            assertThat(reserver.queuedBatches()).isZero();
            held.answerAllReversedInRepliesOf(3);
            awaitTrue(() -> reserver.inFlight() == 0);
        }
    }

    private static StatusRuntimeException failureOf(CompletableFuture<ReserveReply> future) {
        assertThat(future).isCompletedExceptionally();
        try {
            future.join();
        } catch (java.util.concurrent.CompletionException e) {
            return (StatusRuntimeException) e.getCause();
        }
        throw new AssertionError("not failed");
    }

    /**
     * Keeps every batch unanswered until the test answers, or the caller half-closes (then answers
     * the rest and ends the stream); optionally asks for batches only when told.
     */
    private static final class HeldBatches {
        volatile boolean manualInbound;
        private final List<ReserveBatch> batches = new ArrayList<>();
        private final List<ReserveRequest> unanswered = new ArrayList<>();
        private final CountDownLatch attached = new CountDownLatch(1);
        private ServerCallStreamObserver<ReserveBatchReply> responses;

        StreamObserver<ReserveBatch> attach(ServerCallStreamObserver<ReserveBatchReply> responses) {
            if (manualInbound) {
                responses.disableAutoRequest();
            }
            synchronized (this) {
                this.responses = responses;
            }
            attached.countDown();
            return new StreamObserver<>() {
                @Override
                public void onNext(ReserveBatch batch) {
                    synchronized (HeldBatches.this) {
                        batches.add(batch);
                        unanswered.addAll(batch.getRequestsList());
                    }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    synchronized (HeldBatches.this) {
                        answerAllReversedInRepliesOf(4);
                        HeldBatches.this.responses.onCompleted();
                    }
                }
            };
        }

        synchronized List<ReserveBatch> batches() {
            return List.copyOf(batches);
        }

        /** Answers every unanswered request, last first, {@code perReply} answers to a reply message. */
        synchronized void answerAllReversedInRepliesOf(int perReply) {
            ReserveBatchReply.Builder reply = ReserveBatchReply.newBuilder();
            for (int i = unanswered.size() - 1; i >= 0; i--) {
                reply.addReplies(FakeCheckoutService.reservedReply(unanswered.get(i)));
                if (reply.getRepliesCount() == perReply) {
                    responses.onNext(reply.build());
                    reply = ReserveBatchReply.newBuilder();
                }
            }
            if (reply.getRepliesCount() > 0) {
                responses.onNext(reply.build());
            }
            unanswered.clear();
        }

        synchronized void fail(Status status) {
            responses.onError(status.asRuntimeException());
        }

        void request(int count) throws InterruptedException {
            assertThat(attached.await(5, TimeUnit.SECONDS)).isTrue();
            synchronized (this) {
                responses.request(count);
            }
        }
    }
}
