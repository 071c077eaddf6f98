package io.checkout.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * One command and, after {@link CheckoutBook#execute(Command)}, its result. Mutable and reused:
 * the pipeline preallocates one per ring slot. Input fields are set by the publisher; output fields
 * are written only by the engine. Which fields matter depends on {@link #type}.
 */
public final class Command implements LineSkuIdTarget {
    /** Output beyond a reserve's that the engine wrote, for {@link #clearOutput()} to clear; see {@link #wroteOutput}. */
    static final int OUT_LINE_PARTIES = 1;

    static final int OUT_SKU_PAGE = 2;
    static final int OUT_ORDER_PAGE = 4;
    static final int OUT_MERCHANT = 8;
    /** Not output: the merchant input fields were handed out, for {@link #clear()} to clear. */
    static final int IN_MERCHANT = 16;
    /** The risk inputs (blocked flag, attempt limit) were written. */
    static final int IN_RISK = 32;
    /** A risk answer was written. */
    static final int OUT_RISK = 64;
    /** A SKU group's answer was written. */
    static final int OUT_GROUP = 128;
    /** UPSERT_CAMPAIGN's terms were handed out, for {@link #clear()} to clear. */
    static final int IN_CAMPAIGN = 256;
    /** A campaign's answer was written. */
    static final int OUT_CAMPAIGN = 512;

    /** Line id buffers a command keeps between uses; see {@link #lineSkuId}. */
    static final int LINE_IDS_KEPT = 4;

    private static final int IN_ANY = IN_MERCHANT | IN_RISK | IN_CAMPAIGN;

    private static final CommandType[] TYPES = EnumCodes.constants(CommandType.class);

    private static final ResultCode[] RESULTS = EnumCodes.constants(ResultCode.class);

    // ---- input -------------------------------------------------------------------------------
    /** When the command was published; engine time never goes backwards, whatever this says. */
    public long timestampMillis;
    /**
     * The caller's deadline on this process's {@code System.nanoTime()} clock, or 0 for none. Read
     * by the pipeline before the engine sees the command; never journalled, never read by the engine.
     */
    public long deadlineNanos;

    /** Absent for queries. */
    public final IdBuffer requestId = new IdBuffer();

    public final IdBuffer userId = new IdBuffer();
    /** RESERVE: the campaign to apply (absent: none); GET_CAMPAIGN: the campaign asked for. */
    public final IdBuffer campaignId = new IdBuffer();

    public int lineCount;
    public final int[] lineQuantities = new int[EngineLimits.LINES_PER_ORDER_MAX];
    public long orderId;
    /**
     * Not the engine's: set by the server's edge for the answer. What this partition's order ids
     * have above the engine's own (partition id shifted left by 48; 0 without partitions), so an
     * answer shows {@code orderIdBase + orderId}. The engine, the journal and the log never see it.
     */
    public long orderIdBase;
    /**
     * CONFIRM only: whether the confirm carries a payment ({@link #paymentProvider},
     * {@link #paymentId}, {@link #paymentAmountMinor}, {@link #paymentCurrency}). A confirm without
     * one pays the order as before, recording no payment. Without it the payment fields hold
     * nothing meaningful and {@link #clear()} leaves them be (a reserve touches none of them).
     */
    public boolean hasPayment;
    /** Who took the money, e.g. {@code stripe}. */
    public final IdBuffer paymentProvider = new IdBuffer();
    /** The provider's id of the payment: with the provider, what makes a payment callback unique. */
    public final IdBuffer paymentId = new IdBuffer();

    public long paymentAmountMinor;
    /** {@link CurrencyCode#pack packed}; {@link CurrencyCode#NONE} for a code that is not one. */
    public int paymentCurrency;
    /**
     * REFUND only: why (printable ASCII and spaces, at most {@link EngineLimits#REFUND_REASON_LENGTH_MAX}),
     * or null. The units to refund are the command's lines (SKU id and quantity); none: everything
     * not yet refunded.
     */
    public String refundReason;
    /** REFUND only: the refunded units do not go back to available stock, they leave the total. */
    public boolean notResellable;
    /** UPSERT_SKU, ADJUST_STOCK, GET_SKU. */
    public final IdBuffer skuId = new IdBuffer();

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
    /** The line an invalid reserve or a refused reserve is about, or -1. */
    public int failedLine = -1;
    /**
     * Whether the answer names the SKU of {@link #failedLine} ({@link #failedSkuId()}): a refused
     * reserve does (a repeat of one too), an invalid one does not.
     */
    public boolean failedSkuKnown;
    /** Whether this answer is a repeat of the first answer given to the same request id. */
    public boolean repeated;
    /** The order as the answer reports it (RESERVE, CONFIRM, CANCEL, REFUND, GET_ORDER). */
    public final OrderRecord order = new OrderRecord();
    /** The SKU as the answer reports it (UPSERT_SKU, ADJUST_STOCK, GET_SKU). */
    public final SkuRecord sku = new SkuRecord();
    /** LIST_SKUS only: the page, and the token of the next page or null. Admin path, may allocate. */
    public final List<SkuRecord> skuPage = new ArrayList<>();

    public String nextPageToken;
    /** TICK only: how many reservations this tick expired. */
    public int expiredCount;

    /**
     * What the command is, as its ordinal + 1 (0: unset): read with {@link #type()}. A byte, not a
     * reference, as the result is: a ring slot lives as long as the server, and a reference stored
     * into it (even an enum constant, even the same one again) dirties one of its cards, which G1
     * must refine or else scan in the next young pause. With 16,384 slots in turn, one such store
     * per command was tens of thousands of cards a pause (benchmarks/README, History 2026-12-05 20:58).
     */
    private byte typeCode;

    /** How the command fared, as its ordinal + 1 (0: undecided): read with {@link #result()}. */
    private byte resultCode;

    /**
     * Merchant fields, line merchants, a user's orders: see {@link CommandExtras}; null until a
     * command needs them.
     */
    private CommandExtras extras;
    /**
     * Which of the extras ({@code OUT_*}, {@code IN_MERCHANT}) were written: clearing a command
     * clears only those, so a reserve touches none of them (each a cache line when the ring slot
     * comes round again).
     */
    private int extraOutput;
    /**
     * The lines' SKU ids. The first {@value #LINE_IDS_KEPT} buffers belong to the command for good;
     * further ones are made for a command with more lines and dropped with it, so that a slot's
     * memory stays small and the common order (one or a few lines) allocates nothing.
     */
    private final IdBuffer[] lineSkuIds = new IdBuffer[EngineLimits.LINES_PER_ORDER_MAX];
    /**
     * The SKU ids of {@link #order}'s lines, parallel to its line arrays: read with {@link
     * #orderLineSkuId(int)}, only below its {@code lineCount}; buffers kept and made as {@link
     * #lineSkuIds}' are. The ids are copied in as bytes rather than kept as references to the SKU
     * table's strings: a reference stored into a ring slot dirties a card of it (see {@link
     * #typeCode}), once per answer with lines, and in a catalog the SKU changes from one command
     * in the slot to the next.
     */
    private final IdBuffer[] orderLineSkuIds = new IdBuffer[EngineLimits.LINES_PER_ORDER_MAX];

    public Command() {
        for (int i = 0; i < LINE_IDS_KEPT; i++) {
            lineSkuIds[i] = new IdBuffer();
            orderLineSkuIds[i] = new IdBuffer();
        }
    }

    /** What the command is, or null until one is set (a new or cleared command). */
    public CommandType type() {
        return EnumCodes.decode(TYPES, typeCode);
    }

    /** Sets what the command is; null leaves it unset. */
    public void type(CommandType newType) {
        typeCode = EnumCodes.encode(newType);
    }

    /** Sets the SKU id of the answer's order line {@code line} (0 <= line < LINES_PER_ORDER_MAX), copying its text. */
    @Override
    public void orderLineSkuId(int line, String skuId) {
        orderLineSkuIdToFill(line).set(skuId);
    }

    /**
     * Sets the SKU id of the answer's order line {@code line} to the command's own line {@code
     * line}'s id: for a reserve, whose lines were found in the SKU table by exactly those bytes.
     * A copy between two of the slot's buffers, the SKU's own {@code String} left unread.
     */
    void orderLineSkuIdFromLine(int line) {
        orderLineSkuIdToFill(line).copyFrom(lineSkuIds[line]);
    }

    private IdBuffer orderLineSkuIdToFill(int line) {
        return bufferAt(orderLineSkuIds, line);
    }

    /** The slot's buffer at {@code index}, made on first use and kept for the slot's life. */
    private static IdBuffer bufferAt(IdBuffer[] buffers, int index) {
        IdBuffer id = buffers[index];
        if (id == null) {
            id = buffers[index] = new IdBuffer();
        }
        return id;
    }

    /**
     * Reads a word of each cache line of this command that applying a reserve and answering it
     * read or write: the command's own fields, its ids' buffers and first bytes, its first line, the
     * answer's order and SKU records. A ring slot comes round again only after the whole ring, so
     * these lines are cold; read ahead for a group of commands in one loop, their misses overlap
     * instead of stalling the engine one by one. Changes nothing; returns what it read, for the
     * caller to keep so that the reads are kept.
     */
    public int touchLines() {
        int read = lineCount ^ (int) perUserLimit ^ extraOutput ^ (nextPageToken == null ? 0 : 1);
        read ^= requestId.touchLines() ^ userId.touchLines() ^ campaignId.length() ^ skuId.length();
        read ^= lineQuantities[0] ^ order.touchLines() ^ sku.touchLines();
        IdBuffer line = lineSkuIds[0];
        IdBuffer answerLine = orderLineSkuIds[0];
        return read ^ line.touchLines() ^ answerLine.touchLines();
    }

    /** The SKU id of the answer's order line {@code line} (0 <= line < {@code order.lineCount}). */
    public IdBuffer orderLineSkuId(int line) {
        if (line < 0 || line >= order.lineCount) {
            throw new IndexOutOfBoundsException("order line " + line + " of " + order.lineCount);
        }
        return orderLineSkuIds[line];
    }

    /** The SKU ids of the answer's order lines as new strings, one per line: for replies and cold paths. */
    public String[] orderLineSkuIdTexts() {
        String[] texts = new String[order.lineCount];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = orderLineSkuIds[i].asString();
        }
        return texts;
    }

    /** How the command fared, or null until the engine (or the pipeline, refusing it) decided. */
    public ResultCode result() {
        return EnumCodes.decode(RESULTS, resultCode);
    }

    /** Sets how the command fared; null leaves it undecided. */
    public void result(ResultCode newResult) {
        resultCode = EnumCodes.encode(newResult);
    }

    /** Resets every field, input and output, so nothing of a previous command leaks into the next. */
    public void clear() {
        if ((extraOutput & IN_MERCHANT) != 0) {
            extras.merchantId.clear();
            extras.storeId.clear();
            extras.commissionBps = 0;
            extras.groupId.clear();
            extraOutput &= ~IN_MERCHANT;
        }
        if ((extraOutput & IN_RISK) != 0) {
            extras.blocked = false;
            extras.maxAttempts = 0;
            extras.windowMillis = 0;
            extraOutput &= ~IN_RISK;
        }
        if ((extraOutput & IN_CAMPAIGN) != 0) {
            extras.campaignTerms.clear();
            extraOutput &= ~IN_CAMPAIGN;
        }
        typeCode = 0;
        timestampMillis = 0;
        deadlineNanos = 0;
        requestId.clear();
        userId.clear();
        campaignId.clear();
        for (int i = LINE_IDS_KEPT; i < lineCount; i++) {
            lineSkuIds[i] = null;
        }
        lineCount = 0;
        orderId = 0;
        orderIdBase = 0;
        if (hasPayment) {
            hasPayment = false;
            paymentProvider.clear();
            paymentId.clear();
            paymentAmountMinor = 0;
            paymentCurrency = CurrencyCode.NONE;
        }
        refundReason = null;
        notResellable = false;
        skuId.clear();
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

    /**
     * Drops what the command refers to that is not its own for good (a caller's text, line buffers
     * past the kept ones, an answer's pages and extras), so that nothing a command brought or
     * answered stays reachable from its ring slot, which lives as long as the server, until the
     * slot is used again; the slot's values are reset by {@link #clear()} then. A command that
     * refers to nothing of the kind (a reserve of a few lines without merchants, say) is left as
     * it is: only its line counts, its extras' flags and its text fields are read. Anything else
     * is cleared whole.
     */
    public void releaseReferences() {
        if (extraOutput != 0
                || lineCount > LINE_IDS_KEPT
                || order.lineCount > LINE_IDS_KEPT
                || refundReason != null
                || currency != null
                || pageToken != null
                || nextPageToken != null) {
            clear();
        }
    }

    /** Resets the output fields only. */
    public void clearOutput() {
        resultCode = 0;
        failedLine = -1;
        failedSkuKnown = false;
        repeated = false;
        for (int i = LINE_IDS_KEPT; i < order.lineCount; i++) {
            orderLineSkuIds[i] = null;
        }
        order.clear();
        sku.clear();
        nextPageToken = null;
        expiredCount = 0;
        if ((extraOutput & ~IN_ANY) != 0) {
            if ((extraOutput & OUT_LINE_PARTIES) != 0) {
                extras.lineParties.clear();
            }
            if ((extraOutput & OUT_SKU_PAGE) != 0) {
                skuPage.clear();
            }
            if ((extraOutput & OUT_ORDER_PAGE) != 0) {
                extras.orderPage.clear();
                extras.nextPageOrderId = 0;
            }
            if ((extraOutput & OUT_MERCHANT) != 0) {
                extras.merchantCommissionBps = 0;
                extras.merchantUpdatedAtEpochMillis = 0;
            }
            if ((extraOutput & OUT_RISK) != 0) {
                extras.riskAnswer.clear();
            }
            if ((extraOutput & OUT_GROUP) != 0) {
                extras.groupPerUserLimit = 0;
                extras.groupMaxAttempts = 0;
                extras.groupWindowMillis = 0;
                extras.groupSkuIds.clear();
            }
            if ((extraOutput & OUT_CAMPAIGN) != 0) {
                extras.campaignAnswer.clear();
            }
            extraOutput &= IN_ANY;
        }
    }

    private CommandExtras extras() {
        if (extras == null) {
            extras = new CommandExtras();
        }
        return extras;
    }

    /** UPSERT_SKU: the SKU's merchant (absent: none); UPSERT_MERCHANT, GET_MERCHANT: the merchant. */
    public IdBuffer merchantId() {
        extraOutput |= IN_MERCHANT;
        return extras().merchantId;
    }

    /** UPSERT_SKU: the SKU's store (absent: none). */
    public IdBuffer storeId() {
        extraOutput |= IN_MERCHANT;
        return extras().storeId;
    }

    /** UPSERT_SKU: the SKU's group (absent: none); UPSERT_SKU_GROUP, GET_SKU_GROUP: the group. */
    public IdBuffer groupId() {
        extraOutput |= IN_MERCHANT;
        return extras().groupId;
    }

    /** UPSERT_SKU_GROUP, GET_SKU_GROUP: the group's limit now. */
    public long groupPerUserLimit() {
        return (extraOutput & OUT_GROUP) == 0 ? 0 : extras.groupPerUserLimit;
    }

    /** UPSERT_SKU_GROUP, GET_SKU_GROUP: the group's SKUs, in the order they were created. */
    public List<String> groupSkuIds() {
        return (extraOutput & OUT_GROUP) == 0 ? List.of() : extras.groupSkuIds;
    }

    /** Starts the group answer: sets the limit, clears the SKU ids and returns them for filling. */
    List<String> groupAnswer(long perUserLimit) {
        extraOutput |= OUT_GROUP;
        extras().groupPerUserLimit = perUserLimit;
        extras.groupSkuIds.clear();
        return extras.groupSkuIds;
    }

    /** UPSERT_SKU_GROUP, GET_SKU_GROUP: the group's attempt limit (0 attempts: none). */
    public int groupMaxAttempts() {
        return (extraOutput & OUT_GROUP) == 0 ? 0 : extras.groupMaxAttempts;
    }

    public long groupWindowMillis() {
        return (extraOutput & OUT_GROUP) == 0 ? 0 : extras.groupWindowMillis;
    }

    /** Sets the group answer's attempt limit; after {@link #groupAnswer}. */
    void groupAttemptLimitAnswer(int maxAttempts, long windowMillis) {
        extras.groupMaxAttempts = maxAttempts;
        extras.groupWindowMillis = windowMillis;
    }

    /** UPSERT_CAMPAIGN: the campaign as it should stand, for the publisher to fill and the engine to read. */
    public CampaignTerms campaignTerms() {
        extraOutput |= IN_CAMPAIGN;
        return extras().campaignTerms;
    }

    /** UPSERT_CAMPAIGN, GET_CAMPAIGN: the campaign as it stands, with its redemptions; null if none was answered. */
    public CampaignTerms campaignAnswer() {
        return (extraOutput & OUT_CAMPAIGN) == 0 ? null : extras.campaignAnswer;
    }

    CampaignTerms campaignAnswerToFill() {
        extraOutput |= OUT_CAMPAIGN;
        return extras().campaignAnswer;
    }

    /** UPSERT_MERCHANT: the rate, 0..10,000 basis points. */
    public int commissionBps() {
        return (extraOutput & IN_MERCHANT) == 0 ? 0 : extras.commissionBps;
    }

    public void commissionBps(int bps) {
        extraOutput |= IN_MERCHANT;
        extras().commissionBps = bps;
    }

    /** UPSERT_MERCHANT, GET_MERCHANT: the merchant's rate now. */
    public int merchantCommissionBps() {
        return (extraOutput & OUT_MERCHANT) == 0 ? 0 : extras.merchantCommissionBps;
    }

    /** UPSERT_MERCHANT, GET_MERCHANT: since when the merchant's rate is in force. */
    public long merchantUpdatedAtEpochMillis() {
        return (extraOutput & OUT_MERCHANT) == 0 ? 0 : extras.merchantUpdatedAtEpochMillis;
    }

    void merchantAnswer(int bps, long sinceEpochMillis) {
        extraOutput |= OUT_MERCHANT;
        extras().merchantCommissionBps = bps;
        extras.merchantUpdatedAtEpochMillis = sinceEpochMillis;
    }

    /** SET_USER_BLOCKED: whether to block the user ({@link #userId}) or lift the block. */
    public boolean blocked() {
        return (extraOutput & IN_RISK) != 0 && extras.blocked;
    }

    public void blocked(boolean blocked) {
        extraOutput |= IN_RISK;
        extras().blocked = blocked;
    }

    /** SET_RISK_RULES: reserves a user may make per window (0: no limit). */
    public int maxAttempts() {
        return (extraOutput & IN_RISK) == 0 ? 0 : extras.maxAttempts;
    }

    /** SET_RISK_RULES: the window of the attempt limit, in milliseconds. */
    public long windowMillis() {
        return (extraOutput & IN_RISK) == 0 ? 0 : extras.windowMillis;
    }

    public void attemptLimit(int maxAttempts, long windowMillis) {
        extraOutput |= IN_RISK;
        extras().maxAttempts = maxAttempts;
        extras.windowMillis = windowMillis;
    }

    /** SET_USER_BLOCKED, GET_USER_RISK, SET_RISK_RULES, GET_RISK_RULES: the answer. */
    public RiskAnswer riskAnswer() {
        return (extraOutput & OUT_RISK) == 0 ? RiskAnswer.NONE : extras.riskAnswer;
    }

    RiskAnswer riskAnswerToFill() {
        extraOutput |= OUT_RISK;
        return extras().riskAnswer;
    }

    /**
     * The merchants, rates and stores of {@link #order}'s lines: filled for every answer that shows
     * the order's lines (a reserve's answer shows none, and reads {@link LineParties#NONE}).
     */
    public LineParties lineParties() {
        return (extraOutput & OUT_LINE_PARTIES) == 0 ? LineParties.NONE : extras.lineParties;
    }

    LineParties linePartiesToFill() {
        extraOutput |= OUT_LINE_PARTIES;
        return extras().lineParties;
    }

    /** LIST_USER_ORDERS: the page, newest first. Query path, may allocate. */
    public List<OrderView> orderPage() {
        return (extraOutput & OUT_ORDER_PAGE) == 0 ? List.of() : extras.orderPage;
    }

    /** LIST_USER_ORDERS: the id of the page's last order if an older one follows (the next page starts after it), else 0. */
    public long nextPageOrderId() {
        return (extraOutput & OUT_ORDER_PAGE) == 0 ? 0 : extras.nextPageOrderId;
    }

    List<OrderView> orderPageToFill() {
        extraOutput |= OUT_ORDER_PAGE;
        return extras().orderPage;
    }

    void nextPageOrderId(long orderId) {
        extraOutput |= OUT_ORDER_PAGE;
        extras().nextPageOrderId = orderId;
    }

    /** The engine wrote the outputs {@code parts} ({@code OUT_*} bits). */
    void wroteOutput(int parts) {
        extraOutput |= parts;
    }

    /**
     * Copies {@code other}'s output fields into this command's, as the engine wrote them: for a
     * command applied elsewhere (a member of a cluster) from the same input. The SKU page shares
     * {@code other}'s records, which the engine allocated for that answer alone.
     */
    public void copyOutputFrom(Command other) {
        clearOutput();
        result(other.result());
        failedLine = other.failedLine;
        failedSkuKnown = other.failedSkuKnown;
        repeated = other.repeated;
        order.copyFrom(other.order);
        for (int i = 0; i < other.order.lineCount; i++) {
            orderLineSkuIdToFill(i).copyFrom(other.orderLineSkuIds[i]);
        }
        if ((other.extraOutput & OUT_LINE_PARTIES) != 0) {
            linePartiesToFill().copyFrom(other.extras.lineParties);
        }
        if ((other.extraOutput & OUT_MERCHANT) != 0) {
            merchantAnswer(other.extras.merchantCommissionBps, other.extras.merchantUpdatedAtEpochMillis);
        }
        if ((other.extraOutput & OUT_RISK) != 0) {
            riskAnswerToFill().copyFrom(other.extras.riskAnswer);
        }
        if ((other.extraOutput & OUT_GROUP) != 0) {
            groupAnswer(other.extras.groupPerUserLimit).addAll(other.extras.groupSkuIds);
            groupAttemptLimitAnswer(other.extras.groupMaxAttempts, other.extras.groupWindowMillis);
        }
        if ((other.extraOutput & OUT_CAMPAIGN) != 0) {
            campaignAnswerToFill().copyFrom(other.extras.campaignAnswer);
        }
        sku.copyFrom(other.sku);
        if ((other.extraOutput & OUT_SKU_PAGE) != 0) {
            wroteOutput(OUT_SKU_PAGE);
            skuPage.addAll(other.skuPage);
        }
        if ((other.extraOutput & OUT_ORDER_PAGE) != 0) {
            orderPageToFill().addAll(other.extras.orderPage);
            nextPageOrderId(other.extras.nextPageOrderId);
        }
        nextPageToken = other.nextPageToken;
        expiredCount = other.expiredCount;
    }

    /**
     * Adds a reserve line and returns the buffer for its SKU id, absent, for the caller to fill;
     * the caller keeps within {@link EngineLimits#LINES_PER_ORDER_MAX}.
     */
    public IdBuffer addLine(int quantity) {
        IdBuffer id = bufferAt(lineSkuIds, lineCount);
        id.clear();
        lineQuantities[lineCount] = quantity;
        lineCount++;
        return id;
    }

    /** Adds a reserve line for SKU {@code lineSkuId} (tests and tools). */
    public void addLine(String lineSkuId, int quantity) {
        addLine(quantity).set(lineSkuId);
    }

    /** The SKU id of line {@code line} (0 <= line < lineCount). */
    public IdBuffer lineSkuId(int line) {
        if (line < 0 || line >= lineCount) {
            throw new IndexOutOfBoundsException("line " + line + " of " + lineCount);
        }
        return lineSkuIds[line];
    }

    /** The SKU a refused reserve failed on, as text, or null: for answers, not the engine. */
    public String failedSkuId() {
        return failedSkuKnown && failedLine >= 0 && failedLine < lineCount ? lineSkuIds[failedLine].asString() : null;
    }

    // ---- factories for tests and tools (the pipeline fills preallocated instances instead) ----

    public static Command reserve(long timestampMillis, String requestId, String userId, String skuId, int quantity) {
        Command command = new Command();
        command.type(CommandType.RESERVE);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.userId.set(userId);
        command.addLine(skuId, quantity);
        return command;
    }

    public static Command orderCommand(CommandType type, long timestampMillis, String requestId, long orderId) {
        Command command = new Command();
        command.type(type);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.orderId = orderId;
        return command;
    }

    /** A confirm carrying a payment; {@code currency} is packed, NONE where it is not a code. */
    public static Command confirmWithPayment(
            long timestampMillis,
            String requestId,
            long orderId,
            String provider,
            String paymentId,
            long amountMinor,
            String currency) {
        Command command = orderCommand(CommandType.CONFIRM, timestampMillis, requestId, orderId);
        command.hasPayment = true;
        command.paymentProvider.set(provider);
        command.paymentId.set(paymentId);
        command.paymentAmountMinor = amountMinor;
        command.paymentCurrency = CurrencyCode.pack(currency);
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
        command.type(CommandType.UPSERT_SKU);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.skuId.set(skuId);
        command.priceMinor = priceMinor;
        command.currency = currency;
        command.totalStock = totalStock;
        command.perUserLimit = perUserLimit;
        command.saleStartEpochMillis = saleStartEpochMillis;
        command.saleEndEpochMillis = saleEndEpochMillis;
        command.reservationTtlMillis = reservationTtlMillis;
        return command;
    }

    /** An UPSERT_SKU with a merchant and a store (either may be null: none). */
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
            long reservationTtlMillis,
            String merchantId,
            String storeId) {
        Command command = upsertSku(
                timestampMillis,
                requestId,
                skuId,
                priceMinor,
                currency,
                totalStock,
                perUserLimit,
                saleStartEpochMillis,
                saleEndEpochMillis,
                reservationTtlMillis);
        if (merchantId != null) {
            command.merchantId().set(merchantId);
        }
        if (storeId != null) {
            command.storeId().set(storeId);
        }
        return command;
    }

    public static Command upsertMerchant(long timestampMillis, String requestId, String merchantId, int commissionBps) {
        Command command = new Command();
        command.type(CommandType.UPSERT_MERCHANT);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.merchantId().set(merchantId);
        command.commissionBps(commissionBps);
        return command;
    }

    /** A SET_USER_BLOCKED: block {@code userId}, or lift the block. */
    public static Command setUserBlocked(long timestampMillis, String requestId, String userId, boolean blocked) {
        Command command = new Command();
        command.type(CommandType.SET_USER_BLOCKED);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.userId.set(userId);
        command.blocked(blocked);
        return command;
    }

    public static Command getUserRisk(String userId) {
        Command command = new Command();
        command.type(CommandType.GET_USER_RISK);
        command.userId.set(userId);
        return command;
    }

    /** A SET_RISK_RULES: at most {@code maxAttempts} reserves per user per {@code windowMillis}. */
    public static Command setRiskRules(long timestampMillis, String requestId, int maxAttempts, long windowMillis) {
        Command command = new Command();
        command.type(CommandType.SET_RISK_RULES);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.attemptLimit(maxAttempts, windowMillis);
        return command;
    }

    public static Command getRiskRules() {
        Command command = new Command();
        command.type(CommandType.GET_RISK_RULES);
        return command;
    }

    /** An UPSERT_SKU_GROUP: defines the group or sets its per-user limit. */
    public static Command upsertSkuGroup(long timestampMillis, String requestId, String groupId, long perUserLimit) {
        Command command = new Command();
        command.type(CommandType.UPSERT_SKU_GROUP);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.groupId().set(groupId);
        command.perUserLimit = perUserLimit;
        return command;
    }

    /** UPSERT_CAMPAIGN of a copy of {@code terms}. */
    public static Command upsertCampaign(long timestampMillis, String requestId, CampaignTerms terms) {
        Command command = new Command();
        command.type(CommandType.UPSERT_CAMPAIGN);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.campaignTerms().copyFrom(terms);
        return command;
    }

    public static Command getCampaign(String campaignId) {
        Command command = new Command();
        command.type(CommandType.GET_CAMPAIGN);
        command.campaignId.set(campaignId);
        return command;
    }

    public static Command getSkuGroup(String groupId) {
        Command command = new Command();
        command.type(CommandType.GET_SKU_GROUP);
        command.groupId().set(groupId);
        return command;
    }

    public static Command getMerchant(String merchantId) {
        Command command = new Command();
        command.type(CommandType.GET_MERCHANT);
        command.merchantId().set(merchantId);
        return command;
    }

    /** A user's orders, newest first: {@code pageSize} (0: the default) after order {@code afterOrderId} (0: from the newest). */
    public static Command listUserOrders(String userId, int pageSize, long afterOrderId) {
        Command command = new Command();
        command.type(CommandType.LIST_USER_ORDERS);
        command.userId.set(userId);
        command.pageSize = pageSize;
        command.orderId = afterOrderId;
        return command;
    }

    public static Command adjustStock(long timestampMillis, String requestId, String skuId, long delta) {
        Command command = new Command();
        command.type(CommandType.ADJUST_STOCK);
        command.timestampMillis = timestampMillis;
        command.requestId.set(requestId);
        command.skuId.set(skuId);
        command.delta = delta;
        return command;
    }

    public static Command tick(long timestampMillis) {
        Command command = new Command();
        command.type(CommandType.TICK);
        command.timestampMillis = timestampMillis;
        return command;
    }

    public static Command getOrder(long orderId) {
        Command command = new Command();
        command.type(CommandType.GET_ORDER);
        command.orderId = orderId;
        return command;
    }

    public static Command getSku(String skuId) {
        Command command = new Command();
        command.type(CommandType.GET_SKU);
        command.skuId.set(skuId);
        return command;
    }

    public static Command listSkus(int pageSize, String pageToken) {
        Command command = new Command();
        command.type(CommandType.LIST_SKUS);
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
        return deadlineNanos != 0 && type() != CommandType.TICK && nowNanos - deadlineNanos >= 0;
    }
}
