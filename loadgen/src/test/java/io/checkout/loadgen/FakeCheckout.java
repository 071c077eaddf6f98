package io.checkout.loadgen;

import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately simple in-process stand-in for the checkout server, for the cases the real one
 * must never produce: one that oversells, and one that stalls for a while.
 *
 * <p>Every SKU exists with {@code totalStock} units and a per-user limit of 1. In {@link Mode#OVERSELL}
 * every reserve is RESERVED, however many came before; in {@link Mode#SOLD_OUT} every reserve is
 * SOLD_OUT. Replies due while the pause window is open are held until it closes.
 */
final class FakeCheckout extends CheckoutGrpc.CheckoutImplBase implements AutoCloseable {

    enum Mode {
        OVERSELL,
        SOLD_OUT
    }

    private final Mode mode;
    private final long totalStock;
    private final Map<Long, Order> orders = new ConcurrentHashMap<>();
    private final AtomicLong nextOrderId = new AtomicLong(1);
    private final AtomicLong reserves = new AtomicLong();
    private final ScheduledExecutorService delayer = Executors.newSingleThreadScheduledExecutor();
    private final String name = InProcessServerBuilder.generateName();
    private final Server server;
    private volatile long pauseAfterReserves = Long.MAX_VALUE;
    private volatile long pauseMillis;
    /** Zero until the pause starts. */
    private volatile long pauseUntilNanos;

    FakeCheckout(Mode mode, long totalStock) throws IOException {
        this.mode = mode;
        this.totalStock = totalStock;
        this.server =
                InProcessServerBuilder.forName(name).addService(this).build().start();
    }

    ManagedChannel newChannel() {
        return InProcessChannelBuilder.forName(name).build();
    }

    /** From the {@code afterReserves}-th reserve on, hold every reply for {@code pauseMillis}. */
    void pauseAfter(long afterReserves, long pauseMillis) {
        this.pauseAfterReserves = afterReserves;
        this.pauseMillis = pauseMillis;
    }

    long reserves() {
        return reserves.get();
    }

    @Override
    public void reserve(ReserveRequest request, StreamObserver<ReserveReply> replies) {
        long count = reserves.incrementAndGet();
        if (count == pauseAfterReserves) {
            pauseUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis);
        }
        ReserveReply.Builder reply = ReserveReply.newBuilder().setRequestId(request.getRequestId());
        if (mode == Mode.OVERSELL) {
            long orderId = nextOrderId.getAndIncrement();
            OrderLine line = request.getLines(0);
            orders.put(
                    orderId,
                    Order.newBuilder()
                            .setOrderId(orderId)
                            .setUserId(request.getUserId())
                            .addLines(line)
                            .setState(OrderState.ORDER_STATE_RESERVED)
                            .build());
            reply.setResult(ReserveResult.RESERVED)
                    .setOrderId(orderId)
                    .setExpiresAtEpochMillis(System.currentTimeMillis() + 600_000);
        } else {
            reply.setResult(ReserveResult.SOLD_OUT)
                    .setFailedSkuId(request.getLines(0).getSkuId());
        }
        long pauseUntil = pauseUntilNanos;
        long holdNanos = pauseUntil == 0 ? 0 : pauseUntil - System.nanoTime();
        if (holdNanos > 0) {
            delayer.schedule(() -> answer(replies, reply.build()), holdNanos, TimeUnit.NANOSECONDS);
        } else {
            answer(replies, reply.build());
        }
    }

    private static void answer(StreamObserver<ReserveReply> replies, ReserveReply reply) {
        replies.onNext(reply);
        replies.onCompleted();
    }

    @Override
    public void getStock(GetStockRequest request, StreamObserver<Sku> replies) {
        // Stock figures that balance, so the only thing wrong with an overselling run is the overselling.
        long reserved = mode == Mode.OVERSELL ? totalStock : 0;
        replies.onNext(Sku.newBuilder()
                .setSkuId(request.getSkuId())
                .setPriceMinor(100)
                .setCurrency("EUR")
                .setTotalStock(totalStock)
                .setAvailable(totalStock - reserved)
                .setReserved(reserved)
                .setSold(0)
                .setPerUserLimit(1)
                .setReservationTtlMillis(600_000)
                .build());
        replies.onCompleted();
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<Order> replies) {
        Order order = orders.get(request.getOrderId());
        if (order == null) {
            replies.onError(Status.NOT_FOUND
                    .withDescription("order " + request.getOrderId())
                    .asRuntimeException());
            return;
        }
        replies.onNext(order);
        replies.onCompleted();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
        delayer.shutdownNow();
    }
}
