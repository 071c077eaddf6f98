package io.checkout.loadgen;

import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;

/**
 * The {@code coupon} scenario's campaign and how often the crowd names it: the flash-sale's SKUs
 * and buyers, with a share of the reserves naming a coupon campaign whose budget is smaller than the
 * crowd, so it runs out and cancels give redemptions back while the sale goes on.
 *
 * <p>Setup (with {@code --setup}) defines campaign {@code cp-<run id>} ({@link #campaignId}) on the
 * run's SKUs, in the SKUs' currency (EUR), open from the setup on; after the audit the run closes
 * its window (a campaign cannot be deleted: it stays defined, with the redemptions its orders hold,
 * one row of the server's campaign table).
 *
 * @param kind amount off, percent off, or spend and save
 * @param budget the most redemptions held at once (reserved or paid orders, refunded ones too)
 * @param perUserLimit the most redemptions one user may hold
 * @param amountOffMinor amount-off and spend-and-save: the discount, in minor units; 0 for percent-off
 * @param percentOffBps percent-off: the discount in basis points of the order; 0 for the other kinds
 * @param minSpendMinor the least an order must spend to qualify (spend-and-save: at least 1)
 * @param share fraction of the reserves that name the campaign
 */
record Coupon(
        Kind kind,
        long budget,
        long perUserLimit,
        long amountOffMinor,
        int percentOffBps,
        long minSpendMinor,
        double share) {

    /** The server's bounds (Campaign's fields). */
    static final long BUDGET_MAX = 1_000_000_000L;

    static final long PER_USER_LIMIT_MAX = 1_000_000L;
    static final long AMOUNT_OFF_MAX = 1_000_000_000_000L;
    static final int PERCENT_BPS_MAX = 10_000;
    static final long MIN_SPEND_MAX = 1_000_000_000_000_000L;
    /** The most SKUs a campaign may list; a partition with more of the run's SKUs gets one for every SKU. */
    static final int SKUS_LISTED_MAX = 64;

    static final long DEFAULT_BUDGET = 100;
    static final long DEFAULT_PER_USER = 1;
    static final long DEFAULT_AMOUNT_OFF = 1_000;
    static final int DEFAULT_PERCENT_BPS = 1_000;
    /** spend-and-save's default min spend: one unit at the run's price (129.99) qualifies. */
    static final long DEFAULT_SPEND_AND_SAVE_MIN = 10_000;

    static final double DEFAULT_SHARE = 0.8;

    /** What the campaign gives. */
    enum Kind {
        AMOUNT_OFF("amount-off", CampaignKind.CAMPAIGN_KIND_AMOUNT_OFF),
        PERCENT_OFF("percent-off", CampaignKind.CAMPAIGN_KIND_PERCENT_OFF),
        SPEND_AND_SAVE("spend-and-save", CampaignKind.CAMPAIGN_KIND_SPEND_AND_SAVE);

        private final String label;
        private final CampaignKind proto;

        Kind(String label, CampaignKind proto) {
            this.label = label;
            this.proto = proto;
        }

        String label() {
            return label;
        }

        CampaignKind proto() {
            return proto;
        }

        static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.label.equals(text)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(
                    "--coupon-kind must be amount-off, percent-off or spend-and-save, got " + text);
        }
    }

    Coupon {
        if (kind == null) {
            throw new IllegalArgumentException("--coupon-kind is needed");
        }
        if (budget < 1 || budget > BUDGET_MAX) {
            throw new IllegalArgumentException("--coupon-budget must be 1.." + BUDGET_MAX + ", got " + budget);
        }
        if (perUserLimit < 1 || perUserLimit > PER_USER_LIMIT_MAX) {
            throw new IllegalArgumentException(
                    "--coupon-per-user must be 1.." + PER_USER_LIMIT_MAX + ", got " + perUserLimit);
        }
        if (kind == Kind.PERCENT_OFF) {
            if (amountOffMinor != 0) {
                throw new IllegalArgumentException(
                        "--coupon-amount-off is for --coupon-kind amount-off or spend-and-save, not percent-off");
            }
            if (percentOffBps < 1 || percentOffBps > PERCENT_BPS_MAX) {
                throw new IllegalArgumentException(
                        "--coupon-percent-bps must be 1.." + PERCENT_BPS_MAX + ", got " + percentOffBps);
            }
        } else {
            if (amountOffMinor < 1 || amountOffMinor > AMOUNT_OFF_MAX) {
                throw new IllegalArgumentException(
                        "--coupon-amount-off must be 1.." + AMOUNT_OFF_MAX + ", got " + amountOffMinor);
            }
            if (percentOffBps != 0) {
                throw new IllegalArgumentException(
                        "--coupon-percent-bps is for --coupon-kind percent-off, not " + kind.label());
            }
        }
        long minSpendLeast = kind == Kind.SPEND_AND_SAVE ? 1 : 0;
        if (minSpendMinor < minSpendLeast || minSpendMinor > MIN_SPEND_MAX) {
            throw new IllegalArgumentException("--coupon-min-spend must be " + minSpendLeast + ".." + MIN_SPEND_MAX
                    + (kind == Kind.SPEND_AND_SAVE ? " with spend-and-save" : "") + ", got " + minSpendMinor);
        }
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("--coupon-share must be 0..1, got " + share);
        }
    }

    /** The run's campaign id, the coupon code its reserves name: {@code cp-<run id>}. */
    static String campaignId(String runId) {
        return "cp-" + runId;
    }

    /**
     * The discount the campaign gives an order spending {@code eligibleGrossMinor} on the lines it
     * applies to, as the server computes it (CampaignTerms): 0 when the order does not qualify
     * (nothing eligible, less than the min spend, or a percentage that rounds to 0), which the server
     * answers {@code CAMPAIGN_NOT_APPLICABLE}.
     */
    long discountMinor(long eligibleGrossMinor) {
        if (eligibleGrossMinor <= 0 || eligibleGrossMinor < minSpendMinor) {
            return 0;
        }
        if (kind == Kind.PERCENT_OFF) {
            // Rounded down; without overflow for any gross a long holds.
            return eligibleGrossMinor <= Long.MAX_VALUE / PERCENT_BPS_MAX
                    ? eligibleGrossMinor * percentOffBps / PERCENT_BPS_MAX
                    : BigInteger.valueOf(eligibleGrossMinor)
                            .multiply(BigInteger.valueOf(percentOffBps))
                            .divide(BigInteger.valueOf(PERCENT_BPS_MAX))
                            .longValueExact();
        }
        return Math.min(amountOffMinor, eligibleGrossMinor);
    }

    /**
     * The campaign as setup defines it on one partition: these terms in {@code currency}, for
     * {@code skuIds} (empty: every SKU), open from {@code startsAtEpochMillis} with no end.
     */
    Campaign campaign(String campaignId, String currency, List<String> skuIds, long startsAtEpochMillis) {
        return Campaign.newBuilder()
                .setCampaignId(campaignId)
                .setKind(kind.proto())
                .setCurrency(currency)
                .setAmountOffMinor(amountOffMinor)
                .setPercentOffBps(percentOffBps)
                .setMinSpendMinor(minSpendMinor)
                .addAllSkuIds(skuIds)
                .setStartsAtEpochMillis(startsAtEpochMillis)
                .setBudget(budget)
                .setPerUserLimit(perUserLimit)
                .build();
    }

    /** The terms in words: "1,000 off", "10.00% off", "1,000 off a spend of 10,000". */
    String terms() {
        return switch (kind) {
            case AMOUNT_OFF ->
                String.format(Locale.ROOT, "amount-off %,d minor", amountOffMinor)
                        + (minSpendMinor > 0 ? String.format(Locale.ROOT, " (min spend %,d)", minSpendMinor) : "");
            case PERCENT_OFF ->
                String.format(Locale.ROOT, "percent-off %.2f%%", percentOffBps / 100.0)
                        + (minSpendMinor > 0 ? String.format(Locale.ROOT, " (min spend %,d)", minSpendMinor) : "");
            case SPEND_AND_SAVE ->
                String.format(
                        Locale.ROOT, "spend-and-save %,d minor off a spend of %,d", amountOffMinor, minSpendMinor);
        };
    }

    /** The line printed before the run; {@code orderGrossMinor} is what every order of the run costs. */
    String describe(String runId, int users, long orderGrossMinor) {
        long discount = discountMinor(orderGrossMinor);
        return String.format(
                Locale.ROOT,
                "coupon: campaign %s, %s, budget %,d redemptions held at once, %,d per user; %.0f%% of reserves"
                        + " name it, from %,d users; an order of %,d minor %s; defined at setup, its window closed"
                        + " after the audit (it stays defined)%n",
                campaignId(runId),
                terms(),
                budget,
                perUserLimit,
                100 * share,
                users,
                orderGrossMinor,
                discount > 0
                        ? String.format(Locale.ROOT, "gets %,d off", discount)
                        : "does not qualify (CAMPAIGN_NOT_APPLICABLE)");
    }
}
