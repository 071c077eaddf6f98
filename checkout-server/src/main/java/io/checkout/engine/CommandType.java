package io.checkout.engine;

/**
 * Every command the engine understands. The numbers are stable: they are written to the journal
 * and to the idempotency table, so a number is never reused for another meaning.
 */
public enum CommandType {
    RESERVE(1, true),
    CONFIRM(2, true),
    CANCEL(3, true),
    REFUND(4, true),
    UPSERT_SKU(5, true),
    ADJUST_STOCK(6, true),
    /** Advances engine time and expires reservations that are due. Published by a timer. */
    TICK(7, true),
    GET_ORDER(8, false),
    GET_SKU(9, false),
    LIST_SKUS(10, false),
    UPSERT_MERCHANT(11, true),
    GET_MERCHANT(12, false),
    LIST_USER_ORDERS(13, false),
    SET_USER_BLOCKED(14, true),
    GET_USER_RISK(15, false),
    SET_RISK_RULES(16, true),
    GET_RISK_RULES(17, false),
    UPSERT_SKU_GROUP(18, true),
    GET_SKU_GROUP(19, false),
    UPSERT_CAMPAIGN(20, true),
    GET_CAMPAIGN(21, false);

    private static final CommandType[] BY_CODE = new CommandType[22];

    static {
        for (CommandType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;
    private final boolean mutating;

    CommandType(int code, boolean mutating) {
        this.code = code;
        this.mutating = mutating;
    }

    public int code() {
        return code;
    }

    /** Whether the command may change state (and so must be journalled); queries never do. */
    public boolean isMutating() {
        return mutating;
    }

    /** Whether {@code code} is one of the codes {@link #fromCode} takes. */
    public static boolean isCode(int code) {
        return code > 0 && code < BY_CODE.length && BY_CODE[code] != null;
    }

    public static CommandType fromCode(int code) {
        if (code <= 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("unknown command type code " + code);
        }
        return BY_CODE[code];
    }
}
