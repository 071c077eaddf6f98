package io.checkout.engine;

/**
 * The outcome of a command. Numbers are stable and grouped in ranges:
 * <ul>
 *   <li>0: success;</li>
 *   <li>100-199: reserve refused for a business reason (the normal case in a flash sale);</li>
 *   <li>200-299: the addressed order or SKU is missing or in the wrong state;</li>
 *   <li>300-399: invalid input, with the offending request field named;</li>
 *   <li>400-499: a bounded table is full;</li>
 *   <li>500-599: not executed: the pipeline did not hand the command to the engine.</li>
 * </ul>
 * Codes 100-299 are remembered under the request id (a repeat gets the same answer); codes 300-599
 * change nothing and are not remembered.
 */
public enum ResultCode {
    SUCCESS(0, null),

    SOLD_OUT(100, null),
    LIMIT_EXCEEDED(101, null),
    NOT_ON_SALE(102, null),
    UNKNOWN_SKU(103, null),
    CURRENCY_MISMATCH(104, null),
    /** The user is on the blocklist. */
    BLOCKED(105, "user_id"),
    /** The user has used up the attempt limit of the current window. */
    RATE_LIMITED(106, "user_id"),
    /** A line would take the user past the per-user limit of its SKU's group. */
    GROUP_LIMIT_EXCEEDED(107, null),
    /** The reserve names a campaign never defined. */
    CAMPAIGN_UNKNOWN(108, "campaign_id"),
    /** The campaign's validity window does not hold engine time. */
    CAMPAIGN_NOT_ACTIVE(109, "campaign_id"),
    /** The order does not qualify for the campaign (currency, no line it applies to, min spend). */
    CAMPAIGN_NOT_APPLICABLE(110, "campaign_id"),
    /** Every redemption of the campaign's budget is held. */
    CAMPAIGN_BUDGET_EXHAUSTED(111, "campaign_id"),
    /** The user holds the campaign's per-user redemption limit already. */
    CAMPAIGN_USER_LIMIT_REACHED(112, "campaign_id"),

    ORDER_NOT_FOUND(200, "order_id"),
    ORDER_STATE_CONFLICT(201, "order_id"),
    SKU_NOT_FOUND(202, "sku_id"),
    /** Removing stock that is not available, or setting total stock below reserved plus sold. */
    STOCK_INSUFFICIENT(203, null),
    /** Changing the currency of a SKU while units of it are reserved or sold. */
    CURRENCY_LOCKED(204, "currency"),
    /** A confirm's payment (provider and payment id) already paid another order. */
    PAYMENT_ALREADY_USED(205, "payment.payment_id"),
    /** A confirm's payment amount differs from the order's amount. */
    PAYMENT_AMOUNT_MISMATCH(206, "payment.amount_minor"),
    /** A confirm's payment currency differs from the order's currency. */
    PAYMENT_CURRENCY_MISMATCH(207, "payment.currency"),
    /** A refund line names a SKU the order has no line of. */
    REFUND_SKU_NOT_IN_ORDER(208, "sku_id"),
    /** A refund line asks for more units than the order's line has paid and not yet refunded. */
    REFUND_EXCEEDS_PAID(209, "quantity"),
    /** A SKU names a merchant that was never defined. */
    MERCHANT_UNKNOWN(210, "merchant_id"),
    /** GET_MERCHANT of a merchant never defined. */
    MERCHANT_NOT_FOUND(211, "merchant_id"),
    /** A SKU names a group that was never defined. */
    GROUP_UNKNOWN(212, "group_id"),
    /** GET_SKU_GROUP of a group never defined. */
    GROUP_NOT_FOUND(213, "group_id"),
    /** GET_CAMPAIGN of a campaign never defined. */
    CAMPAIGN_NOT_FOUND(214, "campaign_id"),
    /** A campaign lists a SKU that was never defined. */
    CAMPAIGN_SKU_UNKNOWN(215, "campaign.sku_ids"),
    /** A campaign names a merchant that was never defined. */
    CAMPAIGN_MERCHANT_UNKNOWN(216, "campaign.merchant_id"),

    REQUEST_ID_INVALID(300, "request_id"),
    USER_ID_INVALID(301, "user_id"),
    LINES_EMPTY(302, "lines"),
    TOO_MANY_LINES(303, "lines"),
    SKU_ID_INVALID(304, "sku_id"),
    QUANTITY_MUST_BE_POSITIVE(305, "quantity"),
    QUANTITY_TOO_LARGE(306, "quantity"),
    DUPLICATE_SKU_IN_ORDER(307, "sku_id"),
    ORDER_ID_INVALID(308, "order_id"),
    PRICE_INVALID(309, "price_minor"),
    CURRENCY_INVALID(310, "currency"),
    TOTAL_STOCK_INVALID(311, "total_stock"),
    PER_USER_LIMIT_INVALID(312, "per_user_limit"),
    SALE_START_INVALID(313, "sale_start_epoch_millis"),
    SALE_END_INVALID(314, "sale_end_epoch_millis"),
    RESERVATION_TTL_INVALID(315, "reservation_ttl_millis"),
    DELTA_INVALID(316, "delta"),
    PAGE_SIZE_INVALID(317, "page_size"),
    PAGE_TOKEN_INVALID(318, "page_token"),
    /** The request id was first used for a different kind of command. */
    REQUEST_ID_REUSED(319, "request_id"),
    PAYMENT_PROVIDER_INVALID(320, "payment.provider"),
    PAYMENT_ID_INVALID(321, "payment.payment_id"),
    PAYMENT_AMOUNT_INVALID(322, "payment.amount_minor"),
    PAYMENT_CURRENCY_INVALID(323, "payment.currency"),
    REFUND_REASON_INVALID(324, "reason"),
    MERCHANT_ID_INVALID(325, "merchant_id"),
    STORE_ID_INVALID(326, "store_id"),
    COMMISSION_BPS_INVALID(327, "commission_bps"),
    MAX_ATTEMPTS_INVALID(328, "max_attempts"),
    WINDOW_MILLIS_INVALID(329, "window_millis"),
    GROUP_ID_INVALID(330, "group_id"),
    /** A reserve's campaign id is not 1..64 characters from [A-Za-z0-9._:-]. */
    CAMPAIGN_ID_INVALID(331, "campaign_id"),
    CAMPAIGN_KIND_INVALID(332, "campaign.kind"),
    AMOUNT_OFF_INVALID(333, "campaign.amount_off_minor"),
    PERCENT_OFF_INVALID(334, "campaign.percent_off_bps"),
    PERCENT_CAP_INVALID(335, "campaign.percent_cap_minor"),
    MIN_SPEND_INVALID(336, "campaign.min_spend_minor"),
    CAMPAIGN_WINDOW_INVALID(337, "campaign.ends_at_epoch_millis"),
    BUDGET_INVALID(338, "campaign.budget"),
    REDEMPTION_LIMIT_INVALID(339, "campaign.per_user_limit"),
    /** Too many SKUs, a bad or repeated SKU id, or both SKUs and a merchant. */
    CAMPAIGN_SKUS_INVALID(340, "campaign.sku_ids"),
    CAMPAIGN_CURRENCY_INVALID(341, "campaign.currency"),
    /** UPSERT_CAMPAIGN's campaign id is not 1..64 characters from [A-Za-z0-9._:-] (GET_CAMPAIGN answers CAMPAIGN_ID_INVALID). */
    CAMPAIGN_DEFINITION_ID_INVALID(342, "campaign.campaign_id"),
    CAMPAIGN_MERCHANT_ID_INVALID(343, "campaign.merchant_id"),

    SKU_TABLE_FULL(400, null),
    ORDER_TABLE_FULL(401, null),
    USER_COUNTER_TABLE_FULL(402, null),
    IDEMPOTENCY_TABLE_FULL(403, null),
    PAYMENT_TABLE_FULL(404, null),
    MERCHANT_TABLE_FULL(405, null),
    BLOCKLIST_FULL(406, null),
    ATTEMPT_COUNTER_TABLE_FULL(407, null),
    GROUP_TABLE_FULL(408, null),
    /** A SKU would join a group that holds {@link SkuGroupTable#SKUS_MAX} SKUs already. */
    GROUP_SKUS_FULL(409, "group_id"),
    CAMPAIGN_TABLE_FULL(410, null),
    /** A reserve would make a new (user, campaign) row of the redemption table, which is full. */
    REDEMPTION_TABLE_FULL(411, null),

    /**
     * The caller's deadline had passed when the command's turn came: the pipeline skipped it
     * before any change, and it was never journalled. Set by the pipeline, never by the engine.
     */
    DEADLINE_EXCEEDED(500, null);

    private static final ResultCode[] BY_CODE = new ResultCode[600];

    static {
        for (ResultCode result : values()) {
            BY_CODE[result.code] = result;
        }
    }

    private final int code;
    private final String field;

    ResultCode(int code, String field) {
        this.code = code;
        this.field = field;
    }

    public int code() {
        return code;
    }

    /** The request field this result is about, in the contract's snake_case, or null. */
    public String field() {
        return field;
    }

    public boolean isReserveRefusal() {
        return code >= 100 && code < 200;
    }

    public boolean isInvalidInput() {
        return code >= 300 && code < 400;
    }

    public boolean isTableFull() {
        return code >= 400 && code < 500;
    }

    /** Whether the command was not executed at all (500-599). */
    public boolean isNotExecuted() {
        return code >= 500 && code < 600;
    }

    /** Whether {@code code} is one of the codes {@link #fromCode} takes. */
    public static boolean isCode(int code) {
        return code >= 0 && code < BY_CODE.length && BY_CODE[code] != null;
    }

    public static ResultCode fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("unknown result code " + code);
        }
        return BY_CODE[code];
    }
}
