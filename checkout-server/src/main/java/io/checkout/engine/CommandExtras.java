package io.checkout.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a {@link Command} that only some commands use (merchant and risk-rule fields, the
 * merchants of an answered order's lines, a page of a user's orders, a risk answer), made the first time a command needs them and
 * then kept with it, as a ring slot keeps its command. A reserve never touches them, so they add
 * nothing to the memory a reserve's command spans, nor to what clearing one costs.
 */
final class CommandExtras {
    final IdBuffer merchantId = new IdBuffer();
    final IdBuffer storeId = new IdBuffer();
    int commissionBps;
    /** UPSERT_SKU: the SKU's group (absent: none); UPSERT_SKU_GROUP, GET_SKU_GROUP: the group. */
    final IdBuffer groupId = new IdBuffer();

    final LineParties lineParties = new LineParties();
    int merchantCommissionBps;
    long merchantUpdatedAtEpochMillis;

    final List<OrderView> orderPage = new ArrayList<>();
    long nextPageOrderId;

    /** SET_USER_BLOCKED: block (true) or lift the block. */
    boolean blocked;
    /** SET_RISK_RULES: the attempt limit. */
    int maxAttempts;

    long windowMillis;
    final RiskAnswer riskAnswer = new RiskAnswer();

    /** UPSERT_SKU_GROUP, GET_SKU_GROUP: the group's limit and SKUs. Admin path, may allocate. */
    long groupPerUserLimit;
    /** UPSERT_SKU_GROUP, GET_SKU_GROUP: the group's attempt limit in the answer (the input is {@link #maxAttempts}). */
    int groupMaxAttempts;

    long groupWindowMillis;

    final List<String> groupSkuIds = new ArrayList<>();
    /** UPSERT_CAMPAIGN: the terms asked for. */
    final CampaignTerms campaignTerms = new CampaignTerms();
    /** UPSERT_CAMPAIGN, GET_CAMPAIGN: the answer. */
    final CampaignTerms campaignAnswer = new CampaignTerms();
}
