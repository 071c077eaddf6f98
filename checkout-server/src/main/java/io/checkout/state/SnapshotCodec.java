package io.checkout.state;

import io.checkout.engine.CampaignTable;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.MerchantTable;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.RiskTable;
import io.checkout.engine.SkuGroupTable;
import io.checkout.engine.SkuRecord;
import java.util.function.Consumer;

/**
 * Turns a state into a stream of records and back: the one definition of what a snapshot holds,
 * whatever stores the stream (Chronicle Map files here, a replicated log's snapshot elsewhere).
 */
public final class SnapshotCodec {
    private SnapshotCodec() {}

    /** Streams every table of {@code from} into {@code into}, in {@link SnapshotSink}'s order. */
    public static void write(CheckoutState from, SnapshotSink into) {
        writeSmallTablesBefore(from, into, sink -> writeSkus(from, sink));
        writeLargeTables(from, into);
        writeSmallTablesAfter(from, into);
    }

    /**
     * Streams every table but the large ones (orders, users' units, remembered answers), in
     * {@link SnapshotSink}'s order: for a store that keeps the large tables another way (a
     * {@link PackedCheckoutState}'s image).
     */
    static void writeSmallTables(CheckoutState from, SnapshotSink into) {
        writeSmallTables(from, into, sink -> writeSkus(from, sink));
    }

    /**
     * As {@link #writeSmallTables(CheckoutState, SnapshotSink)}, with {@code skus} called in place
     * of streaming the SKUs: for a store that holds them another way ({@link FrozenSnapshot}).
     */
    static void writeSmallTables(CheckoutState from, SnapshotSink into, Consumer<SnapshotSink> skus) {
        writeSmallTablesBefore(from, into, skus);
        writeSmallTablesAfter(from, into);
    }

    /** Merchants, SKU groups, SKUs ({@code skus}) and campaigns: what the large tables' records refer to. */
    private static void writeSmallTablesBefore(CheckoutState from, SnapshotSink into, Consumer<SnapshotSink> skus) {
        MerchantTable merchants = from.merchants();
        for (int row = 0; row < merchants.rowCount(); row++) {
            into.merchantRow(
                    row,
                    merchants.merchantId(merchants.rowMerchant(row)),
                    merchants.rowCommissionBps(row),
                    merchants.rowSinceEpochMillis(row));
        }
        SkuGroupTable groups = from.skuGroups();
        for (int number = 0; number < groups.size(); number++) {
            into.skuGroup(
                    number,
                    groups.groupId(number),
                    groups.perUserLimit(number),
                    groups.maxAttempts(number),
                    groups.attemptWindowMillis(number));
        }
        for (int number = 0; number < groups.size(); number++) {
            for (int row = 0; row < groups.countedCount(number); row++) {
                into.groupAttempts(
                        number,
                        groups.countedWindow(number),
                        groups.countedUser(number, row),
                        groups.countedAttempts(number, row));
            }
        }
        skus.accept(into);
        CampaignTable campaigns = from.campaigns();
        for (int number = 0; number < campaigns.size(); number++) {
            into.campaign(number, campaigns.terms(number));
        }
    }

    private static void writeSkus(CheckoutState from, SnapshotSink into) {
        SkuRecord sku = new SkuRecord();
        for (int index = 0; index < from.skuCount(); index++) {
            from.readSku(index, sku);
            into.sku(sku);
        }
    }

    /** Orders, users' units and remembered answers, in {@link SnapshotSink}'s order. */
    static void writeLargeTables(CheckoutState from, SnapshotSink into) {
        OrderRecord order = new OrderRecord();
        for (long orderId = 1; orderId <= from.orderCount(); orderId++) {
            if (!from.readOrder(orderId, order)) {
                throw new IllegalStateException("the state misses order " + orderId + " of " + from.orderCount());
            }
            into.order(order);
        }
        from.forEachUserUnits(into::userUnits);
        from.forEachOutcome(into::outcome);
    }

    /** The risk rule and what it counts. */
    private static void writeSmallTablesAfter(CheckoutState from, SnapshotSink into) {
        RiskTable risk = from.risk();
        into.riskRule(risk.maxAttempts(), risk.windowMillis(), risk.countedWindow());
        for (int row = 0; row < risk.blockedCount(); row++) {
            into.blockedUser(risk.blockedUser(row));
        }
        for (int row = 0; row < risk.countedCount(); row++) {
            into.attempts(risk.countedUser(row), risk.countedAttempts(row));
        }
    }

    /**
     * A sink that fills {@code into}, which must be empty. It refuses a stream that is out of
     * order, not dense, or larger than the state's capacities, so a damaged or foreign snapshot
     * stops the start instead of becoming the live state.
     */
    public static SnapshotSink loaderInto(CheckoutState into) {
        if (into.skuCount() != 0
                || into.merchants().rowCount() != 0
                || into.skuGroups().size() != 0
                || into.campaigns().size() != 0
                || into.orderCount() != 0
                || into.userCounterCount() != 0
                || into.outcomeCount() != 0
                || into.risk().active()) {
            throw new IllegalArgumentException("a snapshot loads only into an empty state");
        }
        return new Loader(into);
    }

    private static final class Loader implements SnapshotSink {
        private final CheckoutState state;
        /** The id being loaded, as the state takes it. */
        private final IdBuffer id = new IdBuffer();

        private long lastOutcomeAtMillis = Long.MIN_VALUE;
        /** The window the snapshot's attempt counts belong to. */
        private long countedWindow = Long.MIN_VALUE;

        Loader(CheckoutState state) {
            this.state = state;
        }

        @Override
        public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
            MerchantTable merchants = state.merchants();
            if (row != merchants.rowCount()) {
                throw new IllegalStateException(
                        "snapshot merchant row " + row + " follows row " + (merchants.rowCount() - 1));
            }
            requireRoom("merchant rows", merchants.rowCount(), state.merchantCapacity());
            if (merchantId == null
                    || !id.set(merchantId).isSkuId(EngineLimits.ID_LENGTH_MAX)
                    || commissionBps < 0
                    || commissionBps > MerchantTable.COMMISSION_BPS_MAX) {
                throw new IllegalStateException("snapshot merchant row " + row + " is invalid: " + merchantId + " at "
                        + commissionBps + " bps");
            }
            merchants.append(merchantId, commissionBps, sinceEpochMillis);
        }

        @Override
        public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
            SkuGroupTable groups = state.skuGroups();
            if (number != groups.size()) {
                throw new IllegalStateException(
                        "snapshot SKU group " + number + " follows group " + (groups.size() - 1));
            }
            requireRoom("SKU groups", groups.size(), groups.capacity());
            if (groupId == null
                    || !id.set(groupId).isSkuId(EngineLimits.ID_LENGTH_MAX)
                    || groups.numberOf(id) >= 0
                    || perUserLimit < 1
                    || perUserLimit > SkuGroupTable.PER_USER_LIMIT_MAX) {
                throw new IllegalStateException(
                        "snapshot SKU group " + number + " is invalid: " + groupId + " limit " + perUserLimit);
            }
            if (RiskTable.invalidRule(maxAttempts, windowMillis) != null) {
                throw new IllegalStateException("snapshot SKU group " + groupId + " has an invalid attempt limit: "
                        + maxAttempts + " per " + windowMillis + " ms");
            }
            groups.setAttemptLimit(groups.upsert(groupId, perUserLimit), maxAttempts, windowMillis);
        }

        @Override
        public void groupAttempts(int number, long countedWindow, String userId, int count) {
            SkuGroupTable groups = state.skuGroups();
            if (number < 0 || number >= groups.size()) {
                throw new IllegalStateException(
                        "snapshot counts attempts in SKU group " + number + " of " + groups.size());
            }
            requireUserId(userId, "counts attempts in SKU group " + groups.groupId(number) + " of");
            requireRoom(
                    "users counted by SKU groups' attempt limits",
                    groups.attemptRows(),
                    groups.attemptCounterCapacity());
            if (countedWindow == Long.MIN_VALUE) {
                throw new IllegalStateException("snapshot counts attempts of " + userId + " in SKU group "
                        + groups.groupId(number) + " in no window");
            }
            groups.restoreAttempts(number, countedWindow, userId, count);
        }

        @Override
        public void sku(SkuRecord sku) {
            if (sku.index != state.skuCount()) {
                throw new IllegalStateException(
                        "snapshot SKU " + sku.skuId + " has index " + sku.index + ", expected " + state.skuCount());
            }
            requireRoom("SKUs", state.skuCount(), state.skuCapacity());
            sku.merchantNumber = sku.merchantId == null ? -1 : state.merchants().numberOf(sku.merchantId);
            if (sku.merchantId != null && sku.merchantNumber < 0) {
                throw new IllegalStateException(
                        "snapshot SKU " + sku.skuId + " names merchant " + sku.merchantId + ", which it does not hold");
            }
            sku.groupNumber = sku.groupId == null ? -1 : state.skuGroups().numberOf(sku.groupId);
            if (sku.groupId != null && sku.groupNumber < 0) {
                throw new IllegalStateException(
                        "snapshot SKU " + sku.skuId + " names group " + sku.groupId + ", which it does not hold");
            }
            if (sku.groupNumber >= 0) {
                if (!state.skuGroups().hasRoom(sku.groupNumber)) {
                    throw new IllegalStateException(
                            "snapshot group " + sku.groupId + " holds more than " + SkuGroupTable.SKUS_MAX + " SKUs");
                }
                state.skuGroups().join(sku.groupNumber, sku.index);
            }
            state.writeSku(sku);
        }

        @Override
        public void campaign(int number, CampaignTerms terms) {
            CampaignTable campaigns = state.campaigns();
            if (number != campaigns.size()) {
                throw new IllegalStateException(
                        "snapshot campaign " + number + " follows campaign " + (campaigns.size() - 1));
            }
            requireRoom("campaigns", campaigns.size(), campaigns.capacity());
            if (terms.campaignId == null
                    || !id.set(terms.campaignId).isSkuId(EngineLimits.ID_LENGTH_MAX)
                    || campaigns.numberOf(id) >= 0) {
                throw new IllegalStateException(
                        "snapshot campaign " + number + " has an invalid or repeated id: " + terms.campaignId);
            }
            ResultCode invalid = terms.merchantId == null
                    ? ResultCode.CAMPAIGN_MERCHANT_ID_INVALID
                    : terms.invalid(EngineLimits.ID_LENGTH_MAX);
            if (invalid != null) {
                throw new IllegalStateException(
                        "snapshot campaign " + terms.campaignId + " is invalid (" + invalid + "): " + terms);
            }
            // What it names resolves as the engine resolved it: SKUs and merchants were loaded first.
            int merchantNumber = -1;
            if (!terms.merchantId.isEmpty()) {
                merchantNumber = state.merchants().numberOf(terms.merchantId);
                if (merchantNumber < 0) {
                    throw new IllegalStateException("snapshot campaign " + terms.campaignId + " names merchant "
                            + terms.merchantId + ", which it does not hold");
                }
            }
            int[] listed = new int[terms.skuIds.size()];
            for (int i = 0; i < listed.length; i++) {
                listed[i] = state.skuIndex(terms.skuIds.get(i));
                if (listed[i] == CheckoutState.MISSING_SKU) {
                    throw new IllegalStateException("snapshot campaign " + terms.campaignId + " names SKU "
                            + terms.skuIds.get(i) + ", which it does not hold");
                }
            }
            campaigns.upsert(terms, merchantNumber, listed);
        }

        @Override
        public void order(OrderRecord order) {
            if (order.orderId != state.orderCount() + 1) {
                throw new IllegalStateException(
                        "snapshot order " + order.orderId + " follows order " + state.orderCount());
            }
            requireRoom("orders", state.orderCount(), state.orderCapacity());
            for (int i = 0; i < order.lineCount; i++) {
                if (!knownSku(order.skuIndexes[i])) {
                    throw unknownSku(order.skuIndexes[i], "order " + order.orderId);
                }
                if (order.quantities[i] < 1 || order.quantities[i] > EngineLimits.QUANTITY_PER_LINE_MAX) {
                    throw new IllegalStateException(
                            "snapshot order " + order.orderId + " has " + order.quantities[i] + " units on a line");
                }
                if (order.merchantRow(i) < 0
                        || order.merchantRow(i) > state.merchants().rowCount()) {
                    throw new IllegalStateException(
                            "snapshot order " + order.orderId + " names merchant row " + (order.merchantRow(i) - 1)
                                    + " of " + state.merchants().rowCount());
                }
            }
            requireConsistentCampaign(order);
            if (order.hasPayment()) {
                requireRoom("payments", state.paymentCount(), state.paymentCapacity());
                if (state.paymentOrder(order.paymentProvider, order.paymentId) != 0) {
                    throw new IllegalStateException("snapshot order " + order.orderId + " has payment "
                            + order.paymentProvider + "/" + order.paymentId + " of another order");
                }
            }
            state.writeOrder(order);
        }

        @Override
        public void userUnits(IdBuffer userId, int skuIndex, long units) {
            if (!knownSku(skuIndex)) {
                throw unknownSku(skuIndex, "the units of user " + userId);
            }
            requireRoom("per-user counters", state.userCounterCount(), state.userCounterCapacity());
            state.writeUserUnits(userId, skuIndex, units);
        }

        @Override
        public void comingUp(IdBuffer requestId, IdBuffer userId) {
            state.prefetch(requestId, userId);
        }

        @Override
        public void outcome(IdBuffer requestId, Outcome outcome) {
            if (outcome.atEpochMillis < lastOutcomeAtMillis) {
                throw new IllegalStateException("snapshot answers out of time order at request id " + requestId);
            }
            requireRoom("remembered answers", state.outcomeCount(), state.outcomeCapacity());
            lastOutcomeAtMillis = outcome.atEpochMillis;
            state.writeOutcome(requestId, outcome);
        }

        @Override
        public void riskRule(int maxAttempts, long windowMillis, long window) {
            if (RiskTable.invalidRule(maxAttempts, windowMillis) != null) {
                throw new IllegalStateException(
                        "snapshot attempt limit is invalid: " + maxAttempts + " per " + windowMillis + " ms");
            }
            state.risk().setRule(maxAttempts, windowMillis);
            countedWindow = window;
        }

        @Override
        public void blockedUser(String userId) {
            RiskTable risk = state.risk();
            requireUserId(userId, "blocks");
            requireRoom("blocked users", risk.blockedCount(), risk.blocklistCapacity());
            if (risk.isBlocked(id)) {
                throw new IllegalStateException("snapshot blocks user " + userId + " twice");
            }
            risk.block(id);
        }

        @Override
        public void attempts(String userId, int count) {
            RiskTable risk = state.risk();
            requireUserId(userId, "counts attempts of");
            requireRoom("users with counted attempts", risk.countedCount(), risk.attemptCounterCapacity());
            if (countedWindow == Long.MIN_VALUE) {
                throw new IllegalStateException("snapshot counts attempts of " + userId + " in no window");
            }
            risk.restoreAttempts(countedWindow, userId, count);
        }

        /**
         * Refuses an order whose campaign the snapshot does not hold, or whose discount does not
         * add up: none without a campaign; with one, above 0, at most the eligible lines' gross (a
         * line bit for each, none past the last line), and the amount is the gross less it.
         */
        private void requireConsistentCampaign(OrderRecord order) {
            int campaign = order.campaignNumber;
            if (campaign < 0) {
                if (campaign != -1 || order.discountMinor != 0 || order.eligibleLines != 0) {
                    throw new IllegalStateException("snapshot order " + order.orderId + " has a discount of "
                            + order.discountMinor + " without a campaign (" + campaign + ")");
                }
                return;
            }
            if (campaign >= state.campaigns().size()) {
                throw new IllegalStateException("snapshot order " + order.orderId + " names campaign " + campaign
                        + " of " + state.campaigns().size());
            }
            long gross = 0;
            long eligibleGross = 0;
            for (int i = 0; i < order.lineCount; i++) {
                long line = order.quantities[i] * order.unitPricesMinor[i];
                gross += line;
                eligibleGross += order.isEligible(i) ? line : 0;
            }
            boolean pastLastLine = order.lineCount < Long.SIZE && (order.eligibleLines >>> order.lineCount) != 0;
            if (pastLastLine
                    || order.discountMinor < 1
                    || order.discountMinor > eligibleGross
                    || order.amountMinor != gross - order.discountMinor) {
                throw new IllegalStateException("snapshot order " + order.orderId + " has a discount of "
                        + order.discountMinor + " on lines " + Long.toBinaryString(order.eligibleLines)
                        + " that does not add up to its amount " + order.amountMinor + " of " + gross);
            }
        }

        /** Puts {@code userId} in {@link #id}, refusing a snapshot whose id no request could have made. */
        private void requireUserId(String userId, String what) {
            if (userId == null || !id.set(userId).isPrintable(EngineLimits.ID_LENGTH_MAX)) {
                throw new IllegalStateException("snapshot " + what + " an invalid user id: " + userId);
            }
        }

        private boolean knownSku(int skuIndex) {
            return skuIndex >= 0 && skuIndex < state.skuCount();
        }

        /** The error for {@code holder} naming an unknown SKU: built only then, not a text a record. */
        private IllegalStateException unknownSku(int skuIndex, String holder) {
            return new IllegalStateException(
                    "snapshot: " + holder + " names SKU index " + skuIndex + " of " + state.skuCount());
        }

        private static void requireRoom(String table, long count, long capacity) {
            if (count >= capacity) {
                throw new IllegalStateException("the snapshot holds more " + table + " than the configured capacity of "
                        + capacity + "; raise the capacity to load it");
            }
        }
    }
}
