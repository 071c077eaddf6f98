package io.checkout.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * State on the Java heap for the unit tests and the simulation: simple and obviously right rather
 * than fast; it allocates freely. The server runs on {@code PackedCheckoutState}.
 */
public final class HeapCheckoutState implements CheckoutState {
    private final int skuCapacity;
    private final long orderCapacity;
    private final long userCounterCapacity;
    private final long outcomeCapacity;
    private final long paymentCapacity;

    private final SkuTable skus = new SkuTable();
    private final MerchantTable merchants = new MerchantTable();
    private int merchantCapacity = 65_536;
    private RiskTable risk = new RiskTable(1 << 20, 1 << 20);
    private SkuGroupTable skuGroups = new SkuGroupTable(4_096);
    private CampaignTable campaigns = new CampaignTable(4_096, 1 << 20);
    private final List<OrderRecord> orders = new ArrayList<>();
    private final Map<String, Long> userUnits = new HashMap<>();
    /** Insertion order is answer-time order: engine time never goes backwards. */
    private final LinkedHashMap<String, Outcome> outcomes = new LinkedHashMap<>();
    /** "provider payment-id" (a space cannot be in either) to the order the payment paid. */
    private final Map<String, Long> payments = new HashMap<>();
    /** Each user's newest order, and for each order (by id - 1) the same user's previous one. */
    private final Map<String, Long> lastOrderByUser = new HashMap<>();

    private final List<Long> previousOfUser = new ArrayList<>();

    /** A payment table as large as the order table: it can never fill first. */
    public HeapCheckoutState(int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {
        this(skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, orderCapacity);
    }

    public HeapCheckoutState(
            int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity, long paymentCapacity) {
        this.skuCapacity = skuCapacity;
        this.orderCapacity = orderCapacity;
        this.userCounterCapacity = userCounterCapacity;
        this.outcomeCapacity = outcomeCapacity;
        this.paymentCapacity = paymentCapacity;
    }

    /** Capacities large enough that tests never meet them unless they mean to. */
    public static HeapCheckoutState unbounded() {
        return new HeapCheckoutState(1_000_000, 100_000_000L, 100_000_000L, 100_000_000L);
    }

    @Override
    public SkuTable skus() {
        return skus;
    }

    @Override
    public int skuCapacity() {
        return skuCapacity;
    }

    @Override
    public MerchantTable merchants() {
        return merchants;
    }

    @Override
    public int merchantCapacity() {
        return merchantCapacity;
    }

    @Override
    public RiskTable risk() {
        return risk;
    }

    @Override
    public SkuGroupTable skuGroups() {
        return skuGroups;
    }

    @Override
    public CampaignTable campaigns() {
        return campaigns;
    }

    /** Gives the campaign tables these capacities (default 4,096 and 2^20); call before any campaign is defined. */
    public HeapCheckoutState campaignCapacities(int campaignCapacity, int redemptionCapacity) {
        this.campaigns = new CampaignTable(campaignCapacity, redemptionCapacity);
        return this;
    }

    /** Gives the SKU group table this capacity (default 4,096); call before any group is defined. */
    public HeapCheckoutState skuGroupCapacity(int groups) {
        this.skuGroups = new SkuGroupTable(groups, risk.attemptCounterCapacity());
        return this;
    }

    /**
     * Gives the risk tables these capacities (default 2^20 each), the SKU groups' attempt counters
     * too; call before any risk rule is set or group defined.
     */
    public HeapCheckoutState riskCapacities(int blocklist, int attemptCounters) {
        this.risk = new RiskTable(blocklist, attemptCounters);
        this.skuGroups = new SkuGroupTable(skuGroups.capacity(), attemptCounters);
        return this;
    }

    /** Sets the merchant table's capacity (default 65,536 rows). */
    public HeapCheckoutState merchantCapacity(int rows) {
        this.merchantCapacity = rows;
        return this;
    }

    @Override
    public long userUnits(IdBuffer userId, int skuIndex) {
        return userUnits.getOrDefault(userKey(userId.asString(), skuIndex), 0L);
    }

    @Override
    public void writeUserUnits(IdBuffer id, int skuIndex, long units) {
        String userId = id.asString();
        if (units == 0) {
            userUnits.remove(userKey(userId, skuIndex));
        } else {
            userUnits.put(userKey(userId, skuIndex), units);
        }
    }

    private static String userKey(String userId, int skuIndex) {
        return skuIndex + "/" + userId;
    }

    @Override
    public long userCounterCount() {
        return userUnits.size();
    }

    @Override
    public long userCounterCapacity() {
        return userCounterCapacity;
    }

    @Override
    public long orderCount() {
        return orders.size();
    }

    @Override
    public long orderCapacity() {
        return orderCapacity;
    }

    @Override
    public boolean readOrder(long orderId, OrderRecord into) {
        if (orderId < 1 || orderId > orders.size()) {
            return false;
        }
        into.copyFrom(orders.get((int) (orderId - 1)));
        return true;
    }

    @Override
    public void writeOrder(OrderRecord order) {
        OrderRecord copy = new OrderRecord();
        copy.copyFrom(order);
        OrderRecord before = order.orderId == orders.size() + 1L ? null : orders.get((int) (order.orderId - 1));
        if (before != null && before.hasPayment()) {
            // A recorded payment is kept whatever the record written says.
            copy.setPayment(before.paymentProvider, before.paymentId, before.paidAtEpochMillis);
        } else if (order.hasPayment()) {
            String key = paymentKey(order.paymentProvider, order.paymentId);
            if (payments.containsKey(key) || payments.size() >= paymentCapacity) {
                throw new IllegalStateException("payment " + key + " already recorded, or the table is full");
            }
            payments.put(key, order.orderId);
        }
        if (before == null) {
            orders.add(copy);
            String user = order.userId.asString();
            previousOfUser.add(lastOrderByUser.getOrDefault(user, 0L));
            lastOrderByUser.put(user, order.orderId);
        } else {
            orders.set((int) (order.orderId - 1), copy);
        }
    }

    @Override
    public long lastOrderOf(IdBuffer userId) {
        return lastOrderByUser.getOrDefault(userId.asString(), 0L);
    }

    @Override
    public long previousOrderOfUser(long orderId) {
        return orderId >= 1 && orderId <= orders.size() ? previousOfUser.get((int) (orderId - 1)) : 0;
    }

    private static String paymentKey(IdBuffer provider, IdBuffer paymentId) {
        return provider.asString() + " " + paymentId.asString();
    }

    @Override
    public long paymentOrder(IdBuffer provider, IdBuffer paymentId) {
        return payments.getOrDefault(paymentKey(provider, paymentId), 0L);
    }

    @Override
    public long paymentCount() {
        return payments.size();
    }

    @Override
    public long paymentCapacity() {
        return paymentCapacity;
    }

    @Override
    public boolean readOutcome(IdBuffer requestId, Outcome into) {
        Outcome outcome = outcomes.get(requestId.asString());
        if (outcome == null) {
            return false;
        }
        into.copyFrom(outcome);
        return true;
    }

    @Override
    public void writeOutcome(IdBuffer requestId, Outcome outcome) {
        Outcome copy = new Outcome();
        copy.copyFrom(outcome);
        outcomes.put(requestId.asString(), copy);
    }

    @Override
    public long outcomeCount() {
        return outcomes.size();
    }

    @Override
    public long outcomeCapacity() {
        return outcomeCapacity;
    }

    /** Forgets every answer older than the cutoff, oldest first: exact, for the tests' reference. */
    @Override
    public void forgetOutcomesBefore(long cutoffEpochMillis, long nowMillis) {
        Iterator<Outcome> oldestFirst = outcomes.values().iterator();
        while (oldestFirst.hasNext() && oldestFirst.next().atEpochMillis < cutoffEpochMillis) {
            oldestFirst.remove();
        }
    }

    @Override
    public void forEachUserUnits(UserUnitsVisitor visitor) {
        IdBuffer userId = new IdBuffer();
        userUnits.forEach((key, units) -> {
            int slash = key.indexOf('/');
            visitor.visit(userId.set(key.substring(slash + 1)), Integer.parseInt(key.substring(0, slash)), units);
        });
    }

    /** Oldest answer first: the order the answers were given in. */
    @Override
    public void forEachOutcome(OutcomeVisitor visitor) {
        IdBuffer requestId = new IdBuffer();
        outcomes.forEach((id, outcome) -> visitor.visit(requestId.set(id), outcome));
    }
}
