package io.checkout.client;

import static io.checkout.client.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SDK's auto-batching: plain reserve calls carried in batch messages, with a unary call's semantics. */
class AutoBatchingTest {

    private final FakeCheckoutService checkout = new FakeCheckoutService();
    /** Every batch stream the server saw, in order, with the batches it got. */
    private final List<ScriptedStream> streams = new CopyOnWriteArrayList<>();
    /** How the next stream behaves; by default it answers each request RESERVED at once. */
    private volatile Function<ReserveRequest, ReserveReply> answer = FakeCheckoutService::reservedReply;

    private InProcessServer server;

    @BeforeEach
    void start() {
        checkout.onReserveBatchStream(responses -> {
            ScriptedStream stream = new ScriptedStream(responses);
            streams.add(stream);
            return stream;
        });
        server = new InProcessServer(checkout);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CheckoutClientBuilder client() {
        return CheckoutClient.builder(server.channel()).deadline(Duration.ofSeconds(5));
    }

    /** A batch stream of the fake server: records batches; answers by {@link #answer}, or holds them. */
    private final class ScriptedStream implements StreamObserver<ReserveBatch> {
        final ServerCallStreamObserver<ReserveBatchReply> responses;
        final List<ReserveBatch> batches = new CopyOnWriteArrayList<>();
        volatile boolean hold;

        ScriptedStream(ServerCallStreamObserver<ReserveBatchReply> responses) {
            this.responses = responses;
        }

        @Override
        public void onNext(ReserveBatch batch) {
            batches.add(batch);
            if (hold) {
                return;
            }
            ReserveBatchReply.Builder reply = ReserveBatchReply.newBuilder();
            for (ReserveRequest request : batch.getRequestsList()) {
                reply.addReplies(answer.apply(request));
            }
            synchronized (this) {
                responses.onNext(reply.build());
            }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public synchronized void onCompleted() {
            responses.onCompleted();
        }

        List<ReserveRequest> requests() {
            List<ReserveRequest> all = new ArrayList<>();
            batches.forEach(batch -> all.addAll(batch.getRequestsList()));
            return all;
        }
    }

    private List<ReserveRequest> sentOnStreams() {
        List<ReserveRequest> all = new ArrayList<>();
        streams.forEach(stream -> all.addAll(stream.requests()));
        return all;
    }

    private static StatusRuntimeException failureOf(CompletableFuture<?> future) {
        try {
            future.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
            return (StatusRuntimeException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void concurrentCallsShouldGoOutTogetherInBatchesAndEachGetItsOwnReply() throws Exception {
        // A linger long enough that calls made back to back share a batch.
        try (CheckoutClient client = client().autoBatching(AutoBatching.of(8, Duration.ofMillis(10), 1, 64))
                .build()) {
            List<CompletableFuture<ReserveReply>> replies = new ArrayList<>();
            for (int user = 1; user <= 24; user++) {
                replies.add(client.reserveAsync("r-" + user, "user-" + user, "sku-1", 1));
            }
            for (int user = 1; user <= 24; user++) {
                ReserveReply reply = replies.get(user - 1).get(5, TimeUnit.SECONDS);
                assertThat(reply.getRequestId()).isEqualTo("r-" + user);
                assertThat(reply.getOrderId()).isEqualTo(user);
            }
        }
        List<ReserveBatch> batches = streams.get(0).batches;
        assertThat(batches)
                .extracting(ReserveBatch::getRequestsCount)
                .allSatisfy(size -> assertThat(size).isBetween(1, 8));
        assertThat(batches.size()).as("batches for 24 calls").isLessThan(24);
        assertThat(sentOnStreams())
                .extracting(ReserveRequest::getRequestId)
                .doesNotHaveDuplicates()
                .hasSize(24);
        assertThat(checkout.reserveCalls()).as("unary calls").isEmpty();
    }

    @Test
    void eachRequestShouldCarryTheCallsDeadlineAsItsBudget() throws Exception {
        try (CheckoutClient client = client().deadline(Duration.ofMillis(1_500))
                .autoBatching(AutoBatching.defaults())
                .build()) {
            client.reserve("r-1", "user-1", "sku-1", 1);
        }
        assertThat(sentOnStreams().get(0).getBudgetMillis()).isBetween(1, 1_500);
    }

    /**
     * A caller's own budget longer than the time left, even one past 2^31 ms (budget_millis is a
     * uint32, a negative int in Java), gives way to the time left.
     */
    @Test
    void aCallersBudgetLongerThanTheTimeLeftShouldBeCutToIt() throws Exception {
        try (CheckoutClient client = client().deadline(Duration.ofMillis(1_500))
                .autoBatching(AutoBatching.defaults())
                .build()) {
            client.reserveAsync(ReserveRequest.newBuilder()
                            .setRequestId("r-1")
                            .setUserId("user-1")
                            .addLines(OrderLine.newBuilder().setSkuId("sku-1").setQuantity(1))
                            .setBudgetMillis(-5) // 4,294,967,291 ms as the uint32 it is
                            .build())
                    .get(5, TimeUnit.SECONDS);
        }
        assertThat(sentOnStreams().get(0).getBudgetMillis()).isBetween(1, 1_500);
    }

    @Test
    void aRejectedReplyShouldFailTheCallWithTheStatusAUnaryCallWouldEndWith() {
        com.google.rpc.Status invalid = com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage("lines[0].quantity must be 1..1000, got 0")
                .addDetails(Any.pack(
                        ErrorInfo.newBuilder().setReason("FIELD_INVALID").build()))
                .build();
        answer = request -> rejected(request, invalid);
        try (CheckoutClient client =
                client().autoBatching(AutoBatching.defaults()).build()) {
            assertThatThrownBy(() -> client.reserve("r-1", "user-1", "sku-1", 1))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).isEqualTo(invalid.getMessage());
                        assertThat(RetryingCalls.errorReason(e)).isEqualTo("FIELD_INVALID");
                    });
        }
        assertThat(sentOnStreams()).as("not retried").hasSize(1);
    }

    @Test
    void aRefusalForLoadShouldBeRetriedWithTheSameRequestId() throws Exception {
        com.google.rpc.Status refused = com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("queueing delay too long")
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setNanos(2_000_000))
                        .build()))
                .build();
        AtomicInteger seen = new AtomicInteger();
        answer = request ->
                seen.incrementAndGet() == 1 ? rejected(request, refused) : FakeCheckoutService.reservedReply(request);
        try (CheckoutClient client =
                client().autoBatching(AutoBatching.defaults()).build()) {
            assertThat(client.reserve("r-7", "user-7", "sku-1", 1).getOrderId()).isEqualTo(7);
        }
        assertThat(sentOnStreams()).extracting(ReserveRequest::getRequestId).containsExactly("r-7", "r-7");
    }

    @Test
    void aCallWhoseReplyNeverComesShouldEndAtItsDeadline() {
        checkout.onReserveBatchStream(responses -> {
            ScriptedStream stream = new ScriptedStream(responses);
            stream.hold = true;
            streams.add(stream);
            return stream;
        });
        try (CheckoutClient client = client().deadline(Duration.ofMillis(300))
                .autoBatching(AutoBatching.defaults())
                .build()) {
            long started = System.nanoTime();
            CompletableFuture<ReserveReply> reply = client.reserveAsync("r-1", "user-1", "sku-1", 1);
            assertThat(failureOf(reply).getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
        }
    }

    @Test
    void aStreamThatFailsMidBatchShouldHaveEachPendingCallRetriedOnANewStreamAndAnsweredOnce() throws Exception {
        checkout.onReserveBatchStream(responses -> {
            ScriptedStream stream = new ScriptedStream(responses);
            // The first stream takes the batch and then dies, unanswered; later ones answer.
            stream.hold = streams.isEmpty();
            streams.add(stream);
            return stream;
        });
        try (CheckoutClient client = client().maxBackoff(Duration.ofMillis(20))
                .autoBatching(AutoBatching.of(8, Duration.ofMillis(10), 1, 64))
                .build()) {
            List<CompletableFuture<ReserveReply>> replies = new ArrayList<>();
            AtomicInteger completions = new AtomicInteger();
            for (int user = 1; user <= 8; user++) {
                CompletableFuture<ReserveReply> reply = client.reserveAsync("r-" + user, "user-" + user, "sku-1", 1);
                reply.whenComplete((value, error) -> completions.incrementAndGet());
                replies.add(reply);
            }
            awaitTrue(() -> !streams.isEmpty() && streams.get(0).requests().size() == 8);
            ScriptedStream first = streams.get(0);
            synchronized (first) {
                first.responses.onError(
                        Status.UNAVAILABLE.withDescription("server went away").asRuntimeException());
            }
            for (int user = 1; user <= 8; user++) {
                assertThat(replies.get(user - 1).get(5, TimeUnit.SECONDS).getOrderId())
                        .isEqualTo(user);
            }
            assertThat(completions.get()).isEqualTo(8);
        }
        assertThat(streams).hasSizeGreaterThanOrEqualTo(2);
        List<String> retried = new ArrayList<>();
        streams.subList(1, streams.size())
                .forEach(stream -> stream.requests().forEach(r -> retried.add(r.getRequestId())));
        assertThat(retried).containsExactlyInAnyOrder("r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-7", "r-8");
    }

    @Test
    void aServerWithoutTheBatchStreamShouldGetUnaryCallsInstead() throws Exception {
        checkout.onReserveBatchStream(responses -> {
            responses.onError(Status.UNIMPLEMENTED
                    .withDescription("no ReserveBatchStream here")
                    .asRuntimeException());
            return new ScriptedStream(responses);
        });
        try (CheckoutClient client =
                client().autoBatching(AutoBatching.defaults()).build()) {
            assertThat(client.reserve("r-1", "user-1", "sku-1", 1).getOrderId()).isEqualTo(1);
            assertThat(client.reserve("r-2", "user-2", "sku-1", 1).getOrderId()).isEqualTo(2);
        }
        assertThat(checkout.reserveCalls())
                .extracting(ReserveRequest::getRequestId)
                .containsExactly("r-1", "r-2");
    }

    @Test
    void theSameRequestIdWhileTheFirstIsPendingShouldGoAsAUnaryCallAndNotFail() throws Exception {
        checkout.onReserveBatchStream(responses -> {
            ScriptedStream stream = new ScriptedStream(responses);
            stream.hold = true;
            streams.add(stream);
            return stream;
        });
        try (CheckoutClient client = client().deadline(Duration.ofSeconds(1))
                .autoBatching(AutoBatching.of(8, Duration.ZERO, 1, 64))
                .build()) {
            CompletableFuture<ReserveReply> first = client.reserveAsync("same", "user-3", "sku-1", 1);
            awaitTrue(() -> !streams.isEmpty() && streams.get(0).requests().size() == 1);
            ReserveReply second = client.reserve("same", "user-3", "sku-1", 1);

            assertThat(second.getOrderId()).isEqualTo(3);
            assertThat(checkout.reserveCalls())
                    .extracting(ReserveRequest::getRequestId)
                    .containsExactly("same");
            assertThat(first).isNotDone();
        }
    }

    @Test
    void settingsOutOfRangeShouldBeRefusedNamingTheParameter() {
        assertThatThrownBy(() -> AutoBatching.of(0, Duration.ZERO, 1, 64)).hasMessageContaining("maxBatchSize");
        assertThatThrownBy(() -> AutoBatching.of(257, Duration.ZERO, 1, 1_000)).hasMessageContaining("maxBatchSize");
        assertThatThrownBy(() -> AutoBatching.of(8, Duration.ofMillis(11), 1, 64))
                .hasMessageContaining("linger");
        assertThatThrownBy(() -> AutoBatching.of(8, Duration.ofMillis(-1), 1, 64))
                .hasMessageContaining("linger");
        assertThatThrownBy(() -> AutoBatching.of(8, Duration.ZERO, 0, 64)).hasMessageContaining("streams");
        assertThatThrownBy(() -> AutoBatching.of(8, Duration.ZERO, 17, 64)).hasMessageContaining("streams");
        assertThatThrownBy(() -> AutoBatching.of(8, Duration.ZERO, 1, 7)).hasMessageContaining("maxInFlightPerStream");
    }

    private static ReserveReply rejected(ReserveRequest request, com.google.rpc.Status error) {
        return ReserveReply.newBuilder()
                .setRequestId(request.getRequestId())
                .setResult(ReserveResult.REJECTED)
                .setError(error)
                .build();
    }
}
