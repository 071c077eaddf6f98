package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.Merchant;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merchants and settlement figures over gRPC, as a settlement team would read them: a merchant's
 * rate, the SKUs it sells, and orders whose lines carry merchant, store, gross, commission and net
 * that add up, in answers, in events and after a restart.
 */
class MerchantsIT {
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

    private Sku sellBy(String skuId, String merchantId, String storeId, long price) {
        return running.client()
                .upsertSku(ItFixtures.sku(skuId, 100, 0).toBuilder()
                        .setPriceMinor(price)
                        .setMerchantId(merchantId)
                        .setStoreId(storeId)
                        .build());
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    @Test
    void orderLinesShouldCarryMerchantStoreAndFiguresThatAddUpAcrossARestart() {
        start();
        Merchant acme = running.client().upsertMerchant("acme", 1_250);
        assertThat(acme.getCommissionBps()).isEqualTo(1_250);
        running.client().upsertMerchant("bolt", 333);
        Sku shoes = sellBy("SHOE-1", "acme", "store-7", 333);
        sellBy("SOCK-1", "bolt", "", 1_999);
        assertThat(shoes.getMerchantId()).isEqualTo("acme");
        assertThat(shoes.getStoreId()).isEqualTo("store-7");

        long orderId = running.client()
                .reserve("alice", List.of(line("SHOE-1", 3), line("SOCK-1", 1)))
                .getOrderId();
        running.client().upsertMerchant("acme", 5_000);
        Order paid = running.client().confirm(orderId);

        OrderLine shoeLine = paid.getLines(0);
        assertThat(shoeLine.getMerchantId()).isEqualTo("acme");
        assertThat(shoeLine.getStoreId()).isEqualTo("store-7");
        assertThat(shoeLine.getCommissionBps()).as("the rate when reserved").isEqualTo(1_250);
        assertThat(shoeLine.getGrossMinor()).isEqualTo(999);
        assertThat(shoeLine.getCommissionMinor()).as("124.875 rounds half up").isEqualTo(125);
        assertThat(shoeLine.getNetMinor()).isEqualTo(874);
        OrderLine sockLine = paid.getLines(1);
        assertThat(sockLine.getMerchantId()).isEqualTo("bolt");
        assertThat(sockLine.getStoreId()).isEmpty();
        assertThat(sockLine.getCommissionMinor()).as("66.5667 rounds to 67").isEqualTo(67);
        assertThat(paid.getCommissionMinor()).isEqualTo(125 + 67);
        assertThat(paid.getNetMinor()).isEqualTo(paid.getAmountMinor() - paid.getCommissionMinor());
        assertThat(shoeLine.getGrossMinor() + sockLine.getGrossMinor()).isEqualTo(paid.getAmountMinor());

        Order refunded = running.client().refund("refund-1", orderId, List.of(line("SHOE-1", 1)), "too small", true);
        OrderLine refundedShoes = refunded.getLines(0);
        assertThat(refundedShoes.getRefundedAmountMinor()).isEqualTo(333);
        // 2 units kept: 666 at 12.5% = 83.25 -> 83, so 125 - 83 = 42 of commission goes back.
        assertThat(refundedShoes.getRefundedCommissionMinor()).isEqualTo(42);
        assertThat(refunded.getRefundedCommissionMinor()).isEqualTo(42);

        stop();
        start();
        Order afterRestart = running.client().getOrder(orderId);
        assertThat(afterRestart).isEqualTo(refunded);
        assertThat(running.client().getMerchant("acme").getCommissionBps()).isEqualTo(5_000);
        assertThat(running.client().getStock("SHOE-1").getMerchantId()).isEqualTo("acme");
    }

    @Test
    void eventsShouldCarryTheLinesSettlementFigures() {
        start();
        running.client().upsertMerchant("acme", 1_250);
        sellBy("SHOE-1", "acme", "store-7", 333);
        long orderId = running.client().reserve("bob", "SHOE-1", 3).getOrderId();
        running.client().confirm(orderId);
        running.client().refund("refund-1", orderId, List.of(line("SHOE-1", 1)), "scuffed", true);
        Order refunded = running.client().refund(orderId);

        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(running.channel())
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(0).build());
        List<OrderEvent> seen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            seen.add(events.next());
        }

        assertThat(seen.get(0).getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_SKU_UPSERTED);
        assertThat(seen.get(0).getSku().getMerchantId()).isEqualTo("acme");
        assertThat(seen.get(0).getSku().getStoreId()).isEqualTo("store-7");
        OrderEvent paid = seen.get(2);
        assertThat(paid.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID);
        OrderLine line = paid.getOrder().getLines(0);
        assertThat(line.getMerchantId()).isEqualTo("acme");
        assertThat(line.getStoreId()).isEqualTo("store-7");
        assertThat(line.getCommissionBps()).isEqualTo(1_250);
        assertThat(line.getGrossMinor()).isEqualTo(999);
        assertThat(line.getCommissionMinor()).as("124.875 rounds half up").isEqualTo(125);
        assertThat(line.getNetMinor()).isEqualTo(874);
        assertThat(paid.getRefundLinesList()).isEmpty();

        OrderEvent inPart = seen.get(3);
        assertThat(inPart.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED);
        assertThat(inPart.getRefundReason()).isEqualTo("scuffed");
        OrderLine back = inPart.getRefundLines(0);
        assertThat(back.getSkuId()).isEqualTo("SHOE-1");
        assertThat(back.getMerchantId()).isEqualTo("acme");
        assertThat(back.getQuantity()).isEqualTo(1);
        assertThat(back.getGrossMinor()).isEqualTo(333);
        // Kept 2 units: 666 at 12.5% = 83.25 -> 83; 125 - 83 = 42 given back.
        assertThat(back.getCommissionMinor()).isEqualTo(42);
        assertThat(back.getNetMinor()).isEqualTo(291);
        OrderEvent rest = seen.get(4);
        assertThat(rest.getType()).isEqualTo(OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED);
        OrderLine restBack = rest.getRefundLines(0);
        assertThat(restBack.getQuantity()).isEqualTo(2);
        assertThat(restBack.getCommissionMinor()).isEqualTo(83);
        assertThat(back.getGrossMinor() + restBack.getGrossMinor()).isEqualTo(refunded.getRefundedAmountMinor());
        assertThat(back.getCommissionMinor() + restBack.getCommissionMinor())
                .as("the refunds gave back all the commission charged")
                .isEqualTo(refunded.getRefundedCommissionMinor())
                .isEqualTo(refunded.getCommissionMinor());
        assertThat(rest.getOrder()).isEqualTo(running.client().getOrder(orderId));
    }

    @Test
    void badMerchantFieldsShouldBeNamedAndAnUnknownMerchantRefused() {
        start();
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertMerchant("no spaces allowed", 10)), "merchant_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertMerchant("acme", 10_001)), "commission_bps");
        StatusRuntimeException missing =
                ItFixtures.grpcFailure(() -> running.client().getMerchant("acme"));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);

        StatusRuntimeException unknown = ItFixtures.grpcFailure(() -> sellBy("SHOE-1", "acme", "", 100));
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(unknown).getReason()).isEqualTo("MERCHANT_UNKNOWN");
        assertThat(ItFixtures.errorInfo(unknown).getMetadataMap()).containsEntry("field", "merchant_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> sellBy("SHOE-1", "", "bad store", 100)), "store_id");
        StatusRuntimeException noSku =
                ItFixtures.grpcFailure(() -> running.client().getStock("SHOE-1"));
        assertThat(noSku.getStatus().getCode()).as("nothing changed").isEqualTo(Status.Code.NOT_FOUND);
    }
}
