package io.checkout.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the SDK behaves when the server sheds load: retries only within the call's deadline,
 * honours the retry-after hint, never retries the caller's own deadline, and refuses locally
 * when its adaptive concurrency limit is reached. Every client here makes unary calls
 * ({@code autoBatching(null)}), whatever the SDK's default; AutoBatchingTest covers the same rules
 * for auto-batched calls.
 */
class OverloadBehaviourTest {

    private static final List<OrderLine> ONE_LINE =
            List.of(OrderLine.newBuilder().setSkuId("sku-1").setQuantity(1).build());

    private final FakeCheckoutService checkout = new FakeCheckoutService();
    private InProcessServer server;

    @BeforeEach
    void start() {
        server = new InProcessServer(checkout, new FakeInventoryService(1, false));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A refusal for queueing delay as the server sends it: ErrorInfo plus RetryInfo. */
    private static StatusRuntimeException refusedRetryAfter(Duration retryAfter) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("queueing delay too long")
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason("QUEUE_DELAY")
                        .setDomain("checkout.v1")
                        .build()))
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                                .setNanos((int) retryAfter.toNanos())
                                .build())
                        .build()))
                .build());
    }

    @Test
    void aRefusalShouldBeRetriedNoSoonerThanItsRetryAfterHint() {
        checkout.failNext(refusedRetryAfter(Duration.ofMillis(60)));
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2))
                .deadline(Duration.ofSeconds(5))
                .build()) {
            long started = System.nanoTime();
            ReserveReply reply = client.reserve("user-1", ONE_LINE);
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(reply.getOrderId()).isEqualTo(1);
            assertThat(elapsedMillis).isGreaterThanOrEqualTo(60);
        }
        assertThat(checkout.reserveCalls()).hasSize(2);
    }

    @Test
    void aRefusalWhoseRetryAfterOutlastsTheDeadlineShouldFailAtOnceWithTheRefusal() {
        checkout.failNext(refusedRetryAfter(Duration.ofMillis(900)));
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .deadline(Duration.ofMillis(500))
                .build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.reserve("user-1", ONE_LINE))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            // Not after waiting out the deadline: at once, while the caller can still do something else.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                    .isLessThan(400);
        }
        assertThat(checkout.reserveCalls()).hasSize(1);
    }

    @Test
    void retriesShouldStopWhenTheNextBackOffWouldPassTheCallsDeadline() {
        for (int i = 0; i < 20; i++) {
            checkout.failNext(Status.UNAVAILABLE.withDescription("down " + i));
        }
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(40))
                .maxBackoff(Duration.ofMillis(40))
                .maxAttempts(20)
                .deadline(Duration.ofMillis(150))
                .build()) {
            // The last failure, or the deadline if a slow machine let it pass during an attempt.
            assertThatThrownBy(() -> client.reserve("user-1", ONE_LINE))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode())
                                    .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED));
        }
        // Back-offs of 20..40 ms within 150 ms: a handful of attempts, far from the 20 allowed.
        assertThat(checkout.reserveCalls()).hasSizeBetween(1, 8);
    }

    @Test
    void anAttemptThatRanOutOfItsOwnDeadlineShouldBeRetriedButTheCallersDeadlineShouldNot() {
        checkout.neverAnswer();
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2))
                .maxAttempts(3)
                .attemptDeadline(Duration.ofMillis(50))
                .deadline(Duration.ofSeconds(5))
                .build()) {
            assertThatThrownBy(() -> client.reserve("user-1", ONE_LINE))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
        assertThat(checkout.reserveCalls()).hasSize(3);
        assertThat(checkout.reserveCalls().stream().map(r -> r.getRequestId()).distinct())
                .as("every attempt repeats the same request id")
                .hasSize(1);
    }

    @Test
    void aCallMadeInsideACallersContextShouldEndByThatContextsDeadline() throws Exception {
        checkout.neverAnswer();
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .deadline(Duration.ofSeconds(10))
                .build()) {
            Context.CancellableContext callers = Context.current()
                    .withDeadlineAfter(
                            80,
                            TimeUnit.MILLISECONDS,
                            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                                Thread t = new Thread(r, "context-deadline");
                                t.setDaemon(true);
                                return t;
                            }));
            long started = System.nanoTime();
            try {
                CompletableFuture<ReserveReply> reply = callers.call(() -> client.reserveAsync("user-1", ONE_LINE));
                assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOfSatisfying(
                                StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode())
                                        .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED));
            } finally {
                callers.cancel(null);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                    .isLessThan(3_000);
        }
        assertThat(checkout.reserveCalls()).hasSize(1);
    }

    @Test
    void aCallOverTheConcurrencyLimitShouldBeRefusedWithoutBeingSent() throws Exception {
        checkout.neverAnswer();
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .maxAttempts(1)
                .deadline(Duration.ofSeconds(2))
                .adaptiveConcurrencyLimit(AdaptiveLimit.aimd(2, 2, Duration.ofSeconds(1)))
                .build()) {
            assertThat(client.refusesAtOnce()).isFalse();
            CompletableFuture<ReserveReply> first = client.reserveAsync("user-1", ONE_LINE);
            assertThat(client.refusesAtOnce()).isFalse();
            CompletableFuture<ReserveReply> second = client.reserveAsync("user-2", ONE_LINE);
            assertThat(client.refusesAtOnce()).isTrue();
            CompletableFuture<ReserveReply> third = client.reserveAsync("user-3", ONE_LINE);

            assertThat(client.concurrencyLimit()).isEqualTo(2);
            assertThat(client.limitedCallsInFlight()).isEqualTo(2);
            assertThatThrownBy(() -> third.get(1, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(CheckoutClient.isClientLimitRefusal(e)).isTrue();
                    });
            assertThat(first).isNotDone();
            assertThat(second).isNotDone();
            first.cancel(true);
            second.cancel(true);
        }
        assertThat(checkout.reserveCalls()).hasSize(2);
    }

    @Test
    void aClientThatRetriesOrHasNoLimitShouldNeverRefuseAtOnce() {
        checkout.neverAnswer();
        try (CheckoutClient retrying = CheckoutClient.builder(server.channel())
                        .autoBatching(null)
                        .maxAttempts(3)
                        .deadline(Duration.ofSeconds(2))
                        .adaptiveConcurrencyLimit(AdaptiveLimit.aimd(1, 1, Duration.ofSeconds(1)))
                        .build();
                CheckoutClient unlimited = CheckoutClient.builder(server.channel())
                        .autoBatching(null)
                        .maxAttempts(1)
                        .build()) {
            CompletableFuture<ReserveReply> held = retrying.reserveAsync("user-1", ONE_LINE);
            assertThat(retrying.limitedCallsInFlight()).isEqualTo(1);
            // Full, but a retrying client tries again after a back-off within the deadline instead.
            assertThat(retrying.refusesAtOnce()).isFalse();
            assertThat(unlimited.refusesAtOnce()).isFalse();
            held.cancel(true);
        }
    }

    @Test
    void theLimitShouldShrinkWhenTheServerRefusesAndPermitsShouldBeGivenBack() {
        for (int i = 0; i < 10; i++) {
            checkout.failNext(refusedRetryAfter(Duration.ofMillis(1)));
        }
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .maxAttempts(1)
                .adaptiveConcurrencyLimit(AdaptiveLimit.aimd(5, 100, Duration.ofSeconds(1)))
                .build()) {
            for (int i = 0; i < 30; i++) {
                client.reserveAsync("user-" + i, ONE_LINE)
                        .handle((r, e) -> null)
                        .join();
            }
            assertThat(client.limitedCallsInFlight()).isZero();
            assertThat(client.concurrencyLimit()).isBetween(5, 100);
        }
        assertThat(checkout.reserveCalls()).hasSize(30);
    }

    @Test
    void aPrebuiltRequestShouldGoOutAsBuiltWithItsOwnBudget() throws Exception {
        try (CheckoutClient client =
                CheckoutClient.builder(server.channel()).autoBatching(null).build()) {
            ReserveRequest request = ReserveRequest.newBuilder()
                    .setRequestId("own-id-1")
                    .setUserId("user-7")
                    .addAllLines(ONE_LINE)
                    .setBudgetMillis(150)
                    .build();

            assertThat(client.reserveAsync(request).get(5, TimeUnit.SECONDS).getOrderId())
                    .isEqualTo(7);
            assertThatThrownBy(() -> client.reserveAsync(
                            request.toBuilder().setRequestId("").build()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(checkout.reserveCalls()).hasSize(1);
        assertThat(checkout.reserveCalls().get(0).getBudgetMillis()).isEqualTo(150);
        assertThat(checkout.reserveCalls().get(0).getRequestId()).isEqualTo("own-id-1");
    }

    @Test
    void aServerRefusalShouldNotLookLikeTheClientsOwn() {
        assertThat(CheckoutClient.isClientLimitRefusal(refusedRetryAfter(Duration.ofMillis(5))))
                .isFalse();
        assertThat(CheckoutClient.isClientLimitRefusal(Status.RESOURCE_EXHAUSTED.asRuntimeException()))
                .isFalse();
    }

    @Test
    void adaptiveLimitShouldRejectBoundsOutOfRange() {
        assertThatThrownBy(() -> AdaptiveLimit.aimd(0, 10, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minLimit");
        assertThatThrownBy(() -> AdaptiveLimit.gradient(10, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxLimit");
        assertThatThrownBy(() -> AdaptiveLimit.aimd(1, 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slowCall");
    }

    /** An error as the server sends it: a code, a message and an ErrorInfo reason. */
    private static StatusRuntimeException serverError(Code code, String reason) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(reason)
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason(reason)
                        .setDomain("checkout.v1")
                        .build()))
                .build());
    }

    @Test
    void anOutcomeUnknownShouldBeRetriedWithTheSameRequestId() {
        checkout.failNext(serverError(Code.UNAVAILABLE, "OUTCOME_UNKNOWN"));
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2))
                .build()) {
            assertThat(client.reserve("user-1", ONE_LINE).getOrderId()).isEqualTo(1);
        }
        assertThat(checkout.reserveCalls()).hasSize(2);
        assertThat(checkout.reserveCalls().get(1).getRequestId())
                .isEqualTo(checkout.reserveCalls().get(0).getRequestId());
    }

    @Test
    void aFailureShouldSayWhetherTheCallMayHaveTakenEffect() {
        // Through a real channel, retries off: the details survive to the caller.
        checkout.failNext(
                serverError(Code.UNAVAILABLE, "OUTCOME_UNKNOWN"),
                serverError(Code.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"),
                serverError(Code.RESOURCE_EXHAUSTED, "QUEUE_DELAY"));
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .maxAttempts(1)
                .build()) {
            assertThat(CheckoutClient.mayHaveTakenEffect(failureOf(() -> client.reserve("user-1", ONE_LINE))))
                    .as("the cluster did not answer in time")
                    .isTrue();
            assertThat(CheckoutClient.mayHaveTakenEffect(failureOf(() -> client.reserve("user-1", ONE_LINE))))
                    .as("skipped by the server: its deadline passed in the queue")
                    .isFalse();
            assertThat(CheckoutClient.mayHaveTakenEffect(failureOf(() -> client.reserve("user-1", ONE_LINE))))
                    .as("refused for queueing delay")
                    .isFalse();
        }
        // No answer from the server at all: the request may have been applied.
        assertThat(CheckoutClient.mayHaveTakenEffect(Status.DEADLINE_EXCEEDED.asRuntimeException()))
                .isTrue();
        assertThat(CheckoutClient.mayHaveTakenEffect(Status.UNAVAILABLE.asRuntimeException()))
                .isTrue();
        assertThat(CheckoutClient.mayHaveTakenEffect(new IllegalStateException("not a status")))
                .isTrue();
        // Definite answers change nothing.
        assertThat(CheckoutClient.mayHaveTakenEffect(Status.INVALID_ARGUMENT.asRuntimeException()))
                .isFalse();
        assertThat(CheckoutClient.mayHaveTakenEffect(Status.UNAUTHENTICATED.asRuntimeException()))
                .isFalse();
        assertThat(CheckoutClient.mayHaveTakenEffect(RetryingCalls.LIMIT_REACHED))
                .as("the client's own limit")
                .isFalse();
    }

    @Test
    void aFullTableShouldNotBeRetried() {
        checkout.failNext(serverError(Code.RESOURCE_EXHAUSTED, "ORDER_TABLE_FULL"));
        try (CheckoutClient client = CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2))
                .build()) {
            Throwable failure = failureOf(() -> client.reserve("user-1", ONE_LINE));
            assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(CheckoutClient.mayHaveTakenEffect(failure)).isFalse();
        }
        assertThat(checkout.reserveCalls()).as("one attempt, no retry").hasSize(1);
    }

    private static Throwable failureOf(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("the call did not fail");
    }
}
