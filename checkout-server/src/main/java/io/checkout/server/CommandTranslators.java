package io.checkout.server;

import com.lmax.disruptor.EventTranslatorThreeArg;
import com.lmax.disruptor.EventTranslatorTwoArg;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.CommandEvent;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.stub.StreamObserver;

/**
 * Every translator from a gRPC request into a ring slot, side by side: each fills the command and
 * says who to answer. They are stateless and capture nothing, so publishing allocates nothing; the
 * pipeline stamps the command's time when it publishes it.
 */
final class CommandTranslators {
    private CommandTranslators() {
    }

    /** A reserve, answered by {@code handler} with {@code context} (unary call, stream or batch stream). */
    static final EventTranslatorThreeArg<CommandEvent, ReserveRequest, ReplyHandler, Object> RESERVE =
            (event, sequence, request, handler, context) -> {
                ProtoMapping.toCommand(request, event.command());
                event.replyTo(handler, context);
            };

    /** Reserve {@code index} of a ReserveBatchStream batch, published with the rest of the batch. */
    static final CheckoutPipeline.BatchTranslator<ReserveBatch, ReserveBatchStreamSession> RESERVE_OF_BATCH =
            (event, batch, index, session) ->
                    RESERVE.translateTo(event, 0, batch.getRequests(index), ReserveBatchStreamSession.REPLY, session);

    static final EventTranslatorTwoArg<CommandEvent, ConfirmRequest, StreamObserver<Order>> CONFIRM =
            (event, sequence, request, observer) ->
                    orderCommand(event, CommandType.CONFIRM, request.getRequestId(), request.getOrderId(), observer);

    static final EventTranslatorTwoArg<CommandEvent, CancelRequest, StreamObserver<Order>> CANCEL =
            (event, sequence, request, observer) ->
                    orderCommand(event, CommandType.CANCEL, request.getRequestId(), request.getOrderId(), observer);

    static final EventTranslatorTwoArg<CommandEvent, RefundRequest, StreamObserver<Order>> REFUND =
            (event, sequence, request, observer) ->
                    orderCommand(event, CommandType.REFUND, request.getRequestId(), request.getOrderId(), observer);

    static final EventTranslatorTwoArg<CommandEvent, GetOrderRequest, StreamObserver<Order>> GET_ORDER =
            (event, sequence, request, observer) -> orderCommand(event, CommandType.GET_ORDER, null,
                    request.getOrderId(), observer);

    static final EventTranslatorTwoArg<CommandEvent, GetStockRequest, StreamObserver<Sku>> GET_STOCK =
            (event, sequence, request, observer) -> {
                Command c = event.command();
                c.type = CommandType.GET_SKU;
                c.skuId = request.getSkuId();
                event.replyTo(UnaryReplies.SKU, observer);
            };

    static final EventTranslatorTwoArg<CommandEvent, UpsertSkuRequest, StreamObserver<Sku>> UPSERT_SKU =
            (event, sequence, request, observer) -> {
                ProtoMapping.toCommand(request, event.command());
                event.replyTo(UnaryReplies.SKU, observer);
            };

    static final EventTranslatorTwoArg<CommandEvent, AdjustStockRequest, StreamObserver<Sku>> ADJUST_STOCK =
            (event, sequence, request, observer) -> {
                ProtoMapping.toCommand(request, event.command());
                event.replyTo(UnaryReplies.SKU, observer);
            };

    static final EventTranslatorTwoArg<CommandEvent, ListSkusRequest, StreamObserver<ListSkusReply>> LIST_SKUS =
            (event, sequence, request, observer) -> {
                Command c = event.command();
                c.type = CommandType.LIST_SKUS;
                c.pageSize = request.getPageSize();
                c.pageToken = request.getPageToken();
                event.replyTo(UnaryReplies.SKU_PAGE, observer);
            };

    private static void orderCommand(CommandEvent event, CommandType type, String requestId, long orderId,
            StreamObserver<Order> observer) {
        Command c = event.command();
        c.type = type;
        c.requestId = requestId;
        c.orderId = orderId;
        event.replyTo(UnaryReplies.ORDER, observer);
    }
}
