package io.checkout.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What an admin says a campaign is: its kind and amounts, what it applies to, when, and how many
 * redemptions it allows. A mutable record used on the admin path only (it may allocate): the
 * input of UPSERT_CAMPAIGN, and with {@link #redeemed} and {@link #redeemingUsers} the answer of
 * UPSERT_CAMPAIGN and GET_CAMPAIGN. {@link #invalid} checks the terms; the engine checks the ids
 * it must resolve (SKUs, merchant) against the state.
 */
public final class CampaignTerms {
    public static final long DISCOUNT_MINOR_MAX = 1_000_000_000_000L;
    public static final long MIN_SPEND_MINOR_MAX = 1_000_000_000_000_000L;
    public static final int PERCENT_BPS_MAX = 10_000;
    public static final long BUDGET_MAX = 1_000_000_000L;
    public static final long PER_USER_LIMIT_MAX = 1_000_000L;
    /** The most SKUs a campaign may list: a reserve checks each line against the list. */
    public static final int SKUS_MAX = 64;

    public String campaignId;
    /** Null: not given (invalid). */
    public CampaignKind kind;
    /** Packed ({@link CurrencyCode}); {@link CurrencyCode#NONE}: not given (invalid). */
    public int currency;

    public long amountOffMinor;
    public int percentOffBps;
    public long percentCapMinor;
    public long minSpendMinor;
    /** The SKUs it applies to, in the order given; empty with a merchant, or for every SKU. */
    public final List<String> skuIds = new ArrayList<>();
    /** The merchant whose SKUs it applies to; empty: none. */
    public String merchantId = "";

    public long startsAtEpochMillis;
    /** 0: no end. */
    public long endsAtEpochMillis;

    public long budget;
    public long perUserLimit;
    /** Answers only: redemptions held now, and the users holding them. */
    public long redeemed;

    public long redeemingUsers;

    /**
     * What is wrong with the terms, the first thing found in field order, or null. The SKU and
     * merchant ids are checked for syntax only.
     */
    public ResultCode invalid(int idLengthMax) {
        if (kind == null) {
            return ResultCode.CAMPAIGN_KIND_INVALID;
        }
        if (currency == CurrencyCode.NONE) {
            return ResultCode.CAMPAIGN_CURRENCY_INVALID;
        }
        boolean percent = kind == CampaignKind.PERCENT_OFF;
        if (percent ? amountOffMinor != 0 : amountOffMinor < 1 || amountOffMinor > DISCOUNT_MINOR_MAX) {
            return ResultCode.AMOUNT_OFF_INVALID;
        }
        if (percent ? percentOffBps < 1 || percentOffBps > PERCENT_BPS_MAX : percentOffBps != 0) {
            return ResultCode.PERCENT_OFF_INVALID;
        }
        if (percent ? percentCapMinor < 0 || percentCapMinor > DISCOUNT_MINOR_MAX : percentCapMinor != 0) {
            return ResultCode.PERCENT_CAP_INVALID;
        }
        long minSpendLeast = kind == CampaignKind.SPEND_AND_SAVE ? 1 : 0;
        if (minSpendMinor < minSpendLeast || minSpendMinor > MIN_SPEND_MINOR_MAX) {
            return ResultCode.MIN_SPEND_INVALID;
        }
        if (skuIds.size() > SKUS_MAX || (!skuIds.isEmpty() && !merchantId.isEmpty())) {
            return ResultCode.CAMPAIGN_SKUS_INVALID;
        }
        for (int i = 0; i < skuIds.size(); i++) {
            if (!IdBuffer.of(skuIds.get(i)).isSkuId(idLengthMax)
                    || skuIds.subList(0, i).contains(skuIds.get(i))) {
                return ResultCode.CAMPAIGN_SKUS_INVALID;
            }
        }
        if (!merchantId.isEmpty() && !IdBuffer.of(merchantId).isSkuId(idLengthMax)) {
            return ResultCode.CAMPAIGN_MERCHANT_ID_INVALID;
        }
        if (startsAtEpochMillis < 0
                || endsAtEpochMillis < 0
                || (endsAtEpochMillis != 0 && endsAtEpochMillis <= startsAtEpochMillis)) {
            return ResultCode.CAMPAIGN_WINDOW_INVALID;
        }
        if (budget < 1 || budget > BUDGET_MAX) {
            return ResultCode.BUDGET_INVALID;
        }
        if (perUserLimit < 1 || perUserLimit > PER_USER_LIMIT_MAX) {
            return ResultCode.REDEMPTION_LIMIT_INVALID;
        }
        return null;
    }

    /** Whether engine time {@code nowMillis} is within the validity window. */
    public boolean isActive(long nowMillis) {
        return nowMillis >= startsAtEpochMillis && (endsAtEpochMillis == 0 || nowMillis < endsAtEpochMillis);
    }

    /**
     * The discount on lines of the campaign's currency that cost {@code eligibleGrossMinor} together
     * (0..about 10^18), or 0 if they do not qualify: nothing eligible, or less than the min spend.
     */
    public long discountMinor(long eligibleGrossMinor) {
        if (eligibleGrossMinor <= 0 || eligibleGrossMinor < minSpendMinor) {
            return 0;
        }
        if (kind == CampaignKind.PERCENT_OFF) {
            long off = Settlement.mulDivFloor(eligibleGrossMinor, percentOffBps, PERCENT_BPS_MAX);
            return percentCapMinor > 0 ? Math.min(off, percentCapMinor) : off;
        }
        return Math.min(amountOffMinor, eligibleGrossMinor);
    }

    public void clear() {
        campaignId = null;
        kind = null;
        currency = CurrencyCode.NONE;
        amountOffMinor = 0;
        percentOffBps = 0;
        percentCapMinor = 0;
        minSpendMinor = 0;
        skuIds.clear();
        merchantId = "";
        startsAtEpochMillis = 0;
        endsAtEpochMillis = 0;
        budget = 0;
        perUserLimit = 0;
        redeemed = 0;
        redeemingUsers = 0;
    }

    public void copyFrom(CampaignTerms other) {
        campaignId = other.campaignId;
        kind = other.kind;
        currency = other.currency;
        amountOffMinor = other.amountOffMinor;
        percentOffBps = other.percentOffBps;
        percentCapMinor = other.percentCapMinor;
        minSpendMinor = other.minSpendMinor;
        skuIds.clear();
        skuIds.addAll(other.skuIds);
        merchantId = other.merchantId;
        startsAtEpochMillis = other.startsAtEpochMillis;
        endsAtEpochMillis = other.endsAtEpochMillis;
        budget = other.budget;
        perUserLimit = other.perUserLimit;
        redeemed = other.redeemed;
        redeemingUsers = other.redeemingUsers;
    }

    /** Whether the terms (not the redemptions) are the same. */
    public boolean sameTerms(CampaignTerms other) {
        return java.util.Objects.equals(campaignId, other.campaignId)
                && kind == other.kind
                && currency == other.currency
                && amountOffMinor == other.amountOffMinor
                && percentOffBps == other.percentOffBps
                && percentCapMinor == other.percentCapMinor
                && minSpendMinor == other.minSpendMinor
                && skuIds.equals(other.skuIds)
                && merchantId.equals(other.merchantId)
                && startsAtEpochMillis == other.startsAtEpochMillis
                && endsAtEpochMillis == other.endsAtEpochMillis
                && budget == other.budget
                && perUserLimit == other.perUserLimit;
    }

    @Override
    public String toString() {
        return "Campaign{" + campaignId + ' ' + kind + ' ' + CurrencyCode.unpack(currency) + " off=" + amountOffMinor
                + " bps=" + percentOffBps + " cap=" + percentCapMinor + " minSpend=" + minSpendMinor + " skus="
                + skuIds + " merchant=" + merchantId + " window=[" + startsAtEpochMillis + ", " + endsAtEpochMillis
                + ") budget=" + budget + " perUser=" + perUserLimit + " redeemed=" + redeemed + " by "
                + redeemingUsers + '}';
    }
}
