package io.checkout.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checkout domain: takes one {@link Command}, applies it to the {@link CheckoutState} and writes
 * the result back into the command. Plain Java with no I/O, no locks and no clock: time comes only
 * from {@link Command#timestampMillis}, so the same commands in the same order always produce the
 * same state and the same answers. Exactly one thread may call {@link #execute}.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Input is validated first; an invalid command changes nothing and is not remembered.</li>
 *   <li>A mutating command whose request id was seen before gets the first answer again and changes
 *       nothing (a different command type under the same id is {@link ResultCode#REQUEST_ID_REUSED}).
 *       With a retention window, ticks let the state forget answers older than the window, so a
 *       request id is remembered at least that long.</li>
 *   <li>Reserve takes all lines or none. Each line is checked in order; the first failing line
 *       decides the answer, and within a line the checks run in this order: SKU known, on sale,
 *       same currency as the first line, per-user limit, the limit of the SKU's group, stock
 *       available.</li>
 *   <li>The per-user limit counts units reserved and paid; cancel, expiry and refund give them back.
 *       A SKU group's limit counts the same units over all of the group's SKUs (as they are grouped
 *       now) plus the order's lines in the group.</li>
 *   <li>A reserve may name a campaign (a coupon). Once every line passed its checks: the campaign
 *       is defined, active at engine time, the order qualifies (the campaign's currency, a line it
 *       applies to, the min spend, a discount above 0), the budget and the buyer's limit have a
 *       redemption left; else the reserve is refused naming why and nothing is reserved. The order
 *       records the campaign, the discount and the lines sharing it; its amount is the lines' gross
 *       less the discount. Cancel and expiry give the redemption back, a refund does not; a payment
 *       for an expired order retakes one only if the budget and the buyer's limit allow.</li>
 *   <li>Risk rules come first, after validation and idempotency: a blocked user is refused
 *       {@code BLOCKED}; past the attempt limit, {@code RATE_LIMITED}; then past the attempt limit of
 *       a SKU group of one of its lines (a sale's own limit), {@code RATE_LIMITED} naming the first
 *       line in that group. Every reserve answered with its own outcome counts as an attempt, under
 *       the global limit and under each limited group of its lines.</li>
 *   <li>A confirm may carry a payment (provider, payment id, amount, currency). Its amount and
 *       currency must be the order's. The order records it, and the payment is remembered for as
 *       long as the order is: a confirm with the same provider and payment id, whatever its request
 *       id, gets the first answer again (the order PAID at the payment's time) and changes nothing;
 *       naming another order, it is refused. Payment callbacks are delivered at least once, and
 *       each delivery may carry a new request id.</li>
 *   <li>A payment for an EXPIRED order (or a RESERVED one found due, which expires first) is not
 *       refused: money arrived. If every line's units are available and the buyer's limits allow
 *       them, the order is paid as usual ({@code EXPIRED -> PAID}, the units taken as sold);
 *       otherwise it becomes {@code PAID_TOO_LATE}, holding the payment and no units, and its
 *       event tells the refund system to return the money. Room for the buyer's counters is
 *       checked first, whichever way it goes, so that a full table changes nothing.</li>
 *   <li>A refund may name lines (SKU and units) or none (every unit not yet refunded) of a PAID or
 *       PARTLY_REFUNDED order. Refunded units go back to available stock, or, not resellable,
 *       leave the SKU's total; the buyer's allowance gets them back. The order counts refunded
 *       units per line and becomes PARTLY_REFUNDED, or REFUNDED once every unit is. A line of a SKU
 *       not in the order, or more units than paid and not yet refunded, is refused naming the
 *       line.</li>
 *   <li>A reservation expires when engine time reaches its expiry: on a tick, or when a confirm,
 *       cancel or refund finds it due (and then answers with the state EXPIRED). Expiry returns its
 *       stock exactly once.</li>
 *   <li>For every SKU, always: {@code available + reserved + sold == totalStock}, none negative.
 *       A violation is a bug, and the engine throws rather than carry on with corrupt state.</li>
 * </ul>
 */
public final class CheckoutBook {
    private static final int EXPIRY_QUEUE_PRESIZE_MAX = 1 << 20;
    /** How far ahead in the expiry FIFO a tick loads an order's row, and then what the row points to. */
    private static final int EXPIRY_PREFETCH_ROW_AHEAD = 16;

    private static final int EXPIRY_PREFETCH_PARTS_AHEAD = 8;

    private final CheckoutState state;
    private final MerchantTable merchants;
    private final RiskTable risk;
    private final SkuGroupTable groups;
    private final CampaignTable campaigns;
    private final EngineLimits limits;
    private final ExpiryQueue expiries;
    /** SKU ids in order, for paging through ListSkus; derived from the state, admin path only. */
    private final TreeMap<String, Integer> skuIdsInOrder = new TreeMap<>();

    private long nowMillis;
    /** RESERVE: the risk rules admitted it, and it counts as an attempt once it has an answer. */
    private boolean countAttempt;
    /** What {@link #prefetch} read of the risk tables, kept so that the reads are not left out. */
    private long riskTouched;
    /** RESERVE: the SKU groups with attempt limits its lines are in, counted once it has an answer. */
    private final int[] limitedGroups = new int[EngineLimits.LINES_PER_ORDER_MAX];

    private int limitedGroupCount;
    /** RESERVE refused by a group's attempt limit: the first line in that group. */
    private int limitedLine;
    /** RESERVE with a campaign: the discount it gives and the lines sharing it (bit per line). */
    private long discount;

    private long eligibleLines;

    private EngineEventListener events = EngineEventListener.NONE;

    private final SkuRecord[] lineSkus = new SkuRecord[EngineLimits.LINES_PER_ORDER_MAX];
    private final long[] lineUserUnits = new long[EngineLimits.LINES_PER_ORDER_MAX];
    /** REFUND: the units to refund now, by order line. */
    private final int[] refundUnits = new int[EngineLimits.LINES_PER_ORDER_MAX];

    private final SkuRecord sku = new SkuRecord();
    private final OrderRecord order = new OrderRecord();
    private final Outcome outcome = new Outcome();
    /** LIST_SKUS: the page token (a SKU id) as the engine checks ids. */
    private final IdBuffer pageToken = new IdBuffer();

    public CheckoutBook(CheckoutState state, EngineLimits limits) {
        this(state, limits, EXPIRY_QUEUE_PRESIZE_MAX);
    }

    /**
     * A book whose expiry queue is allocated up front for at most {@code expiryPresizeMax}
     * reservations (unless the state was allocated up front: then for every order it can hold). A
     * warm-up passes a small one, so that the queue's growth runs in it.
     */
    public CheckoutBook(CheckoutState state, EngineLimits limits, int expiryPresizeMax) {
        this.state = state;
        this.merchants = state.merchants();
        this.risk = state.risk();
        this.groups = state.skuGroups();
        this.campaigns = state.campaigns();
        this.limits = limits;
        for (int i = 0; i < lineSkus.length; i++) {
            lineSkus[i] = new SkuRecord();
        }
        for (int index = 0; index < state.skuCount(); index++) {
            state.readSku(index, sku);
            skuIdsInOrder.put(sku.skuId, index);
            checkConserved(sku);
        }
        // Sized up front for a sale's worth of reservations, so the hot path does not grow it; for
        // every order the state can hold when the state itself was allocated up front.
        long presizeMax = state.preallocated() ? Integer.MAX_VALUE - 8 : Math.max(0, expiryPresizeMax);
        expiries = new ExpiryQueue((int) Math.min(presizeMax, Math.max(state.orderCapacity(), state.orderCount())));
        // Campaign redemptions are a function of the orders: counted afresh from them, never stored.
        campaigns.clearRedemptions();
        for (long orderId = 1; orderId <= state.orderCount(); orderId++) {
            if (!state.readOrder(orderId, order)) {
                throw new IllegalStateException("order " + orderId + " of " + state.orderCount() + " is missing");
            }
            if (order.state() == OrderState.RESERVED) {
                expiries.add(order.expiresAtEpochMillis, orderId);
            }
            if (order.campaignNumber >= 0 && holdsRedemption(order.state())) {
                campaigns.redeem(order.campaignNumber, order.userId);
            }
            nowMillis = Math.max(nowMillis, order.updatedAtEpochMillis);
        }
    }

    /** Sets who hears of every order and SKU change; call before the first command. */
    public void eventListener(EngineEventListener listener) {
        this.events = listener;
    }

    /**
     * Restores engine time from a snapshot. Engine time is the latest timestamp seen, which may be
     * later than anything the state records (a tick that changed nothing), and replay must start
     * from the same time to reach the same answers.
     */
    public void restoreNowMillis(long restoredMillis) {
        if (restoredMillis > nowMillis) {
            nowMillis = restoredMillis;
        }
    }

    /** Engine time: the latest command timestamp seen. */
    public long nowMillis() {
        return nowMillis;
    }

    public CheckoutState state() {
        return state;
    }

    /**
     * Lets the state start loading what {@code command} will read, before it is executed: callers
     * that hold several commands (journal replay) prefetch them all, then execute them, so that
     * their cache misses overlap. Changes nothing and has no effect on answers.
     */
    public void prefetch(Command command) {
        CommandType type = command.type();
        if (type != null && type.isMutating() && type != CommandType.TICK) {
            state.prefetch(command.requestId, type == CommandType.RESERVE ? command.userId : null);
            if (type == CommandType.RESERVE && risk.active()) {
                riskTouched += risk.touch(command.userId);
            }
            if (type == CommandType.CONFIRM || type == CommandType.CANCEL || type == CommandType.REFUND) {
                state.prefetchOrder(command.orderId);
            }
        }
    }

    /**
     * Loads {@code command}'s ids (their hashes were computed as they were written) and the rest
     * of the command's lines that executing and answering it use ({@link Command#touchLines()}), so
     * that a {@link #prefetch} loop over several commands that follows is only loads of the state's
     * tables, and the command's own misses overlap with those of the others loaded in the same
     * loop. Changes nothing; returns what it read, for the caller to fold into a field so that the
     * reads are kept.
     */
    public int loadIds(Command command) {
        return command.requestId.hash() ^ command.userId.hash() ^ command.touchLines();
    }

    /** Applies {@code command} and writes its result into it. */
    public void execute(Command command) {
        command.clearOutput();
        // Only commands that are journalled move engine time: a query's timestamp is not replayed,
        // so letting it move the clock would make replay reach a different state.
        if (command.type().isMutating() && command.timestampMillis > nowMillis) {
            nowMillis = command.timestampMillis;
        }
        switch (command.type()) {
            case RESERVE -> reserve(command);
            case CONFIRM -> changeOrder(command, OrderState.RESERVED, OrderState.PAID);
            case CANCEL -> changeOrder(command, OrderState.RESERVED, OrderState.CANCELLED);
            case REFUND -> refund(command);
            case UPSERT_SKU -> upsertSku(command);
            case ADJUST_STOCK -> adjustStock(command);
            case TICK -> tick(command);
            case GET_ORDER -> getOrder(command);
            case GET_SKU -> getSku(command);
            case LIST_SKUS -> listSkus(command);
            case UPSERT_MERCHANT -> upsertMerchant(command);
            case GET_MERCHANT -> getMerchant(command);
            case LIST_USER_ORDERS -> listUserOrders(command);
            case SET_USER_BLOCKED -> setUserBlocked(command);
            case GET_USER_RISK -> getUserRisk(command);
            case SET_RISK_RULES -> setRiskRules(command);
            case GET_RISK_RULES -> getRiskRules(command);
            case UPSERT_SKU_GROUP -> upsertSkuGroup(command);
            case GET_SKU_GROUP -> getSkuGroup(command);
            case UPSERT_CAMPAIGN -> upsertCampaign(command);
            case GET_CAMPAIGN -> getCampaign(command);
            default -> throw new IllegalArgumentException("unknown command type " + command.type());
        }
        assert command.result() != null : "every command gets a result";
    }

    // ---- reserve -----------------------------------------------------------------------------

    private void reserve(Command c) {
        if (!validReserve(c)) {
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        countAttempt = risk.active();
        limitedGroupCount = 0;
        if (countAttempt) {
            ResultCode verdict = risk.verdict(c.userId, nowMillis);
            if (verdict != null) {
                countAttempt = false;
                if (verdict.isTableFull()) {
                    c.result(verdict);
                } else {
                    remember(c, verdict, 0, null, -1);
                }
                return;
            }
        }
        if (groups.attemptLimitsActive()) {
            ResultCode verdict = groupAttemptVerdict(c);
            if (verdict != null) {
                countAttempt = false;
                limitedGroupCount = 0;
                if (verdict.isTableFull()) {
                    c.result(verdict);
                } else {
                    c.failedLine = limitedLine;
                    c.failedSkuKnown = true;
                    remember(c, verdict, 0, null, limitedLine);
                }
                return;
            }
        }
        int currency = CurrencyCode.NONE;
        long ttlMillis = Long.MAX_VALUE;
        long amountMinor = 0;
        for (int i = 0; i < c.lineCount; i++) {
            int skuIndex = state.skuIndex(c.lineSkuId(i));
            if (skuIndex == CheckoutState.MISSING_SKU) {
                refuse(c, ResultCode.UNKNOWN_SKU, i);
                return;
            }
            SkuRecord lineSku = lineSkus[i];
            state.readSku(skuIndex, lineSku);
            int quantity = c.lineQuantities[i];
            if (!lineSku.isOnSale(nowMillis)) {
                refuse(c, ResultCode.NOT_ON_SALE, i);
                return;
            }
            if (i > 0 && lineSku.currency != currency) {
                refuse(c, ResultCode.CURRENCY_MISMATCH, i);
                return;
            }
            currency = lineSku.currency;
            long held = state.userUnits(c.userId, skuIndex);
            lineUserUnits[i] = held;
            if (lineSku.perUserLimit > 0 && held + quantity > lineSku.perUserLimit) {
                refuse(c, ResultCode.LIMIT_EXCEEDED, i);
                return;
            }
            if (!withinGroupLimit(c.userId, c.lineQuantities, i)) {
                refuse(c, ResultCode.GROUP_LIMIT_EXCEEDED, i);
                return;
            }
            if (lineSku.available < quantity) {
                refuse(c, ResultCode.SOLD_OUT, i);
                return;
            }
            amountMinor += lineSku.priceMinor * quantity;
            ttlMillis = Math.min(ttlMillis, lineSku.reservationTtlMillis);
        }
        int campaign = -1;
        if (c.campaignId.length() > 0) {
            campaign = campaigns.numberOf(c.campaignId);
            ResultCode refused = campaignRefusal(c, campaign, currency);
            if (refused != null) {
                refuse(c, refused, -1);
                return;
            }
        }
        if (state.orderCount() >= state.orderCapacity()) {
            c.result(ResultCode.ORDER_TABLE_FULL);
            return;
        }
        if (state.userCounterCount() + c.lineCount > state.userCounterCapacity()) {
            c.result(ResultCode.USER_COUNTER_TABLE_FULL);
            return;
        }
        if (campaign >= 0 && !campaigns.hasRoom(campaign, c.userId)) {
            c.result(ResultCode.REDEMPTION_TABLE_FULL);
            return;
        }

        OrderRecord created = c.order;
        created.orderId = state.orderCount() + 1;
        created.userId.copyFrom(c.userId);
        created.lineCount = c.lineCount;
        for (int i = 0; i < c.lineCount; i++) {
            SkuRecord lineSku = lineSkus[i];
            int quantity = c.lineQuantities[i];
            lineSku.available -= quantity;
            lineSku.reserved += quantity;
            writeSku(lineSku);
            state.writeUserUnits(c.userId, lineSku.index, lineUserUnits[i] + quantity);
            created.skuIndexes[i] = lineSku.index;
            created.quantities[i] = quantity;
            created.unitPricesMinor[i] = lineSku.priceMinor;
            if (lineSku.merchantNumber >= 0) {
                created.setMerchantRow(i, merchants.currentRow(lineSku.merchantNumber) + 1);
            }
            // The line's id found this SKU: the same bytes as its id.
            c.orderLineSkuIdFromLine(i);
        }
        created.amountMinor = amountMinor;
        created.currency = currency;
        if (campaign >= 0) {
            created.campaignNumber = campaign;
            created.discountMinor = discount;
            created.eligibleLines = eligibleLines;
            created.amountMinor = amountMinor - discount;
        }
        created.state(OrderState.RESERVED);
        created.createdAtEpochMillis = nowMillis;
        created.expiresAtEpochMillis = nowMillis + ttlMillis;
        created.updatedAtEpochMillis = nowMillis;
        state.writeOrder(created);
        if (campaign >= 0) {
            campaigns.redeem(campaign, c.userId);
        }
        expiries.add(created.expiresAtEpochMillis, created.orderId);
        events.onOrderChanged(created, null);
        countAttempts(c);
        remember(c, ResultCode.SUCCESS, created.orderId, OrderState.RESERVED, -1, created.updatedAtEpochMillis);
    }

    private boolean validReserve(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return false;
        }
        if (!c.userId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.USER_ID_INVALID);
            return false;
        }
        if (c.lineCount <= 0) {
            c.result(ResultCode.LINES_EMPTY);
            return false;
        }
        if (c.campaignId.length() > 0 && !c.campaignId.isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.CAMPAIGN_ID_INVALID);
            return false;
        }
        return validLines(c);
    }

    /**
     * Why the reserve's campaign ({@code number}, -1: unknown) does not apply to its lines ({@code
     * lineSkus}, of {@code currency}), or null; then {@link #discount} and {@link #eligibleLines}
     * hold what it gives. Changes nothing.
     */
    private ResultCode campaignRefusal(Command c, int number, int currency) {
        if (number < 0) {
            return ResultCode.CAMPAIGN_UNKNOWN;
        }
        CampaignTerms terms = campaigns.terms(number);
        if (!terms.isActive(nowMillis)) {
            return ResultCode.CAMPAIGN_NOT_ACTIVE;
        }
        long eligibleGross = 0;
        eligibleLines = 0;
        for (int i = 0; i < c.lineCount; i++) {
            SkuRecord lineSku = lineSkus[i];
            if (campaigns.appliesTo(number, lineSku.index, lineSku.merchantNumber)) {
                eligibleLines |= 1L << i;
                eligibleGross += lineSku.priceMinor * c.lineQuantities[i];
            }
        }
        discount = terms.currency == currency ? terms.discountMinor(eligibleGross) : 0;
        if (discount == 0) {
            return ResultCode.CAMPAIGN_NOT_APPLICABLE;
        }
        return campaigns.refusal(number, c.userId);
    }

    /**
     * What the attempt limits of the SKU groups of the reserve's lines say (each group once, in line
     * order): null to go on, with {@link #limitedGroups} listing them for {@link #countAttempts};
     * else {@link ResultCode#RATE_LIMITED} ({@link #limitedLine} the first line in that group) or
     * {@link ResultCode#ATTEMPT_COUNTER_TABLE_FULL}. A line of an unknown SKU has no group. Changes
     * nothing but a window's turn.
     */
    private ResultCode groupAttemptVerdict(Command c) {
        int newRows = 0;
        for (int i = 0; i < c.lineCount; i++) {
            int skuIndex = state.skuIndex(c.lineSkuId(i));
            if (skuIndex == CheckoutState.MISSING_SKU) {
                continue;
            }
            state.readSku(skuIndex, sku);
            int number = sku.groupNumber;
            if (number < 0 || !groups.hasAttemptLimit(number) || isLimitedGroup(number)) {
                continue;
            }
            ResultCode verdict = groups.attemptVerdict(number, c.userId, nowMillis, newRows);
            if (verdict != null) {
                limitedLine = i;
                return verdict;
            }
            newRows += groups.admittedIsNew(number) ? 1 : 0;
            limitedGroups[limitedGroupCount++] = number;
        }
        return null;
    }

    private boolean isLimitedGroup(int number) {
        for (int k = 0; k < limitedGroupCount; k++) {
            if (limitedGroups[k] == number) {
                return true;
            }
        }
        return false;
    }

    /** Counts a reserve that has an answer of its own as an attempt, under every limit that admitted it. */
    private void countAttempts(Command c) {
        if (countAttempt) {
            risk.countAttempt(c.userId);
        }
        for (int k = 0; k < limitedGroupCount; k++) {
            groups.countAttempt(limitedGroups[k], c.userId);
        }
    }

    /** Whether an order in {@code orderState} holds its campaign's redemption: reserved or paid, refunded or not. */
    private static boolean holdsRedemption(OrderState orderState) {
        return orderState == OrderState.RESERVED
                || orderState == OrderState.PAID
                || orderState == OrderState.PARTLY_REFUNDED
                || orderState == OrderState.REFUNDED;
    }

    /** A reserve's or refund's lines: not too many, each a valid SKU id and units, no SKU twice. */
    private boolean validLines(Command c) {
        if (c.lineCount > limits.linesPerOrderMax()) {
            c.result(ResultCode.TOO_MANY_LINES);
            return false;
        }
        for (int i = 0; i < c.lineCount; i++) {
            ResultCode invalid = invalidLine(c, i);
            if (invalid != null) {
                c.result(invalid);
                c.failedLine = i;
                return false;
            }
        }
        return true;
    }

    /** What is wrong with line {@code i} of a reserve or refund: SKU id, units, a SKU twice; or null. */
    private ResultCode invalidLine(Command c, int i) {
        IdBuffer lineSkuId = c.lineSkuId(i);
        if (!lineSkuId.isSkuId(limits.idLengthMax())) {
            return ResultCode.SKU_ID_INVALID;
        }
        if (c.lineQuantities[i] <= 0) {
            return ResultCode.QUANTITY_MUST_BE_POSITIVE;
        }
        if (c.lineQuantities[i] > limits.quantityPerLineMax()) {
            return ResultCode.QUANTITY_TOO_LARGE;
        }
        for (int j = 0; j < i; j++) {
            if (c.lineSkuId(j).contentEquals(lineSkuId)) {
                return ResultCode.DUPLICATE_SKU_IN_ORDER;
            }
        }
        return null;
    }

    /** Refuses a reserve for a business reason, on line {@code line} (-1: the campaign); the attempt counts. */
    private void refuse(Command c, ResultCode result, int line) {
        countAttempts(c);
        c.failedLine = line;
        c.failedSkuKnown = line >= 0;
        remember(c, result, 0, null, line);
    }

    // ---- confirm, cancel, refund --------------------------------------------------------------

    private void changeOrder(Command c, OrderState from, OrderState to) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (c.orderId <= 0) {
            c.result(ResultCode.ORDER_ID_INVALID);
            return;
        }
        boolean paying = c.type() == CommandType.CONFIRM && c.hasPayment;
        if (paying && !validPayment(c)) {
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        if (paying && answeredAsPaymentRepeat(c)) {
            return;
        }
        OrderRecord target = c.order;
        if (!state.readOrder(c.orderId, target)) {
            remember(c, ResultCode.ORDER_NOT_FOUND, c.orderId, null, -1);
            return;
        }
        if (paying && paymentMismatch(c, target)) {
            return;
        }
        boolean due = target.state() == OrderState.RESERVED && nowMillis >= target.expiresAtEpochMillis;
        if (paying
                && (due || target.state() == OrderState.EXPIRED)
                && state.userCounterCount() + target.lineCount > state.userCounterCapacity()) {
            c.result(ResultCode.USER_COUNTER_TABLE_FULL);
            return;
        }
        if (paying
                && (due || target.state() == OrderState.EXPIRED)
                && target.campaignNumber >= 0
                && !campaigns.hasRoom(target.campaignNumber, target.userId)) {
            c.result(ResultCode.REDEMPTION_TABLE_FULL);
            return;
        }
        if (due) {
            release(target, OrderState.EXPIRED);
            c.expiredCount = 1;
        }
        fillLineSkuIds(c, target);
        if (paying && target.state() == OrderState.EXPIRED) {
            payExpired(c, target);
            return;
        }
        if (target.state() != from) {
            remember(c, ResultCode.ORDER_STATE_CONFLICT, c.orderId, target.state(), -1, target.updatedAtEpochMillis);
            return;
        }
        if (to == OrderState.PAID) {
            for (int i = 0; i < target.lineCount; i++) {
                state.readSku(target.skuIndexes[i], sku);
                sku.reserved -= target.quantities[i];
                sku.sold += target.quantities[i];
                writeSku(sku);
            }
            target.state(OrderState.PAID);
            target.updatedAtEpochMillis = nowMillis;
            if (paying) {
                target.setPayment(c.paymentProvider, c.paymentId, nowMillis);
            }
            state.writeOrder(target);
            events.onOrderChanged(target, OrderState.RESERVED);
        } else {
            release(target, to);
        }
        remember(c, ResultCode.SUCCESS, c.orderId, to, -1, target.updatedAtEpochMillis);
    }

    /**
     * A payment for an expired order: takes its units again as sold if every line's are available
     * and within the buyer's limits (EXPIRED -> PAID), else records the payment alone
     * (EXPIRED -> PAID_TOO_LATE). The caller checked room for the buyer's counters.
     */
    private void payExpired(Command c, OrderRecord target) {
        boolean retakable = true;
        for (int i = 0; i < target.lineCount && retakable; i++) {
            SkuRecord lineSku = lineSkus[i];
            state.readSku(target.skuIndexes[i], lineSku);
            int quantity = target.quantities[i];
            long held = state.userUnits(target.userId, lineSku.index);
            lineUserUnits[i] = held;
            retakable = lineSku.available >= quantity
                    && (lineSku.perUserLimit == 0 || held + quantity <= lineSku.perUserLimit)
                    && withinGroupLimit(target.userId, target.quantities, i);
        }
        // The discount was given at the reserve: a late payment retakes its redemption if the budget
        // and the buyer's limit allow one now, whatever the campaign's window or terms say.
        retakable &= target.campaignNumber < 0 || campaigns.refusal(target.campaignNumber, target.userId) == null;
        OrderState to = retakable ? OrderState.PAID : OrderState.PAID_TOO_LATE;
        if (retakable) {
            if (target.campaignNumber >= 0) {
                campaigns.redeem(target.campaignNumber, target.userId);
            }
            for (int i = 0; i < target.lineCount; i++) {
                SkuRecord lineSku = lineSkus[i];
                int quantity = target.quantities[i];
                lineSku.available -= quantity;
                lineSku.sold += quantity;
                writeSku(lineSku);
                state.writeUserUnits(target.userId, lineSku.index, lineUserUnits[i] + quantity);
            }
        }
        target.state(to);
        target.updatedAtEpochMillis = nowMillis;
        target.setPayment(c.paymentProvider, c.paymentId, nowMillis);
        state.writeOrder(target);
        events.onOrderChanged(target, OrderState.EXPIRED);
        remember(c, ResultCode.SUCCESS, c.orderId, to, -1, nowMillis);
    }

    private boolean validPayment(Command c) {
        ResultCode invalid = null;
        if (!c.paymentProvider.isPrintable(EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX)) {
            invalid = ResultCode.PAYMENT_PROVIDER_INVALID;
        } else if (!c.paymentId.isPrintable(limits.idLengthMax())) {
            invalid = ResultCode.PAYMENT_ID_INVALID;
        } else if (c.paymentAmountMinor < 0 || c.paymentAmountMinor > EngineLimits.PAYMENT_AMOUNT_MINOR_MAX) {
            invalid = ResultCode.PAYMENT_AMOUNT_INVALID;
        } else if (c.paymentCurrency == CurrencyCode.NONE) {
            invalid = ResultCode.PAYMENT_CURRENCY_INVALID;
        }
        c.result(invalid);
        return invalid == null;
    }

    /**
     * A payment already recorded: naming the same order, answers as its first confirm did (the
     * order PAID when the payment was recorded), remembered under this request id too; naming
     * another order, refuses. Otherwise checks there is room to record it. True if it answered.
     */
    private boolean answeredAsPaymentRepeat(Command c) {
        long paidOrderId = state.paymentOrder(c.paymentProvider, c.paymentId);
        if (paidOrderId == 0) {
            if (state.paymentCount() >= state.paymentCapacity()) {
                c.result(ResultCode.PAYMENT_TABLE_FULL);
                return true;
            }
            return false;
        }
        if (paidOrderId != c.orderId) {
            remember(c, ResultCode.PAYMENT_ALREADY_USED, c.orderId, null, -1);
            return true;
        }
        OrderRecord paid = c.order;
        if (!state.readOrder(paidOrderId, paid)) {
            throw new IllegalStateException("payment " + c.paymentId + " paid order " + paidOrderId + ", missing");
        }
        // The first answer: paid, or paid too late (final); a refund since does not change what it was.
        paid.state(paid.state() == OrderState.PAID_TOO_LATE ? OrderState.PAID_TOO_LATE : OrderState.PAID);
        paid.updatedAtEpochMillis = paid.paidAtEpochMillis;
        fillLineSkuIds(c, paid);
        c.repeated = true;
        remember(c, ResultCode.SUCCESS, paidOrderId, paid.state(), -1, paid.paidAtEpochMillis);
        return true;
    }

    /** Refuses a payment whose currency or amount is not the order's; true if it refused. */
    private boolean paymentMismatch(Command c, OrderRecord target) {
        ResultCode mismatch = null;
        if (c.paymentCurrency != target.currency) {
            mismatch = ResultCode.PAYMENT_CURRENCY_MISMATCH;
        } else if (c.paymentAmountMinor != target.amountMinor) {
            mismatch = ResultCode.PAYMENT_AMOUNT_MISMATCH;
        }
        if (mismatch == null) {
            return false;
        }
        fillLineSkuIds(c, target);
        remember(c, mismatch, c.orderId, target.state(), -1, target.updatedAtEpochMillis);
        return true;
    }

    // ---- refund ----------------------------------------------------------------------------

    private void refund(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (c.orderId <= 0) {
            c.result(ResultCode.ORDER_ID_INVALID);
            return;
        }
        if (!validRefund(c) || answeredBeforeApplying(c)) {
            return;
        }
        OrderRecord target = c.order;
        if (!state.readOrder(c.orderId, target)) {
            remember(c, ResultCode.ORDER_NOT_FOUND, c.orderId, null, -1);
            return;
        }
        if (target.state() == OrderState.RESERVED && nowMillis >= target.expiresAtEpochMillis) {
            release(target, OrderState.EXPIRED);
            c.expiredCount = 1;
        }
        fillLineSkuIds(c, target);
        if (target.state() != OrderState.PAID && target.state() != OrderState.PARTLY_REFUNDED) {
            remember(c, ResultCode.ORDER_STATE_CONFLICT, c.orderId, target.state(), -1, target.updatedAtEpochMillis);
            return;
        }
        int[] units = refundUnits;
        if (c.lineCount == 0) {
            for (int i = 0; i < target.lineCount; i++) {
                units[i] = target.quantities[i] - target.refundedQuantity(i);
            }
        } else {
            for (int i = 0; i < target.lineCount; i++) {
                units[i] = 0;
            }
            for (int j = 0; j < c.lineCount; j++) {
                int line = orderLineOf(target, state.skuIndex(c.lineSkuId(j)));
                ResultCode refused = null;
                if (line < 0) {
                    refused = ResultCode.REFUND_SKU_NOT_IN_ORDER;
                } else if (c.lineQuantities[j] > target.quantities[line] - target.refundedQuantity(line)) {
                    refused = ResultCode.REFUND_EXCEEDS_PAID;
                } else {
                    units[line] = c.lineQuantities[j];
                }
                if (refused != null) {
                    c.failedLine = j;
                    c.failedSkuKnown = true;
                    remember(c, refused, c.orderId, target.state(), j, target.updatedAtEpochMillis);
                    return;
                }
            }
        }
        boolean everyUnit = true;
        for (int i = 0; i < target.lineCount; i++) {
            int quantity = units[i];
            int refundedBefore = target.refundedQuantity(i);
            if (quantity > 0) {
                state.readSku(target.skuIndexes[i], sku);
                sku.sold -= quantity;
                if (c.notResellable) {
                    sku.totalStock -= quantity;
                } else {
                    sku.available += quantity;
                }
                writeSku(sku);
                giveAllowanceBack(target, target.skuIndexes[i], quantity);
            }
            target.refundedQuantities[i] = refundedBefore + quantity;
            everyUnit &= target.refundedQuantities[i] == target.quantities[i];
        }
        OrderState previous = target.state();
        target.state(everyUnit ? OrderState.REFUNDED : OrderState.PARTLY_REFUNDED);
        target.updatedAtEpochMillis = nowMillis;
        state.writeOrder(target);
        events.onOrderRefunded(target, previous, c.refundReason, units);
        remember(c, ResultCode.SUCCESS, c.orderId, target.state(), -1, nowMillis);
    }

    /** A refund's lines: as a reserve's (SKU id syntax, units, no SKU twice), and its reason. */
    private boolean validRefund(Command c) {
        if (c.refundReason != null && !validReason(c.refundReason)) {
            c.result(ResultCode.REFUND_REASON_INVALID);
            return false;
        }
        return validLines(c);
    }

    private static boolean validReason(String reason) {
        if (reason.length() > EngineLimits.REFUND_REASON_LENGTH_MAX) {
            return false;
        }
        for (int i = 0; i < reason.length(); i++) {
            char ch = reason.charAt(i);
            if (ch < 0x20 || ch > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /** The order's line of SKU {@code skuIndex}, or -1. */
    private static int orderLineOf(OrderRecord order, int skuIndex) {
        for (int i = 0; i < order.lineCount; i++) {
            if (order.skuIndexes[i] == skuIndex) {
                return i;
            }
        }
        return -1;
    }

    private void giveAllowanceBack(OrderRecord order, int skuIndex, int quantity) {
        long held = state.userUnits(order.userId, skuIndex) - quantity;
        if (held < 0) {
            throw new IllegalStateException("user units below zero for order " + order.orderId);
        }
        state.writeUserUnits(order.userId, skuIndex, held);
    }

    /**
     * Returns a RESERVED order's units to available stock and gives the buyer's allowance back,
     * moving the order to {@code to} (cancel, expiry).
     */
    private void release(OrderRecord target, OrderState to) {
        OrderState previous = target.state();
        for (int i = 0; i < target.lineCount; i++) {
            int quantity = target.quantities[i];
            int skuIndex = target.skuIndexes[i];
            state.readSku(skuIndex, sku);
            sku.reserved -= quantity;
            sku.available += quantity;
            writeSku(sku);
            giveAllowanceBack(target, skuIndex, quantity);
        }
        if (target.campaignNumber >= 0) {
            campaigns.giveBack(target.campaignNumber, target.userId);
        }
        target.state(to);
        target.updatedAtEpochMillis = nowMillis;
        state.writeOrder(target);
        events.onOrderChanged(target, previous);
    }

    // ---- expiry --------------------------------------------------------------------------

    private void tick(Command c) {
        int polled = 0;
        int expired = 0;
        while (!expiries.isEmpty() && expiries.peekExpiresAt() <= nowMillis && polled < limits.expiriesPerTickMax()) {
            long orderId = expiries.poll();
            polled++;
            // Orders due next are old and cold: start loading a few ahead so their misses overlap,
            // first the row, then (once the row is likely in) the user and lines it points to.
            long rowAhead = expiries.fifoOrderIdAhead(EXPIRY_PREFETCH_ROW_AHEAD);
            if (rowAhead != 0) {
                state.prefetchOrder(rowAhead);
            }
            long partsAhead = expiries.fifoOrderIdAhead(EXPIRY_PREFETCH_PARTS_AHEAD);
            if (partsAhead != 0) {
                state.prefetchOrderParts(partsAhead);
            }
            if (state.readOrder(orderId, order)
                    && order.state() == OrderState.RESERVED
                    && order.expiresAtEpochMillis <= nowMillis) {
                release(order, OrderState.EXPIRED);
                expired++;
            }
        }
        c.expiredCount = expired;
        if (limits.idempotencyRetentionMillis() > 0) {
            state.forgetOutcomesBefore(nowMillis - limits.idempotencyRetentionMillis(), nowMillis);
        }
        c.result(ResultCode.SUCCESS);
    }

    // ---- admin -----------------------------------------------------------------------------

    private void upsertSku(Command c) {
        ResultCode invalid = validateUpsert(c);
        if (invalid != null) {
            c.result(invalid);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        int currency = CurrencyCode.pack(c.currency);
        int merchantNumber = c.merchantId().length() == 0 ? -1 : merchants.numberOf(c.merchantId());
        if (c.merchantId().length() > 0 && merchantNumber < 0) {
            remember(c, ResultCode.MERCHANT_UNKNOWN, 0, null, -1);
            return;
        }
        int groupNumber = c.groupId().length() == 0 ? -1 : groups.numberOf(c.groupId());
        if (c.groupId().length() > 0 && groupNumber < 0) {
            remember(c, ResultCode.GROUP_UNKNOWN, 0, null, -1);
            return;
        }
        int index = state.skuIndex(c.skuId);
        SkuRecord target = c.sku;
        if (index == CheckoutState.MISSING_SKU) {
            if (state.skuCount() >= state.skuCapacity()) {
                c.result(ResultCode.SKU_TABLE_FULL);
                return;
            }
            target.index = state.skuCount();
            target.skuId = c.skuId.asString();
            target.reserved = 0;
            target.sold = 0;
            target.groupNumber = -1;
        } else {
            state.readSku(index, target);
            long held = target.reserved + target.sold;
            if (c.totalStock < held) {
                remember(c, ResultCode.STOCK_INSUFFICIENT, 0, null, -1);
                return;
            }
            if (currency != target.currency && held > 0) {
                remember(c, ResultCode.CURRENCY_LOCKED, 0, null, -1);
                return;
            }
        }
        if (groupNumber >= 0 && groupNumber != target.groupNumber && !groups.hasRoom(groupNumber)) {
            c.result(ResultCode.GROUP_SKUS_FULL);
            return;
        }
        if (groupNumber != target.groupNumber) {
            if (target.groupNumber >= 0) {
                groups.leave(target.groupNumber, target.index);
            }
            if (groupNumber >= 0) {
                groups.join(groupNumber, target.index);
            }
        }
        target.groupNumber = groupNumber;
        target.groupId = groupNumber < 0 ? null : groups.groupId(groupNumber);
        target.priceMinor = c.priceMinor;
        target.currency = currency;
        target.totalStock = c.totalStock;
        target.available = c.totalStock - target.reserved - target.sold;
        target.perUserLimit = c.perUserLimit;
        target.saleStartEpochMillis = c.saleStartEpochMillis;
        target.saleEndEpochMillis = c.saleEndEpochMillis;
        target.reservationTtlMillis = c.reservationTtlMillis;
        target.merchantNumber = merchantNumber;
        target.merchantId = merchantNumber < 0 ? null : merchants.merchantId(merchantNumber);
        target.storeId = c.storeId().length() == 0 ? null : c.storeId().asString();
        writeSku(target);
        skuIdsInOrder.putIfAbsent(target.skuId, target.index);
        events.onSkuChanged(target, 0, true, nowMillis);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private ResultCode validateUpsert(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            return ResultCode.REQUEST_ID_INVALID;
        }
        if (!c.skuId.isSkuId(limits.idLengthMax())) {
            return ResultCode.SKU_ID_INVALID;
        }
        if (c.priceMinor < 0 || c.priceMinor > EngineLimits.PRICE_MINOR_MAX) {
            return ResultCode.PRICE_INVALID;
        }
        if (CurrencyCode.pack(c.currency) == CurrencyCode.NONE) {
            return ResultCode.CURRENCY_INVALID;
        }
        if (c.totalStock < 0 || c.totalStock > EngineLimits.TOTAL_STOCK_MAX) {
            return ResultCode.TOTAL_STOCK_INVALID;
        }
        if (c.perUserLimit < 0 || c.perUserLimit > EngineLimits.TOTAL_STOCK_MAX) {
            return ResultCode.PER_USER_LIMIT_INVALID;
        }
        if (c.saleStartEpochMillis < 0 || c.saleStartEpochMillis > EngineLimits.EPOCH_MILLIS_MAX) {
            return ResultCode.SALE_START_INVALID;
        }
        if (c.saleEndEpochMillis != 0
                && (c.saleEndEpochMillis <= c.saleStartEpochMillis
                        || c.saleEndEpochMillis > EngineLimits.EPOCH_MILLIS_MAX)) {
            return ResultCode.SALE_END_INVALID;
        }
        if (c.reservationTtlMillis < EngineLimits.RESERVATION_TTL_MILLIS_MIN
                || c.reservationTtlMillis > EngineLimits.RESERVATION_TTL_MILLIS_MAX) {
            return ResultCode.RESERVATION_TTL_INVALID;
        }
        if (c.merchantId().length() > 0 && !c.merchantId().isSkuId(limits.idLengthMax())) {
            return ResultCode.MERCHANT_ID_INVALID;
        }
        if (c.storeId().length() > 0 && !c.storeId().isSkuId(limits.idLengthMax())) {
            return ResultCode.STORE_ID_INVALID;
        }
        if (c.groupId().length() > 0 && !c.groupId().isSkuId(limits.idLengthMax())) {
            return ResultCode.GROUP_ID_INVALID;
        }
        return null;
    }

    /**
     * Defines a merchant or changes its rate: a new row of the merchant table, unless the rate is
     * the one in force already (then nothing changes and the answer is the merchant as it stands).
     */
    private void upsertMerchant(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (!c.merchantId().isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.MERCHANT_ID_INVALID);
            return;
        }
        if (c.commissionBps() < 0 || c.commissionBps() > MerchantTable.COMMISSION_BPS_MAX) {
            c.result(ResultCode.COMMISSION_BPS_INVALID);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        int number = merchants.numberOf(c.merchantId());
        if (number < 0 || merchants.rowCommissionBps(merchants.currentRow(number)) != c.commissionBps()) {
            if (merchants.rowCount() >= state.merchantCapacity()) {
                c.result(ResultCode.MERCHANT_TABLE_FULL);
                return;
            }
            int row = merchants.append(c.merchantId().asString(), c.commissionBps(), nowMillis);
            number = merchants.rowMerchant(row);
        }
        fillMerchant(c, number);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private void getMerchant(Command c) {
        if (!c.merchantId().isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.MERCHANT_ID_INVALID);
            return;
        }
        int number = merchants.numberOf(c.merchantId());
        if (number < 0) {
            c.result(ResultCode.MERCHANT_NOT_FOUND);
            return;
        }
        fillMerchant(c, number);
        c.result(ResultCode.SUCCESS);
    }

    private void fillMerchant(Command c, int number) {
        int row = merchants.currentRow(number);
        c.merchantAnswer(merchants.rowCommissionBps(row), merchants.rowSinceEpochMillis(row));
    }

    // ---- SKU groups -----------------------------------------------------------------------------

    /** Defines a SKU group or sets its per-user limit. */
    private void upsertSkuGroup(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (!c.groupId().isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.GROUP_ID_INVALID);
            return;
        }
        if (c.perUserLimit < 1 || c.perUserLimit > SkuGroupTable.PER_USER_LIMIT_MAX) {
            c.result(ResultCode.PER_USER_LIMIT_INVALID);
            return;
        }
        ResultCode invalidLimit = RiskTable.invalidRule(c.maxAttempts(), c.windowMillis());
        if (invalidLimit != null) {
            c.result(invalidLimit);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        int number = groups.numberOf(c.groupId());
        if (number < 0 && groups.size() >= groups.capacity()) {
            c.result(ResultCode.GROUP_TABLE_FULL);
            return;
        }
        number = groups.upsert(c.groupId().asString(), c.perUserLimit);
        groups.setAttemptLimit(number, c.maxAttempts(), c.windowMillis());
        fillGroup(c, number);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private void getSkuGroup(Command c) {
        if (!c.groupId().isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.GROUP_ID_INVALID);
            return;
        }
        int number = groups.numberOf(c.groupId());
        if (number < 0) {
            c.result(ResultCode.GROUP_NOT_FOUND);
            return;
        }
        fillGroup(c, number);
        c.result(ResultCode.SUCCESS);
    }

    private void fillGroup(Command c, int number) {
        List<String> skuIds = c.groupAnswer(groups.perUserLimit(number));
        c.groupAttemptLimitAnswer(groups.maxAttempts(number), groups.attemptWindowMillis(number));
        for (int i = 0; i < groups.skuCount(number); i++) {
            state.readSku(groups.skuIndex(number, i), sku);
            skuIds.add(sku.skuId);
        }
    }

    /**
     * Whether line {@code line} of an order keeps {@code userId} within the limit of its SKU's
     * group ({@code lineSkus[line]}; none: within): the units the user holds in the group now
     * (reserved plus paid, every SKU of it), plus the order's lines 0..{@code line} in the group
     * ({@code lineSkus} read for them, units in {@code quantities}), at most the group's limit.
     */
    private boolean withinGroupLimit(IdBuffer userId, int[] quantities, int line) {
        int number = lineSkus[line].groupNumber;
        if (number < 0) {
            return true;
        }
        long units = 0;
        for (int i = 0; i < groups.skuCount(number); i++) {
            units += state.userUnits(userId, groups.skuIndex(number, i));
        }
        for (int i = 0; i <= line; i++) {
            if (lineSkus[i].groupNumber == number) {
                units += quantities[i];
            }
        }
        return units <= groups.perUserLimit(number);
    }

    // ---- campaigns ------------------------------------------------------------------------------

    private void upsertCampaign(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        CampaignTerms terms = c.campaignTerms();
        if (terms.campaignId == null || !IdBuffer.of(terms.campaignId).isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.CAMPAIGN_DEFINITION_ID_INVALID);
            return;
        }
        ResultCode invalid = terms.invalid(limits.idLengthMax());
        if (invalid != null) {
            c.result(invalid);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        int merchantNumber = terms.merchantId.isEmpty() ? -1 : merchants.numberOf(terms.merchantId);
        if (!terms.merchantId.isEmpty() && merchantNumber < 0) {
            remember(c, ResultCode.CAMPAIGN_MERCHANT_UNKNOWN, 0, null, -1);
            return;
        }
        int[] listed = new int[terms.skuIds.size()];
        for (int i = 0; i < listed.length; i++) {
            listed[i] = state.skuIndex(terms.skuIds.get(i));
            if (listed[i] == CheckoutState.MISSING_SKU) {
                remember(c, ResultCode.CAMPAIGN_SKU_UNKNOWN, 0, null, -1);
                return;
            }
        }
        if (campaigns.numberOf(terms.campaignId) < 0 && campaigns.size() >= campaigns.capacity()) {
            c.result(ResultCode.CAMPAIGN_TABLE_FULL);
            return;
        }
        int number = campaigns.upsert(terms, merchantNumber, listed);
        campaigns.read(number, c.campaignAnswerToFill());
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private void getCampaign(Command c) {
        if (!c.campaignId.isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.CAMPAIGN_ID_INVALID);
            return;
        }
        int number = campaigns.numberOf(c.campaignId);
        if (number < 0) {
            c.result(ResultCode.CAMPAIGN_NOT_FOUND);
            return;
        }
        campaigns.read(number, c.campaignAnswerToFill());
        c.result(ResultCode.SUCCESS);
    }

    // ---- risk rules -----------------------------------------------------------------------------

    private void setUserBlocked(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (!c.userId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.USER_ID_INVALID);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        if (c.blocked()) {
            if (!risk.block(c.userId)) {
                c.result(ResultCode.BLOCKLIST_FULL);
                return;
            }
        } else {
            risk.unblock(c.userId);
        }
        fillUserRisk(c);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private void getUserRisk(Command c) {
        if (!c.userId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.USER_ID_INVALID);
            return;
        }
        fillUserRisk(c);
        c.result(ResultCode.SUCCESS);
    }

    private void fillUserRisk(Command c) {
        RiskAnswer answer = c.riskAnswerToFill();
        answer.userBlocked = risk.isBlocked(c.userId);
        answer.userAttempts = risk.attemptsAt(c.userId, nowMillis);
        answer.windowEndsAtEpochMillis = risk.windowEndAt(nowMillis);
    }

    private void setRiskRules(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        ResultCode invalid = RiskTable.invalidRule(c.maxAttempts(), c.windowMillis());
        if (invalid != null) {
            c.result(invalid);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        risk.setRule(c.maxAttempts(), c.windowMillis());
        fillRiskRules(c);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    private void getRiskRules(Command c) {
        fillRiskRules(c);
        c.result(ResultCode.SUCCESS);
    }

    private void fillRiskRules(Command c) {
        RiskAnswer answer = c.riskAnswerToFill();
        answer.maxAttempts = risk.maxAttempts();
        answer.windowMillis = risk.windowMillis();
        answer.blockedUsers = risk.blockedCount();
        answer.blocklistCapacity = risk.blocklistCapacity();
        answer.countedUsers = risk.countedCount();
        answer.attemptCounterCapacity = risk.attemptCounterCapacity();
    }

    private void adjustStock(Command c) {
        if (!c.requestId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.REQUEST_ID_INVALID);
            return;
        }
        if (!c.skuId.isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.SKU_ID_INVALID);
            return;
        }
        if (c.delta == 0 || c.delta > EngineLimits.TOTAL_STOCK_MAX || c.delta < -EngineLimits.TOTAL_STOCK_MAX) {
            c.result(ResultCode.DELTA_INVALID);
            return;
        }
        if (answeredBeforeApplying(c)) {
            return;
        }
        int index = state.skuIndex(c.skuId);
        if (index == CheckoutState.MISSING_SKU) {
            remember(c, ResultCode.SKU_NOT_FOUND, 0, null, -1);
            return;
        }
        SkuRecord target = c.sku;
        state.readSku(index, target);
        if (target.totalStock + c.delta > EngineLimits.TOTAL_STOCK_MAX) {
            c.result(ResultCode.DELTA_INVALID);
            return;
        }
        if (target.available + c.delta < 0) {
            remember(c, ResultCode.STOCK_INSUFFICIENT, 0, null, -1);
            return;
        }
        target.available += c.delta;
        target.totalStock += c.delta;
        writeSku(target);
        events.onSkuChanged(target, c.delta, false, nowMillis);
        remember(c, ResultCode.SUCCESS, 0, null, -1);
    }

    // ---- queries ---------------------------------------------------------------------------

    private void getOrder(Command c) {
        if (c.orderId <= 0) {
            c.result(ResultCode.ORDER_ID_INVALID);
            return;
        }
        if (!state.readOrder(c.orderId, c.order)) {
            c.result(ResultCode.ORDER_NOT_FOUND);
            return;
        }
        fillLineSkuIds(c, c.order);
        c.result(ResultCode.SUCCESS);
    }

    /**
     * A page of the user's orders, newest first, through the state's per-user list. The page token
     * ({@code c.orderId}) is the last order of the previous page, which must be the user's: the walk
     * starts from its link, so a page costs what it lists.
     */
    private void listUserOrders(Command c) {
        if (!c.userId.isPrintable(limits.idLengthMax())) {
            c.result(ResultCode.USER_ID_INVALID);
            return;
        }
        if (c.pageSize < 0 || c.pageSize > EngineLimits.USER_ORDERS_PAGE_SIZE_MAX) {
            c.result(ResultCode.PAGE_SIZE_INVALID);
            return;
        }
        long next;
        if (c.orderId == 0) {
            next = state.lastOrderOf(c.userId);
        } else if (c.orderId > 0 && state.readOrder(c.orderId, order) && order.userId.contentEquals(c.userId)) {
            next = state.previousOrderOfUser(c.orderId);
        } else {
            c.result(ResultCode.PAGE_TOKEN_INVALID);
            return;
        }
        int pageSize = c.pageSize == 0 ? EngineLimits.USER_ORDERS_PAGE_SIZE_DEFAULT : c.pageSize;
        List<OrderView> page = c.orderPageToFill();
        while (next != 0 && page.size() < pageSize) {
            OrderView view = new OrderView();
            if (!state.readOrder(next, view.order)) {
                throw new IllegalStateException("user list names order " + next + ", which the state lacks");
            }
            fillLines(view.order, view, view.parties);
            page.add(view);
            next = state.previousOrderOfUser(next);
        }
        c.nextPageOrderId(next == 0 ? 0 : page.get(page.size() - 1).order.orderId);
        c.result(ResultCode.SUCCESS);
    }

    private void getSku(Command c) {
        if (!c.skuId.isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.SKU_ID_INVALID);
            return;
        }
        int index = state.skuIndex(c.skuId);
        if (index == CheckoutState.MISSING_SKU) {
            c.result(ResultCode.SKU_NOT_FOUND);
            return;
        }
        state.readSku(index, c.sku);
        c.result(ResultCode.SUCCESS);
    }

    private void listSkus(Command c) {
        if (c.pageSize < 0 || c.pageSize > EngineLimits.LIST_PAGE_SIZE_MAX) {
            c.result(ResultCode.PAGE_SIZE_INVALID);
            return;
        }
        boolean firstPage = c.pageToken == null || c.pageToken.isEmpty();
        if (!firstPage && !pageToken.set(c.pageToken).isSkuId(limits.idLengthMax())) {
            c.result(ResultCode.PAGE_TOKEN_INVALID);
            return;
        }
        int pageSize = c.pageSize == 0 ? EngineLimits.LIST_PAGE_SIZE_DEFAULT : c.pageSize;
        Map<String, Integer> rest = firstPage ? skuIdsInOrder : skuIdsInOrder.tailMap(c.pageToken, false);
        String last = null;
        c.wroteOutput(Command.OUT_SKU_PAGE);
        for (Map.Entry<String, Integer> entry : rest.entrySet()) {
            if (c.skuPage.size() == pageSize) {
                c.nextPageToken = last;
                break;
            }
            SkuRecord listed = new SkuRecord();
            state.readSku(entry.getValue(), listed);
            c.skuPage.add(listed);
            last = entry.getKey();
        }
        c.result(ResultCode.SUCCESS);
    }

    // ---- idempotency -----------------------------------------------------------------------

    /**
     * Answers a repeated request id with its first answer, or refuses when no new request id can be
     * remembered; returns true if it answered, in which case nothing may change.
     */
    private boolean answeredBeforeApplying(Command c) {
        if (answerRepeat(c)) {
            return true;
        }
        if (state.outcomeCount() >= state.outcomeCapacity()) {
            c.result(ResultCode.IDEMPOTENCY_TABLE_FULL);
            return true;
        }
        return false;
    }

    /** If the request id was answered before, answers the same way and returns true. */
    private boolean answerRepeat(Command c) {
        if (!state.readOutcome(c.requestId, outcome)) {
            return false;
        }
        c.repeated = true;
        if (outcome.commandType != c.type()) {
            c.result(ResultCode.REQUEST_ID_REUSED);
            return true;
        }
        c.result(outcome.result);
        if (outcome.failedLine >= 0) {
            c.failedLine = outcome.failedLine;
            c.failedSkuKnown = outcome.failedLine < c.lineCount;
        }
        if (outcome.orderState != null && state.readOrder(outcome.orderId, c.order)) {
            // The first answer reported the order as it stood then: its state and time. Units
            // refunded are as they stand now, if the order was being refunded then.
            for (int i = 0; i < c.order.lineCount; i++) {
                c.order.refundedQuantities[i] = c.order.refundedQuantity(i);
            }
            c.order.state(outcome.orderState);
            c.order.updatedAtEpochMillis = outcome.orderUpdatedAtEpochMillis;
            if (outcome.orderState != OrderState.PAID
                    && outcome.orderState != OrderState.REFUNDED
                    && outcome.orderState != OrderState.PARTLY_REFUNDED
                    && outcome.orderState != OrderState.PAID_TOO_LATE) {
                // A payment is recorded as the order becomes PAID: reported in an earlier state, it had none.
                c.order.clearPayment();
            }
            fillLineSkuIds(c, c.order);
        }
        if (c.type() == CommandType.UPSERT_MERCHANT) {
            int number = merchants.numberOf(c.merchantId());
            if (number >= 0) {
                fillMerchant(c, number);
            }
        }
        if (c.type() == CommandType.SET_USER_BLOCKED) {
            fillUserRisk(c);
        }
        if (c.type() == CommandType.UPSERT_SKU_GROUP) {
            int number = groups.numberOf(c.groupId());
            if (number >= 0) {
                fillGroup(c, number);
            }
        }
        if (c.type() == CommandType.SET_RISK_RULES) {
            fillRiskRules(c);
        }
        if (c.type() == CommandType.UPSERT_CAMPAIGN) {
            int number = campaigns.numberOf(c.campaignTerms().campaignId);
            if (number >= 0) {
                campaigns.read(number, c.campaignAnswerToFill());
            }
        }
        if ((c.type() == CommandType.UPSERT_SKU || c.type() == CommandType.ADJUST_STOCK)) {
            int index = state.skuIndex(c.skuId);
            if (index != CheckoutState.MISSING_SKU) {
                state.readSku(index, c.sku);
            }
        }
        return true;
    }

    private void remember(Command c, ResultCode result, long orderId, OrderState orderState, int failedLine) {
        remember(c, result, orderId, orderState, failedLine, 0);
    }

    private void remember(
            Command c,
            ResultCode result,
            long orderId,
            OrderState orderState,
            int failedLine,
            long orderUpdatedAtEpochMillis) {
        c.result(result);
        outcome.set(c.type(), result, orderId, orderState, failedLine, nowMillis, orderUpdatedAtEpochMillis);
        state.writeOutcome(c.requestId, outcome);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void writeSku(SkuRecord record) {
        checkConserved(record);
        state.writeSku(record);
    }

    private static void checkConserved(SkuRecord record) {
        if (!record.isConserved()) {
            throw new IllegalStateException("stock conservation broken: " + record);
        }
    }

    /** Fills the answer's SKU ids, merchants, rates and stores for {@code source}'s lines. */
    private void fillLineSkuIds(Command c, OrderRecord source) {
        fillLines(source, c, c.linePartiesToFill());
    }

    /** Each of {@code source}'s lines' SKU id, merchant, rate and store, as an answer shows them. */
    private void fillLines(OrderRecord source, LineSkuIdTarget skuIds, LineParties parties) {
        for (int i = 0; i < source.lineCount; i++) {
            state.readSku(source.skuIndexes[i], sku);
            skuIds.orderLineSkuId(i, sku.skuId);
            parties.set(i, merchants, source.merchantRow(i), sku.storeId);
        }
        parties.campaignId = source.campaignNumber < 0 ? null : campaigns.campaignId(source.campaignNumber);
    }
}
