package io.checkout.state;

import io.checkout.engine.CampaignTable;
import io.checkout.engine.MerchantTable;
import io.checkout.engine.RiskTable;

/**
 * How much state there may be, and when its memory is taken. Each capacity is the most entries the
 * engine will put in a table; beyond it the caller gets a "table full" answer.
 *
 * @param paymentCapacity the most payments recorded on orders (each pays one order, and an order is
 *     paid at most once, so the order capacity is the most ever needed)
 * @param merchantCapacity the most rows of the merchant table: one per merchant and per change of a
 *     merchant's commission rate (at most {@link MerchantTable#ROWS_MAX}); small, taken as rows are added
 * @param blocklistCapacity the most users blocked at once
 * @param attemptCounterCapacity the most users whose reserve attempts are counted in one window of the
 *     attempt limit; both risk tables take memory as users are added (up to 64 bytes of id and 16 of
 *     index each), and the counters' is kept from window to window
 * @param skuGroupCapacity the most SKU groups (a few dozen bytes each, taken as groups are defined)
 * @param campaignCapacity the most campaigns (at most {@link CampaignTable#CAPACITY_MAX}; a few hundred
 *     bytes each, taken as campaigns are defined)
 * @param redemptionCapacity the most (user, campaign) pairs holding redemptions at once (about 100
 *     bytes each, taken as users redeem)
 * @param preallocated whether the live state allocates its tables for these capacities at start-up
 *     ({@link PackedCheckoutState}): a heap too small for them then fails the start, not a sale, and
 *     a reserve allocates nothing. Otherwise memory follows the rows written.
 */
public record StateCapacities(
        int skuCapacity,
        long orderCapacity,
        long userCounterCapacity,
        long outcomeCapacity,
        long paymentCapacity,
        int merchantCapacity,
        int blocklistCapacity,
        int attemptCounterCapacity,
        int skuGroupCapacity,
        int campaignCapacity,
        int redemptionCapacity,
        boolean preallocated) {

    /** The merchant capacity when none is configured. */
    public static final int MERCHANT_CAPACITY_DEFAULT = 65_536;
    /** The blocklist's and the attempt counters' capacities when none is configured. */
    public static final int RISK_CAPACITY_DEFAULT = 1 << 20;
    /** The SKU group capacity when none is configured. */
    public static final int SKU_GROUP_CAPACITY_DEFAULT = 4_096;
    /** The most SKU groups that may be configured. */
    public static final int SKU_GROUP_CAPACITY_MAX = 1 << 20;
    /** The campaign capacity when none is configured. */
    public static final int CAMPAIGN_CAPACITY_DEFAULT = 4_096;
    /** The redemption capacity when none is configured. */
    public static final int REDEMPTION_CAPACITY_DEFAULT = 1 << 20;

    public StateCapacities {
        if (skuCapacity < 1) {
            throw new IllegalArgumentException("skuCapacity must be positive: " + skuCapacity);
        }
        if (orderCapacity < 1) {
            throw new IllegalArgumentException("orderCapacity must be positive: " + orderCapacity);
        }
        if (userCounterCapacity < 1) {
            throw new IllegalArgumentException("userCounterCapacity must be positive: " + userCounterCapacity);
        }
        if (outcomeCapacity < 1) {
            throw new IllegalArgumentException("outcomeCapacity must be positive: " + outcomeCapacity);
        }
        if (paymentCapacity < 1 || paymentCapacity > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "paymentCapacity must be 1.." + (Integer.MAX_VALUE - 8) + ": " + paymentCapacity);
        }
        if (merchantCapacity < 1 || merchantCapacity > MerchantTable.ROWS_MAX) {
            throw new IllegalArgumentException(
                    "merchantCapacity must be 1.." + MerchantTable.ROWS_MAX + ": " + merchantCapacity);
        }
        if (blocklistCapacity < 1 || blocklistCapacity > RiskTable.CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "blocklistCapacity must be 1.." + RiskTable.CAPACITY_MAX + ": " + blocklistCapacity);
        }
        if (attemptCounterCapacity < 1 || attemptCounterCapacity > RiskTable.CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "attemptCounterCapacity must be 1.." + RiskTable.CAPACITY_MAX + ": " + attemptCounterCapacity);
        }
        if (skuGroupCapacity < 1 || skuGroupCapacity > SKU_GROUP_CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "skuGroupCapacity must be 1.." + SKU_GROUP_CAPACITY_MAX + ": " + skuGroupCapacity);
        }
        if (campaignCapacity < 1 || campaignCapacity > CampaignTable.CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "campaignCapacity must be 1.." + CampaignTable.CAPACITY_MAX + ": " + campaignCapacity);
        }
        if (redemptionCapacity < 1 || redemptionCapacity > CampaignTable.REDEMPTION_CAPACITY_MAX) {
            throw new IllegalArgumentException("redemptionCapacity must be 1.." + CampaignTable.REDEMPTION_CAPACITY_MAX
                    + ": " + redemptionCapacity);
        }
    }

    /** Capacities with the default risk-table capacities. */
    public StateCapacities(
            int skuCapacity,
            long orderCapacity,
            long userCounterCapacity,
            long outcomeCapacity,
            long paymentCapacity,
            int merchantCapacity,
            boolean preallocated) {
        this(
                skuCapacity,
                orderCapacity,
                userCounterCapacity,
                outcomeCapacity,
                paymentCapacity,
                merchantCapacity,
                RISK_CAPACITY_DEFAULT,
                RISK_CAPACITY_DEFAULT,
                SKU_GROUP_CAPACITY_DEFAULT,
                CAMPAIGN_CAPACITY_DEFAULT,
                REDEMPTION_CAPACITY_DEFAULT,
                preallocated);
    }

    /** Capacities with the default merchant capacity. */
    public StateCapacities(
            int skuCapacity,
            long orderCapacity,
            long userCounterCapacity,
            long outcomeCapacity,
            long paymentCapacity,
            boolean preallocated) {
        this(
                skuCapacity,
                orderCapacity,
                userCounterCapacity,
                outcomeCapacity,
                paymentCapacity,
                MERCHANT_CAPACITY_DEFAULT,
                preallocated);
    }

    /** Capacities whose memory follows the rows written, with room for a payment on every order. */
    public StateCapacities(int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {
        this(skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, false);
    }

    /** Capacities with room for a payment on every order. */
    public StateCapacities(
            int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity, boolean preallocated) {
        this(
                skuCapacity,
                orderCapacity,
                userCounterCapacity,
                outcomeCapacity,
                Math.min(orderCapacity, Integer.MAX_VALUE - 8),
                preallocated);
    }

    /** The same capacities with room for {@code counters} users in each attempt limit's counters. */
    public StateCapacities withAttemptCounterCapacity(int counters) {
        return new StateCapacities(
                skuCapacity,
                orderCapacity,
                userCounterCapacity,
                outcomeCapacity,
                paymentCapacity,
                merchantCapacity,
                blocklistCapacity,
                counters,
                skuGroupCapacity,
                campaignCapacity,
                redemptionCapacity,
                preallocated);
    }

    /** The same capacities, memory taken as rows are written: for a transient copy of the state. */
    public StateCapacities onDemand() {
        return new StateCapacities(
                skuCapacity,
                orderCapacity,
                userCounterCapacity,
                outcomeCapacity,
                paymentCapacity,
                merchantCapacity,
                blocklistCapacity,
                attemptCounterCapacity,
                skuGroupCapacity,
                campaignCapacity,
                redemptionCapacity,
                false);
    }
}
