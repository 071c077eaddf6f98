package io.checkout.server;

import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.ListUserOrdersReply;
import io.checkout.proto.v1.ListUserOrdersRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The frontline service. Each call becomes one command on the ring; the pipeline answers it once the
 * command is applied and journalled.
 * Nothing here blocks: a command that would wait too long, or finds the ring full, is answered at
 * once with RESOURCE_EXHAUSTED ({@link Admission}).
 */
final class CheckoutService extends CheckoutGrpc.CheckoutImplBase {
    private final Admission admission;
    private final CommandPublisher pipeline;
    private final int streamWindow;
    private final int streamBatchMax;
    private final ServerMetrics metrics;
    private final boolean answersOnEventLoop;
    private final boolean streamAnswersOnEventLoop;
    /** The unary calls' handlers that answer on the replier thread. */
    private final Handlers replierHandlers;
    /**
     * Per Netty event loop, the handlers of the unary calls it runs, whose answers that loop writes
     * ({@link LoopAnswers}, one per loop). As many as the transport has event loops, a fixed few.
     * Kept here, not in a {@code ThreadLocal}: the loops' threads are shared by every server of the
     * process and would keep a stopped server's pipeline reachable through their values.
     */
    private final ConcurrentHashMap<Executor, Handlers> handlersOfLoop = new ConcurrentHashMap<>();

    private final BatchPublisher batchPublisher = new BatchPublisher();
    private final CommandPublisher.CommandTranslator<ReserveRequest> reserveTranslator;
    private final CommandPublisher.BatchTranslator<ReserveBatch> reserveOfBatchTranslator;
    private final CommandPublisher.CommandTranslator<ListUserOrdersRequest> listUserOrders;

    /**
     * @param answersOnEventLoop whether the answers of this service's unary calls are written by
     *     the call's event loop ({@link LoopAnswers}; setting unary-answers) rather than by the
     *     replier thread; calls not on a Netty event loop (the in-process transport) are answered by
     *     the replier either way
     * @param streamAnswersOnEventLoop the same for the reserve streams' answers (setting
     *     stream-answers; {@link ReserveStreamLifecycle})
     */
    CheckoutService(
            Admission admission,
            int streamWindow,
            int streamBatchMax,
            ServerMetrics metrics,
            boolean answersOnEventLoop,
            boolean streamAnswersOnEventLoop) {
        this.admission = admission;
        this.pipeline = admission.pipeline();
        this.streamWindow = streamWindow;
        this.streamBatchMax = streamBatchMax;
        this.metrics = metrics;
        this.answersOnEventLoop = answersOnEventLoop;
        this.streamAnswersOnEventLoop = streamAnswersOnEventLoop;
        this.replierHandlers = handlers(UnaryReplies.NOW);
        this.reserveTranslator =
                CommandTranslators.reserve(admission.partitions().orderIdBase());
        this.reserveOfBatchTranslator =
                CommandTranslators.reserveOfBatch(admission.partitions().orderIdBase());
        this.listUserOrders =
                CommandTranslators.listUserOrders(admission.partitions().orderIdBase());
    }

    /** The handlers of the unary calls that go through the engine, all answering through one sender. */
    private record Handlers(ReplyHandler reserve, ReplyHandler order, ReplyHandler sku, ReplyHandler userOrders) {}

    private Handlers handlers(UnaryReplies.Sender sender) {
        return new Handlers(
                UnaryReplies.reserve(metrics, sender),
                UnaryReplies.order(sender),
                UnaryReplies.sku(sender),
                UnaryReplies.userOrders(sender));
    }

    /** The handlers for a call on this thread: its event loop's, or the replier's off a loop. */
    private Handlers handlers() {
        Executor loop = answersOnEventLoop ? LoopAnswers.currentEventLoop() : null;
        if (loop == null) {
            return replierHandlers;
        }
        return handlersOfLoop.computeIfAbsent(
                loop, newLoop -> handlers(new LoopAnswers(newLoop, pipeline::afterReplyBatch)::add));
    }

    @Override
    public void reserve(ReserveRequest request, StreamObserver<ReserveReply> observer) {
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(GrpcErrors.tooManyLines(request.getLinesCount())));
            return;
        }
        com.google.rpc.Status refusal = admission.publish(
                reserveTranslator,
                request,
                handlers().reserve(),
                observer,
                true,
                CommandTranslators.budgetNanos(request));
        if (refusal != null) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(refusal));
        }
    }

    @Override
    public StreamObserver<ReserveRequest> reserveStream(StreamObserver<ReserveReply> responseObserver) {
        return new ReserveStreamSession(
                (ServerCallStreamObserver<ReserveReply>) responseObserver,
                streamWindow,
                this::publishFromStream,
                metrics,
                pipeline::afterReplyBatch,
                streamLoop());
    }

    /** The event loop that sends a new stream's answers (the calling thread's), or null for the replier. */
    private Executor streamLoop() {
        return streamAnswersOnEventLoop ? LoopAnswers.currentEventLoop() : null;
    }

    private com.google.rpc.Status publishFromStream(ReserveRequest request, ReserveStreamSession session) {
        return admission.publish(
                reserveTranslator,
                request,
                ReserveStreamSession.REPLY,
                session,
                true,
                CommandTranslators.budgetNanos(request));
    }

    @Override
    public StreamObserver<ReserveBatch> reserveBatchStream(StreamObserver<ReserveBatchReply> responseObserver) {
        return new ReserveBatchStreamSession(
                (ServerCallStreamObserver<ReserveBatchReply>) responseObserver,
                streamWindow,
                streamBatchMax,
                batchPublisher,
                metrics,
                pipeline::afterReplyBatch,
                streamLoop());
    }

    /** Publishes ReserveBatchStream items: a whole batch with one claim of the ring, or one at a time. */
    private final class BatchPublisher implements ReserveBatchStreamSession.Publisher {
        @Override
        public boolean publishAll(ReserveBatch batch, ReserveBatchStreamSession session) {
            return admission.tryPublishAll(
                    reserveOfBatchTranslator,
                    batch,
                    batch.getRequestsCount(),
                    ReserveBatchStreamSession.REPLY,
                    session);
        }

        @Override
        public com.google.rpc.Status publish(ReserveRequest request, ReserveBatchStreamSession session) {
            return admission.publish(
                    reserveTranslator,
                    request,
                    ReserveBatchStreamSession.REPLY,
                    session,
                    true,
                    CommandTranslators.budgetNanos(request));
        }
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.CONFIRM, request, handlers().order(), observer, false);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.CANCEL, request, handlers().order(), observer, false);
    }

    @Override
    public void refund(RefundRequest request, StreamObserver<Order> observer) {
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            observer.onError(GrpcErrors.exception(GrpcErrors.tooManyLines(request.getLinesCount())));
            return;
        }
        UnaryReplies.publish(
                admission, CommandTranslators.REFUND, request, handlers().order(), observer, false);
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_ORDER, request, handlers().order(), observer, true);
    }

    @Override
    public void listUserOrders(ListUserOrdersRequest request, StreamObserver<ListUserOrdersReply> observer) {
        UnaryReplies.publish(admission, listUserOrders, request, handlers().userOrders(), observer, true);
    }

    @Override
    public void getStock(GetStockRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_STOCK, request, handlers().sku(), observer, true);
    }
}
