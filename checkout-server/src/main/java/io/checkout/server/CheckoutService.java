package io.checkout.server;

import com.lmax.disruptor.EventTranslatorTwoArg;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.CommandEvent;
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
    private final CheckoutPipeline pipeline;
    private final int streamWindow;
    private final int streamBatchMax;
    private final ServerMetrics metrics;
    private final ReplyHandler reserveReply;

    private final EventTranslatorTwoArg<CommandEvent, ReserveRequest, StreamObserver<ReserveReply>> reserveTranslator;
    private final EventTranslatorTwoArg<CommandEvent, ReserveRequest, ReserveStreamSession> streamReserveTranslator;
    private final EventTranslatorTwoArg<CommandEvent, ReserveRequest, ReserveBatchStreamSession> batchItemTranslator;
    private final CheckoutPipeline.BatchTranslator<ReserveBatch, ReserveBatchStreamSession> batchTranslator;
    private final BatchPublisher batchPublisher = new BatchPublisher();
    private final EventTranslatorTwoArg<CommandEvent, ConfirmRequest, StreamObserver<Order>> confirmTranslator;
    private final EventTranslatorTwoArg<CommandEvent, CancelRequest, StreamObserver<Order>> cancelTranslator;
    private final EventTranslatorTwoArg<CommandEvent, RefundRequest, StreamObserver<Order>> refundTranslator;
    private final EventTranslatorTwoArg<CommandEvent, GetOrderRequest, StreamObserver<Order>> getOrderTranslator;
    private final EventTranslatorTwoArg<CommandEvent, GetStockRequest, StreamObserver<Sku>> getStockTranslator;

    CheckoutService(CheckoutPipeline pipeline, int streamWindow, int streamBatchMax, ServerMetrics metrics) {
        this.pipeline = pipeline;
        this.streamWindow = streamWindow;
        this.streamBatchMax = streamBatchMax;
        this.metrics = metrics;
        this.reserveReply = (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            StreamObserver<ReserveReply> observer = (StreamObserver<ReserveReply>) context;
            if (Replies.answeredWithError(command, failure, observer)) {
                metrics.reserveOutcome(ReserveResult.REJECTED);
            } else {
                ReserveReply reply = ProtoMapping.toReserveReply(command);
                metrics.reserveOutcome(reply.getResult());
                observer.onNext(reply);
                observer.onCompleted();
            }
        };
        reserveTranslator = (event, sequence, request, observer) -> {
            ProtoMapping.toCommand(request, pipeline.nowMillis(), event.command());
            event.replyTo(reserveReply, observer);
        };
        streamReserveTranslator = (event, sequence, request, session) -> {
            ProtoMapping.toCommand(request, pipeline.nowMillis(), event.command());
            event.replyTo(ReserveStreamSession.REPLY, session);
        };
        batchItemTranslator = (event, sequence, request, session) -> {
            ProtoMapping.toCommand(request, pipeline.nowMillis(), event.command());
            event.replyTo(ReserveBatchStreamSession.REPLY, session);
        };
        batchTranslator = (event, batch, index, session) -> {
            ProtoMapping.toCommand(batch.getRequests(index), pipeline.nowMillis(), event.command());
            event.replyTo(ReserveBatchStreamSession.REPLY, session);
        };
        confirmTranslator = (event, sequence, request, observer) ->
                orderCommand(event, CommandType.CONFIRM, request.getRequestId(), request.getOrderId(), observer);
        cancelTranslator = (event, sequence, request, observer) ->
                orderCommand(event, CommandType.CANCEL, request.getRequestId(), request.getOrderId(), observer);
        refundTranslator = (event, sequence, request, observer) ->
                orderCommand(event, CommandType.REFUND, request.getRequestId(), request.getOrderId(), observer);
        getOrderTranslator = (event, sequence, request, observer) -> {
            Command c = event.command();
            c.type = CommandType.GET_ORDER;
            c.timestampMillis = pipeline.nowMillis();
            c.orderId = request.getOrderId();
            event.replyTo(Replies.ORDER, observer);
        };
        getStockTranslator = (event, sequence, request, observer) -> {
            Command c = event.command();
            c.type = CommandType.GET_SKU;
            c.timestampMillis = pipeline.nowMillis();
            c.skuId = request.getSkuId();
            event.replyTo(Replies.SKU, observer);
        };
    }

    private void orderCommand(CommandEvent event, CommandType type, String requestId, long orderId,
            StreamObserver<Order> observer) {
        Command c = event.command();
        c.type = type;
        c.timestampMillis = pipeline.nowMillis();
        c.requestId = requestId;
        c.orderId = orderId;
        event.replyTo(Replies.ORDER, observer);
    }

    @Override
    public void reserve(ReserveRequest request, StreamObserver<ReserveReply> observer) {
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(GrpcErrors.tooManyLines(request.getLinesCount())));
            return;
        }
        if (!pipeline.tryPublish(reserveTranslator, request, observer)) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
            observer.onError(GrpcErrors.exception(GrpcErrors.notPublished(pipeline)));
        }
    }

    @Override
    public StreamObserver<ReserveRequest> reserveStream(StreamObserver<ReserveReply> responseObserver) {
        return new ReserveStreamSession((ServerCallStreamObserver<ReserveReply>) responseObserver, streamWindow,
                this::publishFromStream, metrics, pipeline::afterReplyBatch);
    }

    private com.google.rpc.Status publishFromStream(ReserveRequest request, ReserveStreamSession session) {
        return pipeline.tryPublish(streamReserveTranslator, request, session) ? null : GrpcErrors.notPublished(pipeline);
    }

    @Override
    public StreamObserver<ReserveBatch> reserveBatchStream(StreamObserver<ReserveBatchReply> responseObserver) {
        return new ReserveBatchStreamSession((ServerCallStreamObserver<ReserveBatchReply>) responseObserver, streamWindow,
                streamBatchMax, batchPublisher, metrics, pipeline::afterReplyBatch);
    }

    /** Publishes ReserveBatchStream items: a whole batch with one claim of the ring, or one at a time. */
    private final class BatchPublisher implements ReserveBatchStreamSession.Publisher {
        @Override
        public boolean publishAll(ReserveBatch batch, ReserveBatchStreamSession session) {
            return pipeline.tryPublishEach(batchTranslator, batch, batch.getRequestsCount(), session);
        }

        @Override
        public com.google.rpc.Status publish(ReserveRequest request, ReserveBatchStreamSession session) {
            return pipeline.tryPublish(batchItemTranslator, request, session) ? null : GrpcErrors.notPublished(pipeline);
        }
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<Order> observer) {
        publishOrRefuse(pipeline.tryPublish(confirmTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<Order> observer) {
        publishOrRefuse(pipeline.tryPublish(cancelTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void refund(RefundRequest request, StreamObserver<Order> observer) {
        publishOrRefuse(pipeline.tryPublish(refundTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<Order> observer) {
        publishOrRefuse(pipeline.tryPublish(getOrderTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void getStock(GetStockRequest request, StreamObserver<Sku> observer) {
        publishOrRefuse(pipeline.tryPublish(getStockTranslator, request, observer), pipeline, observer);
    }

    static void publishOrRefuse(boolean published, CheckoutPipeline pipeline, StreamObserver<?> observer) {
        if (!published) {
            observer.onError(GrpcErrors.exception(GrpcErrors.notPublished(pipeline)));
        }
    }

    /** Reply handlers for unary calls: stateless, shared by every call. */
    static final class Replies {
        private Replies() {
        }

        static final ReplyHandler ORDER = (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            StreamObserver<Order> observer = (StreamObserver<Order>) context;
            if (!answeredWithError(command, failure, observer)) {
                observer.onNext(ProtoMapping.toOrder(command));
                observer.onCompleted();
            }
        };

        static final ReplyHandler SKU = (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            StreamObserver<Sku> observer = (StreamObserver<Sku>) context;
            if (!answeredWithError(command, failure, observer)) {
                observer.onNext(ProtoMapping.toSku(command.sku));
                observer.onCompleted();
            }
        };

        /** Sends the error if the command failed or ended in an error result; returns whether it did. */
        static boolean answeredWithError(Command command, Throwable failure, StreamObserver<?> observer) {
            com.google.rpc.Status error = GrpcErrors.errorFor(command, failure);
            if (error != null) {
                observer.onError(GrpcErrors.exception(error));
                return true;
            }
            return false;
        }
    }
}
