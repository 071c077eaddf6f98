package io.checkout.loadgen;

import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.function.LongToIntFunction;

/**
 * {@code coupon}: the audit's checks of the campaign, added to the usual ones. Each partition
 * holding the campaign keeps its own budget and per-user limit, so each is checked per partition.
 * <ul>
 *   <li>budget never exceeded on the server: {@code GetCampaign.redeemed <= budget};</li>
 *   <li>the run's orders holding the campaign (reserved or paid, refunded ones too, as the usual
 *       audit's {@code GetOrder} of every order the run made found them) are exactly {@code
 *       redeemed}, when the run made all of them and knows every outcome;</li>
 *   <li>budget never exceeded as the run saw it: at every RESERVED answer naming the campaign, the
 *       answers so far less the cancels sent and the reservations sent a TTL or more before ({@code
 *       CouponTally.peakHeld});</li>
 *   <li>no user past the per-user limit: held orders with the campaign per user, and {@code redeemed
 *       <= per_user_limit x redeeming_users};</li>
 *   <li>discounts add up on every order read: the lines' discounts sum to the order's, gross less
 *       discount is the amount, discount + commission + net is each line's gross, the discount is at
 *       most the eligible gross and what the terms give it, and the RESERVED answer said the same
 *       discount and amount;</li>
 *   <li>the campaign's refusals were the ones its terms give: never CAMPAIGN_UNKNOWN nor
 *       CAMPAIGN_NOT_ACTIVE (it was defined and open), CAMPAIGN_NOT_APPLICABLE exactly when the run's
 *       orders do not qualify, no campaign refusal without the campaign;</li>
 *   <li>the budget ran out (CAMPAIGN_BUDGET_EXHAUSTED answered): a WARN if not, not a failure.</li>
 * </ul>
 */
final class CouponAudit {

    /** Orders named in a check's detail; the count covers the rest. */
    private static final int EXAMPLES_MAX = 3;

    private CouponAudit() {}

    /**
     * What the usual audit's {@code GetOrder} of every order the run made found about the campaign,
     * folded order by order as the reads come in (from several threads).
     */
    static final class OrderReads implements BiConsumer<Ledger.Ack, Order> {
        private final CouponTally tally;
        /** The campaign as setup defined it, by partition: what it applies to. */
        private final Map<Integer, Campaign> defined;

        private final LongToIntFunction partitionOfOrder;
        private final LongSupplier clock;

        private long ordersRead;
        private long campaignOrdersRead;
        private long mismatchCount;
        private final List<String> mismatches = new ArrayList<>();
        /** Orders holding a redemption, by partition. */
        private final Map<Integer, Long> heldByPartition = new TreeMap<>();
        /** Orders holding a redemption, by partition and user. */
        private final Map<String, Long> heldByUser = new HashMap<>();
        /** Held reservations due to expire around the read, which may be given back before GetCampaign. */
        private long expiringHeld;

        /**
         * @param tally the run's answers, after setup defined the campaign
         * @param partitionOfOrder the partition an order id names
         * @param clock wall time of a read, epoch millis
         */
        OrderReads(CouponTally tally, LongToIntFunction partitionOfOrder, LongSupplier clock) {
            this.tally = tally;
            this.defined = tally.defined();
            this.partitionOfOrder = partitionOfOrder;
            this.clock = clock;
        }

        /** Whether a state holds a redemption: reserved or paid, refunded ones too. */
        static boolean holdsRedemption(OrderState state) {
            return switch (state) {
                case ORDER_STATE_RESERVED, ORDER_STATE_PAID, ORDER_STATE_REFUNDED, ORDER_STATE_PARTLY_REFUNDED -> true;
                default -> false;
            };
        }

        @Override
        public synchronized void accept(Ledger.Ack ack, Order order) {
            ordersRead++;
            int partition = partitionOfOrder.applyAsInt(order.getOrderId());
            Campaign campaign = defined.get(partition);
            long gross = 0;
            long lineDiscounts = 0;
            long eligible = 0;
            for (OrderLine line : order.getLinesList()) {
                String where = "order " + order.getOrderId() + " line " + line.getSkuId() + ": ";
                if (line.getGrossMinor() != line.getQuantity() * line.getUnitPriceMinor()) {
                    mismatch(where + "gross " + line.getGrossMinor() + " != " + line.getQuantity() + " x "
                            + line.getUnitPriceMinor());
                }
                if (line.getDiscountMinor() < 0 || line.getDiscountMinor() > line.getGrossMinor()) {
                    mismatch(where + "discount " + line.getDiscountMinor() + " outside 0.." + line.getGrossMinor());
                }
                if (line.getDiscountMinor() + line.getCommissionMinor() + line.getNetMinor() != line.getGrossMinor()) {
                    mismatch(where + "discount " + line.getDiscountMinor() + " + commission "
                            + line.getCommissionMinor() + " + net " + line.getNetMinor() + " != gross "
                            + line.getGrossMinor());
                }
                gross += line.getGrossMinor();
                lineDiscounts += line.getDiscountMinor();
                if (campaign != null
                        && (campaign.getSkuIdsCount() == 0
                                || campaign.getSkuIdsList().contains(line.getSkuId()))) {
                    eligible += line.getGrossMinor();
                }
            }
            String where = "order " + order.getOrderId() + ": ";
            if (order.getDiscountMinor() != lineDiscounts) {
                mismatch(where + "discount " + order.getDiscountMinor() + " != its lines' " + lineDiscounts);
            }
            if (gross - order.getDiscountMinor() != order.getAmountMinor()) {
                mismatch(where + "gross " + gross + " - discount " + order.getDiscountMinor() + " != amount "
                        + order.getAmountMinor());
            }
            CouponTally.Redemption redemption = tally.redemption(order.getOrderId());
            if (!order.getCampaignId().equals(tally.campaignId())) {
                if (!order.getCampaignId().isEmpty()) {
                    mismatch(where + "carries campaign " + order.getCampaignId() + ", not the run's");
                }
                if (order.getDiscountMinor() != 0) {
                    mismatch(where + "no campaign, but a discount of " + order.getDiscountMinor());
                }
                if (redemption != null) {
                    mismatch(where + "was RESERVED naming the campaign, but has none on the server");
                }
                return;
            }
            campaignOrdersRead++;
            if (order.getDiscountMinor() > eligible) {
                mismatch(where + "discount " + order.getDiscountMinor() + " > eligible gross " + eligible);
            }
            long expected = tally.coupon().discountMinor(eligible);
            if (order.getDiscountMinor() != expected) {
                mismatch(where + "discount " + order.getDiscountMinor() + ", the terms give " + expected + " off "
                        + eligible);
            }
            if (redemption == null) {
                if (tally.untracked() == 0) {
                    mismatch(where + "carries the campaign, but its reserve did not name it");
                }
            } else if (redemption.discountMinor != order.getDiscountMinor()
                    || redemption.amountMinor != order.getAmountMinor()) {
                mismatch(where + "answered discount " + redemption.discountMinor + ", amount " + redemption.amountMinor
                        + "; the order has " + order.getDiscountMinor() + ", " + order.getAmountMinor());
            }
            if (holdsRedemption(order.getState())) {
                heldByPartition.merge(partition, 1L, Long::sum);
                heldByUser.merge(partition + "\u0000" + order.getUserId(), 1L, Long::sum);
                if (order.getState() == OrderState.ORDER_STATE_RESERVED
                        && order.getExpiresAtEpochMillis() <= clock.getAsLong() + CouponTally.EXPIRY_SLACK_MILLIS) {
                    expiringHeld++;
                }
            }
        }

        private void mismatch(String what) {
            mismatchCount++;
            if (mismatches.size() < EXAMPLES_MAX) {
                mismatches.add(what);
            }
        }

        synchronized long ordersRead() {
            return ordersRead;
        }

        synchronized long campaignOrdersRead() {
            return campaignOrdersRead;
        }

        synchronized long mismatchCount() {
            return mismatchCount;
        }

        synchronized List<String> mismatches() {
            return List.copyOf(mismatches);
        }

        synchronized long held(int partition) {
            return heldByPartition.getOrDefault(partition, 0L);
        }

        synchronized long heldTotal() {
            return heldByPartition.values().stream().mapToLong(Long::longValue).sum();
        }

        synchronized long expiringHeld() {
            return expiringHeld;
        }

        /** The users holding a redemption, as "partition\0user" -> how many. */
        synchronized Map<String, Long> heldByUser() {
            return Map.copyOf(heldByUser);
        }
    }

    /**
     * @param reads what the usual audit's reads of the run's orders found
     * @param inexact why the run cannot know every redemption it holds (calls without an answer,
     *     orders not remembered), or null when it can
     */
    static List<Audit.Check> checks(CouponTally tally, OrderReads reads, String inexact) {
        List<Audit.Check> checks = new ArrayList<>();
        checks.add(budgetOnServer(tally));
        checks.add(heldEqualsRedeemed(tally, reads, inexact));
        checks.add(budgetAsSeen(tally));
        checks.add(perUser(tally, reads));
        checks.add(discounts(tally, reads));
        checks.add(refusals(tally));
        checks.add(budgetExhausted(tally));
        return List.copyOf(checks);
    }

    static Audit.Check budgetOnServer(CouponTally tally) {
        String name = "campaign budget never exceeded: GetCampaign.redeemed <= budget";
        Map<Integer, Campaign> read = tally.atAudit();
        List<String> over = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        for (Map.Entry<Integer, Campaign> part : read.entrySet()) {
            Campaign campaign = part.getValue();
            String figures = String.format(
                    Locale.ROOT,
                    "redeemed %,d of budget %,d by %,d user(s)",
                    campaign.getRedeemed(),
                    campaign.getBudget(),
                    campaign.getRedeemingUsers());
            String named = read.size() > 1 ? "partition " + part.getKey() + ": " + figures : figures;
            parts.add(named);
            if (campaign.getRedeemed() > campaign.getBudget() || campaign.getRedeemed() < 0) {
                over.add(named);
            }
        }
        if (read.isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "the campaign was not defined or not read");
        }
        return check(name, over.isEmpty(), over.isEmpty() ? String.join("; ", parts) : "over: " + examples(over));
    }

    static Audit.Check heldEqualsRedeemed(CouponTally tally, OrderReads reads, String inexact) {
        String name = "the run's orders holding the campaign (reserved or paid) == GetCampaign.redeemed";
        Map<Integer, Campaign> read = tally.atAudit();
        if (read.isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "the campaign was not defined or not read");
        }
        if (inexact != null) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, inexact);
        }
        long unread = tally.redemptions().size() - reads.campaignOrdersRead();
        if (unread > 0) {
            return new Audit.Check(
                    name, Audit.Verdict.SKIPPED, unread + " orders that redeemed the campaign could not be read");
        }
        List<String> differ = new ArrayList<>();
        // Reservations may expire between the order reads and GetCampaign, so redeemed may be short of
        // the orders read by as many as were due to expire then; never over.
        long shortOf = 0;
        boolean serverHoldsMore = false;
        long held = 0;
        long redeemed = 0;
        for (Map.Entry<Integer, Campaign> part : read.entrySet()) {
            long partHeld = reads.held(part.getKey());
            long partRedeemed = part.getValue().getRedeemed();
            held += partHeld;
            redeemed += partRedeemed;
            if (partHeld != partRedeemed) {
                differ.add((read.size() > 1 ? "partition " + part.getKey() + ": " : "") + partHeld
                        + " orders hold it, redeemed " + partRedeemed);
                serverHoldsMore |= partRedeemed > partHeld;
                shortOf += Math.max(0, partHeld - partRedeemed);
            }
        }
        String figures = String.format(
                Locale.ROOT,
                "%,d of the run's %,d orders with the campaign hold a redemption, GetCampaign.redeemed %,d",
                held,
                reads.campaignOrdersRead(),
                redeemed);
        if (differ.isEmpty()) {
            return check(name, true, figures);
        }
        if (!serverHoldsMore && shortOf <= reads.expiringHeld()) {
            return new Audit.Check(
                    name,
                    Audit.Verdict.SKIPPED,
                    figures + "; " + reads.expiringHeld() + " of those reservations were due to expire as the audit"
                            + " read them, which gives their redemptions back");
        }
        return check(name, false, figures + "; " + examples(differ));
    }

    static Audit.Check budgetAsSeen(CouponTally tally) {
        String name = "the run's count of redemptions held never exceeded the budget";
        Map<Integer, Campaign> defined = tally.defined();
        if (defined.isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "the campaign was not defined");
        }
        List<String> over = new ArrayList<>();
        long peak = 0;
        for (Map.Entry<Integer, Campaign> part : defined.entrySet()) {
            long partPeak = tally.peakHeld(part.getKey());
            peak = Math.max(peak, partPeak);
            if (partPeak > part.getValue().getBudget()) {
                over.add((defined.size() > 1 ? "partition " + part.getKey() + ": " : "") + partPeak + " > "
                        + part.getValue().getBudget());
            }
        }
        String rule = String.format(
                Locale.ROOT,
                "at each of the %,d RESERVED answers naming the campaign%s, the answers so far less the %,d cancels"
                        + " of them sent so far and the reservations sent a TTL or more before peaked at %,d of budget"
                        + " %,d%s",
                tally.count(true, CouponTally.Count.RESERVED),
                tally.untracked() > 0 ? " (the first " + tally.redemptions().size() + " remembered)" : "",
                tally.cancelsSent(),
                peak,
                tally.coupon().budget(),
                defined.size() > 1 ? " on one partition" : "");
        return check(name, over.isEmpty(), over.isEmpty() ? rule : "over: " + examples(over) + "; " + rule);
    }

    static Audit.Check perUser(CouponTally tally, OrderReads reads) {
        String name = "no user past the per-user redemption limit";
        long limit = tally.coupon().perUserLimit();
        List<String> over = new ArrayList<>();
        long most = 0;
        Map<String, Long> byUser = reads.heldByUser();
        for (Map.Entry<String, Long> user : byUser.entrySet()) {
            most = Math.max(most, user.getValue());
            if (user.getValue() > limit) {
                String[] partitionAndUser = user.getKey().split("\u0000", 2);
                over.add(partitionAndUser[1] + " holds " + user.getValue()
                        + (tally.defined().size() > 1 ? " on partition " + partitionAndUser[0] : ""));
            }
        }
        for (Map.Entry<Integer, Campaign> part : tally.atAudit().entrySet()) {
            Campaign campaign = part.getValue();
            if (campaign.getRedeemed() > campaign.getPerUserLimit() * campaign.getRedeemingUsers()) {
                over.add("GetCampaign" + (tally.atAudit().size() > 1 ? " on partition " + part.getKey() : "")
                        + ": redeemed " + campaign.getRedeemed() + " by " + campaign.getRedeemingUsers()
                        + " user(s), more than " + campaign.getPerUserLimit() + " each");
            }
        }
        String figures = String.format(
                Locale.ROOT,
                "%,d user(s) hold redemptions in the run's orders, the most %,d (limit %,d); GetCampaign redeemed"
                        + " %,d by %,d user(s)",
                byUser.size(),
                most,
                limit,
                Math.max(0, tally.redeemedAtAudit()),
                Math.max(0, tally.redeemingUsersAtAudit()));
        return check(name, over.isEmpty(), over.isEmpty() ? figures : "over: " + examples(over) + "; " + figures);
    }

    static Audit.Check discounts(CouponTally tally, OrderReads reads) {
        String name = "discounts add up on every order read and agree with the answers";
        long wrong = reads.mismatchCount() + tally.replyMismatches();
        List<String> examples = new ArrayList<>(tally.replyExamples());
        examples.addAll(reads.mismatches());
        String figures = String.format(
                Locale.ROOT,
                "%,d orders read (%,d with the campaign): lines' discounts sum to the order's, gross - discount =="
                        + " amount, discount + commission + net == gross on every line, discount <= eligible gross"
                        + " and what the terms give (%,d off %,d), the RESERVED answer's discount and amount the"
                        + " order's",
                reads.ordersRead(),
                reads.campaignOrdersRead(),
                tally.expectedDiscountMinor(),
                tally.orderGrossMinor());
        return check(
                name,
                wrong == 0,
                wrong == 0 ? figures : wrong + " disagree, e.g. " + examples(examples) + "; " + figures);
    }

    static Audit.Check refusals(CouponTally tally) {
        String name = "the campaign's refusals were the ones its terms give";
        long unknown = tally.count(true, CouponTally.Count.CAMPAIGN_UNKNOWN);
        long notActive = tally.count(true, CouponTally.Count.CAMPAIGN_NOT_ACTIVE);
        long notApplicable = tally.count(true, CouponTally.Count.CAMPAIGN_NOT_APPLICABLE);
        long reserved = tally.count(true, CouponTally.Count.RESERVED);
        boolean qualifies = tally.expectedDiscountMinor() > 0;
        List<String> wrong = new ArrayList<>();
        if (unknown > 0) {
            wrong.add(unknown + " CAMPAIGN_UNKNOWN");
        }
        if (notActive > 0) {
            wrong.add(notActive + " CAMPAIGN_NOT_ACTIVE");
        }
        if (qualifies && notApplicable > 0) {
            wrong.add(notApplicable + " CAMPAIGN_NOT_APPLICABLE to orders that qualify");
        }
        if (!qualifies && reserved > 0) {
            wrong.add(reserved + " RESERVED with the campaign for orders that do not qualify");
        }
        String figures = String.format(
                Locale.ROOT,
                "the campaign was defined and open, and an order of %,d %s; CAMPAIGN_UNKNOWN %,d, CAMPAIGN_NOT_ACTIVE"
                        + " %,d, CAMPAIGN_NOT_APPLICABLE %,d, RESERVED %,d",
                tally.orderGrossMinor(),
                qualifies
                        ? String.format(Locale.ROOT, "qualifies (%,d off)", tally.expectedDiscountMinor())
                        : "does not qualify (" + tally.coupon().terms() + ")",
                unknown,
                notActive,
                notApplicable,
                reserved);
        return check(name, wrong.isEmpty(), wrong.isEmpty() ? figures : String.join(", ", wrong) + "; " + figures);
    }

    static Audit.Check budgetExhausted(CouponTally tally) {
        String name = "the budget ran out: CAMPAIGN_BUDGET_EXHAUSTED answered";
        long exhausted = tally.count(true, CouponTally.Count.CAMPAIGN_BUDGET_EXHAUSTED);
        long reserved = tally.count(true, CouponTally.Count.RESERVED);
        if (exhausted > 0) {
            return check(
                    name,
                    true,
                    String.format(
                            Locale.ROOT,
                            "%,d reserves naming the campaign were answered CAMPAIGN_BUDGET_EXHAUSTED, %,d RESERVED,"
                                    + " budget %,d",
                            exhausted,
                            reserved,
                            tally.coupon().budget()));
        }
        return new Audit.Check(
                name,
                Audit.Verdict.WARN,
                String.format(
                        Locale.ROOT,
                        "never: %,d RESERVED naming the campaign against a budget of %,d, so the budget was not"
                                + " exercised; raise --rate, --duration or --coupon-share, or lower --coupon-budget",
                        reserved,
                        tally.coupon().budget()));
    }

    private static Audit.Check check(String name, boolean holds, String detail) {
        return new Audit.Check(name, holds ? Audit.Verdict.PASS : Audit.Verdict.FAIL, detail);
    }

    private static String examples(List<String> items) {
        return String.join("; ", items.subList(0, Math.min(EXAMPLES_MAX, items.size())));
    }
}
