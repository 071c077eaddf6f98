package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Confirm with a payment, as a payment team's gateway callback handler would call it: the order
 * records the payment, a callback delivered again under a new request id gets the first answer,
 * figures that are not the order's are refused naming them, and all of it survives a restart. And
 * the refunds after-sale service makes: some units, then the rest.
 */
class PaymentsIT {
    private static final String SKU = "SNEAKER-42";
    /** ItFixtures.sku's unit price. */
    private static final long PRICE = 1_999;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;

    @AfterEach
    void stopServer() {
        stop();
    }

    private void start() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
    }

    private void stop() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
        client = null;
        channel = null;
        server = null;
    }

    private static Payment payment(String paymentId, long amountMinor, String currency) {
        return Payment.newBuilder()
                .setProvider("stripe")
                .setPaymentId(paymentId)
                .setAmountMinor(amountMinor)
                .setCurrency(currency)
                .build();
    }

    @Test
    void theOrderShouldRecordItsPaymentAndTheEventCarryIt() {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        ReserveReply reserved = client.reserve("alice", SKU, 2);

        Order paid = client.confirm(reserved.getOrderId(), payment("pi_1", 2 * PRICE, "USD"));

        assertThat(paid.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(paid.getPayment()).isEqualTo(payment("pi_1", 2 * PRICE, "USD"));
        assertThat(paid.getPaidAtEpochMillis()).isEqualTo(paid.getUpdatedAtEpochMillis());
        assertThat(client.getOrder(reserved.getOrderId()).getPayment().getPaymentId())
                .isEqualTo("pi_1");
        // Events 1 and 2 are the upsert and the reserve; a subscription starts after the sequence it names.
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(2).build());
        OrderEvent paidEvent = events.next();
        assertThat(paidEvent.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID);
        assertThat(paidEvent.getOrder().getPayment().getPaymentId()).isEqualTo("pi_1");
        assertThat(paidEvent.getOrder().getPaidAtEpochMillis()).isEqualTo(paid.getPaidAtEpochMillis());
    }

    @Test
    void aCallbackDeliveredManyTimesUnderNewRequestIdsShouldPayOnceAndGetOneAnswer() throws Exception {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = client.reserve("bob", SKU, 1).getOrderId();
        Payment callback = payment("pi_retry", PRICE, "USD");

        List<Order> answers = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Order>> futures = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String requestId = "callback-" + i;
                futures.add(threads.submit(() -> client.confirm(requestId, orderId, callback)));
            }
            for (Future<Order> future : futures) {
                answers.add(future.get(30, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(answers).allSatisfy(answer -> assertThat(answer).isEqualTo(answers.get(0)));
        assertThat(answers.get(0).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        Sku stock = client.getStock(SKU);
        assertThat(stock.getSold()).isEqualTo(1);
        assertThat(stock.getReserved()).isZero();
    }

    @Test
    void figuresThatAreNotTheOrdersShouldBeRefusedNamingThemAndChangeNothing() {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = client.reserve("carol", SKU, 1).getOrderId();

        StatusRuntimeException amount =
                ItFixtures.grpcFailure(() -> client.confirm(orderId, payment("pi_short", PRICE - 1, "USD")));
        StatusRuntimeException currency =
                ItFixtures.grpcFailure(() -> client.confirm(orderId, payment("pi_eur", PRICE, "EUR")));

        assertThat(amount.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(amount).getReason()).isEqualTo("PAYMENT_AMOUNT_MISMATCH");
        assertThat(ItFixtures.errorInfo(amount).getMetadataMap()).containsEntry("order_amount_minor", "1999");
        assertThat(amount.getStatus().getDescription()).contains("payment.amount_minor 1998");
        assertThat(ItFixtures.errorInfo(currency).getReason()).isEqualTo("PAYMENT_CURRENCY_MISMATCH");
        assertThat(ItFixtures.errorInfo(currency).getMetadataMap()).containsEntry("order_currency", "USD");
        assertThat(client.getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(client.getStock(SKU).getReserved()).isEqualTo(1);
    }

    @Test
    void invalidPaymentFieldsShouldBeNamed() {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = client.reserve("dave", SKU, 1).getOrderId();

        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.confirm(
                        orderId,
                        payment("pi_1", PRICE, "USD").toBuilder()
                                .setProvider("")
                                .build())),
                "payment.provider");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.confirm(orderId, payment("pi 1", PRICE, "USD"))),
                "payment.payment_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.confirm(orderId, payment("pi_1", -5, "USD"))),
                "payment.amount_minor");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.confirm(orderId, payment("pi_1", PRICE, "usd"))),
                "payment.currency");
        assertThat(client.getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
    }

    @Test
    void moneyAfterExpiryShouldRetakeTheUnitsOrBeRecordedAsPaidTooLate() throws Exception {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 1, 0).toBuilder()
                .setReservationTtlMillis(1_000)
                .build());
        long revived = client.reserve("gina", SKU, 1).getOrderId();
        ItFixtures.awaitTrue(
                "the reservation expired",
                java.time.Duration.ofSeconds(10),
                () -> client.getOrder(revived).getState() == OrderState.ORDER_STATE_EXPIRED);

        Order paid = client.confirm(revived, payment("pi_revived", PRICE, "USD"));

        assertThat(paid.getState()).as("its unit was still there").isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(client.getStock(SKU).getSold()).isEqualTo(1);

        client.adjustStock(SKU, 1);
        long late = client.reserve("hank", SKU, 1).getOrderId();
        ItFixtures.awaitTrue(
                "the second reservation expired",
                java.time.Duration.ofSeconds(10),
                () -> client.getOrder(late).getState() == OrderState.ORDER_STATE_EXPIRED);
        long taken = client.reserve("ivy", SKU, 1).getOrderId();

        Order tooLate = client.confirm(late, payment("pi_late", PRICE, "USD"));

        assertThat(tooLate.getState()).isEqualTo(OrderState.ORDER_STATE_PAID_TOO_LATE);
        assertThat(tooLate.getPayment().getPaymentId()).isEqualTo("pi_late");
        Sku stock = client.getStock(SKU);
        assertThat(stock.getSold()).isEqualTo(1);
        assertThat(stock.getReserved()).as("ivy's unit, not taken from her").isEqualTo(1);
        assertThat(client.getOrder(taken).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(0).build());
        OrderEvent last = null;
        for (int i = 0; i < 9; i++) {
            last = events.next();
        }
        assertThat(last.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID_TOO_LATE);
        assertThat(last.getPreviousState()).isEqualTo(OrderState.ORDER_STATE_EXPIRED);
        assertThat(last.getOrder().getPayment().getAmountMinor()).isEqualTo(PRICE);
    }

    @Test
    void refundsInPartShouldBeCountedPerLineAndNamedInTheirEvents() {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = client.reserve("judy", SKU, 3).getOrderId();
        client.confirm(orderId, payment("pi_r", 3 * PRICE, "USD"));
        List<io.checkout.proto.v1.OrderLine> one = List.of(io.checkout.proto.v1.OrderLine.newBuilder()
                .setSkuId(SKU)
                .setQuantity(1)
                .build());

        Order partly = client.refund("refund-1", orderId, one, "wrong size", true);
        StatusRuntimeException tooMany = ItFixtures.grpcFailure(() -> client.refund(
                "refund-2",
                orderId,
                List.of(one.get(0).toBuilder().setQuantity(3).build()),
                null,
                true));
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.refund("refund-4", orderId, List.of(), "x".repeat(65), true)),
                "reason");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> client.refund(
                        "refund-5",
                        orderId,
                        List.of(one.get(0).toBuilder().setQuantity(0).build()),
                        null,
                        true)),
                "lines[0].quantity");
        Order rest = client.refund("refund-3", orderId, List.of(), "kept by the buyer", false);

        assertThat(partly.getState()).isEqualTo(OrderState.ORDER_STATE_PARTLY_REFUNDED);
        assertThat(partly.getLines(0).getRefundedQuantity()).isEqualTo(1);
        assertThat(partly.getLines(0).getRefundedAmountMinor()).isEqualTo(PRICE);
        assertThat(partly.getRefundedAmountMinor()).isEqualTo(PRICE);
        assertThat(tooMany.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(tooMany).getReason()).isEqualTo("REFUND_EXCEEDS_PAID");
        assertThat(ItFixtures.errorInfo(tooMany).getMetadataMap()).containsEntry("field", "lines[0].quantity");
        assertThat(rest.getState()).isEqualTo(OrderState.ORDER_STATE_REFUNDED);
        assertThat(rest.getRefundedAmountMinor()).isEqualTo(3 * PRICE);
        Sku stock = client.getStock(SKU);
        assertThat(stock.getAvailable()).as("the resellable unit back on sale").isEqualTo(8);
        assertThat(stock.getTotalStock()).as("the two kept by the buyer gone").isEqualTo(8);
        assertThat(stock.getSold()).isZero();
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(3).build());
        OrderEvent first = events.next();
        OrderEvent second = events.next();
        assertThat(first.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED);
        assertThat(first.getRefundReason()).isEqualTo("wrong size");
        assertThat(first.getOrder().getLines(0).getRefundedQuantity()).isEqualTo(1);
        assertThat(second.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED);
        assertThat(second.getPreviousState()).isEqualTo(OrderState.ORDER_STATE_PARTLY_REFUNDED);
        assertThat(second.getRefundReason()).isEqualTo("kept by the buyer");
        assertThat(second.getOrder().getPayment().getPaymentId()).isEqualTo("pi_r");
    }

    @Test
    void paymentsShouldSurviveARestartAndStillPayOneOrderOnly() {
        start();
        client.upsertSku(ItFixtures.sku(SKU, 10, 0));
        long first = client.reserve("erin", SKU, 1).getOrderId();
        long second = client.reserve("frank", SKU, 1).getOrderId();
        Order paid = client.confirm(first, payment("pi_kept", PRICE, "USD"));
        stop();

        start();
        Order again = client.confirm(first, payment("pi_kept", PRICE, "USD"));
        StatusRuntimeException reused =
                ItFixtures.grpcFailure(() -> client.confirm(second, payment("pi_kept", PRICE, "USD")));

        assertThat(client.getOrder(first).getPayment()).isEqualTo(paid.getPayment());
        assertThat(again).isEqualTo(paid);
        assertThat(reused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(reused).getReason()).isEqualTo("PAYMENT_ALREADY_USED");
        assertThat(ItFixtures.errorInfo(reused).getMetadataMap()).containsEntry("field", "payment.payment_id");
        assertThat(client.getOrder(second).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
    }
}
