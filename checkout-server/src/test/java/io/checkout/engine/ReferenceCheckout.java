package io.checkout.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A deliberately naive model of the checkout rules, written from the {@link CheckoutBook} Javadoc and
 * the {@link ResultCode} meanings, for the differential simulation. It shares no code with the
 * engine: state is immutable records in plain collections, replaced wholesale on every change, and
 * nothing is tuned for speed beyond keeping a million commands affordable. Where the engine and this
 * model disagree, one of them has misread the rules.
 */
final class ReferenceCheckout {

    record Sku(
            int index,
            String id,
            long price,
            String currency,
            long total,
            long available,
            long reserved,
            long sold,
            long limit,
            long saleStart,
            long saleEnd,
            long ttl,
            String merchant,
            String store) {

        boolean onSale(long now) {
            return now >= saleStart && (saleEnd == 0 || now < saleEnd);
        }

        long held() {
            return reserved + sold;
        }

        Sku withStock(long newTotal, long newAvailable, long newReserved, long newSold) {
            return new Sku(
                    index,
                    id,
                    price,
                    currency,
                    newTotal,
                    newAvailable,
                    newReserved,
                    newSold,
                    limit,
                    saleStart,
                    saleEnd,
                    ttl,
                    merchant,
                    store);
        }
    }

    /**
     * {@code refunded}: units of the line refunded so far; {@code merchant} (null: none) and {@code
     * bps}: the SKU's merchant and its rate when the order was reserved.
     */
    record Line(String skuId, int skuIndex, int quantity, long unitPrice, int refunded, String merchant, int bps) {
        Line refundedMore(int units) {
            return withRefunded(refunded + units);
        }

        Line withRefunded(int units) {
            return new Line(skuId, skuIndex, quantity, unitPrice, units, merchant, bps);
        }
    }

    /** A merchant's rate now, and since when. */
    record Merchant(String id, int bps, long since) {}

    /** {@code paymentProvider} and {@code paymentId} are null, and {@code paidAt} 0, until paid with a payment. */
    record Order(
            long id,
            String user,
            List<Line> lines,
            long amount,
            String currency,
            OrderState state,
            long createdAt,
            long expiresAt,
            long updatedAt,
            String paymentProvider,
            String paymentId,
            long paidAt) {

        Order movedTo(OrderState to, long at) {
            return new Order(
                    id,
                    user,
                    lines,
                    amount,
                    currency,
                    to,
                    createdAt,
                    expiresAt,
                    at,
                    paymentProvider,
                    paymentId,
                    paidAt);
        }

        Order paidWith(OrderState to, String provider, String payment, long at) {
            return new Order(id, user, lines, amount, currency, to, createdAt, expiresAt, at, provider, payment, at);
        }

        boolean holdsUnits() {
            return state == OrderState.RESERVED || state == OrderState.PAID;
        }
    }

    /**
     * What the engine is expected to answer. {@code order} and {@code sku} are null where the answer
     * reports none; {@code changedOrders} lists orders created or moved, so a caller can check them.
     */
    record Answer(
            ResultCode code,
            int failedLine,
            String failedSkuId,
            boolean repeated,
            Order order,
            Sku sku,
            int expiredCount,
            List<Sku> page,
            String nextPageToken,
            List<Long> changedOrders) {

        static Answer of(ResultCode code) {
            return new Answer(code, -1, null, false, null, null, 0, null, null, List.of());
        }

        static Answer invalidLine(ResultCode code, int line) {
            return new Answer(code, line, null, false, null, null, 0, null, null, List.of());
        }
    }

    /** The first answer to a request id; {@code order} is the order exactly as that answer reported it, or null. */
    private record FirstAnswer(CommandType type, ResultCode code, Order order, int failedLine, long at) {}

    private static final Pattern PRINTABLE_ID = Pattern.compile("[\\x21-\\x7E]{1,64}");
    private static final Pattern SKU_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final Pattern REASON = Pattern.compile("[\\x20-\\x7E]{0,64}");
    private static final Pattern PROVIDER = Pattern.compile("[\\x21-\\x7E]{1,32}");

    private final EngineLimits limits;
    private final int skuCapacity;
    private final long orderCapacity;
    private final long userCounterCapacity;
    private final long outcomeCapacity;
    private final long paymentCapacity;

    private final Map<String, Sku> skusById = new HashMap<>();
    private final List<String> skuIdsByIndex = new ArrayList<>();
    private final List<Order> orders = new ArrayList<>();
    /** Units held per user per SKU id; pairs that drop to zero stay, so tests also compare them. */
    private final Map<String, Map<String, Long>> heldByUser = new HashMap<>();
    /** In the order answered, which is time order; a tick forgets from the oldest end. */
    private final Map<String, FirstAnswer> firstAnswers = new java.util.LinkedHashMap<>();
    /** "provider payment-id" to the order the payment paid; never forgotten. */
    private final Map<String, Long> payments = new HashMap<>();
    /** Each merchant's rate now; every definition and change of rate counts a row. */
    private final Map<String, Merchant> merchants = new HashMap<>();
    /** SKU groups and their limits, in the order defined; each SKU's group (absent: none). */
    private final Map<String, Long> groupLimits = new java.util.LinkedHashMap<>();

    private final Map<String, String> groupOfSku = new HashMap<>();
    /** Each group's attempt limit {max, window} (absent: none), its window, and its counts in that window. */
    private final Map<String, long[]> groupAttemptLimits = new HashMap<>();

    private final Map<String, Long> groupWindows = new HashMap<>();
    private final Map<String, Map<String, Integer>> groupAttempts = new HashMap<>();
    /** The limited groups the current reserve's lines are in, counted with the global attempt. */
    private final List<String> admittedGroups = new ArrayList<>();
    /** Reserves answered RATE_LIMITED by a group's limit, for coverage. */
    private long groupRateLimited;

    private int skuGroupCapacity = 4_096;
    /** Reserves refused GROUP_LIMIT_EXCEEDED, for coverage. */
    private long groupRefusals;

    private final java.util.Set<String> blocked = new java.util.HashSet<>();
    private final Map<String, Integer> attempts = new HashMap<>();
    private int maxAttempts;
    private long windowMillis;
    private long attemptWindow = Long.MIN_VALUE;
    private int blocklistCapacity = 1 << 20;
    private int attemptCounterCapacity = 1 << 20;
    /** Reserves answered BLOCKED and RATE_LIMITED (first answers only), for coverage. */
    private long blockedAnswers;

    private long rateLimitedAnswers;

    private long merchantRows;
    /** Lines reserved with a merchant at a rate other than its first: a rate change reached orders. */
    private long linesAtChangedRate;

    private int merchantCapacity = 65_536;

    private long pairsHoldingUnits;
    /** Confirms answered as a repeat of their payment (a callback delivered again under a new request id). */
    private long paymentRepeats;
    /** Payments for expired orders: units taken again (paid), or not (paid too late). */
    private long expiredPaid;

    private long paidTooLate;
    /** Refunds that changed an order, in part or whole. */
    private long refunds;

    private final Set<Long> reservedOrderIds = new LinkedHashSet<>();
    private long now;

    private final Map<String, Campaign> campaigns = new java.util.LinkedHashMap<>();
    private final Map<Long, Redemption> redemptionOfOrder = new HashMap<>();
    /** Per campaign, the users holding redemptions and how many each (pairs at zero are removed). */
    private final Map<String, Map<String, Integer>> redemptions = new HashMap<>();

    private int campaignCapacity = 4_096;
    private int redemptionCapacity = 1 << 20;
    private long discountedOrders;

    ReferenceCheckout(
            EngineLimits limits, int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {
        this(limits, skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, orderCapacity);
    }

    ReferenceCheckout(
            EngineLimits limits,
            int skuCapacity,
            long orderCapacity,
            long userCounterCapacity,
            long outcomeCapacity,
            long paymentCapacity) {
        this.limits = limits;
        this.skuCapacity = skuCapacity;
        this.orderCapacity = orderCapacity;
        this.userCounterCapacity = userCounterCapacity;
        this.outcomeCapacity = outcomeCapacity;
        this.paymentCapacity = paymentCapacity;
    }

    // ---- read access for the simulation -------------------------------------------------------

    long now() {
        return now;
    }

    Sku sku(String id) {
        return skusById.get(id);
    }

    List<Sku> skusByIndex() {
        List<Sku> all = new ArrayList<>();
        for (String id : skuIdsByIndex) {
            all.add(skusById.get(id));
        }
        return all;
    }

    long orderCount() {
        return orders.size();
    }

    Order order(long id) {
        return id >= 1 && id <= orders.size() ? orders.get((int) (id - 1)) : null;
    }

    List<Order> orders() {
        return Collections.unmodifiableList(orders);
    }

    long held(String user, String skuId) {
        return heldByUser.getOrDefault(user, Map.of()).getOrDefault(skuId, 0L);
    }

    Map<String, Map<String, Long>> heldByUser() {
        return Collections.unmodifiableMap(heldByUser);
    }

    long expiredPaid() {
        return expiredPaid;
    }

    long refunds() {
        return refunds;
    }

    long paidTooLate() {
        return paidTooLate;
    }

    long paymentRepeats() {
        return paymentRepeats;
    }

    /** The merchant as it stands now, or null. */
    Merchant merchant(String id) {
        return merchants.get(id);
    }

    long linesAtChangedRate() {
        return linesAtChangedRate;
    }

    long merchantRowCount() {
        return merchantRows;
    }

    /** Sets the merchant table's capacity in rows (default 65,536), as the engine's state has it. */
    ReferenceCheckout merchantCapacity(int rows) {
        this.merchantCapacity = rows;
        return this;
    }

    long paymentCount() {
        return payments.size();
    }

    long rememberedCount() {
        return firstAnswers.size();
    }

    /** Pairs of user and SKU with units held: the engine keeps a counter for each. */
    long userCounterCount() {
        return pairsHoldingUnits;
    }

    // ---- commands -----------------------------------------------------------------------------

    Answer apply(Command c) {
        if (c.type().isMutating()) {
            // Queries are not journalled, so they do not move engine time.
            now = Math.max(now, c.timestampMillis);
        }
        return switch (c.type()) {
            case RESERVE -> reserve(c);
            case CONFIRM, CANCEL -> changeOrder(c);
            case REFUND -> refund(c);
            case UPSERT_SKU -> upsert(c);
            case ADJUST_STOCK -> adjust(c);
            case TICK -> tick();
            case GET_ORDER -> getOrder(c);
            case GET_SKU -> getSku(c);
            case LIST_SKUS -> listSkus(c);
            case UPSERT_MERCHANT -> upsertMerchant(c);
            case GET_MERCHANT -> getMerchant(c);
            case LIST_USER_ORDERS -> listUserOrders(c);
            case SET_USER_BLOCKED -> setUserBlocked(c);
            case GET_USER_RISK ->
                Answer.of(printableId(c.userId.asString()) ? ResultCode.SUCCESS : ResultCode.USER_ID_INVALID);
            case SET_RISK_RULES -> setRiskRules(c);
            case GET_RISK_RULES -> Answer.of(ResultCode.SUCCESS);
            case UPSERT_SKU_GROUP -> upsertSkuGroup(c);
            case GET_SKU_GROUP -> getSkuGroup(c);
            case UPSERT_CAMPAIGN -> upsertCampaign(c);
            case GET_CAMPAIGN -> getCampaign(c);
        };
    }

    // ---- campaigns: terms as given, redemptions counted per campaign and user ---------------------

    /** A campaign's terms, as the admin gave them. */
    record Campaign(
            String id,
            CampaignKind kind,
            String currency,
            long amountOff,
            int bps,
            long cap,
            long minSpend,
            List<String> skus,
            String merchant,
            long startsAt,
            long endsAt,
            long budget,
            long perUser) {}

    /** What an order redeemed: the campaign, its discount, and the lines sharing it (bit per line). */
    record Redemption(String campaign, long discount, long eligibleMask) {}

    /** Sets the campaign tables' capacities (default 4,096 campaigns, 2^20 redeeming pairs). */
    ReferenceCheckout campaignCapacities(int campaignsMax, int redemptionsMax) {
        this.campaignCapacity = campaignsMax;
        this.redemptionCapacity = redemptionsMax;
        return this;
    }

    Campaign campaign(String id) {
        return campaigns.get(id);
    }

    /** What order {@code orderId} redeemed, or null. */
    Redemption redemption(long orderId) {
        return redemptionOfOrder.get(orderId);
    }

    long redeemed(String campaign) {
        long held = 0;
        for (int count : redemptions.getOrDefault(campaign, Map.of()).values()) {
            held += count;
        }
        return held;
    }

    int redeemingUsers(String campaign) {
        return redemptions.getOrDefault(campaign, Map.of()).size();
    }

    int redemptionsOf(String campaign, String user) {
        return redemptions.getOrDefault(campaign, Map.of()).getOrDefault(user, 0);
    }

    /** (user, campaign) pairs holding redemptions. */
    long redemptionRows() {
        long rows = 0;
        for (Map<String, Integer> users : redemptions.values()) {
            rows += users.size();
        }
        return rows;
    }

    long discountedOrders() {
        return discountedOrders;
    }

    /**
     * Each line's share of order {@code orderId}'s discount, split as the contract says: in
     * proportion to the gross of the lines sharing it, rounded down, the rest one unit each to the
     * largest remainders, the earlier line first. Exact arithmetic, written apart from the engine's.
     */
    long[] lineDiscounts(long orderId) {
        Order order = order(orderId);
        Redemption redemption = redemptionOfOrder.get(orderId);
        long[] shares = new long[order.lines().size()];
        if (redemption == null) {
            return shares;
        }
        java.math.BigInteger eligible = java.math.BigInteger.ZERO;
        for (int i = 0; i < shares.length; i++) {
            if ((redemption.eligibleMask() >>> i & 1) != 0) {
                Line line = order.lines().get(i);
                eligible = eligible.add(java.math.BigInteger.valueOf(line.quantity() * line.unitPrice()));
            }
        }
        java.math.BigInteger discount = java.math.BigInteger.valueOf(redemption.discount());
        java.math.BigInteger[] remainders = new java.math.BigInteger[shares.length];
        long given = 0;
        for (int i = 0; i < shares.length; i++) {
            if ((redemption.eligibleMask() >>> i & 1) != 0) {
                Line line = order.lines().get(i);
                java.math.BigInteger[] split = discount.multiply(
                                java.math.BigInteger.valueOf(line.quantity() * line.unitPrice()))
                        .divideAndRemainder(eligible);
                shares[i] = split[0].longValueExact();
                remainders[i] = split[1];
                given += shares[i];
            }
        }
        List<Integer> byRemainder = new ArrayList<>();
        for (int i = 0; i < shares.length; i++) {
            if (remainders[i] != null) {
                byRemainder.add(i);
            }
        }
        // Stable sort: among equal remainders the earlier line stays first.
        byRemainder.sort((a, b) -> remainders[b].compareTo(remainders[a]));
        for (int k = 0; given < redemption.discount(); k++, given++) {
            shares[byRemainder.get(k)]++;
        }
        return shares;
    }

    private void redeem(String campaign, String user, int delta) {
        Map<String, Integer> users = redemptions.computeIfAbsent(campaign, id -> new HashMap<>());
        int count = users.getOrDefault(user, 0) + delta;
        if (count < 0) {
            throw new IllegalStateException("model bug: " + user + " holds " + count + " of campaign " + campaign);
        }
        if (count == 0) {
            users.remove(user);
        } else {
            users.put(user, count);
        }
    }

    /** Whether the budget and the user's limit leave campaign {@code id} a redemption for {@code user}. */
    private boolean redeemable(Campaign campaign, String user) {
        return redeemed(campaign.id()) < campaign.budget() && redemptionsOf(campaign.id(), user) < campaign.perUser();
    }

    /** Whether {@code user} redeeming {@code campaign} would need a new pair while the table holds its capacity. */
    private boolean redemptionTableFullFor(String campaign, String user) {
        return redemptionsOf(campaign, user) == 0 && redemptionRows() >= redemptionCapacity;
    }

    /** The discount {@code campaign} gives lines costing {@code eligibleGross} together; 0: they do not qualify. */
    private static long discountOf(Campaign campaign, long eligibleGross) {
        if (eligibleGross == 0 || eligibleGross < campaign.minSpend()) {
            return 0;
        }
        if (campaign.kind() == CampaignKind.PERCENT_OFF) {
            long off = java.math.BigInteger.valueOf(eligibleGross)
                    .multiply(java.math.BigInteger.valueOf(campaign.bps()))
                    .divide(java.math.BigInteger.valueOf(10_000))
                    .longValueExact();
            return campaign.cap() > 0 ? Math.min(off, campaign.cap()) : off;
        }
        return Math.min(campaign.amountOff(), eligibleGross);
    }

    /** The first invalid field of an UPSERT_CAMPAIGN's terms, in the documented order, or null. */
    private ResultCode invalidCampaign(CampaignTerms t) {
        if (!skuIdSyntax(t.campaignId)) {
            return ResultCode.CAMPAIGN_DEFINITION_ID_INVALID;
        }
        if (t.kind == null) {
            return ResultCode.CAMPAIGN_KIND_INVALID;
        }
        if (t.currency == CurrencyCode.NONE) {
            return ResultCode.CAMPAIGN_CURRENCY_INVALID;
        }
        long discountMax = 1_000_000_000_000L;
        boolean percent = t.kind == CampaignKind.PERCENT_OFF;
        if (percent ? t.amountOffMinor != 0 : t.amountOffMinor < 1 || t.amountOffMinor > discountMax) {
            return ResultCode.AMOUNT_OFF_INVALID;
        }
        if (percent ? t.percentOffBps < 1 || t.percentOffBps > 10_000 : t.percentOffBps != 0) {
            return ResultCode.PERCENT_OFF_INVALID;
        }
        if (percent ? t.percentCapMinor < 0 || t.percentCapMinor > discountMax : t.percentCapMinor != 0) {
            return ResultCode.PERCENT_CAP_INVALID;
        }
        if (t.minSpendMinor < (t.kind == CampaignKind.SPEND_AND_SAVE ? 1 : 0)
                || t.minSpendMinor > 1_000_000_000_000_000L) {
            return ResultCode.MIN_SPEND_INVALID;
        }
        if (t.skuIds.size() > 64
                || (!t.skuIds.isEmpty() && !t.merchantId.isEmpty())
                || !t.skuIds.stream().allMatch(ReferenceCheckout::skuIdSyntax)
                || new java.util.HashSet<>(t.skuIds).size() != t.skuIds.size()) {
            return ResultCode.CAMPAIGN_SKUS_INVALID;
        }
        if (!t.merchantId.isEmpty() && !skuIdSyntax(t.merchantId)) {
            return ResultCode.CAMPAIGN_MERCHANT_ID_INVALID;
        }
        if (t.startsAtEpochMillis < 0
                || t.endsAtEpochMillis < 0
                || (t.endsAtEpochMillis != 0 && t.endsAtEpochMillis <= t.startsAtEpochMillis)) {
            return ResultCode.CAMPAIGN_WINDOW_INVALID;
        }
        if (t.budget < 1 || t.budget > 1_000_000_000L) {
            return ResultCode.BUDGET_INVALID;
        }
        if (t.perUserLimit < 1 || t.perUserLimit > 1_000_000L) {
            return ResultCode.REDEMPTION_LIMIT_INVALID;
        }
        return null;
    }

    private Answer upsertCampaign(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        CampaignTerms t = c.campaignTerms();
        ResultCode invalid = invalidCampaign(t);
        if (invalid != null) {
            return Answer.of(invalid);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        ResultCode unknown = null;
        if (!t.merchantId.isEmpty() && !merchants.containsKey(t.merchantId)) {
            unknown = ResultCode.CAMPAIGN_MERCHANT_UNKNOWN;
        } else if (!t.skuIds.stream().allMatch(skusById::containsKey)) {
            unknown = ResultCode.CAMPAIGN_SKU_UNKNOWN;
        }
        if (unknown != null) {
            remember(c, unknown, null, -1);
            return Answer.of(unknown);
        }
        if (!campaigns.containsKey(t.campaignId) && campaigns.size() >= campaignCapacity) {
            return Answer.of(ResultCode.CAMPAIGN_TABLE_FULL);
        }
        campaigns.put(
                t.campaignId,
                new Campaign(
                        t.campaignId,
                        t.kind,
                        CurrencyCode.unpack(t.currency),
                        t.amountOffMinor,
                        t.percentOffBps,
                        t.percentCapMinor,
                        t.minSpendMinor,
                        List.copyOf(t.skuIds),
                        t.merchantId,
                        t.startsAtEpochMillis,
                        t.endsAtEpochMillis,
                        t.budget,
                        t.perUserLimit));
        remember(c, ResultCode.SUCCESS, null, -1);
        return Answer.of(ResultCode.SUCCESS);
    }

    private Answer getCampaign(Command c) {
        String id = c.campaignId.asString();
        if (!skuIdSyntax(id)) {
            return Answer.of(ResultCode.CAMPAIGN_ID_INVALID);
        }
        return Answer.of(campaigns.containsKey(id) ? ResultCode.SUCCESS : ResultCode.CAMPAIGN_NOT_FOUND);
    }

    /**
     * Why a reserve's campaign does not apply to its lines (each a SKU known and on sale, of {@code
     * currency}), or null; then {@code into[0]} is the discount and {@code into[1]} the lines sharing it.
     */
    private ResultCode campaignRefusal(
            String id, String user, List<String> lineSkus, List<Integer> lineUnits, String currency, long[] into) {
        Campaign campaign = campaigns.get(id);
        if (campaign == null) {
            return ResultCode.CAMPAIGN_UNKNOWN;
        }
        if (now < campaign.startsAt() || (campaign.endsAt() != 0 && now >= campaign.endsAt())) {
            return ResultCode.CAMPAIGN_NOT_ACTIVE;
        }
        long eligibleGross = 0;
        long mask = 0;
        for (int i = 0; i < lineSkus.size(); i++) {
            Sku sku = skusById.get(lineSkus.get(i));
            boolean applies = !campaign.skus().isEmpty()
                    ? campaign.skus().contains(sku.id())
                    : campaign.merchant().isEmpty() || campaign.merchant().equals(sku.merchant());
            if (applies) {
                mask |= 1L << i;
                eligibleGross += sku.price() * lineUnits.get(i);
            }
        }
        long discount = campaign.currency().equals(currency) ? discountOf(campaign, eligibleGross) : 0;
        if (discount == 0) {
            return ResultCode.CAMPAIGN_NOT_APPLICABLE;
        }
        if (redeemed(id) >= campaign.budget()) {
            return ResultCode.CAMPAIGN_BUDGET_EXHAUSTED;
        }
        if (redemptionsOf(id, user) >= campaign.perUser()) {
            return ResultCode.CAMPAIGN_USER_LIMIT_REACHED;
        }
        into[0] = discount;
        into[1] = mask;
        return null;
    }

    // ---- risk rules: the plainest model, a set and a map of counts for the current window ----------

    /** Sets the SKU group table's capacity (default 4,096), as the engine's state has it. */
    ReferenceCheckout skuGroupCapacity(int groups) {
        this.skuGroupCapacity = groups;
        return this;
    }

    /** The SKU's group, or null. */
    String groupOf(String skuId) {
        return groupOfSku.get(skuId);
    }

    /** The group's limit, or null if it was never defined. */
    Long groupLimit(String groupId) {
        return groupLimits.get(groupId);
    }

    /** The group's SKUs, in index order. */
    List<String> groupSkus(String groupId) {
        List<String> skus = new ArrayList<>();
        for (String skuId : skuIdsByIndex) {
            if (groupId.equals(groupOfSku.get(skuId))) {
                skus.add(skuId);
            }
        }
        return skus;
    }

    long groupRefusals() {
        return groupRefusals;
    }

    /**
     * Whether the units {@code user} holds in {@code skuId}'s group, plus {@code lines}' units in
     * the group, stay within the group's limit (no group: true).
     */
    private boolean withinGroupLimit(String user, String skuId, List<String> lineSkus, List<Integer> lineUnits) {
        String group = groupOfSku.get(skuId);
        if (group == null) {
            return true;
        }
        long units = 0;
        for (String member : groupSkus(group)) {
            units += held(user, member);
        }
        for (int i = 0; i < lineSkus.size(); i++) {
            if (group.equals(groupOfSku.get(lineSkus.get(i)))) {
                units += lineUnits.get(i);
            }
        }
        return units <= groupLimits.get(group);
    }

    private Answer upsertSkuGroup(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        String id = c.groupId().asString();
        if (id == null || !skuIdSyntax(id)) {
            return Answer.of(ResultCode.GROUP_ID_INVALID);
        }
        if (c.perUserLimit < 1 || c.perUserLimit > EngineLimits.TOTAL_STOCK_MAX) {
            return Answer.of(ResultCode.PER_USER_LIMIT_INVALID);
        }
        int max = c.maxAttempts();
        long window = c.windowMillis();
        if (max < 0 || max > 1_000_000) {
            return Answer.of(ResultCode.MAX_ATTEMPTS_INVALID);
        }
        if (max > 0 ? window < 1 || window > 86_400_000L : window != 0) {
            return Answer.of(ResultCode.WINDOW_MILLIS_INVALID);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        if (!groupLimits.containsKey(id) && groupLimits.size() >= skuGroupCapacity) {
            return Answer.of(ResultCode.GROUP_TABLE_FULL);
        }
        groupLimits.put(id, c.perUserLimit);
        long[] before = groupAttemptLimit(id);
        if (before[0] != max || before[1] != window) {
            // A new limit starts the group's counts afresh; the same one keeps them.
            groupAttemptLimits.put(id, new long[] {max, window});
            groupAttempts.remove(id);
            groupWindows.remove(id);
        }
        remember(c, ResultCode.SUCCESS, null, -1);
        return Answer.of(ResultCode.SUCCESS);
    }

    /** The group's attempt limit {max attempts, window millis}; {0, 0} without one. */
    long[] groupAttemptLimit(String groupId) {
        return groupAttemptLimits.getOrDefault(groupId, new long[2]);
    }

    long groupRateLimited() {
        return groupRateLimited;
    }

    /** Users the groups' attempt limits count now, over every group. */
    long groupAttemptRows() {
        long rows = 0;
        for (Map<String, Integer> counts : groupAttempts.values()) {
            rows += counts.size();
        }
        return rows;
    }

    /**
     * The attempt limits of the groups of the reserve's lines, each group once in line order: null
     * to go on (the groups admitted kept for {@link #countAttempt}), else the answer.
     */
    private Answer groupAttemptAnswer(Command c, String user) {
        long newRows = 0;
        for (int i = 0; i < c.lineCount; i++) {
            String skuId = c.lineSkuId(i).asString();
            String group = skusById.containsKey(skuId) ? groupOfSku.get(skuId) : null;
            long[] limit = group == null ? null : groupAttemptLimits.get(group);
            if (limit == null || limit[0] == 0 || admittedGroups.contains(group)) {
                continue;
            }
            long window = Math.floorDiv(now, limit[1]);
            if (!Long.valueOf(window).equals(groupWindows.get(group))) {
                groupAttempts.remove(group);
                groupWindows.put(group, window);
            }
            Integer made = groupAttempts.getOrDefault(group, Map.of()).get(user);
            if (made != null && made >= limit[0]) {
                admittedGroups.clear();
                rateLimitedAnswers++;
                groupRateLimited++;
                remember(c, ResultCode.RATE_LIMITED, null, i);
                return new Answer(ResultCode.RATE_LIMITED, i, skuId, false, null, null, 0, null, null, List.of());
            }
            if (made == null && groupAttemptRows() + newRows >= attemptCounterCapacity) {
                admittedGroups.clear();
                return Answer.of(ResultCode.ATTEMPT_COUNTER_TABLE_FULL);
            }
            newRows += made == null ? 1 : 0;
            admittedGroups.add(group);
        }
        return null;
    }

    private Answer getSkuGroup(Command c) {
        String id = c.groupId().asString();
        if (id == null || !skuIdSyntax(id)) {
            return Answer.of(ResultCode.GROUP_ID_INVALID);
        }
        return Answer.of(groupLimits.containsKey(id) ? ResultCode.SUCCESS : ResultCode.GROUP_NOT_FOUND);
    }

    /** Sets the risk tables' capacities, as the engine's state has them. */
    ReferenceCheckout riskCapacities(int blocklist, int attemptCounters) {
        this.blocklistCapacity = blocklist;
        this.attemptCounterCapacity = attemptCounters;
        return this;
    }

    boolean isBlocked(String user) {
        return blocked.contains(user);
    }

    int blockedCount() {
        return blocked.size();
    }

    int maxAttempts() {
        return maxAttempts;
    }

    long windowMillis() {
        return windowMillis;
    }

    /** The user's attempts in the window holding engine time now (0 without a limit). */
    int attemptsNow(String user) {
        if (maxAttempts == 0 || Math.floorDiv(now, windowMillis) != attemptWindow) {
            return 0;
        }
        return attempts.getOrDefault(user, 0);
    }

    /** Users with attempts counted in the window the counters hold. */
    int countedCount() {
        return attempts.size();
    }

    long blockedAnswers() {
        return blockedAnswers;
    }

    long rateLimitedAnswers() {
        return rateLimitedAnswers;
    }

    private Answer setUserBlocked(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        String user = c.userId.asString();
        if (!printableId(user)) {
            return Answer.of(ResultCode.USER_ID_INVALID);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        if (c.blocked()) {
            if (!blocked.contains(user) && blocked.size() >= blocklistCapacity) {
                return Answer.of(ResultCode.BLOCKLIST_FULL);
            }
            blocked.add(user);
        } else {
            blocked.remove(user);
        }
        remember(c, ResultCode.SUCCESS, null, -1);
        return Answer.of(ResultCode.SUCCESS);
    }

    private Answer setRiskRules(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        int max = c.maxAttempts();
        long window = c.windowMillis();
        if (max < 0 || max > 1_000_000) {
            return Answer.of(ResultCode.MAX_ATTEMPTS_INVALID);
        }
        if (max > 0 ? window < 1 || window > 86_400_000L : window != 0) {
            return Answer.of(ResultCode.WINDOW_MILLIS_INVALID);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        maxAttempts = max;
        windowMillis = window;
        attempts.clear();
        attemptWindow = Long.MIN_VALUE;
        remember(c, ResultCode.SUCCESS, null, -1);
        return Answer.of(ResultCode.SUCCESS);
    }

    /**
     * What the risk rules say to a reserve now: null to go on, else the answer. A reserve that goes
     * on and gets an answer of its own (not a full table) then counts with {@link #countAttempt}.
     */
    private ResultCode riskVerdict(String user) {
        if (blocked.contains(user)) {
            return ResultCode.BLOCKED;
        }
        if (maxAttempts == 0) {
            return null;
        }
        long window = Math.floorDiv(now, windowMillis);
        if (window != attemptWindow) {
            attempts.clear();
            attemptWindow = window;
        }
        Integer made = attempts.get(user);
        if (made == null) {
            return attempts.size() >= attemptCounterCapacity ? ResultCode.ATTEMPT_COUNTER_TABLE_FULL : null;
        }
        return made >= maxAttempts ? ResultCode.RATE_LIMITED : null;
    }

    private void countAttempt(String user) {
        if (maxAttempts > 0) {
            attempts.merge(user, 1, Integer::sum);
        }
        for (String group : admittedGroups) {
            groupAttempts.computeIfAbsent(group, g -> new HashMap<>()).merge(user, 1, Integer::sum);
        }
        admittedGroups.clear();
    }

    private Answer reserve(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        if (!printableId(c.userId.asString())) {
            return Answer.of(ResultCode.USER_ID_INVALID);
        }
        if (c.lineCount <= 0) {
            return Answer.of(ResultCode.LINES_EMPTY);
        }
        String campaignId = c.campaignId.length() == 0 ? null : c.campaignId.asString();
        if (campaignId != null && !skuIdSyntax(campaignId)) {
            return Answer.of(ResultCode.CAMPAIGN_ID_INVALID);
        }
        Answer invalidLines = invalidLines(c);
        if (invalidLines != null) {
            return invalidLines;
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        String buyer = c.userId.asString();
        ResultCode verdict = riskVerdict(buyer);
        if (verdict == ResultCode.ATTEMPT_COUNTER_TABLE_FULL) {
            return Answer.of(verdict);
        }
        if (verdict != null) {
            if (verdict == ResultCode.BLOCKED) {
                blockedAnswers++;
            } else {
                rateLimitedAnswers++;
            }
            remember(c, verdict, null, -1);
            return Answer.of(verdict);
        }
        admittedGroups.clear();
        Answer groupAnswer = groupAttemptAnswer(c, buyer);
        if (groupAnswer != null) {
            return groupAnswer;
        }
        String currency = null;
        List<String> lineSkus = new ArrayList<>();
        List<Integer> lineUnits = new ArrayList<>();
        for (int i = 0; i < c.lineCount; i++) {
            Sku sku = skusById.get(c.lineSkuId(i).asString());
            lineSkus.add(c.lineSkuId(i).asString());
            lineUnits.add(c.lineQuantities[i]);
            ResultCode refusal = null;
            if (sku == null) {
                refusal = ResultCode.UNKNOWN_SKU;
            } else if (!sku.onSale(now)) {
                refusal = ResultCode.NOT_ON_SALE;
            } else if (i > 0 && !sku.currency().equals(currency)) {
                refusal = ResultCode.CURRENCY_MISMATCH;
            } else if (sku.limit() > 0 && held(c.userId.asString(), sku.id()) + c.lineQuantities[i] > sku.limit()) {
                refusal = ResultCode.LIMIT_EXCEEDED;
            } else if (!withinGroupLimit(c.userId.asString(), sku.id(), lineSkus, lineUnits)) {
                refusal = ResultCode.GROUP_LIMIT_EXCEEDED;
                groupRefusals++;
            } else if (sku.available() < c.lineQuantities[i]) {
                refusal = ResultCode.SOLD_OUT;
            }
            if (refusal != null) {
                countAttempt(buyer);
                remember(c, refusal, null, i);
                return new Answer(refusal, i, c.lineSkuId(i).asString(), false, null, null, 0, null, null, List.of());
            }
            if (i == 0) {
                currency = sku.currency();
            }
        }
        long[] discountAndMask = new long[2];
        if (campaignId != null) {
            ResultCode refusal = campaignRefusal(campaignId, buyer, lineSkus, lineUnits, currency, discountAndMask);
            if (refusal != null) {
                countAttempt(buyer);
                remember(c, refusal, null, -1);
                return Answer.of(refusal);
            }
        }
        if (orders.size() >= orderCapacity) {
            return Answer.of(ResultCode.ORDER_TABLE_FULL);
        }
        // The engine checks room for one new counter per line, whether or not the user already has one:
        // a conservative check, so that no write can fail half way through.
        if (userCounterCount() + c.lineCount > userCounterCapacity) {
            return Answer.of(ResultCode.USER_COUNTER_TABLE_FULL);
        }
        if (campaignId != null && redemptionTableFullFor(campaignId, buyer)) {
            return Answer.of(ResultCode.REDEMPTION_TABLE_FULL);
        }
        List<Line> lines = new ArrayList<>();
        long amount = 0;
        long ttl = Long.MAX_VALUE;
        for (int i = 0; i < c.lineCount; i++) {
            Sku sku = skusById.get(c.lineSkuId(i).asString());
            int quantity = c.lineQuantities[i];
            Merchant merchant = sku.merchant() == null ? null : merchants.get(sku.merchant());
            if (merchant != null && merchant.since() > SimulationCommands.START_CLOCK) {
                linesAtChangedRate++;
            }
            lines.add(new Line(
                    sku.id(),
                    sku.index(),
                    quantity,
                    sku.price(),
                    0,
                    sku.merchant(),
                    merchant == null ? 0 : merchant.bps()));
            amount += sku.price() * quantity;
            ttl = Math.min(ttl, sku.ttl());
            skusById.put(
                    sku.id(),
                    sku.withStock(sku.total(), sku.available() - quantity, sku.reserved() + quantity, sku.sold()));
            addHeld(c.userId.asString(), sku.id(), quantity);
        }
        if (campaignId != null) {
            redemptionOfOrder.put(
                    orders.size() + 1L, new Redemption(campaignId, discountAndMask[0], discountAndMask[1]));
            redeem(campaignId, buyer, 1);
            discountedOrders++;
            amount -= discountAndMask[0];
        }
        Order order = new Order(
                orders.size() + 1L,
                c.userId.asString(),
                List.copyOf(lines),
                amount,
                currency,
                OrderState.RESERVED,
                now,
                now + ttl,
                now,
                null,
                null,
                0);
        orders.add(order);
        reservedOrderIds.add(order.id());
        countAttempt(buyer);
        remember(c, ResultCode.SUCCESS, order, -1);
        return new Answer(ResultCode.SUCCESS, -1, null, false, order, null, 0, null, null, List.of(order.id()));
    }

    private Answer changeOrder(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        if (c.orderId <= 0) {
            return Answer.of(ResultCode.ORDER_ID_INVALID);
        }
        boolean paying = c.type() == CommandType.CONFIRM && c.hasPayment;
        if (paying) {
            ResultCode invalid = invalidPayment(c);
            if (invalid != null) {
                return Answer.of(invalid);
            }
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        String paymentKey = paying ? c.paymentProvider.asString() + " " + c.paymentId.asString() : null;
        if (paying) {
            Long paid = payments.get(paymentKey);
            if (paid != null && paid != c.orderId) {
                remember(c, ResultCode.PAYMENT_ALREADY_USED, null, -1);
                return Answer.of(ResultCode.PAYMENT_ALREADY_USED);
            }
            if (paid != null) {
                // A callback delivered again: the first answer, whatever the request id.
                Order current = order(paid);
                OrderState first =
                        current.state() == OrderState.PAID_TOO_LATE ? OrderState.PAID_TOO_LATE : OrderState.PAID;
                Order reported = reportedAs(current, first, current.paidAt());
                remember(c, ResultCode.SUCCESS, reported, -1);
                paymentRepeats++;
                return new Answer(ResultCode.SUCCESS, -1, null, true, reported, null, 0, null, null, List.of());
            }
            if (payments.size() >= paymentCapacity) {
                return Answer.of(ResultCode.PAYMENT_TABLE_FULL);
            }
        }
        Order order = order(c.orderId);
        if (order == null) {
            remember(c, ResultCode.ORDER_NOT_FOUND, null, -1);
            return Answer.of(ResultCode.ORDER_NOT_FOUND);
        }
        if (paying) {
            ResultCode mismatch = null;
            if (!CurrencyCode.unpack(c.paymentCurrency).equals(order.currency())) {
                mismatch = ResultCode.PAYMENT_CURRENCY_MISMATCH;
            } else if (c.paymentAmountMinor != order.amount()) {
                mismatch = ResultCode.PAYMENT_AMOUNT_MISMATCH;
            }
            if (mismatch != null) {
                remember(c, mismatch, order, -1);
                return new Answer(mismatch, -1, null, false, order, null, 0, null, null, List.of());
            }
        }
        boolean due = order.state() == OrderState.RESERVED && order.expiresAt() <= now;
        if (paying
                && (due || order.state() == OrderState.EXPIRED)
                && pairsHoldingUnits + order.lines().size() > userCounterCapacity) {
            // Room for the buyer's counters, whether or not the units are taken again: checked first.
            return Answer.of(ResultCode.USER_COUNTER_TABLE_FULL);
        }
        Redemption redeemed = redemptionOfOrder.get(order.id());
        if (paying
                && (due || order.state() == OrderState.EXPIRED)
                && redeemed != null
                && redemptionTableFullFor(redeemed.campaign(), order.user())) {
            return Answer.of(ResultCode.REDEMPTION_TABLE_FULL);
        }
        List<Long> changed = new ArrayList<>();
        int expired = 0;
        // The Javadoc names confirm and cancel as the commands that find a due reservation; the
        // engine does the same on refund (which then conflicts with EXPIRED rather than RESERVED).
        // The model follows the engine there: either way the reservation is due and must not be paid.
        if (order.state() == OrderState.RESERVED && order.expiresAt() <= now) {
            order = release(order, OrderState.EXPIRED);
            changed.add(order.id());
            expired = 1;
        }
        if (paying && order.state() == OrderState.EXPIRED) {
            order = payExpired(c, order);
            changed.add(order.id());
            payments.put(paymentKey, order.id());
            remember(c, ResultCode.SUCCESS, order, -1);
            return new Answer(ResultCode.SUCCESS, -1, null, false, order, null, expired, null, null, changed);
        }
        if (order.state() != OrderState.RESERVED) {
            remember(c, ResultCode.ORDER_STATE_CONFLICT, order, -1);
            return new Answer(
                    ResultCode.ORDER_STATE_CONFLICT, -1, null, false, order, null, expired, null, null, changed);
        }
        if (c.type() == CommandType.CONFIRM) {
            for (Line line : order.lines()) {
                Sku sku = skusById.get(line.skuId());
                skusById.put(
                        sku.id(),
                        sku.withStock(
                                sku.total(),
                                sku.available(),
                                sku.reserved() - line.quantity(),
                                sku.sold() + line.quantity()));
            }
            if (paying) {
                order = order.paidWith(OrderState.PAID, c.paymentProvider.asString(), c.paymentId.asString(), now);
                payments.put(paymentKey, order.id());
            } else {
                order = order.movedTo(OrderState.PAID, now);
            }
            orders.set((int) (order.id() - 1), order);
            reservedOrderIds.remove(order.id());
        } else {
            order = release(order, OrderState.CANCELLED);
        }
        changed.add(order.id());
        remember(c, ResultCode.SUCCESS, order, -1);
        return new Answer(ResultCode.SUCCESS, -1, null, false, order, null, expired, null, null, changed);
    }

    private Answer refund(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        if (c.orderId <= 0) {
            return Answer.of(ResultCode.ORDER_ID_INVALID);
        }
        if (c.refundReason != null && !REASON.matcher(c.refundReason).matches()) {
            return Answer.of(ResultCode.REFUND_REASON_INVALID);
        }
        Answer invalidLines = invalidLines(c);
        if (invalidLines != null) {
            return invalidLines;
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        Order order = order(c.orderId);
        if (order == null) {
            remember(c, ResultCode.ORDER_NOT_FOUND, null, -1);
            return Answer.of(ResultCode.ORDER_NOT_FOUND);
        }
        List<Long> changed = new ArrayList<>();
        int expired = 0;
        if (order.state() == OrderState.RESERVED && order.expiresAt() <= now) {
            order = release(order, OrderState.EXPIRED);
            changed.add(order.id());
            expired = 1;
        }
        if (order.state() != OrderState.PAID && order.state() != OrderState.PARTLY_REFUNDED) {
            remember(c, ResultCode.ORDER_STATE_CONFLICT, order, -1);
            return new Answer(
                    ResultCode.ORDER_STATE_CONFLICT, -1, null, false, order, null, expired, null, null, changed);
        }
        int[] units = new int[order.lines().size()];
        if (c.lineCount == 0) {
            for (int i = 0; i < units.length; i++) {
                units[i] =
                        order.lines().get(i).quantity() - order.lines().get(i).refunded();
            }
        }
        for (int j = 0; j < c.lineCount; j++) {
            String skuId = c.lineSkuId(j).asString();
            int line = -1;
            for (int i = 0; i < units.length; i++) {
                if (order.lines().get(i).skuId().equals(skuId)) {
                    line = i;
                }
            }
            ResultCode refused = null;
            if (line < 0) {
                refused = ResultCode.REFUND_SKU_NOT_IN_ORDER;
            } else if (c.lineQuantities[j]
                    > order.lines().get(line).quantity()
                            - order.lines().get(line).refunded()) {
                refused = ResultCode.REFUND_EXCEEDS_PAID;
            } else {
                units[line] = c.lineQuantities[j];
            }
            if (refused != null) {
                remember(c, refused, order, j);
                return new Answer(refused, j, skuId, false, order, null, 0, null, null, List.of());
            }
        }
        List<Line> lines = new ArrayList<>();
        boolean everyUnit = true;
        for (int i = 0; i < units.length; i++) {
            Line line = order.lines().get(i);
            int quantity = units[i];
            if (quantity > 0) {
                Sku sku = skusById.get(line.skuId());
                skusById.put(
                        sku.id(),
                        c.notResellable
                                ? sku.withStock(
                                        sku.total() - quantity, sku.available(), sku.reserved(), sku.sold() - quantity)
                                : sku.withStock(
                                        sku.total(),
                                        sku.available() + quantity,
                                        sku.reserved(),
                                        sku.sold() - quantity));
                addHeld(order.user(), sku.id(), -quantity);
                line = line.refundedMore(quantity);
            }
            everyUnit &= line.refunded() == line.quantity();
            lines.add(line);
        }
        Order refunded = new Order(
                order.id(),
                order.user(),
                List.copyOf(lines),
                order.amount(),
                order.currency(),
                everyUnit ? OrderState.REFUNDED : OrderState.PARTLY_REFUNDED,
                order.createdAt(),
                order.expiresAt(),
                now,
                order.paymentProvider(),
                order.paymentId(),
                order.paidAt());
        orders.set((int) (refunded.id() - 1), refunded);
        changed.add(refunded.id());
        refunds++;
        remember(c, ResultCode.SUCCESS, refunded, -1);
        return new Answer(ResultCode.SUCCESS, -1, null, false, refunded, null, expired, null, null, changed);
    }

    /** Money for an expired order: its units taken again as sold if all are there within the limits, else none. */
    private Order payExpired(Command c, Order order) {
        boolean retakable = true;
        List<String> lineSkus = new ArrayList<>();
        List<Integer> lineUnits = new ArrayList<>();
        for (Line line : order.lines()) {
            Sku sku = skusById.get(line.skuId());
            lineSkus.add(line.skuId());
            lineUnits.add(line.quantity());
            retakable &= sku.available() >= line.quantity()
                    && (sku.limit() == 0 || held(order.user(), sku.id()) + line.quantity() <= sku.limit())
                    && withinGroupLimit(order.user(), sku.id(), lineSkus, lineUnits);
        }
        Redemption redemption = redemptionOfOrder.get(order.id());
        // The discount was given at the reserve: taken again if the budget and the limit allow now.
        retakable &= redemption == null || redeemable(campaigns.get(redemption.campaign()), order.user());
        if (retakable) {
            if (redemption != null) {
                redeem(redemption.campaign(), order.user(), 1);
            }
            for (Line line : order.lines()) {
                Sku sku = skusById.get(line.skuId());
                skusById.put(
                        sku.id(),
                        sku.withStock(
                                sku.total(),
                                sku.available() - line.quantity(),
                                sku.reserved(),
                                sku.sold() + line.quantity()));
                addHeld(order.user(), sku.id(), line.quantity());
            }
            expiredPaid++;
        } else {
            paidTooLate++;
        }
        Order paid = order.paidWith(
                retakable ? OrderState.PAID : OrderState.PAID_TOO_LATE,
                c.paymentProvider.asString(),
                c.paymentId.asString(),
                now);
        orders.set((int) (paid.id() - 1), paid);
        return paid;
    }

    /** The answer to a reserve's or refund's lines that are not valid (too many, or the first bad one), or null. */
    private Answer invalidLines(Command c) {
        if (c.lineCount > limits.linesPerOrderMax()) {
            return Answer.of(ResultCode.TOO_MANY_LINES);
        }
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < c.lineCount; i++) {
            String id = c.lineSkuId(i).asString();
            int quantity = c.lineQuantities[i];
            if (!skuIdSyntax(id)) {
                return Answer.invalidLine(ResultCode.SKU_ID_INVALID, i);
            }
            if (quantity <= 0) {
                return Answer.invalidLine(ResultCode.QUANTITY_MUST_BE_POSITIVE, i);
            }
            if (quantity > limits.quantityPerLineMax()) {
                return Answer.invalidLine(ResultCode.QUANTITY_TOO_LARGE, i);
            }
            if (!seen.add(id)) {
                return Answer.invalidLine(ResultCode.DUPLICATE_SKU_IN_ORDER, i);
            }
        }
        return null;
    }

    /** The first invalid payment field in the documented order, or null. */
    private ResultCode invalidPayment(Command c) {
        String provider = c.paymentProvider.asString();
        if (provider == null || !PROVIDER.matcher(provider).matches()) {
            return ResultCode.PAYMENT_PROVIDER_INVALID;
        }
        if (!printableId(c.paymentId.asString())) {
            return ResultCode.PAYMENT_ID_INVALID;
        }
        if (c.paymentAmountMinor < 0 || c.paymentAmountMinor > EngineLimits.PAYMENT_AMOUNT_MINOR_MAX) {
            return ResultCode.PAYMENT_AMOUNT_INVALID;
        }
        if (c.paymentCurrency == CurrencyCode.NONE) {
            return ResultCode.PAYMENT_CURRENCY_INVALID;
        }
        return null;
    }

    /** Gives the units of a reserved order back to available stock and to the user's allowance (cancel, expiry). */
    private Order release(Order order, OrderState to) {
        for (Line line : order.lines()) {
            Sku sku = skusById.get(line.skuId());
            int quantity = line.quantity();
            skusById.put(
                    sku.id(),
                    sku.withStock(sku.total(), sku.available() + quantity, sku.reserved() - quantity, sku.sold()));
            addHeld(order.user(), sku.id(), -quantity);
        }
        Redemption redemption = redemptionOfOrder.get(order.id());
        if (redemption != null) {
            redeem(redemption.campaign(), order.user(), -1);
        }
        Order moved = order.movedTo(to, now);
        orders.set((int) (moved.id() - 1), moved);
        reservedOrderIds.remove(moved.id());
        return moved;
    }

    private Answer tick() {
        List<Long> due = new ArrayList<>();
        for (long id : reservedOrderIds) {
            if (order(id).expiresAt() <= now) {
                due.add(id);
            }
        }
        if (due.size() > limits.expiriesPerTickMax()) {
            throw new IllegalStateException("the simulation must stay below " + limits.expiriesPerTickMax()
                    + " expiries per tick, the model does not bound a tick: " + due.size());
        }
        for (long id : due) {
            release(order(id), OrderState.EXPIRED);
        }
        long retention = limits.idempotencyRetentionMillis();
        if (retention > 0) {
            firstAnswers.values().removeIf(first -> first.at() < now - retention);
        }
        return new Answer(ResultCode.SUCCESS, -1, null, false, null, null, due.size(), null, null, due);
    }

    private Answer upsert(Command c) {
        ResultCode invalid = upsertInvalid(c);
        if (invalid != null) {
            return Answer.of(invalid);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        String merchantId = blankToNull(c.merchantId().asString());
        if (merchantId != null && !merchants.containsKey(merchantId)) {
            remember(c, ResultCode.MERCHANT_UNKNOWN, null, -1);
            return Answer.of(ResultCode.MERCHANT_UNKNOWN);
        }
        String groupId = blankToNull(c.groupId().asString());
        if (groupId != null && !groupLimits.containsKey(groupId)) {
            remember(c, ResultCode.GROUP_UNKNOWN, null, -1);
            return Answer.of(ResultCode.GROUP_UNKNOWN);
        }
        Sku existing = skusById.get(c.skuId.asString());
        int index;
        long reserved = 0;
        long sold = 0;
        if (existing == null) {
            if (skusById.size() >= skuCapacity) {
                return Answer.of(ResultCode.SKU_TABLE_FULL);
            }
            index = skuIdsByIndex.size();
        } else {
            if (c.totalStock < existing.held()) {
                remember(c, ResultCode.STOCK_INSUFFICIENT, null, -1);
                return skuAnswer(ResultCode.STOCK_INSUFFICIENT, existing);
            }
            if (!existing.currency().equals(c.currency) && existing.held() > 0) {
                remember(c, ResultCode.CURRENCY_LOCKED, null, -1);
                return skuAnswer(ResultCode.CURRENCY_LOCKED, existing);
            }
            index = existing.index();
            reserved = existing.reserved();
            sold = existing.sold();
        }
        if (groupId != null
                && !groupId.equals(groupOfSku.get(c.skuId.asString()))
                && groupSkus(groupId).size() >= SkuGroupTable.SKUS_MAX) {
            return Answer.of(ResultCode.GROUP_SKUS_FULL);
        }
        if (groupId == null) {
            groupOfSku.remove(c.skuId.asString());
        } else {
            groupOfSku.put(c.skuId.asString(), groupId);
        }
        Sku sku = new Sku(
                index,
                c.skuId.asString(),
                c.priceMinor,
                c.currency,
                c.totalStock,
                c.totalStock - reserved - sold,
                reserved,
                sold,
                c.perUserLimit,
                c.saleStartEpochMillis,
                c.saleEndEpochMillis,
                c.reservationTtlMillis,
                merchantId,
                blankToNull(c.storeId().asString()));
        if (existing == null) {
            skuIdsByIndex.add(sku.id());
        }
        skusById.put(sku.id(), sku);
        remember(c, ResultCode.SUCCESS, null, -1);
        return skuAnswer(ResultCode.SUCCESS, sku);
    }

    private static ResultCode upsertInvalid(Command c) {
        if (!printableId(c.requestId.asString())) {
            return ResultCode.REQUEST_ID_INVALID;
        }
        if (!skuIdSyntax(c.skuId.asString())) {
            return ResultCode.SKU_ID_INVALID;
        }
        if (c.priceMinor < 0 || c.priceMinor > EngineLimits.PRICE_MINOR_MAX) {
            return ResultCode.PRICE_INVALID;
        }
        if (c.currency == null || !CURRENCY.matcher(c.currency).matches()) {
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
        boolean endless = c.saleEndEpochMillis == 0;
        if (!endless
                && (c.saleEndEpochMillis <= c.saleStartEpochMillis
                        || c.saleEndEpochMillis > EngineLimits.EPOCH_MILLIS_MAX)) {
            return ResultCode.SALE_END_INVALID;
        }
        if (c.reservationTtlMillis < EngineLimits.RESERVATION_TTL_MILLIS_MIN
                || c.reservationTtlMillis > EngineLimits.RESERVATION_TTL_MILLIS_MAX) {
            return ResultCode.RESERVATION_TTL_INVALID;
        }
        String merchant = blankToNull(c.merchantId().asString());
        if (merchant != null && !skuIdSyntax(merchant)) {
            return ResultCode.MERCHANT_ID_INVALID;
        }
        String store = blankToNull(c.storeId().asString());
        if (store != null && !skuIdSyntax(store)) {
            return ResultCode.STORE_ID_INVALID;
        }
        String group = blankToNull(c.groupId().asString());
        if (group != null && !skuIdSyntax(group)) {
            return ResultCode.GROUP_ID_INVALID;
        }
        return null;
    }

    private static String blankToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    private Answer upsertMerchant(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        String id = c.merchantId().asString();
        if (id == null || !skuIdSyntax(id)) {
            return Answer.of(ResultCode.MERCHANT_ID_INVALID);
        }
        if (c.commissionBps() < 0 || c.commissionBps() > 10_000) {
            return Answer.of(ResultCode.COMMISSION_BPS_INVALID);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        Merchant existing = merchants.get(id);
        if (existing == null || existing.bps() != c.commissionBps()) {
            if (merchantRows >= merchantCapacity) {
                return Answer.of(ResultCode.MERCHANT_TABLE_FULL);
            }
            merchants.put(id, new Merchant(id, c.commissionBps(), now));
            merchantRows++;
        }
        remember(c, ResultCode.SUCCESS, null, -1);
        return Answer.of(ResultCode.SUCCESS);
    }

    /** The answer's code; the page itself is {@link #userOrders}. */
    private Answer listUserOrders(Command c) {
        String user = c.userId.asString();
        if (!printableId(user)) {
            return Answer.of(ResultCode.USER_ID_INVALID);
        }
        if (c.pageSize < 0 || c.pageSize > 100) {
            return Answer.of(ResultCode.PAGE_SIZE_INVALID);
        }
        if (c.orderId < 0
                || (c.orderId > 0
                        && (order(c.orderId) == null || !order(c.orderId).user().equals(user)))) {
            return Answer.of(ResultCode.PAGE_TOKEN_INVALID);
        }
        return Answer.of(ResultCode.SUCCESS);
    }

    /** A page of the user's orders: ids newest first, and the token of the next page (0: none). */
    record UserPage(List<Long> orderIds, long next) {}

    UserPage userOrders(String user, int pageSize, long after) {
        List<Long> ids = new ArrayList<>();
        for (int i = orders.size() - 1; i >= 0; i--) {
            Order order = orders.get(i);
            if (order.user().equals(user) && (after == 0 || order.id() < after)) {
                ids.add(order.id());
            }
        }
        int size = pageSize == 0 ? 20 : pageSize;
        return ids.size() > size
                ? new UserPage(List.copyOf(ids.subList(0, size)), ids.get(size - 1))
                : new UserPage(List.copyOf(ids), 0);
    }

    private Answer getMerchant(Command c) {
        String id = c.merchantId().asString();
        if (id == null || !skuIdSyntax(id)) {
            return Answer.of(ResultCode.MERCHANT_ID_INVALID);
        }
        return Answer.of(merchants.containsKey(id) ? ResultCode.SUCCESS : ResultCode.MERCHANT_NOT_FOUND);
    }

    private Answer adjust(Command c) {
        if (!printableId(c.requestId.asString())) {
            return Answer.of(ResultCode.REQUEST_ID_INVALID);
        }
        if (!skuIdSyntax(c.skuId.asString())) {
            return Answer.of(ResultCode.SKU_ID_INVALID);
        }
        if (c.delta == 0 || c.delta > EngineLimits.TOTAL_STOCK_MAX || c.delta < -EngineLimits.TOTAL_STOCK_MAX) {
            return Answer.of(ResultCode.DELTA_INVALID);
        }
        Answer repeat = repeatOf(c);
        if (repeat != null) {
            return repeat;
        }
        if (firstAnswers.size() >= outcomeCapacity) {
            return Answer.of(ResultCode.IDEMPOTENCY_TABLE_FULL);
        }
        Sku sku = skusById.get(c.skuId.asString());
        if (sku == null) {
            remember(c, ResultCode.SKU_NOT_FOUND, null, -1);
            return Answer.of(ResultCode.SKU_NOT_FOUND);
        }
        // Too large a total is bad input, found only once the SKU is known: not remembered.
        if (sku.total() + c.delta > EngineLimits.TOTAL_STOCK_MAX) {
            return skuAnswer(ResultCode.DELTA_INVALID, sku);
        }
        if (sku.available() + c.delta < 0) {
            remember(c, ResultCode.STOCK_INSUFFICIENT, null, -1);
            return skuAnswer(ResultCode.STOCK_INSUFFICIENT, sku);
        }
        Sku adjusted = sku.withStock(sku.total() + c.delta, sku.available() + c.delta, sku.reserved(), sku.sold());
        skusById.put(adjusted.id(), adjusted);
        remember(c, ResultCode.SUCCESS, null, -1);
        return skuAnswer(ResultCode.SUCCESS, adjusted);
    }

    private Answer getOrder(Command c) {
        if (c.orderId <= 0) {
            return Answer.of(ResultCode.ORDER_ID_INVALID);
        }
        Order order = order(c.orderId);
        if (order == null) {
            return Answer.of(ResultCode.ORDER_NOT_FOUND);
        }
        return new Answer(ResultCode.SUCCESS, -1, null, false, order, null, 0, null, null, List.of());
    }

    private Answer getSku(Command c) {
        if (!skuIdSyntax(c.skuId.asString())) {
            return Answer.of(ResultCode.SKU_ID_INVALID);
        }
        Sku sku = skusById.get(c.skuId.asString());
        return sku == null ? Answer.of(ResultCode.SKU_NOT_FOUND) : skuAnswer(ResultCode.SUCCESS, sku);
    }

    private Answer listSkus(Command c) {
        if (c.pageSize < 0 || c.pageSize > EngineLimits.LIST_PAGE_SIZE_MAX) {
            return Answer.of(ResultCode.PAGE_SIZE_INVALID);
        }
        boolean fromStart = c.pageToken == null || c.pageToken.isEmpty();
        if (!fromStart && !skuIdSyntax(c.pageToken)) {
            return Answer.of(ResultCode.PAGE_TOKEN_INVALID);
        }
        int pageSize = c.pageSize == 0 ? EngineLimits.LIST_PAGE_SIZE_DEFAULT : c.pageSize;
        TreeMap<String, Sku> sorted = new TreeMap<>(skusById);
        List<Sku> after = new ArrayList<>(
                fromStart ? sorted.values() : sorted.tailMap(c.pageToken, false).values());
        List<Sku> page = after.subList(0, Math.min(pageSize, after.size()));
        String next = after.size() > pageSize ? page.get(page.size() - 1).id() : null;
        return new Answer(ResultCode.SUCCESS, -1, null, false, null, null, 0, List.copyOf(page), next, List.of());
    }

    // ---- idempotency --------------------------------------------------------------------------

    private Answer repeatOf(Command c) {
        FirstAnswer first = firstAnswers.get(c.requestId.asString());
        if (first == null) {
            return null;
        }
        if (first.type() != c.type()) {
            return new Answer(ResultCode.REQUEST_ID_REUSED, -1, null, true, null, null, 0, null, null, List.of());
        }
        int failedLine = first.failedLine();
        String failedSkuId = failedLine >= 0 && failedLine < c.lineCount
                ? c.lineSkuId(failedLine).asString()
                : null;
        Sku sku = null;
        if (c.type() == CommandType.UPSERT_SKU || c.type() == CommandType.ADJUST_STOCK) {
            sku = skusById.get(c.skuId.asString());
        }
        return new Answer(
                first.code(),
                failedLine,
                failedSkuId,
                true,
                asFirstReported(first.order()),
                sku,
                0,
                null,
                null,
                List.of());
    }

    /**
     * A repeat reports the order as it is now, but in the state and at the time the first answer
     * reported: without a payment when that state came before any, with no units refunded unless
     * that state was a refund's (then as many as now).
     */
    private Order asFirstReported(Order first) {
        return first == null ? null : reportedAs(order(first.id()), first.state(), first.updatedAt());
    }

    /** {@code now} reported in {@code state} at {@code at}, as {@link #asFirstReported} describes. */
    private static Order reportedAs(Order now, OrderState state, long at) {
        boolean hadPayment = state == OrderState.PAID
                || state == OrderState.REFUNDED
                || state == OrderState.PARTLY_REFUNDED
                || state == OrderState.PAID_TOO_LATE;
        List<Line> lines = new ArrayList<>();
        for (Line line : now.lines()) {
            int refunded = state == OrderState.REFUNDED
                    ? line.quantity()
                    : state == OrderState.PARTLY_REFUNDED ? line.refunded() : 0;
            lines.add(line.withRefunded(refunded));
        }
        return new Order(
                now.id(),
                now.user(),
                List.copyOf(lines),
                now.amount(),
                now.currency(),
                state,
                now.createdAt(),
                now.expiresAt(),
                at,
                hadPayment ? now.paymentProvider() : null,
                hadPayment ? now.paymentId() : null,
                hadPayment ? now.paidAt() : 0);
    }

    private void remember(Command c, ResultCode code, Order reported, int failedLine) {
        firstAnswers.put(c.requestId.asString(), new FirstAnswer(c.type(), code, reported, failedLine, now));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static Answer skuAnswer(ResultCode code, Sku sku) {
        return new Answer(code, -1, null, false, null, sku, 0, null, null, List.of());
    }

    private void addHeld(String user, String skuId, long delta) {
        Map<String, Long> perSku = heldByUser.computeIfAbsent(user, u -> new HashMap<>());
        long before = perSku.getOrDefault(skuId, 0L);
        long units = before + delta;
        if (units < 0) {
            throw new IllegalStateException("model bug: " + user + " holds " + units + " of " + skuId);
        }
        perSku.put(skuId, units);
        if (before == 0 && units > 0) {
            pairsHoldingUnits++;
        } else if (before > 0 && units == 0) {
            pairsHoldingUnits--;
        }
    }

    static boolean printableId(String id) {
        return id != null && PRINTABLE_ID.matcher(id).matches();
    }

    static boolean skuIdSyntax(String id) {
        return id != null && SKU_ID.matcher(id).matches();
    }
}
