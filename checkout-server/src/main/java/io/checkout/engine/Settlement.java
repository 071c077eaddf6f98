package io.checkout.engine;

/**
 * The settlement rule, in integer minor units: a line's gross is its units times its unit price;
 * the platform's commission is the gross times the rate in basis points over 10,000, rounded half
 * up to a whole minor unit; the merchant's net is the gross less the commission. Every split of an
 * order therefore sums exactly: the lines' gross to the order's amount, and commission plus net to
 * each line's gross. A refund gives back the difference between the commission of the units before
 * and after it, so what the platform keeps is always the commission of the units the buyer keeps.
 */
public final class Settlement {
    private static final int BPS_PER_WHOLE = 10_000;

    private Settlement() {}

    /**
     * The commission on {@code grossMinor} (0..about 10^16, a line's gross) at {@code
     * commissionBps} (0..10,000), rounded half up; never overflows.
     */
    public static long commissionMinor(long grossMinor, int commissionBps) {
        if (grossMinor < 0 || commissionBps < 0 || commissionBps > MerchantTable.COMMISSION_BPS_MAX) {
            throw new IllegalArgumentException("gross " + grossMinor + " at " + commissionBps + " bps");
        }
        long whole = grossMinor / BPS_PER_WHOLE * commissionBps;
        long rest = grossMinor % BPS_PER_WHOLE * commissionBps;
        return whole + (rest + BPS_PER_WHOLE / 2) / BPS_PER_WHOLE;
    }

    /** A line's gross: units times unit price. */
    public static long grossMinor(int quantity, long unitPriceMinor) {
        return quantity * unitPriceMinor;
    }

    /**
     * The commission given back when {@code refunded} of a line's {@code quantity} units are
     * refunded: the line's commission less that of the units kept.
     */
    public static long refundedCommissionMinor(int quantity, int refunded, long unitPriceMinor, int commissionBps) {
        return commissionMinor(grossMinor(quantity, unitPriceMinor), commissionBps)
                - commissionMinor(grossMinor(quantity - refunded, unitPriceMinor), commissionBps);
    }
}
