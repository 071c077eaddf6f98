package io.checkout.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * One command and, after {@link CheckoutBook#execute(Command)}, its result. Mutable and reused:
 * the pipeline preallocates one per ring slot. Input fields are set by the publisher; output fields
 * are written only by the engine. Which fields matter depends on {@link #type}.
 */
public final class Command {
    // ---- input -------------------------------------------------------------------------------
    public CommandType type;
    /** When the command was published; engine time never goes backwards, whatever this says. */
    public long timestampMillis;
    /**
     * The caller's deadline on this process's {@code System.nanoTime()} clock, or 0 for none. Read
     * by the pipeline before the engine sees the command; never journalled, never read by the engine.
     */
    public long deadlineNanos;

    public String requestId;
    public String userId;
    public int lineCount;
    public final String[] lineSkuIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    public final int[] lineQuantities = new int[EngineLimits.LINES_PER_ORDER_MAX];
    public long orderId;
    /**
     * Not the engine's: set by the server's edge for the answer. What this partition's order ids
     * have above the engine's own (partition id shifted left by 48; 0 without partitions), so an
     * answer shows {@code orderIdBase + orderId}. The engine, the journal and the log never see it.
     */
    public long orderIdBase;
    /** UPSERT_SKU, ADJUST_STOCK, GET_SKU. */
    public String skuId;

    public long priceMinor;
    public String currency;
    public long totalStock;
    public long perUserLimit;
    public long saleStartEpochMillis;
    public long saleEndEpochMillis;
    public long reservationTtlMillis;
    public long delta;
    public int pageSize;
    public String pageToken;

    // ---- output ------------------------------------------------------------------------------
    public ResultCode result;
    /** The line an invalid reserve or a refused reserve is about, or -1. */
    public int failedLine = -1;
    /** The SKU a refused reserve failed on (a repeat of a refused reserve reports it too), or null. */
    public String failedSkuId;
    /** Whether this answer is a repeat of the first answer given to the same request id. */
    public boolean repeated;
    /** The order as the answer reports it (RESERVE, CONFIRM, CANCEL, REFUND, GET_ORDER). */
    public final OrderRecord order = new OrderRecord();
    /** The SKU ids of {@link #order}'s lines, parallel to its line arrays. */
    public final String[] orderLineSkuIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    /** The SKU as the answer reports it (UPSERT_SKU, ADJUST_STOCK, GET_SKU). */
    public final SkuRecord sku = new SkuRecord();
    /** LIST_SKUS only: the page, and the token of the next page or null. Admin path, may allocate. */
    public final List<SkuRecord> skuPage = new ArrayList<>();

    public String nextPageToken;
    /** TICK only: how many reservations this tick expired. */
    public int expiredCount;

    /** Resets every field, input and output, so nothing of a previous command leaks into the next. */
    public void clear() {
        type = null;
        timestampMillis = 0;
        deadlineNanos = 0;
        requestId = null;
        userId = null;
        for (int i = 0; i < lineCount; i++) {
            lineSkuIds[i] = null;
        }
        lineCount = 0;
        orderId = 0;
        orderIdBase = 0;
        skuId = null;
        priceMinor = 0;
        currency = null;
        totalStock = 0;
        perUserLimit = 0;
        saleStartEpochMillis = 0;
        saleEndEpochMillis = 0;
        reservationTtlMillis = 0;
        delta = 0;
        pageSize = 0;
        pageToken = null;
        clearOutput();
    }

    /** Resets the output fields only. */
    public void clearOutput() {
        result = null;
        failedLine = -1;
        failedSkuId = null;
        repeated = false;
        for (int i = 0; i < order.lineCount; i++) {
            orderLineSkuIds[i] = null;
        }
        order.clear();
        sku.clear();
        skuPage.clear();
        nextPageToken = null;
        expiredCount = 0;
    }

    /**
     * Copies {@code other}'s output fields into this command's, as the engine wrote them: for a
     * command applied elsewhere (a member of a cluster) from the same input. The SKU page shares
     * {@code other}'s records, which the engine allocated for that answer alone.
     */
    public void copyOutputFrom(Command other) {
        clearOutput();
        result = other.result;
        failedLine = other.failedLine;
        failedSkuId = other.failedSkuId;
        repeated = other.repeated;
        order.copyFrom(other.order);
        System.arraycopy(other.orderLineSkuIds, 0, orderLineSkuIds, 0, other.order.lineCount);
        sku.copyFrom(other.sku);
        skuPage.addAll(other.skuPage);
        nextPageToken = other.nextPageToken;
        expiredCount = other.expiredCount;
    }

    /** Adds a reserve line; the caller keeps within {@link EngineLimits#LINES_PER_ORDER_MAX}. */
    public void addLine(String lineSkuId, int quantity) {
        lineSkuIds[lineCount] = lineSkuId;
        lineQuantities[lineCount] = quantity;
        lineCount++;
    }

    // ---- factories for tests and tools (the pipeline fills preallocated instances instead) ----

    public static Command reserve(long timestampMillis, String requestId, String userId, String skuId, int quantity) {
        Command command = new Command();
        command.type = CommandType.RESERVE;
        command.timestampMillis = timestampMillis;
        command.requestId = requestId;
        command.userId = userId;
        command.addLine(skuId, quantity);
        return command;
    }

    public static Command orderCommand(CommandType type, long timestampMillis, String requestId, long orderId) {
        Command command = new Command();
        command.type = type;
        command.timestampMillis = timestampMillis;
        command.requestId = requestId;
        command.orderId = orderId;
        return command;
    }

    public static Command upsertSku(
            long timestampMillis,
            String requestId,
            String skuId,
            long priceMinor,
            String currency,
            long totalStock,
            long perUserLimit,
            long saleStartEpochMillis,
            long saleEndEpochMillis,
            long reservationTtlMillis) {
        Command command = new Command();
        command.type = CommandType.UPSERT_SKU;
        command.timestampMillis = timestampMillis;
        command.requestId = requestId;
        command.skuId = skuId;
        command.priceMinor = priceMinor;
        command.currency = currency;
        command.totalStock = totalStock;
        command.perUserLimit = perUserLimit;
        command.saleStartEpochMillis = saleStartEpochMillis;
        command.saleEndEpochMillis = saleEndEpochMillis;
        command.reservationTtlMillis = reservationTtlMillis;
        return command;
    }

    public static Command adjustStock(long timestampMillis, String requestId, String skuId, long delta) {
        Command command = new Command();
        command.type = CommandType.ADJUST_STOCK;
        command.timestampMillis = timestampMillis;
        command.requestId = requestId;
        command.skuId = skuId;
        command.delta = delta;
        return command;
    }

    public static Command tick(long timestampMillis) {
        Command command = new Command();
        command.type = CommandType.TICK;
        command.timestampMillis = timestampMillis;
        return command;
    }

    public static Command getOrder(long orderId) {
        Command command = new Command();
        command.type = CommandType.GET_ORDER;
        command.orderId = orderId;
        return command;
    }

    public static Command getSku(String skuId) {
        Command command = new Command();
        command.type = CommandType.GET_SKU;
        command.skuId = skuId;
        return command;
    }

    public static Command listSkus(int pageSize, String pageToken) {
        Command command = new Command();
        command.type = CommandType.LIST_SKUS;
        command.pageSize = pageSize;
        command.pageToken = pageToken;
        return command;
    }

    /**
     * Whether this command's caller has given up by {@code nowNanos}: its deadline is set and has
     * passed. Ticks have none. Asked before a command is applied (single node) or offered to the
     * cluster, never by the engine, so it cannot make replay differ.
     */
    public boolean isPastDeadline(long nowNanos) {
        return deadlineNanos != 0 && type != CommandType.TICK && nowNanos - deadlineNanos >= 0;
    }
}
