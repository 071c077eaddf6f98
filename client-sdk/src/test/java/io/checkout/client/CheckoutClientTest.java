package io.checkout.client;

import static io.checkout.client.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CheckoutClientTest {

    private static final List<OrderLine> ONE_LINE =
            List.of(OrderLine.newBuilder().setSkuId("sku-1").setQuantity(2).build());

    private final FakeCheckoutService checkout = new FakeCheckoutService();
    private final FakeInventoryService inventory = new FakeInventoryService(2_345, false);
    private InProcessServer server;
    private CheckoutClient client;

    @BeforeEach
    void start() {
        server = new InProcessServer(checkout, inventory);
        client = fastRetries().build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    /** Unary calls, whatever the SDK's default: these tests pin unary semantics (AutoBatchingTest has the other). */
    private CheckoutClientBuilder fastRetries() {
        return CheckoutClient.builder(server.channel())
                .autoBatching(null)
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(4));
    }

    @Test
    void newRequestIdShouldBeUniquePrintableAndAtMost64Chars() throws Exception {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 5_000; i++) {
                    ids.add(client.newRequestId());
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(ids).hasSize(20_000);
        assertThat(ids)
                .allSatisfy(id -> assertThat(RequestIds.isValid(id)).as(id).isTrue());
    }

    @Test
    void newRequestIdShouldStartWithPrefixAndStayWithin64CharsWithLongestPrefix() {
        String prefix = "p".repeat(RequestIds.PREFIX_LENGTH_MAX);
        try (CheckoutClient prefixed = fastRetries().requestIdPrefix(prefix).build()) {
            String id = prefixed.newRequestId();
            assertThat(id).startsWith(prefix).hasSizeLessThanOrEqualTo(64);
            assertThat(RequestIds.isValid(id)).isTrue();
        }
    }

    @Test
    void requestIdsOfTwoClientsShouldDiffer() {
        try (CheckoutClient other = fastRetries().build()) {
            assertThat(other.newRequestId()).isNotEqualTo(client.newRequestId());
        }
    }

    @Test
    void reserveShouldRetryWithSameRequestIdWhenUnavailable() {
        checkout.failNext(Status.UNAVAILABLE, Status.UNAVAILABLE);

        ReserveReply reply = client.reserve("user-41", ONE_LINE);

        assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(reply.getOrderId()).isEqualTo(41);
        List<ReserveRequest> calls = checkout.reserveCalls();
        assertThat(calls).hasSize(3);
        assertThat(calls)
                .extracting(ReserveRequest::getRequestId)
                .containsOnly(calls.get(0).getRequestId());
        assertThat(calls.get(0).getRequestId()).isNotEmpty();
        assertThat(calls).containsOnly(calls.get(0));
    }

    @Test
    void aReserveWithACampaignShouldSendItOnEveryAttempt() {
        checkout.failNext(Status.UNAVAILABLE);

        client.reserveWithCampaign("user-9", ONE_LINE, "SUMMER10");
        client.reserve("req-10", "user-10", ONE_LINE, "");

        List<ReserveRequest> calls = checkout.reserveCalls();
        assertThat(calls).hasSize(3);
        assertThat(calls.get(1)).as("the retry repeats the request").isEqualTo(calls.get(0));
        assertThat(calls.get(0).getCampaignId()).isEqualTo("SUMMER10");
        assertThat(calls.get(0).getLinesList()).isEqualTo(ONE_LINE);
        assertThat(calls.get(2).getRequestId()).isEqualTo("req-10");
        assertThat(calls.get(2).getCampaignId()).as("empty: none").isEmpty();
    }

    @Test
    void reserveShouldRetryWhenResourceExhausted() {
        checkout.failNext(Status.RESOURCE_EXHAUSTED.withDescription("saturated"));

        ReserveReply reply = client.reserve("req-7", "user-7", ONE_LINE);

        assertThat(reply.getRequestId()).isEqualTo("req-7");
        assertThat(checkout.reserveCalls())
                .extracting(ReserveRequest::getRequestId)
                .containsExactly("req-7", "req-7");
    }

    @Test
    void reserveShouldNotRetryInvalidArgument() {
        checkout.failNext(Status.INVALID_ARGUMENT.withDescription("lines[0].quantity must be positive"));

        assertThatThrownBy(() -> client.reserve("user-1", "sku-1", 0))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("quantity");
                });
        assertThat(checkout.reserveCalls()).hasSize(1);
    }

    @Test
    void reserveShouldNotRetryDeadlineExceeded() {
        checkout.neverAnswer();
        try (CheckoutClient impatient =
                fastRetries().deadline(Duration.ofMillis(50)).build()) {
            assertThatThrownBy(() -> impatient.reserve("user-1", ONE_LINE))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
        assertThat(checkout.reserveCalls()).hasSize(1);
    }

    @Test
    void reserveShouldStopAfterMaxAttempts() {
        for (int i = 0; i < 10; i++) {
            checkout.failNext(Status.UNAVAILABLE.withDescription("down " + i));
        }
        try (CheckoutClient threeTries = fastRetries().maxAttempts(3).build()) {
            assertThatThrownBy(() -> threeTries.reserve("user-1", ONE_LINE))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, status(Status.Code.UNAVAILABLE, "down 2"));
        }
        assertThat(checkout.reserveCalls()).hasSize(3);
    }

    @Test
    void reserveShouldNotRetryWhenMaxAttemptsIsOne() {
        checkout.failNext(Status.UNAVAILABLE);
        try (CheckoutClient once = fastRetries().maxAttempts(1).build()) {
            assertThatThrownBy(() -> once.reserve("user-1", ONE_LINE)).isInstanceOf(StatusRuntimeException.class);
        }
        assertThat(checkout.reserveCalls()).hasSize(1);
    }

    @Test
    void blockingCallShouldRetryOnTheAsyncPathWhileTheCallerWaits() {
        checkout.failNext(Status.UNAVAILABLE, Status.UNAVAILABLE);

        Order order = client.confirm("c-9", 9);

        assertThat(order.getOrderId()).isEqualTo(9);
        assertThat(checkout.calls()).hasSize(3).containsOnly(checkout.calls().get(0));
        // The retries are sent from the retry scheduler's timer, not from a caller sleeping out the back-off.
        assertThat(checkout.callThreads().subList(1, 3)).containsOnly("checkout-client-retry");
    }

    @Test
    void blockingCallShouldThrowTheFailureWithTheCallersStackTrace() {
        checkout.failNext(Status.FAILED_PRECONDITION.withDescription("order is PAID"));

        assertThatThrownBy(() -> client.cancel("x-3", 3))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        status(Status.Code.FAILED_PRECONDITION, "order is PAID")
                                .andThen(e -> assertThat(e.getStackTrace())
                                        .anySatisfy(frame -> assertThat(frame.getClassName())
                                                .isEqualTo(CheckoutClientTest.class.getName()))));
    }

    @Test
    void interruptingABlockingCallShouldCancelItAndKeepTheInterrupt() throws Exception {
        checkout.neverAnswer();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                client.reserve("user-1", ONE_LINE);
                thrown.complete(null);
            } catch (RuntimeException e) {
                thrown.complete(e);
            }
            stillInterrupted.complete(Thread.currentThread().isInterrupted());
        });
        caller.start();
        awaitTrue(() -> checkout.calls().size() == 1);

        caller.interrupt();

        assertThat(thrown.get(5, TimeUnit.SECONDS))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        assertThat(stillInterrupted.get(5, TimeUnit.SECONDS)).isTrue();
        awaitTrue(() -> checkout.cancelledCalls() == 1);
        assertThat(checkout.calls()).hasSize(1);
    }

    @Test
    void reserveShouldRejectInvalidExplicitRequestIdWithoutCalling() {
        assertThatThrownBy(() -> client.reserve("", "user-1", ONE_LINE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestId");
        assertThatThrownBy(() -> client.confirm("x".repeat(65), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestId");
        assertThatThrownBy(() -> client.cancel("tab\tinside", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestId");
        assertThat(checkout.calls()).isEmpty();
    }

    @Test
    void reserveAsyncShouldCompleteWithReply() throws Exception {
        CompletableFuture<ReserveReply> future = client.reserveAsync("user-12", ONE_LINE);

        ReserveReply reply = future.get(5, TimeUnit.SECONDS);
        assertThat(reply.getOrderId()).isEqualTo(12);
        assertThat(reply.getRequestId())
                .isEqualTo(checkout.reserveCalls().get(0).getRequestId());
    }

    @Test
    void reserveAsyncShouldRetryWithSameRequestIdWhenUnavailable() throws Exception {
        checkout.failNext(Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED);

        ReserveReply reply =
                client.reserveAsync("async-1", "user-5", "sku-1", 1).get(5, TimeUnit.SECONDS);

        assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(checkout.reserveCalls())
                .extracting(ReserveRequest::getRequestId)
                .containsExactly("async-1", "async-1", "async-1");
    }

    @Test
    void asyncCallShouldFailWithStatusAfterMaxAttempts() {
        checkout.failNext(Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE);
        try (CheckoutClient twoTries = fastRetries().maxAttempts(2).build()) {
            CompletableFuture<Order> future = twoTries.confirmAsync(9);

            assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
        assertThat(checkout.calls()).hasSize(2);
    }

    @Test
    void asyncCallShouldNotRetryFailedPrecondition() {
        checkout.failNext(Status.FAILED_PRECONDITION.withDescription("order is PAID"));

        CompletableFuture<Order> future = client.cancelAsync(3);

        assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
        assertThat(checkout.calls()).hasSize(1);
    }

    @Test
    void cancellingAnAsyncFutureShouldCancelTheCall() {
        checkout.neverAnswer();
        CompletableFuture<ReserveReply> future = client.reserveAsync("user-1", ONE_LINE);
        awaitTrue(() -> checkout.calls().size() == 1);

        future.cancel(true);

        awaitTrue(() -> checkout.cancelledCalls() == 1);
        assertThat(checkout.calls()).hasSize(1);
    }

    @Test
    void partialRefundShouldSendItsLinesReasonAndResellability() throws Exception {
        List<OrderLine> lines =
                List.of(OrderLine.newBuilder().setSkuId("SKU-1").setQuantity(2).build());

        client.refund("rf-1", 31, lines, "damaged in transit", false);
        client.refundAsync("rf-2", 32, List.of(), null, true).get(5, TimeUnit.SECONDS);

        assertThat(checkout.calls())
                .containsExactly(
                        RefundRequest.newBuilder()
                                .setRequestId("rf-1")
                                .setOrderId(31)
                                .addAllLines(lines)
                                .setReason("damaged in transit")
                                .setNotResellable(true)
                                .build(),
                        RefundRequest.newBuilder()
                                .setRequestId("rf-2")
                                .setOrderId(32)
                                .build());
    }

    @Test
    void confirmWithAPaymentShouldSendItAsGiven() throws Exception {
        Payment payment = Payment.newBuilder()
                .setProvider("stripe")
                .setPaymentId("pi_3MtwBw")
                .setAmountMinor(1_999)
                .setCurrency("EUR")
                .build();

        client.confirm("p-1", 21, payment);
        client.confirmAsync("p-2", 22, payment).get(5, TimeUnit.SECONDS);
        client.confirm(23, payment);

        assertThat(checkout.calls()).hasSize(3);
        assertThat(checkout.calls().get(0))
                .isEqualTo(ConfirmRequest.newBuilder()
                        .setRequestId("p-1")
                        .setOrderId(21)
                        .setPayment(payment)
                        .build());
        assertThat(((ConfirmRequest) checkout.calls().get(1)).getPayment()).isEqualTo(payment);
        assertThat(((ConfirmRequest) checkout.calls().get(2)).getPayment()).isEqualTo(payment);
        assertThatThrownBy(() -> client.confirm("p-3", 24, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void confirmCancelAndRefundShouldSendTheirRequestIds() throws Exception {
        assertThat(client.confirm("c-1", 11).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(client.cancel("x-1", 12).getState()).isEqualTo(OrderState.ORDER_STATE_CANCELLED);
        assertThat(client.refund("r-1", 13).getState()).isEqualTo(OrderState.ORDER_STATE_REFUNDED);
        assertThat(client.confirmAsync("c-2", 14).get(5, TimeUnit.SECONDS).getOrderId())
                .isEqualTo(14);
        assertThat(client.refundAsync(15).get(5, TimeUnit.SECONDS).getOrderId()).isEqualTo(15);

        assertThat(checkout.calls())
                .containsExactly(
                        ConfirmRequest.newBuilder()
                                .setRequestId("c-1")
                                .setOrderId(11)
                                .build(),
                        CancelRequest.newBuilder()
                                .setRequestId("x-1")
                                .setOrderId(12)
                                .build(),
                        RefundRequest.newBuilder()
                                .setRequestId("r-1")
                                .setOrderId(13)
                                .build(),
                        ConfirmRequest.newBuilder()
                                .setRequestId("c-2")
                                .setOrderId(14)
                                .build(),
                        RefundRequest.newBuilder()
                                .setRequestId(((RefundRequest) checkout.calls().get(4)).getRequestId())
                                .setOrderId(15)
                                .build());
        assertThat(((RefundRequest) checkout.calls().get(4)).getRequestId()).isNotEmpty();
    }

    @Test
    void readsShouldBeRetriedWhenUnavailable() {
        checkout.failNext(Status.UNAVAILABLE);
        assertThat(client.getOrder(77).getOrderId()).isEqualTo(77);

        checkout.failNext(Status.RESOURCE_EXHAUSTED);
        Sku sku = client.getStock("sku-9");
        assertThat(sku.getSkuId()).isEqualTo("sku-9");
        assertThat(checkout.calls()).hasSize(4);
    }

    @Test
    void getOrderAsyncShouldRetryUnavailableWithTheSameRequest() throws Exception {
        checkout.failNext(Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED);

        Order order = client.getOrderAsync(77).get(5, TimeUnit.SECONDS);

        assertThat(order.getOrderId()).isEqualTo(77);
        assertThat(order.getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(checkout.calls())
                .hasSize(3)
                .containsOnly(GetOrderRequest.newBuilder().setOrderId(77).build());
        assertThat(checkout.callThreads().subList(1, 3)).containsOnly("checkout-client-retry");
    }

    @Test
    void getOrderAsyncShouldFailWithNotFoundWithoutRetrying() {
        checkout.failNext(Status.NOT_FOUND.withDescription("order 5"));

        CompletableFuture<Order> future = client.getOrderAsync(5);

        assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(StatusRuntimeException.class, status(Status.Code.NOT_FOUND, "order 5"));
        assertThat(checkout.calls()).hasSize(1);
    }

    @Test
    void getOrderAsyncShouldFailWithTheLastStatusAfterMaxAttempts() {
        checkout.failNext(
                Status.UNAVAILABLE.withDescription("down 0"),
                Status.UNAVAILABLE.withDescription("down 1"),
                Status.UNAVAILABLE.withDescription("down 2"));
        try (CheckoutClient twoTries = fastRetries().maxAttempts(2).build()) {
            CompletableFuture<Order> future = twoTries.getOrderAsync(8);

            assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, status(Status.Code.UNAVAILABLE, "down 1"));
        }
        assertThat(checkout.calls()).hasSize(2);
    }

    @Test
    void adminCallsShouldCarryCallCredentialsAndCheckoutCallsShouldNot() {
        try (CheckoutClient admin =
                fastRetries().callCredentials(bearer("s3cret")).build()) {
            admin.adjustStock("sku-1", 5);
            admin.getStock("sku-1");
        }

        assertThat(server.authorizationByCall()).containsExactly("AdjustStock=Bearer s3cret", "GetStock=-");
    }

    @Test
    void adminTokenShouldSendTheSameBearerHeaderOnAdminCallsOnly() {
        try (CheckoutClient admin =
                fastRetries().adminToken("token-0123456789abcdef").build()) {
            admin.listSkus(10, "");
            admin.getStock("sku-1");
        }

        assertThat(server.authorizationByCall())
                .containsExactly("ListSkus=Bearer token-0123456789abcdef", "GetStock=-");
    }

    @Test
    void upsertSkuShouldFillAnEmptyRequestIdAndKeepAGivenOne() {
        client.upsertSku(
                UpsertSkuRequest.newBuilder().setSkuId("sku-a").setTotalStock(3).build());
        client.upsertSku(UpsertSkuRequest.newBuilder()
                .setRequestId("mine")
                .setSkuId("sku-b")
                .build());

        assertThat(inventory.upserts.get(0).getRequestId()).isNotEmpty();
        assertThat(inventory.upserts.get(0).getSkuId()).isEqualTo("sku-a");
        assertThat(inventory.upserts.get(1).getRequestId()).isEqualTo("mine");
    }

    @Test
    void adjustStockShouldSendDeltaAndRequestId() {
        Sku sku = client.adjustStock("adj-1", "sku-1", -4);

        assertThat(sku.getAvailable()).isEqualTo(-4);
        assertThat(inventory.adjustments.get(0).getRequestId()).isEqualTo("adj-1");
        assertThat(inventory.adjustments.get(0).getDelta()).isEqualTo(-4);
    }

    @Test
    void listSkusShouldReadOnePage() {
        var page = client.listSkus(10, null);

        assertThat(page.getSkusCount()).isEqualTo(10);
        assertThat(page.getNextPageToken()).isEqualTo("10");
        assertThatThrownBy(() -> client.listSkus(1_001, ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pageSize");
    }

    @Test
    void listAllSkusShouldFollowPageTokensToTheEnd() {
        List<Sku> all = client.listAllSkus();

        assertThat(all).hasSize(2_345);
        assertThat(all.get(0).getSkuId()).isEqualTo("sku-000");
        assertThat(all.get(2_344).getSkuId()).isEqualTo("sku-2344");
        assertThat(inventory.listings).extracting(r -> r.getPageToken()).containsExactly("", "1000", "2000");
    }

    @Test
    void listAllSkusShouldFailClearlyWhenPagesNeverEnd() {
        FakeInventoryService endless = new FakeInventoryService(10, true);
        InProcessServer endlessServer = new InProcessServer(endless);
        try (CheckoutClient endlessClient = CheckoutClient.builder(endlessServer.channel())
                .autoBatching(null)
                .build()) {
            assertThatThrownBy(() -> endlessClient.listAllSkus(5))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("5 pages");
        } finally {
            endlessServer.close();
        }
        assertThat(endless.listings).hasSize(5);
    }

    @Test
    void closedClientShouldRefuseCallsAndLeaveCallersChannelOpen() {
        client.close();
        client.close();

        assertThatThrownBy(() -> client.reserve("user-1", ONE_LINE)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> client.confirmAsync(1)).isInstanceOf(IllegalStateException.class);
        assertThat(server.channel().isShutdown()).isFalse();
    }

    @Test
    void clientBuiltFromTargetShouldOwnAndShutDownItsChannel() {
        CheckoutClient owned = CheckoutClient.builder("localhost:1")
                .maxAttempts(1)
                .deadline(Duration.ofMillis(200))
                .build();
        owned.close();

        assertThatThrownBy(() -> owned.getOrder(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void generatedRequestIdsShouldDifferBetweenCalls() {
        client.reserve("user-1", ONE_LINE);
        client.reserve("user-2", ONE_LINE);

        Set<String> ids = new HashSet<>();
        checkout.reserveCalls().forEach(r -> ids.add(r.getRequestId()));
        assertThat(ids).hasSize(2);
    }

    /** Checks that a failure carries this status code and description. */
    private static Consumer<StatusRuntimeException> status(Status.Code code, String description) {
        return e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).isEqualTo(description);
        };
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(InProcessServer.AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
