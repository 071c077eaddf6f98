package io.checkout.server;

import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
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

/**
 * The frontline service. Each call becomes one command on the ring; the pipeline answers it once the
 * command is applied and journalled.
 * Nothing here blocks: a full ring is answered at once with RESOURCE_EXHAUSTED.
 */
final class CheckoutService extends CheckoutGrpc.CheckoutImplBase {
    private final CommandPublisher pipeline;
    private final int streamWindow;
    private final int streamBatchMax;
    private final ServerMetrics metrics;
    private final ReplyHandler reserveReply;
    private final BatchPublisher batchPublisher = new BatchPublisher();

    CheckoutService(CommandPublisher pipeline, int streamWindow, int streamBatchMax, ServerMetrics metrics) {
        this.pipeline = pipeline;
        this.streamWindow = streamWindow;
        this.streamBatchMax = streamBatchMax;
        this.metrics = metrics;
        this.reserveReply = UnaryReplies.reserve(metrics);
    }

    @Override
    public void reserve(ReserveRequest request, StreamObserver<ReserveReply> observer) {
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(GrpcErrors.tooManyLines(request.getLinesCount())));
            return;
        }
        if (!pipeline.tryPublish(CommandTranslators.RESERVE, request, reserveReply, observer)) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(GrpcErrors.notPublished(pipeline)));
        }
    }

    @Override
    public StreamObserver<ReserveRequest> reserveStream(StreamObserver<ReserveReply> responseObserver) {
        return new ReserveStreamSession(
                (ServerCallStreamObserver<ReserveReply>) responseObserver,
                streamWindow,
                this::publishFromStream,
                metrics,
                pipeline::afterReplyBatch);
    }

    private com.google.rpc.Status publishFromStream(ReserveRequest request, ReserveStreamSession session) {
        return pipeline.tryPublish(CommandTranslators.RESERVE, request, ReserveStreamSession.REPLY, session)
                ? null
                : GrpcErrors.notPublished(pipeline);
    }

    @Override
    public StreamObserver<ReserveBatch> reserveBatchStream(StreamObserver<ReserveBatchReply> responseObserver) {
        return new ReserveBatchStreamSession(
                (ServerCallStreamObserver<ReserveBatchReply>) responseObserver,
                streamWindow,
                streamBatchMax,
                batchPublisher,
                metrics,
                pipeline::afterReplyBatch);
    }

    /** Publishes ReserveBatchStream items: a whole batch with one claim of the ring, or one at a time. */
    private final class BatchPublisher implements ReserveBatchStreamSession.Publisher {
        @Override
        public boolean publishAll(ReserveBatch batch, ReserveBatchStreamSession session) {
            return pipeline.tryPublishEach(
                    CommandTranslators.RESERVE_OF_BATCH,
                    batch,
                    batch.getRequestsCount(),
                    ReserveBatchStreamSession.REPLY,
                    session);
        }

        @Override
        public com.google.rpc.Status publish(ReserveRequest request, ReserveBatchStreamSession session) {
            return pipeline.tryPublish(CommandTranslators.RESERVE, request, ReserveBatchStreamSession.REPLY, session)
                    ? null
                    : GrpcErrors.notPublished(pipeline);
        }
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.CONFIRM, request, UnaryReplies.ORDER, observer);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.CANCEL, request, UnaryReplies.ORDER, observer);
    }

    @Override
    public void refund(RefundRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.REFUND, request, UnaryReplies.ORDER, observer);
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<Order> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.GET_ORDER, request, UnaryReplies.ORDER, observer);
    }

    @Override
    public void getStock(GetStockRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.GET_STOCK, request, UnaryReplies.SKU, observer);
    }
}
