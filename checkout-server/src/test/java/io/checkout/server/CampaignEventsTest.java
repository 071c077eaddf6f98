package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.HeapCheckoutState;
import io.checkout.engine.ResultCode;
import io.checkout.journal.OrderEventLog;
import io.checkout.journal.OrderEventReader;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.UpsertCampaignRequest;
import io.checkout.proto.v1.UpsertMerchantRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order event log carries an order's campaign (event format 5), so that a subscriber, mapping
 * an event through the same {@link ProtoMapping} as GetOrder, sees the discount exactly as GetOrder
 * shows it; orders without a campaign are written and read as before. On the engine and the event
 * log alone, without a server.
 */
class CampaignEventsTest {
    @TempDir
    Path directory;

    private final HeapCheckoutState state = HeapCheckoutState.unbounded();
    private final CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
    private OrderEventLog events;
    private long now = 1_000_000;
    private int requests;

    @BeforeEach
    void openLog() {
        RecordLogWriter writer = RecordLogWriter.open(
                directory, RecordLogReader.scanUntilFromTail(directory, payload -> false), 1, 1 << 20, false, 1 << 17);
        events = new OrderEventLog(writer, state);
        book.eventListener(events);
    }

    @AfterEach
    void closeLog() {
        events.close();
    }

    private Command run(Command c) {
        c.timestampMillis = ++now;
        events.journalSequence(now);
        book.execute(c);
        return c;
    }

    private Command run(Object request) {
        Command c = new Command();
        String requestId = "r-" + ++requests;
        if (request instanceof UpsertSkuRequest sku) {
            ProtoMapping.toCommand(sku.toBuilder().setRequestId(requestId).build(), c);
        } else if (request instanceof UpsertMerchantRequest merchant) {
            ProtoMapping.toCommand(merchant.toBuilder().setRequestId(requestId).build(), c);
        } else if (request instanceof Campaign campaign) {
            ProtoMapping.toCommand(
                    UpsertCampaignRequest.newBuilder()
                            .setRequestId(requestId)
                            .setCampaign(campaign)
                            .build(),
                    c);
        } else if (request instanceof ReserveRequest reserve) {
            ProtoMapping.toCommand(reserve.toBuilder().setRequestId(requestId).build(), c);
        } else if (request instanceof RefundRequest refund) {
            ProtoMapping.toCommand(refund.toBuilder().setRequestId(requestId).build(), c);
        } else {
            throw new IllegalArgumentException(String.valueOf(request));
        }
        run(c);
        assertThat(c.result()).as("%s", request).isEqualTo(ResultCode.SUCCESS);
        return c;
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    private static UpsertSkuRequest sku(String skuId, long price, String merchantId) {
        return UpsertSkuRequest.newBuilder()
                .setSkuId(skuId)
                .setPriceMinor(price)
                .setCurrency("USD")
                .setTotalStock(100)
                .setReservationTtlMillis(3_600_000)
                .setMerchantId(merchantId)
                .build();
    }

    private Order getOrder(long orderId) {
        Command get = run(Command.getOrder(orderId));
        return ProtoMapping.toOrder(get);
    }

    private List<OrderEvent> allEvents() {
        events.commit();
        List<OrderEvent> read = new ArrayList<>();
        try (OrderEventReader reader = OrderEventReader.after(directory, 0)) {
            reader.read(Long.MAX_VALUE, 1_000, record -> read.add(OrderEventsService.toProto(record, 0)));
        }
        return read;
    }

    @Test
    void eventsShouldShowADiscountedOrderAsGetOrderDoesAndAnOrderWithoutOneAsBefore() {
        run(UpsertMerchantRequest.newBuilder()
                .setMerchantId("acme")
                .setCommissionBps(1_250)
                .build());
        run(sku("SHOE", 333, "acme"));
        run(sku("SOCK", 1_999, ""));
        run(sku("HAT", 500, "acme"));
        run(Campaign.newBuilder()
                .setCampaignId("TENOFF")
                .setKind(CampaignKind.CAMPAIGN_KIND_AMOUNT_OFF)
                .setCurrency("USD")
                .setAmountOffMinor(1_001)
                .addSkuIds("SHOE")
                .addSkuIds("SOCK")
                .setBudget(10)
                .setPerUserLimit(1)
                .build());
        Command reserved = run(ReserveRequest.newBuilder()
                .setUserId("alice")
                .addLines(line("SHOE", 3))
                .addLines(line("SOCK", 1))
                .addLines(line("HAT", 1))
                .setCampaignId("TENOFF")
                .build());
        long orderId = reserved.order.orderId;
        assertThat(ProtoMapping.toReserveReply(reserved).getDiscountMinor()).isEqualTo(1_001);
        Order reservedOrder = getOrder(orderId);
        run(Command.orderCommand(CommandType.CONFIRM, now, "pay", orderId));
        run(RefundRequest.newBuilder()
                .setOrderId(orderId)
                .addLines(line("SHOE", 1))
                .build());
        Order partly = getOrder(orderId);
        run(RefundRequest.newBuilder().setOrderId(orderId).build());
        Order refunded = getOrder(orderId);
        Command plain = run(ReserveRequest.newBuilder()
                .setUserId("bob")
                .addLines(line("SHOE", 3))
                .build());
        Order plainOrder = getOrder(plain.order.orderId);

        List<OrderEvent> orderEvents =
                allEvents().stream().filter(OrderEvent::hasOrder).toList();
        assertThat(orderEvents)
                .extracting(OrderEvent::getType)
                .containsExactly(
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED);
        assertThat(orderEvents.get(0).getOrder()).isEqualTo(reservedOrder);
        assertThat(reservedOrder.getCampaignId()).isEqualTo("TENOFF");
        assertThat(reservedOrder.getDiscountMinor()).isEqualTo(1_001);
        assertThat(reservedOrder.getLinesList())
                .extracting(OrderLine::getDiscountMinor)
                .containsExactly(334L, 667L, 0L);
        assertThat(orderEvents.get(2).getOrder()).isEqualTo(partly);
        assertThat(orderEvents.get(3).getOrder()).isEqualTo(refunded);
        assertThat(orderEvents.get(4).getOrder()).isEqualTo(plainOrder);
        assertThat(plainOrder.getCampaignId()).isEmpty();
        assertThat(plainOrder.getDiscountMinor()).isZero();
        assertThat(plainOrder.getLines(0).getCommissionMinor())
                .as("12.5% of 999")
                .isEqualTo(125);

        OrderLine firstBack = orderEvents.get(2).getRefundLines(0);
        assertThat(firstBack.getGrossMinor() - firstBack.getDiscountMinor())
                .as("paid(3) - paid(2) = 665 - 444")
                .isEqualTo(221)
                .isEqualTo(partly.getRefundedAmountMinor());
        long backPaid = 0;
        long backDiscount = 0;
        long backCommission = 0;
        for (OrderEvent refund : orderEvents.subList(2, 4)) {
            for (OrderLine back : refund.getRefundLinesList()) {
                backPaid += back.getGrossMinor() - back.getDiscountMinor();
                backDiscount += back.getDiscountMinor();
                backCommission += back.getCommissionMinor();
            }
        }
        assertThat(backPaid).isEqualTo(refunded.getRefundedAmountMinor()).isEqualTo(refunded.getAmountMinor());
        assertThat(backDiscount).isEqualTo(1_001);
        assertThat(backCommission).isEqualTo(refunded.getCommissionMinor());
    }
}
