package io.checkout.engine;

/**
 * An enum constant kept as a byte in a long-lived object: its ordinal + 1, 0 for none. A long-lived
 * record (a ring slot's command, an order record) that stored the reference instead would dirty a
 * card for G1 each time it changed (benchmarks/README, History 2026-12-05 11:50). One encoding for
 * every such field, with its bound checked once per enum, where its constants are listed.
 */
final class EnumCodes {
    /** The most constants an enum kept this way may have: codes 1..127 fit a signed byte. */
    static final int CONSTANTS_MAX = Byte.MAX_VALUE;

    private EnumCodes() {}

    /** The enum's constants, for {@link #decode}; fails at once for an enum with too many of them. */
    static <E extends Enum<E>> E[] constants(Class<E> type) {
        E[] constants = type.getEnumConstants();
        if (constants.length > CONSTANTS_MAX) {
            throw new IllegalStateException(type.getSimpleName() + " has " + constants.length
                    + " constants, more than a byte's code holds (" + CONSTANTS_MAX + ")");
        }
        return constants;
    }

    /** The code of {@code value}: 0 for null. */
    static byte encode(Enum<?> value) {
        return value == null ? 0 : (byte) (value.ordinal() + 1);
    }

    /** The constant of {@code code} among {@code constants} (from {@link #constants}): null for 0. */
    static <E> E decode(E[] constants, byte code) {
        return code == 0 ? null : constants[code - 1];
    }
}
