package io.checkout.server;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.checkout.contract.PartitionTable;
import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.engine.RiskTable;
import io.checkout.engine.SkuGroupTable;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.TimeUnit;

/**
 * Turns engine results that are not answers into gRPC errors, using the rich error model: every
 * error carries an {@code ErrorInfo} whose reason is the engine's result code name, and invalid
 * input also a {@code BadRequest} naming the field (for a reserve line: {@code lines[2].quantity}).
 */
final class GrpcErrors {
    /** A full ring's retry delay while there is no queueing-delay estimate yet. */
    static final long RING_FULL_RETRY_MILLIS = 50;

    static final String DOMAIN = "checkout.v1";

    static final com.google.rpc.Status SHUTTING_DOWN = status(
            Code.UNAVAILABLE,
            "server is shutting down; retry with the same request_id on another attempt",
            "SHUTTING_DOWN",
            null,
            null);

    static final com.google.rpc.Status ENGINE_STOPPED = status(
            Code.UNAVAILABLE,
            "engine stopped after an internal failure; no further commands are applied",
            "ENGINE_STOPPED",
            null,
            null);

    /** The engine's REQUEST_ID_INVALID error, the same for every request; see {@link #invalidRequestId}. */
    static final com.google.rpc.Status INVALID_REQUEST_ID = invalidRequestIdError();

    private GrpcErrors() {}

    /**
     * The error for a command the pipeline could not run ({@code failure} not null) or whose result
     * is not a successful answer; null if it is one.
     */
    static com.google.rpc.Status errorFor(Command c, Throwable failure) {
        if (failure instanceof io.checkout.pipeline.OutcomeUnknownException unknown) {
            return status(
                    Code.UNAVAILABLE,
                    unknown.getMessage() + "; retry with the same request_id: it is applied at most once",
                    "OUTCOME_UNKNOWN",
                    null,
                    null);
        }
        if (failure instanceof io.checkout.pipeline.StorageFailedException storage) {
            return status(Code.UNAVAILABLE, storage.getMessage(), "STORAGE_FAILED", null, null);
        }
        return failure != null ? ENGINE_STOPPED : errorFor(c);
    }

    /** The error for a command whose result is not a successful answer; null if it is one. */
    private static com.google.rpc.Status errorFor(Command c) {
        ResultCode result = c.result();
        if (result == ResultCode.SUCCESS || result.isReserveRefusal()) {
            return null;
        }
        if (result.isInvalidInput()) {
            String field = fieldPath(c);
            return invalidArgument(field, describeInvalid(c, field), result.name());
        }
        if (result.isTableFull()) {
            return status(Code.RESOURCE_EXHAUSTED, describeTableFull(result), result.name(), null, null);
        }
        return switch (result) {
            case ORDER_NOT_FOUND ->
                status(
                        Code.NOT_FOUND,
                        "order " + (c.orderIdBase + c.orderId) + " not found",
                        result.name(),
                        null,
                        null);
            case SKU_NOT_FOUND ->
                status(Code.NOT_FOUND, "sku_id '" + c.skuId + "' not found", result.name(), null, null);
            case ORDER_STATE_CONFLICT ->
                status(
                        Code.FAILED_PRECONDITION,
                        "order " + (c.orderIdBase + c.orderId) + " is " + c.order.state() + "; " + c.type() + " needs "
                                + (c.type() == CommandType.REFUND
                                        ? "PAID or PARTLY_REFUNDED"
                                        : c.hasPayment ? "RESERVED (or EXPIRED, with a payment)" : "RESERVED"),
                        result.name(),
                        "current_state",
                        String.valueOf(c.order.state()));
            case STOCK_INSUFFICIENT ->
                status(
                        Code.FAILED_PRECONDITION,
                        c.type() == CommandType.ADJUST_STOCK
                                ? "cannot remove " + (-c.delta) + " units from sku_id '" + c.skuId
                                        + "': not that many available"
                                : "total_stock " + c.totalStock + " is below the units reserved and sold of sku_id '"
                                        + c.skuId + "'",
                        result.name(),
                        null,
                        null);
            case PAYMENT_ALREADY_USED ->
                status(
                        Code.FAILED_PRECONDITION,
                        "payment.payment_id '" + c.paymentId + "' of provider '" + c.paymentProvider
                                + "' already paid another order than " + (c.orderIdBase + c.orderId)
                                + "; a payment pays one order",
                        result.name(),
                        "field",
                        "payment.payment_id");
            case PAYMENT_AMOUNT_MISMATCH ->
                status(
                        Code.FAILED_PRECONDITION,
                        "payment.amount_minor " + c.paymentAmountMinor + " is not order "
                                + (c.orderIdBase + c.orderId) + "'s amount_minor " + c.order.amountMinor
                                + "; nothing changed",
                        result.name(),
                        "order_amount_minor",
                        String.valueOf(c.order.amountMinor));
            case PAYMENT_CURRENCY_MISMATCH ->
                status(
                        Code.FAILED_PRECONDITION,
                        "payment.currency '" + CurrencyCode.unpack(c.paymentCurrency) + "' is not order "
                                + (c.orderIdBase + c.orderId) + "'s currency "
                                + CurrencyCode.unpack(c.order.currency) + "; nothing changed",
                        result.name(),
                        "order_currency",
                        CurrencyCode.unpack(c.order.currency));
            case REFUND_SKU_NOT_IN_ORDER ->
                status(
                        Code.FAILED_PRECONDITION,
                        fieldPath(c) + " '" + c.failedSkuId() + "' is not in order " + (c.orderIdBase + c.orderId)
                                + "; nothing changed",
                        result.name(),
                        "field",
                        fieldPath(c));
            case REFUND_EXCEEDS_PAID ->
                status(
                        Code.FAILED_PRECONDITION,
                        fieldPath(c) + " " + c.lineQuantities[c.failedLine] + " of sku_id '" + c.failedSkuId()
                                + "' is more than order " + (c.orderIdBase + c.orderId)
                                + " has paid and not yet refunded; nothing changed",
                        result.name(),
                        "field",
                        fieldPath(c));
            case MERCHANT_UNKNOWN ->
                status(
                        Code.FAILED_PRECONDITION,
                        "merchant_id '" + c.merchantId() + "' is not a merchant; define it with UpsertMerchant first;"
                                + " nothing changed",
                        result.name(),
                        "field",
                        "merchant_id");
            case GROUP_UNKNOWN ->
                status(
                        Code.FAILED_PRECONDITION,
                        "group_id '" + c.groupId() + "' is not a SKU group; define it with UpsertSkuGroup first;"
                                + " nothing changed",
                        result.name(),
                        "field",
                        "group_id");
            case GROUP_NOT_FOUND ->
                status(Code.NOT_FOUND, "group_id '" + c.groupId() + "' not found", result.name(), null, null);
            case MERCHANT_NOT_FOUND ->
                status(Code.NOT_FOUND, "merchant_id '" + c.merchantId() + "' not found", result.name(), null, null);
            case CAMPAIGN_NOT_FOUND ->
                status(Code.NOT_FOUND, "campaign_id '" + c.campaignId + "' not found", result.name(), null, null);
            case CAMPAIGN_SKU_UNKNOWN ->
                status(
                        Code.FAILED_PRECONDITION,
                        "campaign.sku_ids lists a SKU that is not defined here; define it with UpsertSku first;"
                                + " nothing changed",
                        result.name(),
                        "field",
                        "campaign.sku_ids");
            case CAMPAIGN_MERCHANT_UNKNOWN ->
                status(
                        Code.FAILED_PRECONDITION,
                        "campaign.merchant_id '" + c.campaignTerms().merchantId
                                + "' is not a merchant; define it with UpsertMerchant first; nothing changed",
                        result.name(),
                        "field",
                        "campaign.merchant_id");
            case CURRENCY_LOCKED ->
                status(
                        Code.FAILED_PRECONDITION,
                        "currency of sku_id '" + c.skuId + "' cannot change while units are reserved or sold",
                        result.name(),
                        null,
                        null);
            case DEADLINE_EXCEEDED ->
                status(
                        Code.DEADLINE_EXCEEDED,
                        "the call's deadline passed while the command waited its turn; it was not applied, and a retry"
                                + " with the same request_id runs it afresh",
                        result.name(),
                        null,
                        null);
            default -> status(Code.INTERNAL, "unexpected result " + result, result.name(), null, null);
        };
    }

    static String fieldPath(Command c) {
        String field = c.result().field();
        if ((c.type() == CommandType.RESERVE || c.type() == CommandType.REFUND)
                && c.failedLine >= 0
                && (c.result() == ResultCode.SKU_ID_INVALID
                        || c.result() == ResultCode.QUANTITY_MUST_BE_POSITIVE
                        || c.result() == ResultCode.QUANTITY_TOO_LARGE
                        || c.result() == ResultCode.DUPLICATE_SKU_IN_ORDER
                        || c.result() == ResultCode.REFUND_SKU_NOT_IN_ORDER
                        || c.result() == ResultCode.REFUND_EXCEEDS_PAID)) {
            return "lines[" + c.failedLine + "]." + field;
        }
        return field;
    }

    private static String describeInvalid(Command c, String field) {
        return switch (c.result()) {
            case REQUEST_ID_INVALID, USER_ID_INVALID ->
                field
                        + " must be 1..id-length-max (64 unless configured lower) printable ASCII characters without spaces";
            case LINES_EMPTY -> field + " must hold at least one line";
            case TOO_MANY_LINES -> field + " holds more lines than the server allows per order";
            case SKU_ID_INVALID ->
                field + " must be 1..id-length-max (64 unless configured lower) characters from [A-Za-z0-9._:-]";
            case QUANTITY_MUST_BE_POSITIVE -> field + " must be positive";
            case QUANTITY_TOO_LARGE -> field + " is above the server's limit per line";
            case DUPLICATE_SKU_IN_ORDER -> field + " appears in more than one line; put the units in one line";
            case ORDER_ID_INVALID -> field + " must be positive";
            case PRICE_INVALID -> field + " must be 0..10000000000";
            case CURRENCY_INVALID -> field + " must be an ISO 4217 code of three upper-case letters";
            case TOTAL_STOCK_INVALID -> field + " must be 0..1000000000";
            case PER_USER_LIMIT_INVALID ->
                c.type() == CommandType.UPSERT_SKU_GROUP
                        ? field + " must be 1..1000000000"
                        : field + " must be 0..1000000000 (0 means no limit)";
            case GROUP_ID_INVALID ->
                field + " must be " + (c.type() == CommandType.UPSERT_SKU ? "empty (none) or " : "")
                        + "1..id-length-max (64 unless configured lower) characters from [A-Za-z0-9._:-]";
            case SALE_START_INVALID -> field + " must be a time between 1970 and 2999";
            case SALE_END_INVALID -> field + " must be 0 (no end) or after sale_start_epoch_millis";
            case RESERVATION_TTL_INVALID -> field + " must be 1000..86400000";
            case DELTA_INVALID -> field + " must be non-zero and keep total stock within 0..1000000000";
            case PAGE_SIZE_INVALID ->
                field + " must be 0.."
                        + (c.type() == CommandType.LIST_USER_ORDERS
                                ? EngineLimits.USER_ORDERS_PAGE_SIZE_MAX
                                : EngineLimits.LIST_PAGE_SIZE_MAX);
            case PAGE_TOKEN_INVALID -> field + " must be empty or the next_page_token of a previous reply";
            case REQUEST_ID_REUSED -> field + " was already used for a different kind of request";
            case PAYMENT_PROVIDER_INVALID ->
                field + " must be 1.." + EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX
                        + " printable ASCII characters without spaces";
            case PAYMENT_ID_INVALID ->
                field
                        + " must be 1..id-length-max (64 unless configured lower) printable ASCII characters without spaces";
            case PAYMENT_AMOUNT_INVALID -> field + " must be 0.." + EngineLimits.PAYMENT_AMOUNT_MINOR_MAX;
            case PAYMENT_CURRENCY_INVALID -> field + " must be an ISO 4217 code of three upper-case letters";
            case REFUND_REASON_INVALID ->
                field + " must be 0.." + EngineLimits.REFUND_REASON_LENGTH_MAX
                        + " printable ASCII characters (spaces allowed)";
            case MERCHANT_ID_INVALID, STORE_ID_INVALID ->
                field + " must be empty (none) or 1..id-length-max (64 unless configured lower) characters from"
                        + " [A-Za-z0-9._:-]";
            case COMMISSION_BPS_INVALID -> field + " must be 0..10000 basis points";
            case MAX_ATTEMPTS_INVALID -> field + " must be 0.." + RiskTable.MAX_ATTEMPTS_MAX + " (0: no limit)";
            case WINDOW_MILLIS_INVALID ->
                field + " must be 1.." + RiskTable.WINDOW_MILLIS_MAX + " when max_attempts is above 0, else 0";
            case CAMPAIGN_ID_INVALID, CAMPAIGN_DEFINITION_ID_INVALID, CAMPAIGN_MERCHANT_ID_INVALID ->
                field + " must be "
                        + (c.type() == CommandType.RESERVE || c.result() == ResultCode.CAMPAIGN_MERCHANT_ID_INVALID
                                ? "empty (none) or "
                                : "")
                        + "1..id-length-max (64 unless configured lower) characters from [A-Za-z0-9._:-]";
            default -> describeInvalidCampaign(c, field);
        };
    }

    /** The campaign's terms that UPSERT_CAMPAIGN refused (its kind decides what its amounts may be). */
    private static String describeInvalidCampaign(Command c, String field) {
        CampaignKind kind = c.type() == CommandType.UPSERT_CAMPAIGN ? c.campaignTerms().kind : null;
        boolean percent = kind == CampaignKind.PERCENT_OFF;
        String forKind = kind == null ? "" : " for CAMPAIGN_KIND_" + kind;
        return switch (c.result()) {
            case CAMPAIGN_KIND_INVALID ->
                field + " must be CAMPAIGN_KIND_AMOUNT_OFF, CAMPAIGN_KIND_PERCENT_OFF or CAMPAIGN_KIND_SPEND_AND_SAVE";
            case CAMPAIGN_CURRENCY_INVALID -> field + " must be an ISO 4217 code of three upper-case letters";
            case AMOUNT_OFF_INVALID ->
                field + " must be " + (percent ? "0" : "1.." + CampaignTerms.DISCOUNT_MINOR_MAX) + forKind;
            case PERCENT_OFF_INVALID ->
                field + " must be " + (percent ? "1.." + CampaignTerms.PERCENT_BPS_MAX + " basis points" : "0")
                        + forKind;
            case PERCENT_CAP_INVALID ->
                field + " must be " + (percent ? "0.." + CampaignTerms.DISCOUNT_MINOR_MAX + " (0: no cap)" : "0")
                        + forKind;
            case MIN_SPEND_INVALID ->
                field + " must be " + (kind == CampaignKind.SPEND_AND_SAVE ? "1" : "0") + ".."
                        + CampaignTerms.MIN_SPEND_MINOR_MAX + forKind;
            case CAMPAIGN_SKUS_INVALID ->
                field + " must list at most " + CampaignTerms.SKUS_MAX + " SKU ids, each once, each 1..id-length-max"
                        + " characters from [A-Za-z0-9._:-], and not together with campaign.merchant_id";
            case CAMPAIGN_WINDOW_INVALID ->
                field + " must be 0 (no end) or after campaign.starts_at_epoch_millis, and neither may be negative";
            case BUDGET_INVALID -> field + " must be 1.." + CampaignTerms.BUDGET_MAX;
            case REDEMPTION_LIMIT_INVALID -> field + " must be 1.." + CampaignTerms.PER_USER_LIMIT_MAX;
            default -> field + " is invalid";
        };
    }

    private static String describeTableFull(ResultCode result) {
        return switch (result) {
            case SKU_TABLE_FULL -> "SKU table is full (setting sku-capacity)";
            case ORDER_TABLE_FULL -> "order table is full (setting order-capacity)";
            case USER_COUNTER_TABLE_FULL -> "per-user counter table is full (setting user-counter-capacity)";
            case IDEMPOTENCY_TABLE_FULL -> "idempotency table is full (setting idempotency-capacity)";
            case PAYMENT_TABLE_FULL -> "payment table is full (setting payment-capacity)";
            case MERCHANT_TABLE_FULL ->
                "merchant table is full: every merchant and every change of rate takes a row (setting"
                        + " merchant-capacity)";
            case GROUP_TABLE_FULL -> "SKU group table is full (setting sku-group-capacity)";
            case GROUP_SKUS_FULL ->
                "the SKU group holds " + SkuGroupTable.SKUS_MAX + " SKUs, the most a group may; nothing changed";
            case CAMPAIGN_TABLE_FULL -> "campaign table is full (setting campaign-capacity); nothing changed";
            case REDEMPTION_TABLE_FULL ->
                "redemption table is full: every (user, campaign) holding redemptions takes a row (setting"
                        + " redemption-capacity); a cancel or an expiry frees one; nothing changed";
            case BLOCKLIST_FULL -> "blocklist is full (setting blocklist-capacity); lift a block to make room";
            case ATTEMPT_COUNTER_TABLE_FULL ->
                "attempt counter table is full: more users tried to reserve in this window of the attempt limit"
                        + " than it counts (setting attempt-counter-capacity); a new window starts it afresh";
            default -> "a table is full";
        };
    }

    static com.google.rpc.Status invalidArgument(String field, String description, String reason) {
        BadRequest badRequest = BadRequest.newBuilder()
                .addFieldViolations(
                        BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description))
                .build();
        return com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage(description)
                .addDetails(Any.pack(errorInfo(reason, "field", field)))
                .addDetails(Any.pack(badRequest))
                .build();
    }

    static com.google.rpc.Status status(Code code, String message, String reason, String key, String value) {
        return com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(message)
                .addDetails(Any.pack(errorInfo(reason, key, value)))
                .build();
    }

    private static ErrorInfo errorInfo(String reason, String key, String value) {
        ErrorInfo.Builder info = ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN);
        if (key != null) {
            info.putMetadata(key, value);
        }
        return info.build();
    }

    /**
     * The refusal of a call whose command would wait longer than it may: {@code waitNanos}, the
     * estimated queueing delay, is above {@code limitNanos}, the smaller of the configured maximum
     * and the call's remaining deadline. The retry delay is the estimate itself, the time the
     * commands ahead take to drain.
     */
    static com.google.rpc.Status queueDelay(long waitNanos, long limitNanos, boolean limitIsCallersDeadline) {
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos));
        long limitMillis = TimeUnit.NANOSECONDS.toMillis(Math.max(0, limitNanos));
        String message = "server is overloaded: the command would wait about " + waitMillis
                + " ms for its turn, more than the " + limitMillis + " ms "
                + (limitIsCallersDeadline
                        ? "left of the call's deadline or the request's budget_millis"
                        : "allowed (setting queue-delay-max-millis)")
                + "; nothing was done: retry with the same request_id after the retry delay";
        return com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason("QUEUE_DELAY")
                        .setDomain(DOMAIN)
                        .putMetadata("estimated_wait_millis", Long.toString(waitMillis))
                        .putMetadata("limit_millis", Long.toString(limitMillis))
                        .build()))
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder()
                                .setSeconds(waitNanos / 1_000_000_000L)
                                .setNanos((int) (waitNanos % 1_000_000_000L)))
                        .build()))
                .build();
    }

    /**
     * The refusal of a request for a SKU or order that another partition owns: FAILED_PRECONDITION
     * (nothing was done, and this server will never do it), reason WRONG_PARTITION, with the map
     * version this server holds, the owner and the owner's targets, so a client can refresh its
     * map and send the same request to the owner.
     */
    static com.google.rpc.Status wrongPartition(String what, int owner, int partition, PartitionTable table) {
        io.checkout.proto.v1.Partition ownerEntry = table.partition(owner);
        String targets = ownerEntry == null ? "" : String.join(",", ownerEntry.getTargetsList());
        return com.google.rpc.Status.newBuilder()
                .setCode(Code.FAILED_PRECONDITION_VALUE)
                .setMessage(what + " belongs to partition " + owner + ", this server is partition " + partition
                        + " (partition map version " + table.version() + "): send it to "
                        + (targets.isEmpty() ? "partition " + owner : targets)
                        + " with the same request_id; nothing was done here")
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason("WRONG_PARTITION")
                        .setDomain(DOMAIN)
                        .putMetadata("map_version", Long.toString(table.version()))
                        .putMetadata("partition", Integer.toString(owner))
                        .putMetadata("targets", targets)
                        .build()))
                .build();
    }

    /** The refusal of a reserve whose lines are in different partitions, naming the first line elsewhere. */
    static com.google.rpc.Status crossPartition(int line, String skuId, int linePartition, int firstPartition) {
        String field = "lines[" + line + "].sku_id";
        return invalidArgument(
                field,
                field + " '" + skuId + "' is in partition " + linePartition + ", lines[0] in partition "
                        + firstPartition + ": an order's SKUs must share a partition (give them one partition key,"
                        + " as in sale-1:sku-a and sale-1:sku-b); nothing was reserved",
                "CROSS_PARTITION_ORDER");
    }

    /**
     * Why a command could not be published: the pipeline closed, or the ring is full. A full ring's
     * refusal carries a retry delay: the queueing-delay estimate of the commands ahead (the time the
     * ring takes to drain), or {@value #RING_FULL_RETRY_MILLIS} ms before there is one, within
     * 1 ms..5 s.
     */
    static com.google.rpc.Status notPublished(io.checkout.pipeline.CommandPublisher pipeline) {
        if (pipeline.isClosed()) {
            return SHUTTING_DOWN;
        }
        long estimate = pipeline.queueDelayNanos();
        long retryNanos = estimate > 0 ? estimate : TimeUnit.MILLISECONDS.toNanos(RING_FULL_RETRY_MILLIS);
        return ringFull(Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(retryNanos, TimeUnit.SECONDS.toNanos(5))));
    }

    /** The refusal of a command the full ring could not take, with a retry delay of {@code retryNanos}. */
    static com.google.rpc.Status ringFull(long retryNanos) {
        return com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("server is at capacity (command ring full); nothing was done: retry with the same"
                        + " request_id after the retry delay")
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setReason("RING_FULL")
                        .setDomain(DOMAIN)
                        .putMetadata(
                                "retry_after_millis",
                                Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toMillis(retryNanos))))
                        .build()))
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder()
                                .setSeconds(retryNanos / 1_000_000_000L)
                                .setNanos((int) (retryNanos % 1_000_000_000L)))
                        .build()))
                .build();
    }

    /**
     * A streamed reserve whose request id the engine could not echo unchanged (too long, or not
     * ASCII): refused at the edge with the engine's own error, so that the reply carries the id as
     * sent and a client matching replies by id finds it.
     */
    static com.google.rpc.Status invalidRequestId() {
        return INVALID_REQUEST_ID;
    }

    private static com.google.rpc.Status invalidRequestIdError() {
        Command c = new Command();
        c.type(CommandType.RESERVE);
        c.result(ResultCode.REQUEST_ID_INVALID);
        return errorFor(c);
    }

    static com.google.rpc.Status tooManyLines(int count) {
        return invalidArgument(
                "lines",
                "lines holds " + count + " lines; at most " + EngineLimits.LINES_PER_ORDER_MAX + " are accepted",
                ResultCode.TOO_MANY_LINES.name());
    }

    /**
     * A ReserveBatchStream message with more reserves than stream-batch-max. Its ErrorInfo reason is
     * not an engine result code: the engine never sees such a batch.
     */
    static com.google.rpc.Status tooManyRequests(int count, int batchMax) {
        return invalidArgument(
                "requests",
                "requests holds " + count + " reserves; at most " + batchMax
                        + " are accepted in one batch (setting stream-batch-max)",
                "BATCH_TOO_LARGE");
    }

    static StatusRuntimeException exception(com.google.rpc.Status status) {
        return StatusProto.toStatusRuntimeException(status);
    }
}
