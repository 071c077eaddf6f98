package io.checkout.server;

import io.checkout.contract.Partitioning;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.pipeline.CommandPublisher.BatchTranslator;
import io.checkout.pipeline.CommandPublisher.CommandTranslator;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetCampaignRequest;
import io.checkout.proto.v1.GetMerchantRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetRiskRulesRequest;
import io.checkout.proto.v1.GetSkuGroupRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.GetUserRiskRequest;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.ListUserOrdersRequest;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.SetRiskRulesRequest;
import io.checkout.proto.v1.SetUserBlockedRequest;
import io.checkout.proto.v1.UpsertCampaignRequest;
import io.checkout.proto.v1.UpsertMerchantRequest;
import io.checkout.proto.v1.UpsertSkuGroupRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;

/**
 * Every translator from a gRPC request into a command, side by side. They are stateless and
 * capture nothing, so publishing allocates nothing; who is answered is the caller's argument to
 * {@code tryPublish}, and the pipeline stamps the time.
 */
final class CommandTranslators {
    static final CommandTranslator<ConfirmRequest> CONFIRM = withDeadline((request, command) -> {
        orderCommand(command, CommandType.CONFIRM, request.getRequestId(), request.getOrderId());
        if (request.hasPayment()) {
            ProtoMapping.toPayment(request.getPayment(), command);
        }
    });

    static final CommandTranslator<CancelRequest> CANCEL = withDeadline((request, command) ->
            orderCommand(command, CommandType.CANCEL, request.getRequestId(), request.getOrderId()));

    /** A refund; the caller has checked its lines fit the command. */
    static final CommandTranslator<RefundRequest> REFUND = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetOrderRequest> GET_ORDER = withDeadline(
            (request, command) -> orderCommand(command, CommandType.GET_ORDER, null, request.getOrderId()));

    static final CommandTranslator<GetStockRequest> GET_STOCK = withDeadline((request, command) -> {
        command.type(CommandType.GET_SKU);
        command.skuId.set(request.getSkuId());
    });

    static final CommandTranslator<UpsertSkuRequest> UPSERT_SKU = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<AdjustStockRequest> ADJUST_STOCK = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<UpsertMerchantRequest> UPSERT_MERCHANT = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetMerchantRequest> GET_MERCHANT = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<UpsertSkuGroupRequest> UPSERT_SKU_GROUP = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetSkuGroupRequest> GET_SKU_GROUP = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<UpsertCampaignRequest> UPSERT_CAMPAIGN = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetCampaignRequest> GET_CAMPAIGN = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<SetUserBlockedRequest> SET_USER_BLOCKED = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetUserRiskRequest> GET_USER_RISK = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<SetRiskRulesRequest> SET_RISK_RULES = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<GetRiskRulesRequest> GET_RISK_RULES = withDeadline(ProtoMapping::toCommand);

    static final CommandTranslator<ListSkusRequest> LIST_SKUS = withDeadline((request, command) -> {
        command.type(CommandType.LIST_SKUS);
        command.pageSize = request.getPageSize();
        command.pageToken = request.getPageToken();
    });

    private CommandTranslators() {}

    /**
     * A reserve, whether from a unary call, a stream or one message of a batch stream; its deadline
     * is the sooner of the call's and its own {@code budget_millis}. One per server: the answer's
     * order id carries the server's partition ({@code orderIdBase}).
     */
    static CommandTranslator<ReserveRequest> reserve(long orderIdBase) {
        return (request, command) -> {
            ProtoMapping.toCommand(request, command);
            command.deadlineNanos = reserveDeadlineNanos(request);
            command.orderIdBase = orderIdBase;
        };
    }

    /**
     * A page of a user's orders. The page token is the previous page's last order id, this server's
     * (its partition part {@code orderIdBase}); anything else goes to the engine as -1, to be refused
     * as an invalid token.
     */
    static CommandTranslator<ListUserOrdersRequest> listUserOrders(long orderIdBase) {
        return withDeadline((request, command) -> {
            command.type(CommandType.LIST_USER_ORDERS);
            command.userId.set(request.getUserId());
            command.pageSize = request.getPageSize();
            command.orderIdBase = orderIdBase;
            command.orderId = afterOrderId(request.getPageToken(), orderIdBase);
        });
    }

    private static long afterOrderId(String pageToken, long orderIdBase) {
        if (pageToken.isEmpty()) {
            return 0;
        }
        if (pageToken.length() > 19 || !pageToken.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return -1;
        }
        long orderId = Long.parseLong(pageToken);
        long local = Partitioning.localOrderId(orderId);
        return local > 0 && orderId - local == orderIdBase ? local : -1;
    }

    /** Reserve {@code index} of a ReserveBatchStream message, published with the rest of the message. */
    static BatchTranslator<ReserveBatch> reserveOfBatch(long orderIdBase) {
        return (batch, index, command) -> {
            ReserveRequest request = batch.getRequests(index);
            ProtoMapping.toCommand(request, command);
            command.deadlineNanos = reserveDeadlineNanos(request);
            command.orderIdBase = orderIdBase;
        };
    }

    /** {@code translator}, then the call's deadline (gRPC's, from the call's context) onto the command. */
    private static <A> CommandTranslator<A> withDeadline(CommandTranslator<A> translator) {
        return (request, command) -> {
            translator.translate(request, command);
            command.deadlineNanos = currentDeadlineNanos();
        };
    }

    /**
     * The current call's deadline on the {@code System.nanoTime()} clock, or 0 if it has none. On
     * a stream this is the stream's deadline: its requests have none of their own.
     */
    static long currentDeadlineNanos() {
        Deadline deadline = Context.current().getDeadline();
        if (deadline == null) {
            return 0;
        }
        long at = System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
        return at == 0 ? 1 : at;
    }

    /** A reserve's deadline: the sooner of the call's and the request's own budget; 0 for none. */
    static long reserveDeadlineNanos(ReserveRequest request) {
        long callDeadline = currentDeadlineNanos();
        long budgetNanos = budgetNanos(request);
        if (budgetNanos == 0) {
            return callDeadline;
        }
        long own = System.nanoTime() + budgetNanos;
        own = own == 0 ? 1 : own;
        return callDeadline == 0 || own - callDeadline < 0 ? own : callDeadline;
    }

    /** The request's own budget in nanoseconds, 0 for none. */
    static long budgetNanos(ReserveRequest request) {
        return TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(request.getBudgetMillis()));
    }

    /**
     * An order command. The engine knows the order by the id's local part; the partition's part
     * (which {@link PartitionGuard} checked is this server's) is kept for the answer. A non-positive id
     * goes to the engine as it is, to be refused as invalid.
     */
    private static void orderCommand(Command command, CommandType type, String requestId, long orderId) {
        command.type(type);
        command.requestId.set(requestId);
        if (orderId > 0) {
            command.orderId = Partitioning.localOrderId(orderId);
            command.orderIdBase = orderId - command.orderId;
        } else {
            command.orderId = orderId;
        }
    }
}
