package io.checkout.client;

import com.google.protobuf.Message;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scripted Checkout service: records every unary request, fails the next calls with queued
 * statuses, and hands the reserve stream to a behaviour chosen by the test.
 */
final class FakeCheckoutService extends CheckoutGrpc.CheckoutImplBase {

    private final List<Message> calls = new CopyOnWriteArrayList<>();
    private final List<String> callThreads = new CopyOnWriteArrayList<>();
    private final Deque<StatusRuntimeException> failures = new ConcurrentLinkedDeque<>();
    private volatile boolean silent;
    private final AtomicInteger cancelledCalls = new AtomicInteger();
    private volatile Function<ServerCallStreamObserver<ReserveReply>, StreamObserver<ReserveRequest>> streamBehaviour;
    private volatile Function<ServerCallStreamObserver<ReserveBatchReply>, StreamObserver<ReserveBatch>>
            batchStreamBehaviour;

    /** The next unary calls fail with these statuses, one each, in order. */
    void failNext(Status... statuses) {
        for (Status status : statuses) {
            failures.add(status.asRuntimeException());
        }
    }

    /** The next unary calls fail with these errors (with their trailers), one each, in order. */
    void failNext(StatusRuntimeException... errors) {
        failures.addAll(List.of(errors));
    }

    /** Unary calls from now on are never answered, so only their deadline ends them. */
    void neverAnswer() {
        silent = true;
    }

    void onReserveStream(Function<ServerCallStreamObserver<ReserveReply>, StreamObserver<ReserveRequest>> behaviour) {
        this.streamBehaviour = behaviour;
    }

    void onReserveBatchStream(
            Function<ServerCallStreamObserver<ReserveBatchReply>, StreamObserver<ReserveBatch>> behaviour) {
        this.batchStreamBehaviour = behaviour;
    }

    /** How many unanswered calls the client cancelled (or let time out). */
    int cancelledCalls() {
        return cancelledCalls.get();
    }

    List<Message> calls() {
        return calls;
    }

    /**
     * The name of the thread each unary call was made on, in order: the in-process server runs the
     * handler on the thread that sent the request.
     */
    List<String> callThreads() {
        return callThreads;
    }

    List<ReserveRequest> reserveCalls() {
        return calls.stream()
                .filter(ReserveRequest.class::isInstance)
                .map(ReserveRequest.class::cast)
                .toList();
    }

    /** The reply the fake gives to a reserve: RESERVED, with the order id taken from the user id. */
    static ReserveReply reservedReply(ReserveRequest request) {
        return ReserveReply.newBuilder()
                .setRequestId(request.getRequestId())
                .setResult(ReserveResult.RESERVED)
                .setOrderId(orderIdOf(request))
                .setCurrency("USD")
                .build();
    }

    /** User ids in tests end with a number after the last '-'; it becomes the order id. */
    static long orderIdOf(ReserveRequest request) {
        String userId = request.getUserId();
        return Long.parseLong(userId.substring(userId.lastIndexOf('-') + 1));
    }

    @Override
    public void reserve(ReserveRequest request, StreamObserver<ReserveReply> responseObserver) {
        answer(request, responseObserver, reservedReply(request));
    }

    @Override
    public StreamObserver<ReserveRequest> reserveStream(StreamObserver<ReserveReply> responseObserver) {
        return streamBehaviour.apply((ServerCallStreamObserver<ReserveReply>) responseObserver);
    }

    @Override
    public StreamObserver<ReserveBatch> reserveBatchStream(StreamObserver<ReserveBatchReply> responseObserver) {
        return batchStreamBehaviour.apply((ServerCallStreamObserver<ReserveBatchReply>) responseObserver);
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<Order> responseObserver) {
        answer(request, responseObserver, order(request.getOrderId(), OrderState.ORDER_STATE_PAID));
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<Order> responseObserver) {
        answer(request, responseObserver, order(request.getOrderId(), OrderState.ORDER_STATE_CANCELLED));
    }

    @Override
    public void refund(RefundRequest request, StreamObserver<Order> responseObserver) {
        answer(request, responseObserver, order(request.getOrderId(), OrderState.ORDER_STATE_REFUNDED));
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<Order> responseObserver) {
        answer(request, responseObserver, order(request.getOrderId(), OrderState.ORDER_STATE_RESERVED));
    }

    @Override
    public void getStock(GetStockRequest request, StreamObserver<Sku> responseObserver) {
        answer(
                request,
                responseObserver,
                Sku.newBuilder()
                        .setSkuId(request.getSkuId())
                        .setAvailable(7)
                        .setTotalStock(10)
                        .build());
    }

    private static Order order(long orderId, OrderState state) {
        return Order.newBuilder().setOrderId(orderId).setState(state).build();
    }

    private <T> void answer(Message request, StreamObserver<T> responseObserver, T reply) {
        calls.add(request);
        callThreads.add(Thread.currentThread().getName());
        if (silent) {
            ((ServerCallStreamObserver<T>) responseObserver).setOnCancelHandler(cancelledCalls::incrementAndGet);
            return;
        }
        StatusRuntimeException failure = failures.poll();
        if (failure != null) {
            responseObserver.onError(failure);
            return;
        }
        responseObserver.onNext(reply);
        responseObserver.onCompleted();
    }
}
