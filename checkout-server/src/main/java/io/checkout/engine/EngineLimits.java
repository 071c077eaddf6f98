package io.checkout.engine;

import io.checkout.contract.ContractLimits;

/**
 * The bounds the engine enforces on input. Hard maxima are compile-time constants that size
 * preallocated arrays and keep arithmetic far from overflow (price x quantity x lines fits a long
 * with a factor of ten to spare); the configured values may only tighten them.
 */
public final class EngineLimits {
    public static final int LINES_PER_ORDER_MAX = 64;
    public static final int QUANTITY_PER_LINE_MAX = ContractLimits.QUANTITY_PER_LINE_MAX;
    public static final int ID_LENGTH_MAX = ContractLimits.ID_LENGTH_MAX;
    public static final long PRICE_MINOR_MAX = 10_000_000_000L;
    public static final long TOTAL_STOCK_MAX = ContractLimits.TOTAL_STOCK_MAX;
    public static final long RESERVATION_TTL_MILLIS_MIN = ContractLimits.RESERVATION_TTL_MILLIS_MIN;
    public static final long RESERVATION_TTL_MILLIS_MAX = ContractLimits.RESERVATION_TTL_MILLIS_MAX;
    public static final int LIST_PAGE_SIZE_MAX = ContractLimits.LIST_PAGE_SIZE_MAX;
    public static final int LIST_PAGE_SIZE_DEFAULT = 100;
    /** Most orders one page of a user's orders holds, and how many when the caller does not say. */
    public static final int USER_ORDERS_PAGE_SIZE_MAX = 100;

    public static final int USER_ORDERS_PAGE_SIZE_DEFAULT = 20;
    /** Longest payment provider name accepted (a payment's {@code provider}). */
    public static final int PAYMENT_PROVIDER_LENGTH_MAX = 32;
    /** Largest payment amount accepted: an order's amount never comes near it. */
    public static final long PAYMENT_AMOUNT_MINOR_MAX = Long.MAX_VALUE / 4;
    /** Longest refund reason accepted: printable ASCII and spaces. */
    public static final int REFUND_REASON_LENGTH_MAX = 64;
    /** Latest sale time accepted: year 2999, so that time arithmetic never overflows. */
    public static final long EPOCH_MILLIS_MAX = 32_503_680_000_000L;

    private final int linesPerOrderMax;
    private final int quantityPerLineMax;
    private final int expiriesPerTickMax;
    private final int idLengthMax;
    private final long idempotencyRetentionMillis;

    public EngineLimits(int linesPerOrderMax, int quantityPerLineMax, int expiriesPerTickMax) {
        this(linesPerOrderMax, quantityPerLineMax, expiriesPerTickMax, ID_LENGTH_MAX, 0);
    }

    /**
     * @param idempotencyRetentionMillis how long a request id's first answer is remembered at least;
     *     0 remembers every answer for good
     */
    public EngineLimits(
            int linesPerOrderMax,
            int quantityPerLineMax,
            int expiriesPerTickMax,
            int idLengthMax,
            long idempotencyRetentionMillis) {
        if (linesPerOrderMax < 1 || linesPerOrderMax > LINES_PER_ORDER_MAX) {
            throw new IllegalArgumentException(
                    "linesPerOrderMax must be 1.." + LINES_PER_ORDER_MAX + ": " + linesPerOrderMax);
        }
        if (quantityPerLineMax < 1 || quantityPerLineMax > QUANTITY_PER_LINE_MAX) {
            throw new IllegalArgumentException(
                    "quantityPerLineMax must be 1.." + QUANTITY_PER_LINE_MAX + ": " + quantityPerLineMax);
        }
        if (expiriesPerTickMax < 1) {
            throw new IllegalArgumentException("expiriesPerTickMax must be positive: " + expiriesPerTickMax);
        }
        if (idLengthMax < 1 || idLengthMax > ID_LENGTH_MAX) {
            throw new IllegalArgumentException("idLengthMax must be 1.." + ID_LENGTH_MAX + ": " + idLengthMax);
        }
        this.idLengthMax = idLengthMax;
        if (idempotencyRetentionMillis < 0) {
            throw new IllegalArgumentException(
                    "idempotencyRetentionMillis must not be negative: " + idempotencyRetentionMillis);
        }
        this.idempotencyRetentionMillis = idempotencyRetentionMillis;
        this.linesPerOrderMax = linesPerOrderMax;
        this.quantityPerLineMax = quantityPerLineMax;
        this.expiriesPerTickMax = expiriesPerTickMax;
    }

    public static EngineLimits defaults() {
        return new EngineLimits(16, 1_000, 10_000);
    }

    public int linesPerOrderMax() {
        return linesPerOrderMax;
    }

    public int quantityPerLineMax() {
        return quantityPerLineMax;
    }

    /** How long a first answer is remembered at least; 0 means for good. */
    public long idempotencyRetentionMillis() {
        return idempotencyRetentionMillis;
    }

    /** Longest request, user and SKU id accepted, in characters. */
    public int idLengthMax() {
        return idLengthMax;
    }

    /** Most reservations one tick expires; the rest wait for the next tick, so a tick is bounded work. */
    public int expiriesPerTickMax() {
        return expiriesPerTickMax;
    }
}
