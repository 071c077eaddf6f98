package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract lets a caller that timed out always retry with the same request_id. These tests
 * hold the server to that: a repeat gets the first answer and moves no stock, whether it comes
 * later or at the same moment as the original.
 */
class IdempotencyIT {
    private static final String SKU = "CONSOLE-1";
    private static final int STOCK = 100;

    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;
    private ExecutorService threads;

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
        client.upsertSku(ItFixtures.sku(SKU, STOCK, 5));
    }

    @AfterEach
    void stopServer() {
        if (threads != null) {
            threads.shutdownNow();
        }
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    @Test
    void reserveRepeatedWithSameRequestIdShouldReturnTheFirstAnswerAndDeductOnce() {
        ReserveReply first = client.reserve("reserve-once", "alice", SKU, 3);
        ReserveReply second = client.reserve("reserve-once", "alice", SKU, 3);
        ReserveReply third = client.reserve("reserve-once", "alice", SKU, 3);

        assertThat(first.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(second).isEqualTo(first);
        assertThat(third).isEqualTo(first);
        assertStock(STOCK - 3, 3, 0);
        assertThat(client.getOrder(first.getOrderId()).getLines(0).getQuantity())
                .isEqualTo(3);
    }

    @Test
    void reserveRepeatedWithSameRequestIdShouldNotCountAgainstThePerUserLimit() {
        // alice may hold 5; were a repeat counted, the repeats below would push her past it.
        ReserveReply first = client.reserve("limit-once", "alice", SKU, 4);
        client.reserve("limit-once", "alice", SKU, 4);
        client.reserve("limit-once", "alice", SKU, 4);

        ReserveReply oneMore = client.reserve("limit-next", "alice", SKU, 1);

        assertThat(first.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(oneMore.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertStock(STOCK - 5, 5, 0);
    }

    @Test
    void refusedReserveRepeatedWithSameRequestIdShouldGetTheSameRefusalEvenAfterStockReturns() {
        ReserveReply refused = client.reserve("too-early", "bob", SKU, 6);
        assertThat(refused.getResult()).isEqualTo(ReserveResult.LIMIT_EXCEEDED);
        client.upsertSku(ItFixtures.sku(SKU, STOCK, 0));

        ReserveReply repeat = client.reserve("too-early", "bob", SKU, 6);

        assertThat(repeat).isEqualTo(refused);
        assertStock(STOCK, 0, 0);
    }

    @Test
    void reserveWithSameRequestIdShouldDeductOnceWhenSentConcurrently() throws Exception {
        int senders = 50;

        List<ReserveReply> replies = concurrently(senders, () -> client.reserve("same-moment", "carol", SKU, 2));

        assertThat(replies).hasSize(senders);
        Set<Long> orderIds = replies.stream().map(ReserveReply::getOrderId).collect(Collectors.toSet());
        assertThat(orderIds).hasSize(1).doesNotContain(0L);
        assertThat(replies).allSatisfy(reply -> assertThat(reply).isEqualTo(replies.get(0)));
        assertStock(STOCK - 2, 2, 0);
        // The order table must hold one order, not one per sender: the next reserve gets the next id.
        ReserveReply next = client.reserve("after-the-crowd", "dave", SKU, 1);
        assertThat(next.getOrderId()).isEqualTo(orderIds.iterator().next() + 1);
    }

    @Test
    void confirmRepeatedWithSameRequestIdShouldReturnTheFirstAnswerAndSellOnce() throws Exception {
        long orderId = client.reserve("r-confirm", "erin", SKU, 2).getOrderId();

        Order first = client.confirm("pay-once", orderId);
        List<Order> concurrentRepeats = concurrently(20, () -> client.confirm("pay-once", orderId));

        assertThat(first.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(concurrentRepeats).allSatisfy(repeat -> assertThat(repeat).isEqualTo(first));
        assertStock(STOCK - 2, 0, 2);
    }

    @Test
    void confirmSentConcurrentlyWithSameRequestIdShouldAllSucceedWithOneSale() throws Exception {
        long orderId = client.reserve("r-confirm-race", "erin", SKU, 2).getOrderId();

        List<Order> answers = concurrently(20, () -> client.confirm("pay-at-once", orderId));

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertThat(answer).isEqualTo(answers.get(0));
        });
        assertStock(STOCK - 2, 0, 2);
    }

    @Test
    void cancelRepeatedWithSameRequestIdShouldReturnTheFirstAnswerAndReturnStockOnce() throws Exception {
        long orderId = client.reserve("r-cancel", "frank", SKU, 4).getOrderId();

        Order first = client.cancel("cancel-once", orderId);
        List<Order> repeats = concurrently(20, () -> client.cancel("cancel-once", orderId));

        assertThat(first.getState()).isEqualTo(OrderState.ORDER_STATE_CANCELLED);
        assertThat(repeats).allSatisfy(repeat -> assertThat(repeat).isEqualTo(first));
        assertStock(STOCK, 0, 0);
    }

    @Test
    void confirmRepeatedAfterTheOrderMovedOnShouldStillAnswerWithTheFirstAnswersState() {
        long orderId = client.reserve("r-moved", "gina", SKU, 1).getOrderId();
        Order paid = client.confirm("pay-then-refund", orderId);
        client.refund("refund-it", orderId);

        Order repeat = client.confirm("pay-then-refund", orderId);

        // A retry of a confirm that succeeded must not surface as FAILED_PRECONDITION just because
        // a later refund changed the order.
        assertThat(repeat.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(repeat.getOrderId()).isEqualTo(paid.getOrderId());
        assertThat(repeat.getLinesList()).isEqualTo(paid.getLinesList());
        assertThat(client.getOrder(orderId).getState()).isEqualTo(OrderState.ORDER_STATE_REFUNDED);
        assertStock(STOCK, 0, 0);
    }

    @Test
    void failedConfirmRepeatedWithSameRequestIdShouldFailTheSameWayAndChangeNothing() {
        long orderId = client.reserve("r-cancelled", "hank", SKU, 1).getOrderId();
        client.cancel("cancel-first", orderId);

        StatusRuntimeException first = ItFixtures.grpcFailure(() -> client.confirm("late-pay", orderId));
        StatusRuntimeException repeat = ItFixtures.grpcFailure(() -> client.confirm("late-pay", orderId));

        assertThat(first.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(repeat.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.richStatus(repeat)).isEqualTo(ItFixtures.richStatus(first));
        assertStock(STOCK, 0, 0);
    }

    @Test
    void requestIdReusedForADifferentCommandShouldBeInvalidArgumentNamingRequestId() {
        ReserveReply reserved = client.reserve("used-for-reserve", "ivy", SKU, 1);
        CheckoutGrpc.CheckoutBlockingStub stub =
                CheckoutGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);

        StatusRuntimeException asConfirm = ItFixtures.grpcFailure(() -> stub.confirm(ConfirmRequest.newBuilder()
                .setRequestId("used-for-reserve")
                .setOrderId(reserved.getOrderId())
                .build()));
        StatusRuntimeException asCancel = ItFixtures.grpcFailure(() -> stub.cancel(CancelRequest.newBuilder()
                .setRequestId("used-for-reserve")
                .setOrderId(reserved.getOrderId())
                .build()));
        StatusRuntimeException asAdjust = ItFixtures.grpcFailure(() -> client.adjustStock("used-for-reserve", SKU, 1));

        for (StatusRuntimeException failure : List.of(asConfirm, asCancel, asAdjust)) {
            ItFixtures.assertInvalidArgument(failure, "request_id");
            assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo("REQUEST_ID_REUSED");
        }
        assertThat(client.getOrder(reserved.getOrderId()).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertStock(STOCK - 1, 1, 0);
        assertThat(client.reserve("used-for-reserve", "ivy", SKU, 1)).isEqualTo(reserved);
    }

    @Test
    void adjustStockRepeatedWithSameRequestIdShouldMoveStockOnce() throws Exception {
        Sku first = client.adjustStock("restock-once", SKU, 10);
        List<Sku> repeats = concurrently(10, () -> client.adjustStock("restock-once", SKU, 10));

        assertThat(first.getTotalStock()).isEqualTo(STOCK + 10);
        assertThat(repeats)
                .allSatisfy(repeat -> assertThat(repeat.getTotalStock()).isEqualTo(STOCK + 10));
        assertStock(STOCK + 10, 0, 0);
    }

    private void assertStock(long available, long reserved, long sold) {
        Sku sku = client.getStock(SKU);
        assertThat(sku.getAvailable()).as("available").isEqualTo(available);
        assertThat(sku.getReserved()).as("reserved").isEqualTo(reserved);
        assertThat(sku.getSold()).as("sold").isEqualTo(sold);
        assertThat(sku.getAvailable() + sku.getReserved() + sku.getSold()).isEqualTo(sku.getTotalStock());
    }

    /** Runs {@code call} on {@code count} threads released at the same instant. */
    private <T> List<T> concurrently(int count, Callable<T> call) throws Exception {
        threads = Executors.newFixedThreadPool(count);
        CountDownLatch ready = new CountDownLatch(count);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(threads.submit(() -> {
                ready.countDown();
                go.await();
                return call.call();
            }));
        }
        ready.await(10, TimeUnit.SECONDS);
        go.countDown();
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            results.add(future.get(30, TimeUnit.SECONDS));
        }
        threads.shutdown();
        return results;
    }
}
