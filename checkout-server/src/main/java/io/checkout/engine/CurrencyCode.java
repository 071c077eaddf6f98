package io.checkout.engine;

/**
 * ISO 4217 codes packed into an int (three upper-case ASCII letters, one per byte) so that records
 * hold a primitive, not a String.
 */
public final class CurrencyCode {
    /** No currency: the packed form of an unset code. */
    public static final int NONE = 0;

    private static final String[] CACHE = new String[26 * 26 * 26];

    private CurrencyCode() {}

    /** Returns the packed code, or {@link #NONE} if {@code text} is not three upper-case letters. */
    public static int pack(CharSequence text) {
        if (text == null || text.length() != 3) {
            return NONE;
        }
        int packed = 0;
        for (int i = 0; i < 3; i++) {
            char c = text.charAt(i);
            if (c < 'A' || c > 'Z') {
                return NONE;
            }
            packed = (packed << 8) | c;
        }
        return packed;
    }

    /** Returns the three-letter code; the Strings are cached, so this does not allocate after first use. */
    public static String unpack(int packed) {
        if (packed == NONE) {
            return "";
        }
        int a = ((packed >>> 16) & 0xFF) - 'A';
        int b = ((packed >>> 8) & 0xFF) - 'A';
        int c = (packed & 0xFF) - 'A';
        if (a < 0 || a >= 26 || b < 0 || b >= 26 || c < 0 || c >= 26 || (packed >>> 24) != 0) {
            throw new IllegalArgumentException("not a packed currency code: " + packed);
        }
        int slot = (a * 26 + b) * 26 + c;
        String cached = CACHE[slot];
        if (cached == null) {
            cached = new String(new char[] {(char) ('A' + a), (char) ('A' + b), (char) ('A' + c)});
            CACHE[slot] = cached;
        }
        return cached;
    }
}
