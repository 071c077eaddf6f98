package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of the domain, on the heap state with a manual clock: time is whatever the
 * test stamps on each command.
 */
class CheckoutBookTest {
    private static final long START = 1_000_000L;
    private static final long TTL = 10_000L;

    private HeapCheckoutState state;
    private CheckoutBook book;
    private long now;
    private int requestCounter;

    @BeforeEach
    void setUp() {
        state = HeapCheckoutState.unbounded();
        book = new CheckoutBook(state, EngineLimits.defaults());
        now = START;
    }

    // ---- helpers -------------------------------------------------------------------------

    private String nextRequestId() {
        return "req-" + (++requestCounter);
    }

    private Command run(Command command) {
        book.execute(command);
        return command;
    }

    private Command upsert(String skuId, long price, String currency, long total, long limit) {
        return run(Command.upsertSku(now, nextRequestId(), skuId, price, currency, total, limit, 0, 0, TTL));
    }

    private Command reserve(String userId, String skuId, int quantity) {
        return run(Command.reserve(now, nextRequestId(), userId, skuId, quantity));
    }

    private Command reserve(String requestId, String userId, String skuId, int quantity) {
        return run(Command.reserve(now, requestId, userId, skuId, quantity));
    }

    private Command order(CommandType type, long orderId) {
        return run(Command.orderCommand(type, now, nextRequestId(), orderId));
    }

    private SkuRecord sku(String skuId) {
        Command get = run(Command.getSku(skuId));
        assertThat(get.result()).isEqualTo(ResultCode.SUCCESS);
        SkuRecord copy = new SkuRecord();
        copy.copyFrom(get.sku);
        return copy;
    }

    private OrderState orderState(long orderId) {
        Command get = run(Command.getOrder(orderId));
        assertThat(get.result()).isEqualTo(ResultCode.SUCCESS);
        return get.order.state();
    }

    private void assertStock(String skuId, long available, long reserved, long sold) {
        SkuRecord sku = sku(skuId);
        assertThat(new long[] {sku.available, sku.reserved, sku.sold})
                .as("available, reserved, sold of %s", skuId)
                .containsExactly(available, reserved, sold);
        assertThat(sku.isConserved()).isTrue();
    }

    // ---- reserve -----------------------------------------------------------------------

    @Test
    void reserveShouldMoveStockFromAvailableToReservedAndCreateOrder() {
        upsert("A", 1_999, "EUR", 10, 0);

        Command reserved = reserve("alice", "A", 3);

        assertThat(reserved.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserved.order.orderId).isEqualTo(1);
        assertThat(reserved.order.amountMinor).isEqualTo(3 * 1_999);
        assertThat(CurrencyCode.unpack(reserved.order.currency)).isEqualTo("EUR");
        assertThat(reserved.order.state()).isEqualTo(OrderState.RESERVED);
        assertThat(reserved.order.expiresAtEpochMillis).isEqualTo(now + TTL);
        assertThat(reserved.orderLineSkuId(0).asString()).isEqualTo("A");
        assertStock("A", 7, 3, 0);
        assertThat(reserve("bob", "A", 1).order.orderId)
                .as("order ids are dense")
                .isEqualTo(2);
    }

    @Test
    void reserveShouldTakeAllLinesOrNone() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 200, "EUR", 1, 0);
        Command twoLines = Command.reserve(now, nextRequestId(), "alice", "A", 2);
        twoLines.addLine("B", 2);

        run(twoLines);

        assertThat(twoLines.result()).isEqualTo(ResultCode.SOLD_OUT);
        assertThat(twoLines.failedLine).isEqualTo(1);
        assertThat(twoLines.failedSkuId()).isEqualTo("B");
        assertStock("A", 10, 0, 0);
        assertStock("B", 1, 0, 0);
        assertThat(state.orderCount()).isZero();
    }

    @Test
    void reserveShouldReserveEveryLineWithTheShortestTtlAndSummedAmount() {
        upsert("A", 100, "EUR", 10, 0);
        run(Command.upsertSku(now, nextRequestId(), "B", 250, "EUR", 10, 0, 0, 0, 2_000));
        Command twoLines = Command.reserve(now, nextRequestId(), "alice", "A", 2);
        twoLines.addLine("B", 3);

        run(twoLines);

        assertThat(twoLines.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(twoLines.order.amountMinor).isEqualTo(2 * 100 + 3 * 250);
        assertThat(twoLines.order.expiresAtEpochMillis).isEqualTo(now + 2_000);
        assertStock("A", 8, 2, 0);
        assertStock("B", 7, 3, 0);
    }

    @Test
    void reserveShouldAnswerSoldOutWhenStockIsShort() {
        upsert("A", 100, "EUR", 2, 0);
        reserve("alice", "A", 2);

        Command refused = reserve("bob", "A", 1);

        assertThat(refused.result()).isEqualTo(ResultCode.SOLD_OUT);
        assertThat(refused.order.orderId).isZero();
        assertStock("A", 0, 2, 0);
    }

    @Test
    void reserveShouldAnswerUnknownSkuForUndefinedSku() {
        Command refused = reserve("alice", "NOPE", 1);

        assertThat(refused.result()).isEqualTo(ResultCode.UNKNOWN_SKU);
        assertThat(refused.failedSkuId()).isEqualTo("NOPE");
    }

    @Test
    void reserveShouldAnswerNotOnSaleBeforeStartAndFromEnd() {
        run(Command.upsertSku(now, nextRequestId(), "A", 100, "EUR", 10, 0, START + 1_000, START + 2_000, TTL));

        assertThat(reserve("alice", "A", 1).result()).as("before start").isEqualTo(ResultCode.NOT_ON_SALE);
        now = START + 1_000;
        assertThat(reserve("alice", "A", 1).result()).as("at start").isEqualTo(ResultCode.SUCCESS);
        now = START + 2_000;
        assertThat(reserve("bob", "A", 1).result())
                .as("at end, which is exclusive")
                .isEqualTo(ResultCode.NOT_ON_SALE);
    }

    @Test
    void reserveShouldRefuseLinesInDifferentCurrencies() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 100, "USD", 10, 0);
        Command mixed = Command.reserve(now, nextRequestId(), "alice", "A", 1);
        mixed.addLine("B", 1);

        assertThat(run(mixed).result()).isEqualTo(ResultCode.CURRENCY_MISMATCH);
        assertThat(mixed.failedLine).isEqualTo(1);
        assertStock("A", 10, 0, 0);
    }

    // ---- per-user limit --------------------------------------------------------------------

    @Test
    void limitShouldCountReservedAndPaidUnits() {
        upsert("A", 100, "EUR", 100, 3);
        long first = reserve("alice", "A", 2).order.orderId;
        order(CommandType.CONFIRM, first);

        assertThat(reserve("alice", "A", 2).result()).isEqualTo(ResultCode.LIMIT_EXCEEDED);
        assertThat(reserve("alice", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("alice", "A", 1).result()).isEqualTo(ResultCode.LIMIT_EXCEEDED);
        assertThat(reserve("bob", "A", 3).result()).as("limits are per user").isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void cancelExpiryAndRefundShouldGiveTheAllowanceBack() {
        upsert("A", 100, "EUR", 100, 1);
        long cancelled = reserve("alice", "A", 1).order.orderId;
        assertThat(reserve("alice", "A", 1).result()).isEqualTo(ResultCode.LIMIT_EXCEEDED);
        order(CommandType.CANCEL, cancelled);
        long expiring = reserve("alice", "A", 1).order.orderId;
        now += TTL;
        run(Command.tick(now));
        assertThat(orderState(expiring)).isEqualTo(OrderState.EXPIRED);
        long refunded = reserve("alice", "A", 1).order.orderId;
        order(CommandType.CONFIRM, refunded);
        order(CommandType.REFUND, refunded);

        assertThat(reserve("alice", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(state.userUnits("alice", 0)).isEqualTo(1);
    }

    // ---- order lifecycle -------------------------------------------------------------------

    @Test
    void confirmShouldMoveUnitsFromReservedToSold() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 4).order.orderId;

        Command paid = order(CommandType.CONFIRM, orderId);

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.order.state()).isEqualTo(OrderState.PAID);
        assertThat(paid.order.updatedAtEpochMillis).isEqualTo(now);
        assertStock("A", 6, 0, 4);
    }

    // ---- payments -----------------------------------------------------------------------

    private Command pay(long orderId, String provider, String paymentId, long amount, String currency) {
        return run(Command.confirmWithPayment(now, nextRequestId(), orderId, provider, paymentId, amount, currency));
    }

    @Test
    void confirmWithPaymentShouldRecordItOnTheOrder() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 2).order.orderId;
        now += 100;

        Command paid = pay(orderId, "stripe", "pi_1", 500, "EUR");

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.order.state()).isEqualTo(OrderState.PAID);
        assertThat(paid.order.paymentProvider.asString()).isEqualTo("stripe");
        assertThat(paid.order.paymentId.asString()).isEqualTo("pi_1");
        assertThat(paid.order.paidAtEpochMillis).isEqualTo(now);
        Command read = run(Command.getOrder(orderId));
        assertThat(read.order.paymentId.asString()).isEqualTo("pi_1");
        assertThat(state.paymentOrder(IdBuffer.of("stripe"), IdBuffer.of("pi_1")))
                .isEqualTo(orderId);
        assertStock("sku-1", 8, 0, 2);
    }

    @Test
    void confirmWithoutPaymentShouldPayAsBeforeAndRecordNone() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 1).order.orderId;

        Command paid = order(CommandType.CONFIRM, orderId);

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.order.hasPayment()).isFalse();
        assertThat(state.paymentCount()).isZero();
    }

    @Test
    void paymentDeliveredAgainUnderANewRequestIdShouldGetTheFirstAnswer() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 1).order.orderId;
        long paidAt = ++now;
        pay(orderId, "adyen", "psp-77", 250, "EUR");
        now += 1_000;
        assertThat(order(CommandType.REFUND, orderId).result()).isEqualTo(ResultCode.SUCCESS);
        now += 1_000;

        Command again = pay(orderId, "adyen", "psp-77", 250, "EUR");

        assertThat(again.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(again.repeated).isTrue();
        assertThat(again.order.state()).as("as the first answer reported it").isEqualTo(OrderState.PAID);
        assertThat(again.order.updatedAtEpochMillis).isEqualTo(paidAt);
        assertThat(again.order.paymentId.asString()).isEqualTo("psp-77");
        assertThat(orderState(orderId)).isEqualTo(OrderState.REFUNDED);
        assertStock("sku-1", 10, 0, 0);
        assertThat(state.paymentCount()).isEqualTo(1);
    }

    @Test
    void theSamePaymentIdOfAnotherProviderShouldBeAnotherPayment() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long first = reserve("alice", "sku-1", 1).order.orderId;
        long second = reserve("bob", "sku-1", 1).order.orderId;
        pay(first, "stripe", "id-1", 250, "EUR");

        Command other = pay(second, "adyen", "id-1", 250, "EUR");

        assertThat(other.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(other.repeated).isFalse();
        assertThat(state.paymentCount()).isEqualTo(2);
    }

    @Test
    void aPaymentShouldPayOneOrderOnly() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long first = reserve("alice", "sku-1", 1).order.orderId;
        long second = reserve("bob", "sku-1", 1).order.orderId;
        pay(first, "stripe", "pi_1", 250, "EUR");

        Command reused = pay(second, "stripe", "pi_1", 250, "EUR");

        assertThat(reused.result()).isEqualTo(ResultCode.PAYMENT_ALREADY_USED);
        assertThat(reused.result().field()).isEqualTo("payment.payment_id");
        assertThat(orderState(second)).isEqualTo(OrderState.RESERVED);
        assertStock("sku-1", 8, 1, 1);
    }

    @Test
    void paymentOfAnotherAmountOrCurrencyShouldBeRefusedAndChangeNothing() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 2).order.orderId;

        Command amount = pay(orderId, "stripe", "pi_1", 499, "EUR");
        Command currency = pay(orderId, "stripe", "pi_2", 500, "USD");

        assertThat(amount.result()).isEqualTo(ResultCode.PAYMENT_AMOUNT_MISMATCH);
        assertThat(amount.order.amountMinor)
                .as("the order's figure, for the error")
                .isEqualTo(500);
        assertThat(currency.result()).isEqualTo(ResultCode.PAYMENT_CURRENCY_MISMATCH);
        assertThat(orderState(orderId)).isEqualTo(OrderState.RESERVED);
        assertStock("sku-1", 8, 2, 0);
        assertThat(state.paymentCount()).isZero();
        // The same payment with the right figures goes through afterwards.
        assertThat(pay(orderId, "stripe", "pi_1", 500, "EUR").result()).isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void invalidPaymentShouldNameTheFirstBadFieldAndChangeNothing() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 1).order.orderId;
        String longest = "p".repeat(EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX);

        assertThat(pay(orderId, longest + "p", "pi_1", 250, "EUR").result())
                .isEqualTo(ResultCode.PAYMENT_PROVIDER_INVALID);
        assertThat(pay(orderId, "", "pi_1", 250, "EUR").result()).isEqualTo(ResultCode.PAYMENT_PROVIDER_INVALID);
        assertThat(pay(orderId, "stripe", "has space", 250, "EUR").result()).isEqualTo(ResultCode.PAYMENT_ID_INVALID);
        assertThat(pay(orderId, "stripe", "x".repeat(65), -1, "EUR").result())
                .as("the first bad field in order")
                .isEqualTo(ResultCode.PAYMENT_ID_INVALID);
        assertThat(pay(orderId, "stripe", "pi_1", -1, "EUR").result()).isEqualTo(ResultCode.PAYMENT_AMOUNT_INVALID);
        assertThat(pay(orderId, "stripe", "pi_1", 250, "eur").result()).isEqualTo(ResultCode.PAYMENT_CURRENCY_INVALID);
        assertThat(state.outcomeCount()).as("invalid input is not remembered").isEqualTo(2);
        assertThat(orderState(orderId)).isEqualTo(OrderState.RESERVED);

        assertThat(pay(orderId, longest, "pi_1", 250, "EUR").result()).isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void paymentAfterExpiryShouldTakeTheUnitsAgainWhenTheyAreThere() {
        upsert("sku-1", 250, "EUR", 10, 2);
        long orderId = reserve("alice", "sku-1", 2).order.orderId;
        now += TTL;
        run(Command.tick(now));
        assertThat(orderState(orderId)).isEqualTo(OrderState.EXPIRED);
        assertStock("sku-1", 10, 0, 0);
        now += 1_000;

        Command paid = pay(orderId, "stripe", "pi_late", 500, "EUR");

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.order.state()).isEqualTo(OrderState.PAID);
        assertThat(paid.order.paidAtEpochMillis).isEqualTo(now);
        assertStock("sku-1", 8, 0, 2);
        assertThat(state.userUnits("alice", 0))
                .as("the limit counts them again")
                .isEqualTo(2);
        assertThat(reserve("alice", "sku-1", 1).result()).isEqualTo(ResultCode.LIMIT_EXCEEDED);
    }

    @Test
    void paymentForAReservationFoundDueShouldExpireItThenPayIt() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 1).order.orderId;
        now += TTL;

        Command paid = pay(orderId, "stripe", "pi_due", 250, "EUR");

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.expiredCount).isEqualTo(1);
        assertThat(paid.order.state()).isEqualTo(OrderState.PAID);
        assertStock("sku-1", 9, 0, 1);
    }

    @Test
    void paymentAfterExpiryWhenTheUnitsAreGoneShouldBeRecordedAsPaidTooLate() {
        upsert("sku-1", 250, "EUR", 2, 0);
        long late = reserve("alice", "sku-1", 2).order.orderId;
        now += TTL;
        run(Command.tick(now));
        long other = reserve("bob", "sku-1", 1).order.orderId;

        Command paid = pay(late, "stripe", "pi_gone", 500, "EUR");

        assertThat(paid.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(paid.order.state()).isEqualTo(OrderState.PAID_TOO_LATE);
        assertThat(paid.order.paymentId.asString()).isEqualTo("pi_gone");
        assertStock("sku-1", 1, 1, 0);
        assertThat(state.userUnits("alice", 0)).isZero();
        assertThat(orderState(other)).isEqualTo(OrderState.RESERVED);
        // Final: the money goes back outside; neither a refund nor another payment moves it.
        assertThat(order(CommandType.REFUND, late).result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        Command again = pay(late, "stripe", "pi_gone", 500, "EUR");
        assertThat(again.repeated).isTrue();
        assertThat(again.order.state()).isEqualTo(OrderState.PAID_TOO_LATE);
        assertThat(pay(late, "stripe", "pi_other", 500, "EUR").result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
    }

    @Test
    void paymentAfterExpiryBeyondTheBuyersLimitShouldBePaidTooLate() {
        upsert("sku-1", 250, "EUR", 10, 2);
        long late = reserve("alice", "sku-1", 2).order.orderId;
        now += TTL;
        run(Command.tick(now));
        reserve("alice", "sku-1", 1);

        Command paid = pay(late, "stripe", "pi_limit", 500, "EUR");

        assertThat(paid.order.state()).isEqualTo(OrderState.PAID_TOO_LATE);
        assertStock("sku-1", 9, 1, 0);
    }

    @Test
    void paymentForACancelledOrderShouldStillBeAConflict() {
        upsert("sku-1", 250, "EUR", 10, 0);
        long orderId = reserve("alice", "sku-1", 1).order.orderId;
        order(CommandType.CANCEL, orderId);

        assertThat(pay(orderId, "stripe", "pi_c", 250, "EUR").result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        assertThat(state.paymentCount()).isZero();
    }

    // ---- refunds -----------------------------------------------------------------------

    private Command refund(long orderId, String reason, boolean notResellable, Object... skuAndUnits) {
        Command c = Command.orderCommand(CommandType.REFUND, now, nextRequestId(), orderId);
        for (int i = 0; i < skuAndUnits.length; i += 2) {
            c.addLine((String) skuAndUnits[i], (Integer) skuAndUnits[i + 1]);
        }
        c.refundReason = reason;
        c.notResellable = notResellable;
        return run(c);
    }

    private long paidOrder(String user, String sku1, int units1, String sku2, int units2) {
        Command reserve = Command.reserve(now, nextRequestId(), user, sku1, units1);
        reserve.addLine(sku2, units2);
        long orderId = run(reserve).order.orderId;
        assertThat(order(CommandType.CONFIRM, orderId).result()).isEqualTo(ResultCode.SUCCESS);
        return orderId;
    }

    @Test
    void refundOfSomeUnitsShouldReturnThemAndLeaveTheOrderPartlyRefunded() {
        upsert("A", 100, "EUR", 10, 5);
        upsert("B", 300, "EUR", 10, 0);
        long orderId = paidOrder("alice", "A", 3, "B", 1);

        Command refunded = refund(orderId, "one too many", false, "A", 2);

        assertThat(refunded.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(refunded.order.state()).isEqualTo(OrderState.PARTLY_REFUNDED);
        assertThat(refunded.order.refundedQuantity(0)).isEqualTo(2);
        assertThat(refunded.order.refundedQuantity(1)).isZero();
        assertThat(refunded.order.refundedAmountMinor()).isEqualTo(200);
        assertStock("A", 9, 0, 1);
        assertStock("B", 9, 0, 1);
        assertThat(state.userUnits("alice", 0))
                .as("the allowance gets them back")
                .isEqualTo(1);

        Command rest = refund(orderId, null, false);

        assertThat(rest.order.state()).isEqualTo(OrderState.REFUNDED);
        assertThat(rest.order.refundedQuantity(0)).isEqualTo(3);
        assertThat(rest.order.refundedQuantity(1)).isEqualTo(1);
        assertThat(rest.order.refundedAmountMinor()).isEqualTo(rest.order.amountMinor);
        assertStock("A", 10, 0, 0);
        assertStock("B", 10, 0, 0);
        assertThat(refund(orderId, null, false).result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
    }

    @Test
    void unitsThatCannotBeSoldAgainShouldLeaveTheTotal() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 300, "EUR", 10, 0);
        long orderId = paidOrder("alice", "A", 3, "B", 1);

        refund(orderId, "damaged in transit", true, "A", 1);

        SkuRecord a = sku("A");
        assertThat(new long[] {a.totalStock, a.available, a.sold}).containsExactly(9, 7, 2);
        assertThat(a.isConserved()).isTrue();
    }

    @Test
    void refundBeyondWhatWasPaidOrOfAnotherSkuShouldBeRefusedNamingTheLine() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 300, "EUR", 10, 0);
        upsert("C", 300, "EUR", 10, 0);
        long orderId = paidOrder("alice", "A", 3, "B", 1);
        refund(orderId, null, false, "A", 2);

        Command tooMany = refund(orderId, null, false, "B", 1, "A", 2);
        Command notInOrder = refund(orderId, null, false, "C", 1);

        assertThat(tooMany.result()).isEqualTo(ResultCode.REFUND_EXCEEDS_PAID);
        assertThat(tooMany.failedLine).isEqualTo(1);
        assertThat(tooMany.failedSkuId()).isEqualTo("A");
        assertThat(notInOrder.result()).isEqualTo(ResultCode.REFUND_SKU_NOT_IN_ORDER);
        assertThat(notInOrder.failedSkuId()).isEqualTo("C");
        assertStock("A", 9, 0, 1);
        assertStock("B", 9, 0, 1);
        assertThat(orderState(orderId)).isEqualTo(OrderState.PARTLY_REFUNDED);
    }

    @Test
    void invalidRefundInputShouldNameTheFieldAndChangeNothing() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 300, "EUR", 10, 0);
        long orderId = paidOrder("alice", "A", 3, "B", 1);

        assertThat(refund(orderId, "x".repeat(65), false).result()).isEqualTo(ResultCode.REFUND_REASON_INVALID);
        assertThat(refund(orderId, "new\nline", false).result()).isEqualTo(ResultCode.REFUND_REASON_INVALID);
        assertThat(refund(orderId, null, false, "A", 0).result()).isEqualTo(ResultCode.QUANTITY_MUST_BE_POSITIVE);
        assertThat(refund(orderId, null, false, "A", 1, "A", 1).result()).isEqualTo(ResultCode.DUPLICATE_SKU_IN_ORDER);
        assertThat(refund(orderId, null, false, "bad id", 1).result()).isEqualTo(ResultCode.SKU_ID_INVALID);
        assertThat(orderState(orderId)).isEqualTo(OrderState.PAID);
        assertThat(refund(orderId, "~".repeat(64), false, "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void repeatedPartialRefundShouldReturnTheFirstAnswerAndRefundOnce() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 300, "EUR", 10, 0);
        long orderId = paidOrder("alice", "A", 3, "B", 1);
        Command first = Command.orderCommand(CommandType.REFUND, now, "refund-once", orderId);
        first.addLine("A", 1);
        run(first);
        Command again = Command.orderCommand(CommandType.REFUND, now, "refund-once", orderId);
        again.addLine("A", 1);

        run(again);

        assertThat(again.repeated).isTrue();
        assertThat(again.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(again.order.state()).isEqualTo(OrderState.PARTLY_REFUNDED);
        assertStock("A", 8, 0, 2);
    }

    @Test
    void fullPaymentTableShouldRefuseNewPaymentsButAnswerRecordedOnes() {
        state = new HeapCheckoutState(10, 100, 100, 100, 1);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("sku-1", 250, "EUR", 10, 0);
        long first = reserve("alice", "sku-1", 1).order.orderId;
        long second = reserve("bob", "sku-1", 1).order.orderId;
        pay(first, "stripe", "pi_1", 250, "EUR");

        Command refused = pay(second, "stripe", "pi_2", 250, "EUR");
        Command again = pay(first, "stripe", "pi_1", 250, "EUR");

        assertThat(refused.result()).isEqualTo(ResultCode.PAYMENT_TABLE_FULL);
        assertThat(orderState(second)).isEqualTo(OrderState.RESERVED);
        assertThat(again.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(again.repeated).isTrue();
        assertThat(order(CommandType.CONFIRM, second).result())
                .as("a confirm without a payment needs no room")
                .isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void cancelShouldReturnUnitsToAvailable() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 4).order.orderId;

        assertThat(order(CommandType.CANCEL, orderId).order.state()).isEqualTo(OrderState.CANCELLED);
        assertStock("A", 10, 0, 0);
    }

    @Test
    void refundShouldReturnSoldUnitsToAvailable() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 4).order.orderId;
        order(CommandType.CONFIRM, orderId);

        assertThat(order(CommandType.REFUND, orderId).order.state()).isEqualTo(OrderState.REFUNDED);
        assertStock("A", 10, 0, 0);
    }

    @Test
    void everyOtherTransitionShouldBeRefusedWithTheCurrentState() {
        upsert("A", 100, "EUR", 10, 0);
        long reserved = reserve("alice", "A", 1).order.orderId;
        long paid = reserve("bob", "A", 1).order.orderId;
        order(CommandType.CONFIRM, paid);
        long cancelled = reserve("carol", "A", 1).order.orderId;
        order(CommandType.CANCEL, cancelled);

        Command refundReserved = order(CommandType.REFUND, reserved);
        Command confirmPaid = order(CommandType.CONFIRM, paid);
        Command cancelPaid = order(CommandType.CANCEL, paid);
        Command confirmCancelled = order(CommandType.CONFIRM, cancelled);
        Command refundCancelled = order(CommandType.REFUND, cancelled);

        assertThat(refundReserved.result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        assertThat(refundReserved.order.state()).isEqualTo(OrderState.RESERVED);
        assertThat(confirmPaid.order.state()).isEqualTo(OrderState.PAID);
        assertThat(cancelPaid.result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        assertThat(confirmCancelled.order.state()).isEqualTo(OrderState.CANCELLED);
        assertThat(refundCancelled.result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        assertStock("A", 8, 1, 1);
    }

    @Test
    void unknownOrderShouldBeNotFound() {
        assertThat(order(CommandType.CONFIRM, 42).result()).isEqualTo(ResultCode.ORDER_NOT_FOUND);
        assertThat(run(Command.getOrder(42)).result()).isEqualTo(ResultCode.ORDER_NOT_FOUND);
    }

    // ---- expiry ----------------------------------------------------------------------------

    @Test
    void tickShouldExpireOnlyDueReservationsAndReturnTheirStockOnce() {
        upsert("A", 100, "EUR", 10, 0);
        long early = reserve("alice", "A", 2).order.orderId;
        now += 5_000;
        long late = reserve("bob", "A", 3).order.orderId;

        now = START + TTL - 1;
        assertThat(run(Command.tick(now)).expiredCount).isZero();
        now = START + TTL;
        assertThat(run(Command.tick(now)).expiredCount).isEqualTo(1);
        assertThat(orderState(early)).isEqualTo(OrderState.EXPIRED);
        assertThat(orderState(late)).isEqualTo(OrderState.RESERVED);
        assertStock("A", 7, 3, 0);

        assertThat(run(Command.tick(now + 1)).expiredCount)
                .as("nothing expires twice")
                .isZero();
        assertStock("A", 7, 3, 0);
    }

    @Test
    void confirmAfterExpiryTimeShouldExpireTheOrderAndRefuse() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 2).order.orderId;
        now += TTL;

        Command late = order(CommandType.CONFIRM, orderId);

        assertThat(late.result()).isEqualTo(ResultCode.ORDER_STATE_CONFLICT);
        assertThat(late.order.state()).isEqualTo(OrderState.EXPIRED);
        assertStock("A", 10, 0, 0);
        assertThat(run(Command.tick(now)).expiredCount)
                .as("the tick finds it already expired")
                .isZero();
        assertStock("A", 10, 0, 0);
    }

    @Test
    void confirmedOrderShouldNotExpire() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 2).order.orderId;
        order(CommandType.CONFIRM, orderId);

        now += TTL * 2;
        run(Command.tick(now));

        assertThat(orderState(orderId)).isEqualTo(OrderState.PAID);
        assertStock("A", 8, 0, 2);
    }

    @Test
    void engineTimeShouldNeverGoBackwards() {
        upsert("A", 100, "EUR", 10, 0);
        run(Command.tick(START + 5_000));

        Command stale = run(Command.reserve(START, nextRequestId(), "alice", "A", 1));

        assertThat(book.nowMillis()).isEqualTo(START + 5_000);
        assertThat(stale.order.createdAtEpochMillis).isEqualTo(START + 5_000);
    }

    @Test
    void restartedEngineShouldRebuildExpiriesFromReservedOrders() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 2).order.orderId;

        CheckoutBook restarted = new CheckoutBook(state, EngineLimits.defaults());
        Command tick = Command.tick(START + TTL);
        restarted.execute(tick);

        assertThat(tick.expiredCount).isEqualTo(1);
        assertThat(restarted.nowMillis()).isEqualTo(START + TTL);
        Command get = Command.getOrder(orderId);
        restarted.execute(get);
        assertThat(get.order.state()).isEqualTo(OrderState.EXPIRED);
    }

    // ---- idempotency -----------------------------------------------------------------------

    @Test
    void repeatedReserveShouldReturnTheFirstAnswerAndChangeNothing() {
        upsert("A", 100, "EUR", 10, 0);
        Command first = reserve("same-id", "alice", "A", 2);

        Command repeat = reserve("same-id", "alice", "A", 2);

        assertThat(repeat.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(repeat.repeated).isTrue();
        assertThat(repeat.order.orderId).isEqualTo(first.order.orderId);
        assertThat(repeat.order.amountMinor).isEqualTo(first.order.amountMinor);
        assertThat(repeat.order.expiresAtEpochMillis).isEqualTo(first.order.expiresAtEpochMillis);
        assertStock("A", 8, 2, 0);
        assertThat(state.orderCount()).isEqualTo(1);
    }

    @Test
    void repeatedRefusalShouldStayRefusedEvenAfterStockArrives() {
        upsert("A", 100, "EUR", 0, 0);
        assertThat(reserve("same-id", "alice", "A", 1).result()).isEqualTo(ResultCode.SOLD_OUT);
        run(Command.adjustStock(now, nextRequestId(), "A", 5));

        Command repeat = reserve("same-id", "alice", "A", 1);

        assertThat(repeat.result()).isEqualTo(ResultCode.SOLD_OUT);
        assertThat(repeat.failedSkuId()).isEqualTo("A");
        assertStock("A", 5, 0, 0);
    }

    @Test
    void repeatedConfirmShouldReturnTheStateOfTheFirstAnswer() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 1).order.orderId;
        run(Command.orderCommand(CommandType.CONFIRM, now, "pay-1", orderId));
        long paidAt = now;
        now += 1_000;
        order(CommandType.REFUND, orderId);

        Command repeat = run(Command.orderCommand(CommandType.CONFIRM, now, "pay-1", orderId));

        assertThat(repeat.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(repeat.order.state()).isEqualTo(OrderState.PAID);
        assertThat(repeat.order.updatedAtEpochMillis).isEqualTo(paidAt);
        assertThat(orderState(orderId)).isEqualTo(OrderState.REFUNDED);
        assertStock("A", 10, 0, 0);
    }

    @Test
    void answersShouldBeRememberedForTheRetentionWindowAndForgottenAfter() {
        book = new CheckoutBook(state, new EngineLimits(16, 1_000, 10_000, EngineLimits.ID_LENGTH_MAX, 60_000));
        upsert("A", 100, "EUR", 10, 0);
        long first = reserve("once", "alice", "A", 1).order.orderId;

        now += 60_000;
        run(Command.tick(now));
        Command withinWindow = reserve("once", "alice", "A", 1);
        assertThat(withinWindow.repeated).as("remembered for the whole window").isTrue();
        assertThat(withinWindow.order.orderId).isEqualTo(first);

        now += 1;
        run(Command.tick(now));
        Command afterWindow = reserve("once", "alice", "A", 1);
        assertThat(afterWindow.repeated)
                .as("forgotten once the window has passed")
                .isFalse();
        assertThat(afterWindow.order.orderId).isNotEqualTo(first);
        assertThat(state.outcomeCount())
                .as("the upsert, also older than the window, went too")
                .isEqualTo(1);
    }

    @Test
    void requestIdReusedForAnotherCommandShouldBeRefused() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("shared", "alice", "A", 1).order.orderId;

        Command confirm = run(Command.orderCommand(CommandType.CONFIRM, now, "shared", orderId));

        assertThat(confirm.result()).isEqualTo(ResultCode.REQUEST_ID_REUSED);
        assertThat(orderState(orderId)).isEqualTo(OrderState.RESERVED);
    }

    @Test
    void invalidCommandShouldNotBeRemembered() {
        upsert("A", 100, "EUR", 10, 0);
        assertThat(reserve("fix-me", "alice", "A", 0).result()).isEqualTo(ResultCode.QUANTITY_MUST_BE_POSITIVE);

        assertThat(reserve("fix-me", "alice", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
    }

    // ---- validation ------------------------------------------------------------------------

    @Test
    void invalidReserveInputShouldNameTheProblemAndChangeNothing() {
        upsert("A", 100, "EUR", 10, 0);
        String tooLong = "x".repeat(EngineLimits.ID_LENGTH_MAX + 1);

        assertThat(reserve("", "alice", "A", 1).result()).isEqualTo(ResultCode.REQUEST_ID_INVALID);
        assertThat(reserve(tooLong, "alice", "A", 1).result()).isEqualTo(ResultCode.REQUEST_ID_INVALID);
        assertThat(reserve("has space", "alice", "A", 1).result()).isEqualTo(ResultCode.REQUEST_ID_INVALID);
        assertThat(reserve(nextRequestId(), "", "A", 1).result()).isEqualTo(ResultCode.USER_ID_INVALID);
        assertThat(reserve(nextRequestId(), "alice", "A/B", 1).result()).isEqualTo(ResultCode.SKU_ID_INVALID);
        assertThat(reserve(nextRequestId(), "alice", "A", -1).result()).isEqualTo(ResultCode.QUANTITY_MUST_BE_POSITIVE);
        assertThat(reserve(nextRequestId(), "alice", "A", 1_001).result()).isEqualTo(ResultCode.QUANTITY_TOO_LARGE);
        Command duplicate = Command.reserve(now, nextRequestId(), "alice", "A", 1);
        duplicate.addLine("A", 1);
        assertThat(run(duplicate).result()).isEqualTo(ResultCode.DUPLICATE_SKU_IN_ORDER);
        assertThat(duplicate.failedLine).isEqualTo(1);
        Command empty = Command.reserve(now, nextRequestId(), "alice", "A", 1);
        empty.lineCount = 0;
        assertThat(run(empty).result()).isEqualTo(ResultCode.LINES_EMPTY);
        Command tooMany = Command.reserve(now, nextRequestId(), "alice", "L0", 1);
        for (int i = 1; i <= 16; i++) {
            tooMany.addLine("L" + i, 1);
        }
        assertThat(run(tooMany).result()).isEqualTo(ResultCode.TOO_MANY_LINES);

        assertStock("A", 10, 0, 0);
        assertThat(state.outcomeCount()).as("only the upsert is remembered").isEqualTo(1);
    }

    @Test
    void configuredIdLengthShouldBoundEveryId() {
        book = new CheckoutBook(state, new EngineLimits(16, 1_000, 10_000, 8, 0));
        assertThat(run(Command.upsertSku(now, "12345678", "SKU-0001", 1, "EUR", 5, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.SUCCESS);

        assertThat(run(Command.upsertSku(now, "123456789", "SKU-2", 1, "EUR", 5, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.REQUEST_ID_INVALID);
        assertThat(run(Command.upsertSku(now, "up-2", "SKU-00002", 1, "EUR", 5, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.SKU_ID_INVALID);
        assertThat(reserve("r-1", "user-001", "SKU-0001", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("r-2", "user-0002", "SKU-0001", 1).result()).isEqualTo(ResultCode.USER_ID_INVALID);
        assertStock("SKU-0001", 4, 1, 0);
    }

    @Test
    void invalidSkuDefinitionShouldNameTheField() {
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", -1, "EUR", 1, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.PRICE_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "eur", 1, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.CURRENCY_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "EUR", -1, 0, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.TOTAL_STOCK_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "EUR", 1, -1, 0, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.PER_USER_LIMIT_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "EUR", 1, 0, -1, 0, TTL))
                        .result())
                .isEqualTo(ResultCode.SALE_START_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "EUR", 1, 0, 5, 5, TTL))
                        .result())
                .isEqualTo(ResultCode.SALE_END_INVALID);
        assertThat(run(Command.upsertSku(now, nextRequestId(), "A", 1, "EUR", 1, 0, 0, 0, 999))
                        .result())
                .isEqualTo(ResultCode.RESERVATION_TTL_INVALID);
        assertThat(ResultCode.RESERVATION_TTL_INVALID.field()).isEqualTo("reservation_ttl_millis");
        assertThat(state.skuCount()).isZero();
    }

    // ---- admin -----------------------------------------------------------------------------

    @Test
    void upsertShouldKeepReservedAndSoldAndRefuseTotalBelowThem() {
        upsert("A", 100, "EUR", 10, 0);
        long orderId = reserve("alice", "A", 3).order.orderId;
        order(CommandType.CONFIRM, orderId);
        reserve("bob", "A", 2);

        assertThat(upsert("A", 100, "EUR", 4, 0).result()).isEqualTo(ResultCode.STOCK_INSUFFICIENT);
        assertThat(upsert("A", 100, "USD", 10, 0).result()).isEqualTo(ResultCode.CURRENCY_LOCKED);
        assertThat(upsert("A", 150, "EUR", 20, 0).result()).isEqualTo(ResultCode.SUCCESS);
        SkuRecord updated = sku("A");
        assertThat(updated.priceMinor).isEqualTo(150);
        assertStock("A", 15, 2, 3);
    }

    @Test
    void adjustStockShouldMoveAvailableAndTotalTogether() {
        upsert("A", 100, "EUR", 10, 0);
        reserve("alice", "A", 4);

        assertThat(run(Command.adjustStock(now, nextRequestId(), "A", -7)).result())
                .isEqualTo(ResultCode.STOCK_INSUFFICIENT);
        assertThat(run(Command.adjustStock(now, nextRequestId(), "A", -6)).result())
                .isEqualTo(ResultCode.SUCCESS);
        assertThat(run(Command.adjustStock(now, nextRequestId(), "A", 5)).sku.totalStock)
                .isEqualTo(9);
        assertStock("A", 5, 4, 0);
        assertThat(run(Command.adjustStock(now, nextRequestId(), "B", 5)).result())
                .isEqualTo(ResultCode.SKU_NOT_FOUND);
        assertThat(run(Command.adjustStock(now, nextRequestId(), "A", 0)).result())
                .isEqualTo(ResultCode.DELTA_INVALID);
    }

    @Test
    void listSkusShouldPageInSkuIdOrder() {
        for (String id : new String[] {"c", "a", "e", "b", "d"}) {
            upsert(id, 1, "EUR", 1, 0);
        }

        Command first = run(Command.listSkus(2, ""));
        Command second = run(Command.listSkus(2, first.nextPageToken));
        Command third = run(Command.listSkus(2, second.nextPageToken));

        assertThat(first.skuPage).extracting(s -> s.skuId).containsExactly("a", "b");
        assertThat(second.skuPage).extracting(s -> s.skuId).containsExactly("c", "d");
        assertThat(third.skuPage).extracting(s -> s.skuId).containsExactly("e");
        assertThat(third.nextPageToken).isNull();
        assertThat(run(Command.listSkus(1_001, "")).result()).isEqualTo(ResultCode.PAGE_SIZE_INVALID);
    }

    // ---- capacity --------------------------------------------------------------------------

    @Test
    void fullOrderTableShouldRefuseAndChangeNothing() {
        state = new HeapCheckoutState(10, 2, 100, 100);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("A", 100, "EUR", 10, 0);
        reserve("alice", "A", 1);
        reserve("bob", "A", 1);

        Command full = reserve("carol", "A", 1);

        assertThat(full.result()).isEqualTo(ResultCode.ORDER_TABLE_FULL);
        assertStock("A", 8, 2, 0);
        assertThat(state.userUnits("carol", 0)).isZero();
        assertThat(reserve(full.requestId.asString(), "carol", "A", 1).result())
                .as("not remembered")
                .isEqualTo(ResultCode.ORDER_TABLE_FULL);
    }

    @Test
    void fullIdempotencyTableShouldRefuseAndChangeNothing() {
        state = new HeapCheckoutState(10, 100, 100, 2);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("A", 100, "EUR", 10, 0);
        reserve("alice", "A", 1);

        assertThat(reserve("bob", "A", 1).result()).isEqualTo(ResultCode.IDEMPOTENCY_TABLE_FULL);
        assertStock("A", 9, 1, 0);
    }

    @Test
    void fullSkuTableShouldRefuseNewSkusButUpdateExistingOnes() {
        state = new HeapCheckoutState(1, 100, 100, 100);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("A", 100, "EUR", 10, 0);

        assertThat(upsert("B", 100, "EUR", 10, 0).result()).isEqualTo(ResultCode.SKU_TABLE_FULL);
        assertThat(upsert("A", 200, "EUR", 10, 0).result()).isEqualTo(ResultCode.SUCCESS);
    }

    // ---- campaigns -------------------------------------------------------------------------------

    private static CampaignTerms terms(String id, CampaignKind kind, long amountOff, long budget, long perUser) {
        CampaignTerms t = new CampaignTerms();
        t.campaignId = id;
        t.kind = kind;
        t.currency = CurrencyCode.pack("EUR");
        t.amountOffMinor = amountOff;
        t.budget = budget;
        t.perUserLimit = perUser;
        return t;
    }

    private Command defineCampaign(CampaignTerms t) {
        Command defined = run(Command.upsertCampaign(now, nextRequestId(), t));
        assertThat(defined.result()).as("%s", defined.result()).isEqualTo(ResultCode.SUCCESS);
        return defined;
    }

    private Command reserveWith(String campaignId, String userId, Object... skuAndUnits) {
        Command c = new Command();
        c.type(CommandType.RESERVE);
        c.timestampMillis = now;
        c.requestId.set(nextRequestId());
        c.userId.set(userId);
        for (int i = 0; i < skuAndUnits.length; i += 2) {
            c.addLine((String) skuAndUnits[i], (Integer) skuAndUnits[i + 1]);
        }
        c.campaignId.set(campaignId);
        return run(c);
    }

    private CampaignTerms campaign(String id) {
        Command get = run(Command.getCampaign(id));
        assertThat(get.result()).isEqualTo(ResultCode.SUCCESS);
        return get.campaignAnswer();
    }

    @Test
    void amountOffShouldDiscountTheLinesItAppliesToAndSplitByLargestRemainder() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("B", 200, "EUR", 10, 0);
        upsert("C", 50, "EUR", 10, 0);
        CampaignTerms t = terms("ten-off", CampaignKind.AMOUNT_OFF, 100, 5, 1);
        t.skuIds.addAll(List.of("B", "A"));
        defineCampaign(t);

        Command reserved = reserveWith("ten-off", "u1", "A", 1, "B", 1, "C", 1);

        assertThat(reserved.result()).isEqualTo(ResultCode.SUCCESS);
        // Gross 100 + 200 + 50; the discount goes to A and B only: 33.3 and 66.6, the unit left to B.
        assertThat(reserved.order.amountMinor).isEqualTo(250);
        assertThat(reserved.order.discountMinor).isEqualTo(100);
        Command read = run(Command.getOrder(reserved.order.orderId));
        assertThat(read.order.lineDiscountsMinor()).containsExactly(33, 67, 0);
        assertThat(read.lineParties().campaignId).isEqualTo("ten-off");
        assertThat(campaign("ten-off").redeemed).isEqualTo(1);
        assertThat(campaign("ten-off").redeemingUsers).isEqualTo(1);
    }

    @Test
    void percentOffShouldRoundDownAndStopAtItsCap() {
        upsert("A", 999, "EUR", 10, 0);
        CampaignTerms t = terms("pct", CampaignKind.PERCENT_OFF, 0, 10, 10);
        t.percentOffBps = 1_500;
        defineCampaign(t);
        assertThat(reserveWith("pct", "u1", "A", 1).order.discountMinor)
                .as("15%% of 999 = 149.85")
                .isEqualTo(149);

        t.percentCapMinor = 100;
        defineCampaign(t);
        Command capped = reserveWith("pct", "u1", "A", 2);
        assertThat(capped.order.discountMinor).isEqualTo(100);
        assertThat(capped.order.amountMinor).isEqualTo(1_898);
    }

    @Test
    void spendAndSaveShouldNeedTheMinimumOnTheLinesItAppliesTo() {
        upsert("A", 200, "EUR", 10, 0);
        run(Command.upsertMerchant(now, nextRequestId(), "acme", 0));
        run(Command.upsertSku(now, nextRequestId(), "M", 300, "EUR", 10, 0, 0, 0, TTL, "acme", null));
        CampaignTerms t = terms("spend", CampaignKind.SPEND_AND_SAVE, 50, 10, 10);
        t.minSpendMinor = 500;
        t.merchantId = "acme";
        defineCampaign(t);

        Command tooLittle = reserveWith("spend", "u1", "M", 1, "A", 2);
        assertThat(tooLittle.result())
                .as("700 spent, but only 300 on acme's SKUs")
                .isEqualTo(ResultCode.CAMPAIGN_NOT_APPLICABLE);
        assertThat(tooLittle.failedSkuId()).isNull();
        assertStock("M", 10, 0, 0);

        Command enough = reserveWith("spend", "u1", "M", 2, "A", 1);
        assertThat(enough.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(enough.order.amountMinor).isEqualTo(750);
        assertThat(run(Command.getOrder(enough.order.orderId)).order.lineDiscountsMinor())
                .containsExactly(50, 0);
    }

    @Test
    void campaignRefusalsShouldNameWhyAndReserveNothing() {
        upsert("A", 100, "EUR", 10, 0);
        upsert("U", 100, "USD", 10, 0);
        CampaignTerms later = terms("later", CampaignKind.AMOUNT_OFF, 10, 10, 10);
        later.startsAtEpochMillis = START + 100;
        later.endsAtEpochMillis = START + 200;
        defineCampaign(later);
        defineCampaign(terms("once", CampaignKind.AMOUNT_OFF, 10, 2, 1));

        assertThat(reserveWith("nope", "u1", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_UNKNOWN);
        assertThat(reserveWith("later", "u1", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_NOT_ACTIVE);
        assertThat(reserveWith("once", "u1", "U", 1).result())
                .as("another currency")
                .isEqualTo(ResultCode.CAMPAIGN_NOT_APPLICABLE);
        now = START + 100;
        assertThat(reserveWith("later", "u1", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        now = START + 200;
        assertThat(reserveWith("later", "u1", "A", 1).result())
                .as("the end is exclusive")
                .isEqualTo(ResultCode.CAMPAIGN_NOT_ACTIVE);
        assertThat(reserveWith("once", "u1", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserveWith("once", "u1", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_USER_LIMIT_REACHED);
        assertThat(reserveWith("once", "u2", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserveWith("once", "u3", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_BUDGET_EXHAUSTED);
        assertStock("A", 7, 3, 0);
        Command badId = reserveWith("has space", "u3", "A", 1);
        assertThat(badId.result()).isEqualTo(ResultCode.CAMPAIGN_ID_INVALID);
        assertThat(badId.result().field()).isEqualTo("campaign_id");
    }

    @Test
    void cancelAndExpiryShouldGiveTheRedemptionBackButARefundShouldNot() {
        upsert("A", 100, "EUR", 10, 0);
        defineCampaign(terms("one", CampaignKind.AMOUNT_OFF, 30, 1, 1));

        long first = reserveWith("one", "u1", "A", 1).order.orderId;
        assertThat(reserveWith("one", "u2", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_BUDGET_EXHAUSTED);
        order(CommandType.CANCEL, first);
        assertThat(campaign("one").redeemed).isZero();

        long second = reserveWith("one", "u2", "A", 1).order.orderId;
        now += TTL;
        run(Command.tick(now));
        assertThat(orderState(second)).isEqualTo(OrderState.EXPIRED);
        assertThat(campaign("one").redeemed).isZero();

        Command third = reserveWith("one", "u3", "A", 2);
        assertThat(pay(third.order.orderId, "psp", "p-1", 170, "EUR").result()).isEqualTo(ResultCode.SUCCESS);
        Command refunded = refund(third.order.orderId, null, false, "A", 1);
        assertThat(refunded.result()).isEqualTo(ResultCode.SUCCESS);
        // 2 units paid 170 (a discount of 30 on 200): one unit back is 170 - (100 - floor(30 * 1 / 2)) = 85.
        assertThat(refunded.order.refundedAmountMinor()).isEqualTo(85);
        assertThat(refund(third.order.orderId, null, false).order.refundedAmountMinor())
                .as("everything back is what was paid")
                .isEqualTo(170);
        assertThat(campaign("one").redeemed).as("a refund keeps the redemption").isEqualTo(1);
        assertThat(reserveWith("one", "u4", "A", 1).result()).isEqualTo(ResultCode.CAMPAIGN_BUDGET_EXHAUSTED);
    }

    @Test
    void aLatePaymentShouldRetakeTheRedemptionOnlyIfTheBudgetAllows() {
        upsert("A", 100, "EUR", 10, 0);
        defineCampaign(terms("one", CampaignKind.AMOUNT_OFF, 30, 1, 1));
        long late = reserveWith("one", "u1", "A", 1).order.orderId;
        now += TTL;
        run(Command.tick(now));
        long taken = reserveWith("one", "u2", "A", 1).order.orderId;
        assertThat(orderState(late)).isEqualTo(OrderState.EXPIRED);

        assertThat(pay(late, "psp", "p-1", 70, "EUR").order.state()).isEqualTo(OrderState.PAID_TOO_LATE);

        order(CommandType.CANCEL, taken);
        long lateAgain = reserveWith("one", "u3", "A", 1).order.orderId;
        now += TTL;
        run(Command.tick(now));
        assertThat(pay(lateAgain, "psp", "p-2", 70, "EUR").order.state())
                .as("the budget is free again")
                .isEqualTo(OrderState.PAID);
        assertThat(campaign("one").redeemed).isEqualTo(1);
    }

    @Test
    void redemptionsShouldBeRecountedFromTheOrdersOnStart() {
        upsert("A", 100, "EUR", 10, 0);
        defineCampaign(terms("c", CampaignKind.AMOUNT_OFF, 30, 10, 5));
        reserveWith("c", "u1", "A", 1);
        long cancelled = reserveWith("c", "u1", "A", 1).order.orderId;
        reserveWith("c", "u2", "A", 1);
        order(CommandType.CANCEL, cancelled);

        CheckoutBook restarted = new CheckoutBook(state, EngineLimits.defaults());

        CampaignTable table = state.campaigns();
        int number = table.numberOf("c");
        assertThat(table.redeemed(number)).isEqualTo(2);
        assertThat(table.redemptionsOf(number, IdBuffer.of("u1"))).isEqualTo(1);
        assertThat(table.redemptionRows()).isEqualTo(2);
        assertThat(restarted).isNotNull();
    }

    @Test
    void aFullRedemptionTableShouldChangeNothing() {
        state = HeapCheckoutState.unbounded().campaignCapacities(4, 1);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("A", 100, "EUR", 10, 0);
        defineCampaign(terms("c", CampaignKind.AMOUNT_OFF, 30, 10, 5));
        long first = reserveWith("c", "u1", "A", 1).order.orderId;
        assertThat(reserveWith("c", "u1", "A", 1).result())
                .as("u1's row is there")
                .isEqualTo(ResultCode.SUCCESS);

        Command full = reserveWith("c", "u2", "A", 1);
        assertThat(full.result()).isEqualTo(ResultCode.REDEMPTION_TABLE_FULL);
        assertStock("A", 8, 2, 0);
        assertThat(campaign("c").redeemed).isEqualTo(2);
    }

    @Test
    void upsertCampaignShouldCheckEveryFieldAndResolveItsParties() {
        upsert("A", 100, "EUR", 10, 0);
        CampaignTerms t = terms("c", CampaignKind.PERCENT_OFF, 5, 10, 1);
        Command invalid = run(Command.upsertCampaign(now, nextRequestId(), t));
        assertThat(invalid.result()).isEqualTo(ResultCode.AMOUNT_OFF_INVALID);
        assertThat(invalid.result().field()).isEqualTo("campaign.amount_off_minor");

        t = terms("c", CampaignKind.AMOUNT_OFF, 5, 10, 1);
        t.skuIds.add("ghost");
        assertThat(run(Command.upsertCampaign(now, nextRequestId(), t)).result())
                .isEqualTo(ResultCode.CAMPAIGN_SKU_UNKNOWN);
        t.skuIds.clear();
        t.merchantId = "nobody";
        assertThat(run(Command.upsertCampaign(now, nextRequestId(), t)).result())
                .isEqualTo(ResultCode.CAMPAIGN_MERCHANT_UNKNOWN);
        t.merchantId = "";
        t.endsAtEpochMillis = 5;
        t.startsAtEpochMillis = 5;
        assertThat(run(Command.upsertCampaign(now, nextRequestId(), t)).result())
                .isEqualTo(ResultCode.CAMPAIGN_WINDOW_INVALID);
        assertThat(run(Command.getCampaign("c")).result()).isEqualTo(ResultCode.CAMPAIGN_NOT_FOUND);

        state = HeapCheckoutState.unbounded().campaignCapacities(1, 10);
        book = new CheckoutBook(state, EngineLimits.defaults());
        defineCampaign(terms("c1", CampaignKind.AMOUNT_OFF, 5, 10, 1));
        assertThat(run(Command.upsertCampaign(now, nextRequestId(), terms("c2", CampaignKind.AMOUNT_OFF, 5, 10, 1)))
                        .result())
                .isEqualTo(ResultCode.CAMPAIGN_TABLE_FULL);
        Command changed = defineCampaign(terms("c1", CampaignKind.AMOUNT_OFF, 7, 20, 2));
        assertThat(changed.campaignAnswer().amountOffMinor).isEqualTo(7);
        assertThat(changed.campaignAnswer().budget).isEqualTo(20);
    }

    // ---- merchants and settlement ------------------------------------------------------------

    private Command upsertWithMerchant(String skuId, String merchantId, String storeId) {
        return run(Command.upsertSku(now, nextRequestId(), skuId, 1_999, "EUR", 10, 0, 0, 0, TTL, merchantId, storeId));
    }

    @Test
    void upsertMerchantShouldDefineAMerchantAndAddARowOnlyWhenTheRateChanges() {
        Command defined = run(Command.upsertMerchant(now, nextRequestId(), "acme", 1_000));
        assertThat(defined.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(defined.merchantCommissionBps()).isEqualTo(1_000);
        assertThat(defined.merchantUpdatedAtEpochMillis()).isEqualTo(START);

        now += 5;
        Command same = run(Command.upsertMerchant(now, nextRequestId(), "acme", 1_000));
        assertThat(same.merchantUpdatedAtEpochMillis())
                .as("the same rate: nothing new")
                .isEqualTo(START);
        assertThat(state.merchants().rowCount()).isEqualTo(1);

        Command changed = run(Command.upsertMerchant(now, "rate-2", "acme", 1_500));
        assertThat(changed.merchantCommissionBps()).isEqualTo(1_500);
        assertThat(changed.merchantUpdatedAtEpochMillis()).isEqualTo(START + 5);
        assertThat(state.merchants().rowCount()).isEqualTo(2);

        Command repeat = run(Command.upsertMerchant(now + 1, "rate-2", "acme", 9));
        assertThat(repeat.repeated).isTrue();
        assertThat(repeat.merchantCommissionBps())
                .as("a repeat changes nothing")
                .isEqualTo(1_500);
        Command get = run(Command.getMerchant("acme"));
        assertThat(get.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(get.merchantCommissionBps()).isEqualTo(1_500);
        assertThat(run(Command.getMerchant("nobody")).result()).isEqualTo(ResultCode.MERCHANT_NOT_FOUND);
    }

    @Test
    void upsertMerchantShouldRefuseBadFieldsNamingThemAndAFullTable() {
        assertThat(run(Command.upsertMerchant(now, nextRequestId(), "has space", 1))
                        .result())
                .isEqualTo(ResultCode.MERCHANT_ID_INVALID);
        assertThat(run(Command.upsertMerchant(now, nextRequestId(), "acme", 10_001))
                        .result())
                .isEqualTo(ResultCode.COMMISSION_BPS_INVALID);
        assertThat(run(Command.upsertMerchant(now, nextRequestId(), "acme", -1))
                        .result()
                        .field())
                .isEqualTo("commission_bps");
        assertThat(state.merchants().rowCount()).isZero();

        state.merchantCapacity(2);
        run(Command.upsertMerchant(now, nextRequestId(), "a", 1));
        run(Command.upsertMerchant(now, nextRequestId(), "a", 2));
        Command full = run(Command.upsertMerchant(now, "full", "b", 3));
        assertThat(full.result()).isEqualTo(ResultCode.MERCHANT_TABLE_FULL);
        assertThat(run(Command.upsertMerchant(now, "full", "a", 2)).repeated)
                .as("a full table is not remembered: the request id is free")
                .isFalse();
    }

    @Test
    void upsertSkuShouldTakeAKnownMerchantAndAStoreAndRefuseAnUnknownMerchant() {
        Command unknown = upsertWithMerchant("SKU-M", "acme", null);
        assertThat(unknown.result()).isEqualTo(ResultCode.MERCHANT_UNKNOWN);
        assertThat(unknown.result().field()).isEqualTo("merchant_id");
        assertThat(state.skuIndex("SKU-M")).as("nothing changed").isEqualTo(CheckoutState.MISSING_SKU);
        assertThat(upsertWithMerchant("SKU-M", null, "bad store").result()).isEqualTo(ResultCode.STORE_ID_INVALID);

        run(Command.upsertMerchant(now, nextRequestId(), "acme", 1_000));
        assertThat(upsertWithMerchant("SKU-M", "acme", "store-1").result()).isEqualTo(ResultCode.SUCCESS);
        SkuRecord sku = sku("SKU-M");
        assertThat(sku.merchantId).isEqualTo("acme");
        assertThat(sku.storeId).isEqualTo("store-1");
        assertThat(upsertWithMerchant("SKU-M", null, null).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(sku("SKU-M").merchantId)
                .as("an upsert without a merchant clears it")
                .isNull();
    }

    @Test
    void orderLinesShouldKeepTheMerchantAndRateTheyWereReservedWith() {
        run(Command.upsertMerchant(now, nextRequestId(), "acme", 1_000));
        upsertWithMerchant("SKU-M", "acme", "store-1");
        long before = reserve("alice", "SKU-M", 2).order.orderId;

        run(Command.upsertMerchant(now, nextRequestId(), "acme", 2_500));
        long after = reserve("bob", "SKU-M", 1).order.orderId;
        upsertWithMerchant("SKU-M", null, "store-2");

        Command first = run(Command.getOrder(before));
        assertThat(first.lineParties().merchantIds[0]).isEqualTo("acme");
        assertThat(first.lineParties().commissionBps[0])
                .as("the rate when reserved")
                .isEqualTo(1_000);
        assertThat(first.lineParties().storeIds[0]).as("the SKU's store now").isEqualTo("store-2");
        Command second = run(Command.getOrder(after));
        assertThat(second.lineParties().commissionBps[0]).isEqualTo(2_500);
        assertThat(second.lineParties().merchantIds[0]).isEqualTo("acme");
        long third = reserve("carol", "SKU-M", 1).order.orderId;
        assertThat(run(Command.getOrder(third)).lineParties().merchantIds[0])
                .as("the SKU lost its merchant before this order")
                .isNull();
    }

    @Test
    void settlementShouldRoundHalfUpAndSplitExactly() {
        assertThat(Settlement.commissionMinor(1, 5_000)).isEqualTo(1);
        assertThat(Settlement.commissionMinor(1, 4_999)).isZero();
        assertThat(Settlement.commissionMinor(1_999, 1_000)).isEqualTo(200);
        assertThat(Settlement.commissionMinor(10_000_000_000L * 1_000_000, 10_000))
                .as("the largest line gross at 100% does not overflow")
                .isEqualTo(10_000_000_000L * 1_000_000);
        assertThat(Settlement.commissionMinor(12_345, 0)).isZero();
        // 3 units at 333 and 12.5%: 999 gross, 124.875 -> 125; after refunding 1: 666 -> 83.25 -> 83.
        assertThat(Settlement.refundedCommissionMinor(3, 1, 333, 1_250)).isEqualTo(125 - 83);
        assertThat(Settlement.refundedCommissionMinor(3, 3, 333, 1_250)).isEqualTo(125);
        assertThat(Settlement.refundedCommissionMinor(3, 0, 333, 1_250)).isZero();
    }

    // ---- a user's orders ------------------------------------------------------------------

    @Test
    void listUserOrdersShouldPageNewestFirstAndRefuseAnotherUsersToken() {
        upsert("SKU-U", 100, "EUR", 100, 0);
        List<Long> alices = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            alices.add(reserve("alice", "SKU-U", 1).order.orderId);
            long bobs = reserve("bob", "SKU-U", 1).order.orderId;
            assertThat(bobs).isPositive();
        }
        order(CommandType.CANCEL, alices.get(4));

        Command first = run(Command.listUserOrders("alice", 2, 0));
        assertThat(first.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(first.orderPage())
                .extracting(view -> view.order.orderId)
                .containsExactly(alices.get(4), alices.get(3));
        assertThat(first.orderPage().get(0).order.state()).isEqualTo(OrderState.CANCELLED);
        assertThat(first.orderPage().get(0).lineSkuIds[0]).isEqualTo("SKU-U");
        assertThat(first.nextPageOrderId()).isEqualTo(alices.get(3));
        Command last = run(Command.listUserOrders("alice", 3, first.nextPageOrderId()));
        assertThat(last.orderPage())
                .extracting(view -> view.order.orderId)
                .containsExactly(alices.get(2), alices.get(1), alices.get(0));
        assertThat(last.nextPageOrderId()).as("nothing older").isZero();

        assertThat(run(Command.listUserOrders("nobody", 0, 0)).orderPage()).isEmpty();
        assertThat(run(Command.listUserOrders("bob", 2, alices.get(1))).result())
                .as("a token that is not one of the user's orders")
                .isEqualTo(ResultCode.PAGE_TOKEN_INVALID);
        assertThat(run(Command.listUserOrders("alice", 101, 0)).result()).isEqualTo(ResultCode.PAGE_SIZE_INVALID);
        assertThat(run(Command.listUserOrders("has space", 1, 0)).result()).isEqualTo(ResultCode.USER_ID_INVALID);
    }

    // ---- risk rules ------------------------------------------------------------------------

    @Test
    void blockedUserShouldBeRefusedAndTakeNothingUntilTheBlockIsLifted() {
        upsert("sku-1", 100, "EUR", 10, 0);
        Command block = run(Command.setUserBlocked(now, nextRequestId(), "bot", true));
        assertThat(block.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(block.riskAnswer().userBlocked).isTrue();

        Command refused = reserve("bot", "sku-1", 1);
        assertThat(refused.result()).isEqualTo(ResultCode.BLOCKED);
        assertThat(reserve("someone", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertStock("sku-1", 9, 1, 0);
        assertThat(run(Command.getUserRisk("bot")).riskAnswer().userBlocked).isTrue();

        Command lift = run(Command.setUserBlocked(now, nextRequestId(), "bot", false));
        assertThat(lift.riskAnswer().userBlocked).isFalse();
        assertThat(reserve("bot", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(run(Command.getRiskRules()).riskAnswer().blockedUsers).isZero();
    }

    @Test
    void attemptLimitShouldCountEveryAnsweredReserveAndStartAfreshEachWindow() {
        upsert("sku-1", 100, "EUR", 1, 0);
        now = 2_000_000;
        Command rules = run(Command.setRiskRules(now, nextRequestId(), 2, 1_000));
        assertThat(rules.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(rules.riskAnswer().maxAttempts).isEqualTo(2);

        assertThat(reserve("u", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("u", "sku-1", 1).result()).as("a refusal counts too").isEqualTo(ResultCode.SOLD_OUT);
        Command limited = reserve("u", "sku-1", 1);
        assertThat(limited.result()).isEqualTo(ResultCode.RATE_LIMITED);
        assertThat(run(Command.getUserRisk("u")).riskAnswer().userAttempts).isEqualTo(2);
        assertThat(run(Command.getUserRisk("u")).riskAnswer().windowEndsAtEpochMillis)
                .isEqualTo(2_001_000);
        assertThat(reserve("other", "sku-1", 1).result()).isEqualTo(ResultCode.SOLD_OUT);

        now = 2_000_999;
        assertThat(reserve("u", "sku-1", 1).result()).isEqualTo(ResultCode.RATE_LIMITED);
        now = 2_001_000;
        assertThat(reserve("u", "sku-1", 1).result()).as("a new window").isEqualTo(ResultCode.SOLD_OUT);
        assertThat(run(Command.getUserRisk("u")).riskAnswer().userAttempts).isEqualTo(1);
    }

    @Test
    void repeatOfAnAnsweredReserveShouldNotCountAgain() {
        upsert("sku-1", 100, "EUR", 10, 0);
        run(Command.setRiskRules(now, nextRequestId(), 1, 60_000));
        assertThat(reserve("req-same", "u", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        Command repeat = reserve("req-same", "u", "sku-1", 1);
        assertThat(repeat.repeated).isTrue();
        assertThat(repeat.result()).isEqualTo(ResultCode.SUCCESS);
        Command limited = reserve("req-next", "u", "sku-1", 1);
        assertThat(limited.result()).isEqualTo(ResultCode.RATE_LIMITED);
        assertThat(reserve("req-next", "u", "sku-1", 1).result())
                .as("the refusal is remembered under its request id")
                .isEqualTo(ResultCode.RATE_LIMITED);
        assertThat(run(Command.getUserRisk("u")).riskAnswer().userAttempts).isEqualTo(1);
    }

    @Test
    void newRuleShouldStartEveryCountAfreshAndZeroTurnsItOff() {
        upsert("sku-1", 100, "EUR", 10, 0);
        run(Command.setRiskRules(now, nextRequestId(), 1, 60_000));
        reserve("u", "sku-1", 1);
        assertThat(reserve("u", "sku-1", 1).result()).isEqualTo(ResultCode.RATE_LIMITED);
        run(Command.setRiskRules(now, nextRequestId(), 2, 60_000));
        assertThat(reserve("u", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        run(Command.setRiskRules(now, nextRequestId(), 0, 0));
        for (int i = 0; i < 5; i++) {
            assertThat(reserve("u", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        }
        assertThat(run(Command.getUserRisk("u")).riskAnswer().windowEndsAtEpochMillis)
                .isZero();
    }

    @Test
    void invalidRiskRulesShouldNameTheFieldAndChangeNothing() {
        run(Command.setRiskRules(now, nextRequestId(), 3, 1_000));
        assertThat(run(Command.setRiskRules(now, nextRequestId(), -1, 1_000)).result())
                .isEqualTo(ResultCode.MAX_ATTEMPTS_INVALID);
        assertThat(run(Command.setRiskRules(now, nextRequestId(), 1_000_001, 1_000))
                        .result())
                .isEqualTo(ResultCode.MAX_ATTEMPTS_INVALID);
        assertThat(run(Command.setRiskRules(now, nextRequestId(), 3, 0)).result())
                .isEqualTo(ResultCode.WINDOW_MILLIS_INVALID);
        assertThat(run(Command.setRiskRules(now, nextRequestId(), 3, 86_400_001L))
                        .result())
                .isEqualTo(ResultCode.WINDOW_MILLIS_INVALID);
        assertThat(run(Command.setRiskRules(now, nextRequestId(), 0, 5)).result())
                .isEqualTo(ResultCode.WINDOW_MILLIS_INVALID);
        assertThat(run(Command.setUserBlocked(now, nextRequestId(), "has space", true))
                        .result())
                .isEqualTo(ResultCode.USER_ID_INVALID);
        Command rules = run(Command.getRiskRules());
        assertThat(rules.riskAnswer().maxAttempts).isEqualTo(3);
        assertThat(rules.riskAnswer().windowMillis).isEqualTo(1_000);
        assertThat(rules.riskAnswer().blockedUsers).isZero();
    }

    @Test
    void fullRiskTablesShouldRefuseAndChangeNothing() {
        state = HeapCheckoutState.unbounded().riskCapacities(1, 2);
        book = new CheckoutBook(state, EngineLimits.defaults());
        upsert("sku-1", 100, "EUR", 10, 0);
        assertThat(run(Command.setUserBlocked(now, nextRequestId(), "a", true)).result())
                .isEqualTo(ResultCode.SUCCESS);
        assertThat(run(Command.setUserBlocked(now, nextRequestId(), "a", true)).result())
                .as("blocking a blocked user takes no row")
                .isEqualTo(ResultCode.SUCCESS);
        assertThat(run(Command.setUserBlocked(now, nextRequestId(), "b", true)).result())
                .isEqualTo(ResultCode.BLOCKLIST_FULL);
        assertThat(run(Command.getUserRisk("b")).riskAnswer().userBlocked).isFalse();

        run(Command.setRiskRules(now, nextRequestId(), 5, 60_000));
        assertThat(reserve("u1", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("u2", "sku-1", 1).result()).isEqualTo(ResultCode.SUCCESS);
        Command full = reserve("u3", "sku-1", 1);
        assertThat(full.result()).isEqualTo(ResultCode.ATTEMPT_COUNTER_TABLE_FULL);
        assertThat(reserve(full.requestId.asString(), "u3", "sku-1", 1).repeated)
                .as("a full table is not remembered")
                .isFalse();
        assertThat(reserve("u1", "sku-1", 1).result())
                .as("a counted user goes on")
                .isEqualTo(ResultCode.SUCCESS);
        assertStock("sku-1", 7, 3, 0);
        now += 60_000;
        assertThat(reserve("u3", "sku-1", 1).result()).as("the next window").isEqualTo(ResultCode.SUCCESS);
    }

    // ---- SKU groups --------------------------------------------------------------------------

    private Command upsertInGroup(String skuId, String groupId) {
        Command upsert = Command.upsertSku(now, nextRequestId(), skuId, 100, "EUR", 100, 0, 0, 0, TTL);
        upsert.groupId().set(groupId);
        return run(upsert);
    }

    @Test
    void groupLimitShouldCountEveryUnitHeldInTheGroupAndGiveBackOnCancel() {
        assertThat(run(Command.upsertSkuGroup(now, nextRequestId(), "sale-1", 3))
                        .groupPerUserLimit())
                .isEqualTo(3);
        upsertInGroup("A", "sale-1");
        upsertInGroup("B", "sale-1");
        upsertInGroup("C", "sale-1");
        upsert("D", 100, "EUR", 100, 0);

        assertThat(reserve("u", "A", 2).result()).isEqualTo(ResultCode.SUCCESS);
        long orderB = reserve("u", "B", 1).order.orderId;
        Command refused = reserve("u", "C", 1);
        assertThat(refused.result()).isEqualTo(ResultCode.GROUP_LIMIT_EXCEEDED);
        assertThat(refused.failedSkuId()).isEqualTo("C");
        assertThat(reserve("u", "D", 5).result()).as("outside the group").isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("other", "C", 3).result()).as("another user").isEqualTo(ResultCode.SUCCESS);

        order(CommandType.CANCEL, orderB);
        assertThat(reserve("u", "C", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertStock("C", 96, 4, 0);
    }

    @Test
    void groupLimitShouldCountTheOrdersOwnLinesTogether() {
        run(Command.upsertSkuGroup(now, nextRequestId(), "sale-1", 3));
        upsertInGroup("A", "sale-1");
        upsertInGroup("B", "sale-1");
        Command both = Command.reserve(now, nextRequestId(), "u", "A", 2);
        both.addLine("B", 2);
        Command refused = run(both);
        assertThat(refused.result()).isEqualTo(ResultCode.GROUP_LIMIT_EXCEEDED);
        assertThat(refused.failedLine).isEqualTo(1);
        assertStock("A", 100, 0, 0);
        Command fits = Command.reserve(now, nextRequestId(), "u", "A", 2);
        fits.addLine("B", 1);
        assertThat(run(fits).result()).isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void skuShouldMoveBetweenGroupsAndTheGroupListItsSkus() {
        run(Command.upsertSkuGroup(now, nextRequestId(), "g1", 1));
        run(Command.upsertSkuGroup(now, nextRequestId(), "g2", 5));
        upsertInGroup("B", "g1");
        upsertInGroup("A", "g1");
        assertThat(run(Command.getSkuGroup("g1")).groupSkuIds()).containsExactly("B", "A");
        assertThat(reserve("u", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("u", "B", 1).result()).isEqualTo(ResultCode.GROUP_LIMIT_EXCEEDED);
        Command moved = upsertInGroup("B", "g2");
        assertThat(moved.sku.groupId).isEqualTo("g2");
        assertThat(run(Command.getSkuGroup("g1")).groupSkuIds()).containsExactly("A");
        assertThat(reserve("u", "B", 1).result()).isEqualTo(ResultCode.SUCCESS);
        Command ungrouped = run(Command.upsertSku(now, nextRequestId(), "A", 100, "EUR", 100, 0, 0, 0, TTL));
        assertThat(ungrouped.sku.groupId).isNull();
        assertThat(run(Command.getSkuGroup("g1")).groupSkuIds()).isEmpty();
    }

    @Test
    void groupMistakesShouldBeNamedAndChangeNothing() {
        Command unknown = upsertInGroup("A", "nope");
        assertThat(unknown.result()).isEqualTo(ResultCode.GROUP_UNKNOWN);
        assertThat(run(Command.getSku("A")).result()).isEqualTo(ResultCode.SKU_NOT_FOUND);
        assertThat(upsertInGroup("A", "bad group").result()).isEqualTo(ResultCode.GROUP_ID_INVALID);
        assertThat(run(Command.upsertSkuGroup(now, nextRequestId(), "g", 0)).result())
                .isEqualTo(ResultCode.PER_USER_LIMIT_INVALID);
        assertThat(run(Command.upsertSkuGroup(now, nextRequestId(), "g", 1_000_000_001L))
                        .result())
                .isEqualTo(ResultCode.PER_USER_LIMIT_INVALID);
        assertThat(run(Command.getSkuGroup("g")).result()).isEqualTo(ResultCode.GROUP_NOT_FOUND);

        run(Command.upsertSkuGroup(now, nextRequestId(), "g", 2));
        for (int i = 0; i < SkuGroupTable.SKUS_MAX; i++) {
            assertThat(upsertInGroup("S" + i, "g").result()).isEqualTo(ResultCode.SUCCESS);
        }
        Command full = upsertInGroup("S-extra", "g");
        assertThat(full.result()).isEqualTo(ResultCode.GROUP_SKUS_FULL);
        assertThat(run(Command.getSku("S-extra")).result())
                .as("nothing changed")
                .isEqualTo(ResultCode.SKU_NOT_FOUND);
        assertThat(upsertInGroup("S0", "g").result())
                .as("a member may be upserted again")
                .isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void aGroupsAttemptLimitShouldCountOnlyReservesTouchingTheGroup() {
        upsert("other", 100, "EUR", 100, 0);
        Command group = Command.upsertSkuGroup(now, nextRequestId(), "sale", 100);
        group.attemptLimit(2, 1_000);
        assertThat(run(group).groupMaxAttempts()).isEqualTo(2);
        upsertInGroup("A", "sale");
        upsertInGroup("B", "sale");

        assertThat(reserve("u1", "A", 1).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("u1", "other", 1).result()).as("not in the group").isEqualTo(ResultCode.SUCCESS);
        assertThat(reserve("u1", "ghost", 1).result()).isEqualTo(ResultCode.UNKNOWN_SKU);
        assertThat(reserve("u1", "B", 1000).result())
                .as("refused, but counted")
                .isEqualTo(ResultCode.GROUP_LIMIT_EXCEEDED);
        Command twoLines = Command.reserve(now, nextRequestId(), "u1", "other", 1);
        twoLines.addLine("B", 1);
        Command limited = run(twoLines);
        assertThat(limited.result()).isEqualTo(ResultCode.RATE_LIMITED);
        assertThat(limited.failedSkuId()).as("the first line in the group").isEqualTo("B");
        assertStock("other", 99, 1, 0);
        assertThat(reserve("u2", "B", 1).result()).as("another user").isEqualTo(ResultCode.SUCCESS);

        now += 1_000;
        assertThat(reserve("u1", "B", 1).result()).as("the next window").isEqualTo(ResultCode.SUCCESS);
        assertThat(state.skuGroups().attemptRows()).isEqualTo(1);
    }

    @Test
    void fullGroupTableShouldRefuseANewGroupButChangeAnExistingOne() {
        state = HeapCheckoutState.unbounded().skuGroupCapacity(1);
        book = new CheckoutBook(state, EngineLimits.defaults());
        assertThat(run(Command.upsertSkuGroup(now, nextRequestId(), "g1", 2)).result())
                .isEqualTo(ResultCode.SUCCESS);
        assertThat(run(Command.upsertSkuGroup(now, nextRequestId(), "g2", 2)).result())
                .isEqualTo(ResultCode.GROUP_TABLE_FULL);
        Command changed = run(Command.upsertSkuGroup(now, nextRequestId(), "g1", 7));
        assertThat(changed.result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(changed.groupPerUserLimit()).isEqualTo(7);
    }
}
