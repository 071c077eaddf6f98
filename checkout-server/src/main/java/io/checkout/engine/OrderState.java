package io.checkout.engine;

/**
 * The life of an order: {@code RESERVED -> PAID | CANCELLED | EXPIRED}, {@code PAID -> REFUNDED},
 * and when a payment arrives for an expired order, {@code EXPIRED -> PAID} (its units could be taken
 * again) or {@code EXPIRED -> PAID_TOO_LATE} (they could not: the money goes back; final). A refund
 * of some units makes {@code PAID -> PARTLY_REFUNDED}, of the last ones {@code -> REFUNDED}.
 * The numbers are stable: they are stored in the order table.
 */
public enum OrderState {
    RESERVED(1),
    PAID(2),
    CANCELLED(3),
    EXPIRED(4),
    REFUNDED(5),
    PAID_TOO_LATE(6),
    PARTLY_REFUNDED(7);

    private static final OrderState[] BY_CODE = {
        null, RESERVED, PAID, CANCELLED, EXPIRED, REFUNDED, PAID_TOO_LATE, PARTLY_REFUNDED
    };

    private final int code;

    OrderState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Whether {@code code} is one of the codes {@link #fromCode} takes. */
    public static boolean isCode(int code) {
        return code > 0 && code < BY_CODE.length;
    }

    public static OrderState fromCode(int code) {
        if (code <= 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown order state code " + code);
        }
        return BY_CODE[code];
    }
}
