package io.checkout.engine;

/** How a campaign's discount is computed; the codes are stable (journal, snapshots). */
public enum CampaignKind {
    /** A fixed amount off the lines the campaign applies to, at most what they cost. */
    AMOUNT_OFF(1),
    /** A percentage of those lines' gross, rounded down, at most a cap (0: none). */
    PERCENT_OFF(2),
    /** Spend at least a minimum on those lines, get a fixed amount off. */
    SPEND_AND_SAVE(3);

    private final int code;

    CampaignKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind of {@code code}, or null for an unknown code (an invalid request). */
    public static CampaignKind fromCode(int code) {
        for (CampaignKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        return null;
    }
}
