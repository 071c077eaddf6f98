package io.checkout.engine;

/**
 * The settlement rule, in integer minor units: a line's gross is its units times its unit price; a
 * campaign's discount is split over the lines it applies to ({@link #allocateDiscount}); what a
 * line's buyer pays is its gross less its discount; the platform's commission is what the buyer
 * pays times the rate in basis points over 10,000, rounded half up to a whole minor unit; the
 * merchant's net is what the buyer pays less the commission. Every split of an order therefore sums
 * exactly: the lines' gross less their discounts to the order's amount, and discount plus commission
 * plus net to each line's gross.
 *
 * <p>Refunds give back what the buyer paid for the units refunded: of a line of {@code q} units and
 * discount {@code D}, {@code n} units paid {@code paid(n) = n * price - floor(D * n / q)}, so
 * refunding to {@code r} units in all gives back {@code paid(q) - paid(q - r)}, and all the units
 * give back exactly what the line cost. The commission given back is the difference between the
 * commission of the units before and after, so what the platform keeps is always the commission of
 * the units the buyer keeps.
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
     * refunded, without a discount: the line's commission less that of the units kept.
     */
    public static long refundedCommissionMinor(int quantity, int refunded, long unitPriceMinor, int commissionBps) {
        return refundedCommissionMinor(quantity, refunded, unitPriceMinor, 0, commissionBps);
    }

    /**
     * The commission given back when {@code refunded} of a line's {@code quantity} units are
     * refunded, the line's discount being {@code discountMinor}: the commission of what the line
     * paid less that of what the units kept paid.
     */
    public static long refundedCommissionMinor(
            int quantity, int refunded, long unitPriceMinor, long discountMinor, int commissionBps) {
        return commissionMinor(paidMinor(quantity, quantity, unitPriceMinor, discountMinor), commissionBps)
                - commissionMinor(
                        paidMinor(quantity - refunded, quantity, unitPriceMinor, discountMinor), commissionBps);
    }

    /**
     * What {@code units} of a line of {@code quantity} units at {@code unitPriceMinor}, discounted by
     * {@code discountMinor} (0..the line's gross) in all, paid: their gross less their share of the
     * discount, {@code floor(discount * units / quantity)}.
     */
    public static long paidMinor(int units, int quantity, long unitPriceMinor, long discountMinor) {
        long gross = grossMinor(units, unitPriceMinor);
        return discountMinor == 0 ? gross : gross - mulDivFloor(discountMinor, units, quantity);
    }

    /**
     * What refunding {@code refunded} units of a line in all gives back: what the line paid less what
     * the units kept paid.
     */
    public static long refundedAmountMinor(int quantity, int refunded, long unitPriceMinor, long discountMinor) {
        return paidMinor(quantity, quantity, unitPriceMinor, discountMinor)
                - paidMinor(quantity - refunded, quantity, unitPriceMinor, discountMinor);
    }

    /**
     * Splits {@code order.discountMinor} over the order's lines marked in {@code order.eligibleLines}
     * in proportion to their gross: each share rounded down, then the minor units left over one each
     * to the lines with the largest remainders (ties: the earlier line). The shares sum to the
     * discount and none exceeds its line's gross (the discount is at most the eligible lines' gross).
     * Writes {@code order.lineCount} entries of {@code into}; lines not eligible get 0.
     */
    public static void allocateDiscount(OrderRecord order, long[] into) {
        int lines = order.lineCount;
        long discount = order.discountMinor;
        if (discount == 0) {
            java.util.Arrays.fill(into, 0, lines, 0);
            return;
        }
        long eligibleGross = 0;
        for (int i = 0; i < lines; i++) {
            if (order.isEligible(i)) {
                eligibleGross += grossMinor(order.quantities[i], order.unitPricesMinor[i]);
            }
        }
        if (eligibleGross < discount) {
            throw new IllegalStateException("discount " + discount + " above the eligible lines' gross " + eligibleGross
                    + " of order " + order.orderId);
        }
        long[] remainders = new long[lines];
        long left = discount;
        for (int i = 0; i < lines; i++) {
            if (!order.isEligible(i)) {
                into[i] = 0;
                remainders[i] = -1;
                continue;
            }
            long gross = grossMinor(order.quantities[i], order.unitPricesMinor[i]);
            into[i] = mulDivFloor(discount, gross, eligibleGross);
            remainders[i] = mulRemainder(discount, gross, eligibleGross);
            left -= into[i];
        }
        // Fewer units are left than eligible lines: each goes to the largest remainder not yet served.
        while (left > 0) {
            int best = -1;
            for (int i = 0; i < lines; i++) {
                if (remainders[i] >= 0 && (best < 0 || remainders[i] > remainders[best])) {
                    best = i;
                }
            }
            into[best]++;
            remainders[best] = -1;
            left--;
        }
    }

    /** {@code floor(a * b / c)} for {@code a, b >= 0}, {@code c > 0}, a result that fits a long; exact beyond 2^63 products. */
    public static long mulDivFloor(long a, long b, long c) {
        long high = Math.multiplyHigh(a, b);
        if (high == 0 && a * b >= 0) {
            return a * b / c;
        }
        return java.math.BigInteger.valueOf(a)
                .multiply(java.math.BigInteger.valueOf(b))
                .divide(java.math.BigInteger.valueOf(c))
                .longValueExact();
    }

    /** {@code a * b mod c} for {@code a, b >= 0}, {@code c > 0}. */
    private static long mulRemainder(long a, long b, long c) {
        long high = Math.multiplyHigh(a, b);
        if (high == 0 && a * b >= 0) {
            return a * b % c;
        }
        return java.math.BigInteger.valueOf(a)
                .multiply(java.math.BigInteger.valueOf(b))
                .mod(java.math.BigInteger.valueOf(c))
                .longValueExact();
    }
}
