package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.pipeline.CommandPublisher.BatchTranslator;
import io.checkout.pipeline.CommandPublisher.CommandTranslator;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.UpsertSkuRequest;

/**
 * Every translator from a gRPC request into a command, side by side. They are stateless and
 * capture nothing, so publishing allocates nothing; who is answered is the caller's argument to
 * {@code tryPublish}, and the pipeline stamps the time.
 */
final class CommandTranslators {
    /** A reserve, whether from a unary call, a stream or one message of a batch stream. */
    static final CommandTranslator<ReserveRequest> RESERVE = ProtoMapping::toCommand;

    /** Reserve {@code index} of a ReserveBatchStream message, published with the rest of the message. */
    static final BatchTranslator<ReserveBatch> RESERVE_OF_BATCH =
            (batch, index, command) -> ProtoMapping.toCommand(batch.getRequests(index), command);

    static final CommandTranslator<ConfirmRequest> CONFIRM = (request, command) ->
            orderCommand(command, CommandType.CONFIRM, request.getRequestId(), request.getOrderId());

    static final CommandTranslator<CancelRequest> CANCEL = (request, command) ->
            orderCommand(command, CommandType.CANCEL, request.getRequestId(), request.getOrderId());

    static final CommandTranslator<RefundRequest> REFUND = (request, command) ->
            orderCommand(command, CommandType.REFUND, request.getRequestId(), request.getOrderId());

    static final CommandTranslator<GetOrderRequest> GET_ORDER =
            (request, command) -> orderCommand(command, CommandType.GET_ORDER, null, request.getOrderId());

    static final CommandTranslator<GetStockRequest> GET_STOCK = (request, command) -> {
        command.type = CommandType.GET_SKU;
        command.skuId = request.getSkuId();
    };

    static final CommandTranslator<UpsertSkuRequest> UPSERT_SKU = ProtoMapping::toCommand;

    static final CommandTranslator<AdjustStockRequest> ADJUST_STOCK = ProtoMapping::toCommand;

    static final CommandTranslator<ListSkusRequest> LIST_SKUS = (request, command) -> {
        command.type = CommandType.LIST_SKUS;
        command.pageSize = request.getPageSize();
        command.pageToken = request.getPageToken();
    };

    private CommandTranslators() {}

    private static void orderCommand(Command command, CommandType type, String requestId, long orderId) {
        command.type = type;
        command.requestId = requestId;
        command.orderId = orderId;
    }
}
