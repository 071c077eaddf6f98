package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SubscribeRequest;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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

    @RegisterExtension
    final ItServer running = new ItServer();

    private void start() {
        running.start(dataDir);
    }

    private void stop() {
        running.stop();
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
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        ReserveReply reserved = running.client().reserve("alice", SKU, 2);

        Order paid = running.client().confirm(reserved.getOrderId(), payment("pi_1", 2 * PRICE, "USD"));

        assertThat(paid.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(paid.getPayment()).isEqualTo(payment("pi_1", 2 * PRICE, "USD"));
        assertThat(paid.getPaidAtEpochMillis()).isEqualTo(paid.getUpdatedAtEpochMillis());
        assertThat(running.client().getOrder(reserved.getOrderId()).getPayment().getPaymentId())
                .isEqualTo("pi_1");
        // Events 1 and 2 are the upsert and the reserve; a subscription starts after the sequence it names.
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(running.channel())
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
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = running.client().reserve("bob", SKU, 1).getOrderId();
        Payment callback = payment("pi_retry", PRICE, "USD");

        List<Order> answers = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Order>> futures = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String requestId = "callback-" + i;
                futures.add(threads.submit(() -> running.client().confirm(requestId, orderId, callback)));
            }
            for (Future<Order> future : futures) {
                answers.add(future.get(30, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(answers).allSatisfy(answer -> assertThat(answer).isEqualTo(answers.get(0)));
        assertThat(answers.get(0).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        Sku stock = running.client().getStock(SKU);
        assertThat(stock.getSold()).isEqualTo(1);
        assertThat(stock.getReserved()).isZero();
    }

    @Test
    void figuresThatAreNotTheOrdersShouldBeRefusedNamingThemAndChangeNothing() {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = running.client().reserve("carol", SKU, 1).getOrderId();

        StatusRuntimeException amount =
                ItFixtures.grpcFailure(() -> running.client().confirm(orderId, payment("pi_short", PRICE - 1, "USD")));
        StatusRuntimeException currency =
                ItFixtures.grpcFailure(() -> running.client().confirm(orderId, payment("pi_eur", PRICE, "EUR")));

        assertThat(amount.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(amount).getReason()).isEqualTo("PAYMENT_AMOUNT_MISMATCH");
        assertThat(ItFixtures.errorInfo(amount).getMetadataMap()).containsEntry("order_amount_minor", "1999");
        assertThat(amount.getStatus().getDescription()).contains("payment.amount_minor 1998");
        assertThat(ItFixtures.errorInfo(currency).getReason()).isEqualTo("PAYMENT_CURRENCY_MISMATCH");
        assertThat(ItFixtures.errorInfo(currency).getMetadataMap()).containsEntry("order_currency", "USD");
        assertThat(running.client().getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(running.client().getStock(SKU).getReserved()).isEqualTo(1);
    }

    @Test
    void invalidPaymentFieldsShouldBeNamed() {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = running.client().reserve("dave", SKU, 1).getOrderId();

        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client()
                        .confirm(
                                orderId,
                                payment("pi_1", PRICE, "USD").toBuilder()
                                        .setProvider("")
                                        .build())),
                "payment.provider");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().confirm(orderId, payment("pi 1", PRICE, "USD"))),
                "payment.payment_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().confirm(orderId, payment("pi_1", -5, "USD"))),
                "payment.amount_minor");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().confirm(orderId, payment("pi_1", PRICE, "usd"))),
                "payment.currency");
        assertThat(running.client().getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
    }

    @Test
    void moneyAfterExpiryShouldRetakeTheUnitsOrBeRecordedAsPaidTooLate() throws Exception {
        start();
        running.client()
                .upsertSku(ItFixtures.sku(SKU, 1, 0).toBuilder()
                        .setReservationTtlMillis(1_000)
                        .build());
        long revived = running.client().reserve("gina", SKU, 1).getOrderId();
        ItFixtures.awaitTrue(
                "the reservation expired",
                java.time.Duration.ofSeconds(10),
                () -> running.client().getOrder(revived).getState() == OrderState.ORDER_STATE_EXPIRED);

        Order paid = running.client().confirm(revived, payment("pi_revived", PRICE, "USD"));

        assertThat(paid.getState()).as("its unit was still there").isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(running.client().getStock(SKU).getSold()).isEqualTo(1);

        running.client().adjustStock(SKU, 1);
        long late = running.client().reserve("hank", SKU, 1).getOrderId();
        ItFixtures.awaitTrue(
                "the second reservation expired",
                java.time.Duration.ofSeconds(10),
                () -> running.client().getOrder(late).getState() == OrderState.ORDER_STATE_EXPIRED);
        long taken = running.client().reserve("ivy", SKU, 1).getOrderId();

        Order tooLate = running.client().confirm(late, payment("pi_late", PRICE, "USD"));

        assertThat(tooLate.getState()).isEqualTo(OrderState.ORDER_STATE_PAID_TOO_LATE);
        assertThat(tooLate.getPayment().getPaymentId()).isEqualTo("pi_late");
        Sku stock = running.client().getStock(SKU);
        assertThat(stock.getSold()).isEqualTo(1);
        assertThat(stock.getReserved()).as("ivy's unit, not taken from her").isEqualTo(1);
        assertThat(running.client().getOrder(taken).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(running.channel())
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
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        long orderId = running.client().reserve("judy", SKU, 3).getOrderId();
        running.client().confirm(orderId, payment("pi_r", 3 * PRICE, "USD"));
        List<io.checkout.proto.v1.OrderLine> one = List.of(io.checkout.proto.v1.OrderLine.newBuilder()
                .setSkuId(SKU)
                .setQuantity(1)
                .build());

        Order partly = running.client().refund("refund-1", orderId, one, "wrong size", true);
        StatusRuntimeException tooMany = ItFixtures.grpcFailure(() -> running.client()
                .refund(
                        "refund-2",
                        orderId,
                        List.of(one.get(0).toBuilder().setQuantity(3).build()),
                        null,
                        true));
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(
                        () -> running.client().refund("refund-4", orderId, List.of(), "x".repeat(65), true)),
                "reason");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client()
                        .refund(
                                "refund-5",
                                orderId,
                                List.of(one.get(0).toBuilder().setQuantity(0).build()),
                                null,
                                true)),
                "lines[0].quantity");
        Order rest = running.client().refund("refund-3", orderId, List.of(), "kept by the buyer", false);

        assertThat(partly.getState()).isEqualTo(OrderState.ORDER_STATE_PARTLY_REFUNDED);
        assertThat(partly.getLines(0).getRefundedQuantity()).isEqualTo(1);
        assertThat(partly.getLines(0).getRefundedAmountMinor()).isEqualTo(PRICE);
        assertThat(partly.getRefundedAmountMinor()).isEqualTo(PRICE);
        assertThat(tooMany.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(tooMany).getReason()).isEqualTo("REFUND_EXCEEDS_PAID");
        assertThat(ItFixtures.errorInfo(tooMany).getMetadataMap()).containsEntry("field", "lines[0].quantity");
        assertThat(rest.getState()).isEqualTo(OrderState.ORDER_STATE_REFUNDED);
        assertThat(rest.getRefundedAmountMinor()).isEqualTo(3 * PRICE);
        Sku stock = running.client().getStock(SKU);
        assertThat(stock.getAvailable()).as("the resellable unit back on sale").isEqualTo(8);
        assertThat(stock.getTotalStock()).as("the two kept by the buyer gone").isEqualTo(8);
        assertThat(stock.getSold()).isZero();
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(running.channel())
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
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        long first = running.client().reserve("erin", SKU, 1).getOrderId();
        long second = running.client().reserve("frank", SKU, 1).getOrderId();
        Order paid = running.client().confirm(first, payment("pi_kept", PRICE, "USD"));
        stop();

        start();
        Order again = running.client().confirm(first, payment("pi_kept", PRICE, "USD"));
        StatusRuntimeException reused =
                ItFixtures.grpcFailure(() -> running.client().confirm(second, payment("pi_kept", PRICE, "USD")));

        assertThat(running.client().getOrder(first).getPayment()).isEqualTo(paid.getPayment());
        assertThat(again).isEqualTo(paid);
        assertThat(reused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(reused).getReason()).isEqualTo("PAYMENT_ALREADY_USED");
        assertThat(ItFixtures.errorInfo(reused).getMetadataMap()).containsEntry("field", "payment.payment_id");
        assertThat(running.client().getOrder(second).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
    }
}
