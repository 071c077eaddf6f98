package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** OrderEvents.Subscribe: ordered, gap-free, resumable from any sequence, live, and across restarts. */
class OrderEventsIT {
    private static final String SKU = "SKU-EVENTS";

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

    @Test
    void eventsShouldTellEveryChangeInOrderWithWhatAConsumerNeeds() {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 10, 0));
        ReserveReply paid = running.client().reserve("alice", SKU, 2);
        running.client().confirm(paid.getOrderId());
        ReserveReply cancelled = running.client().reserve("bob", SKU, 1);
        running.client().cancel(cancelled.getOrderId());
        running.client().refund(paid.getOrderId());
        running.client().adjustStock(SKU, 5);

        List<OrderEvent> events = take(subscribe(0), 7);

        assertThat(events).extracting(OrderEvent::getSequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(events)
                .extracting(OrderEvent::getType)
                .containsExactly(
                        OrderEventType.ORDER_EVENT_TYPE_SKU_UPSERTED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_CANCELLED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED,
                        OrderEventType.ORDER_EVENT_TYPE_STOCK_ADJUSTED);
        Order reserved = events.get(1).getOrder();
        assertThat(reserved.getOrderId()).isEqualTo(paid.getOrderId());
        assertThat(reserved.getUserId()).isEqualTo("alice");
        assertThat(reserved.getAmountMinor()).isEqualTo(paid.getAmountMinor());
        assertThat(reserved.getCurrency()).isEqualTo("USD");
        assertThat(reserved.getLines(0).getSkuId()).isEqualTo(SKU);
        assertThat(reserved.getLines(0).getQuantity()).isEqualTo(2);
        assertThat(reserved.getLines(0).getUnitPriceMinor()).isEqualTo(1_999);
        assertThat(events.get(2).getPreviousState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(events.get(5).getPreviousState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(events.get(6).getStockDelta()).isEqualTo(5);
        assertThat(events.get(6).getSku().getTotalStock()).isEqualTo(15);
        assertThat(events)
                .allSatisfy(event -> assertThat(event.getJournalSequence()).isPositive());
    }

    @Test
    void resumingFromTheMiddleAcrossARestartShouldSeeEveryLaterEventOnceThenLiveOnes() throws Exception {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 1_000, 0));
        for (int i = 0; i < 20; i++) {
            running.client().reserve("user-" + i, SKU, 1);
        }
        List<OrderEvent> first = take(subscribe(0), 21);
        long resumeAfter = first.get(9).getSequence();
        stop();

        start();
        for (int i = 20; i < 30; i++) {
            running.client().reserve("user-" + i, SKU, 1);
        }
        // A live consumer, subscribed before the next changes happen.
        BlockingQueue<OrderEvent> live = new LinkedBlockingQueue<>();
        OrderEventsGrpc.newStub(running.channel())
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(31).build(), collectInto(live));
        List<OrderEvent> resumed = take(subscribe(resumeAfter), 31 - 10);
        for (int i = 30; i < 35; i++) {
            running.client().reserve("user-" + i, SKU, 1);
        }

        assertThat(resumed)
                .extracting(OrderEvent::getSequence)
                .containsExactlyElementsOf(sequence(resumeAfter + 1, 31));
        assertThat(resumed.get(0)).isEqualTo(first.get(10));
        assertThat(resumed.get(resumed.size() - 1).getOrder().getUserId()).isEqualTo("user-29");
        List<OrderEvent> liveEvents = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            OrderEvent event = live.poll(30, TimeUnit.SECONDS);
            assertThat(event).as("live event %d", i).isNotNull();
            liveEvents.add(event);
        }
        assertThat(liveEvents).extracting(OrderEvent::getSequence).containsExactly(32L, 33L, 34L, 35L, 36L);
        assertThat(liveEvents.get(4).getOrder().getUserId()).isEqualTo("user-34");
    }

    @Test
    void refusedReservesShouldMakeNoEvents() {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 1, 1));
        assertThat(running.client().reserve("carol", SKU, 1).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(running.client().reserve("dave", SKU, 1).getResult()).isEqualTo(ReserveResult.SOLD_OUT);
        assertThat(running.client().reserve("carol", SKU, 1).getResult()).isEqualTo(ReserveResult.LIMIT_EXCEEDED);
        running.client().adjustStock(SKU, 1);

        List<OrderEvent> events = take(subscribe(0), 3);

        assertThat(events)
                .extracting(OrderEvent::getType)
                .containsExactly(
                        OrderEventType.ORDER_EVENT_TYPE_SKU_UPSERTED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                        OrderEventType.ORDER_EVENT_TYPE_STOCK_ADJUSTED);
    }

    @Test
    void subscribersBeyondTheLimitShouldBeRefusedWithResourceExhausted() {
        running.start(ItFixtures.smallConfig(dataDir)
                .set(ServerConfig.Setting.EVENT_SUBSCRIBERS_MAX, 1)
                .conclude());
        running.client().upsertSku(ItFixtures.sku(SKU, 1, 1));
        Iterator<OrderEvent> firstSubscriber = subscribe(0);
        assertThat(firstSubscriber.next().getSequence()).isEqualTo(1);

        assertThatThrownBy(() -> subscribe(0).next())
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    }

    private Iterator<OrderEvent> subscribe(long fromSequence) {
        return OrderEventsGrpc.newBlockingStub(running.channel())
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder()
                        .setFromSequence(fromSequence)
                        .build());
    }

    private static List<OrderEvent> take(Iterator<OrderEvent> events, int count) {
        List<OrderEvent> taken = new ArrayList<>();
        while (taken.size() < count) {
            taken.add(events.next());
        }
        return taken;
    }

    private static List<Long> sequence(long first, long last) {
        List<Long> values = new ArrayList<>();
        for (long value = first; value <= last; value++) {
            values.add(value);
        }
        return values;
    }

    private static StreamObserver<OrderEvent> collectInto(BlockingQueue<OrderEvent> queue) {
        return new StreamObserver<>() {
            @Override
            public void onNext(OrderEvent value) {
                queue.add(value);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        };
    }
}
