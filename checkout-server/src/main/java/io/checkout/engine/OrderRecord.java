package io.checkout.engine;

import java.util.Arrays;

/**
 * One order. A mutable flyweight with line arrays sized for {@link EngineLimits#LINES_PER_ORDER_MAX}
 * so reading and writing orders does not allocate.
 */
public final class OrderRecord {
    private static final OrderState[] STATES = EnumCodes.constants(OrderState.class);

    public long orderId;
    public final IdBuffer userId = new IdBuffer();
    public int lineCount;
    public final int[] skuIndexes = new int[EngineLimits.LINES_PER_ORDER_MAX];
    public final int[] quantities = new int[EngineLimits.LINES_PER_ORDER_MAX];
    public final long[] unitPricesMinor = new long[EngineLimits.LINES_PER_ORDER_MAX];
    /**
     * Units of each line refunded so far, while the order is PARTLY_REFUNDED; in any other state
     * these entries mean nothing (a new order does not clear them, so that a reserve writes no
     * more than it did): read {@link #refundedQuantity(int)}.
     */
    public final int[] refundedQuantities = new int[EngineLimits.LINES_PER_ORDER_MAX];

    /** What the buyer pays: the lines' gross less {@link #discountMinor}. */
    public long amountMinor;

    public int currency;
    /** The campaign the order redeemed ({@link CampaignTable} number), or -1: none. */
    public int campaignNumber = -1;
    /** The campaign's discount, 0 without one; {@link Settlement#allocateDiscount} splits it over the lines. */
    public long discountMinor;
    /** Bit {@code i}: line {@code i} shares the discount (the campaign applied to it when reserved). */
    public long eligibleLines;

    public long createdAtEpochMillis;
    public long expiresAtEpochMillis;
    public long updatedAtEpochMillis;
    /**
     * The payment recorded on the order, when {@link #hasPayment()}: a confirm that carried one
     * paid it. Its amount and currency are the order's, which a confirm checks. Without a payment
     * these fields hold nothing meaningful, and are not touched: clearing a record that never had a
     * payment (every reserve's) writes only a flag.
     */
    public final IdBuffer paymentProvider = new IdBuffer();

    public final IdBuffer paymentId = new IdBuffer();
    /** When the payment was recorded (engine time). */
    public long paidAtEpochMillis;

    private boolean paid;
    /**
     * Where the order stands, as its ordinal + 1 (0: unset): read with {@link #state()}. A byte, not
     * a reference, as {@link Command}'s type is: records such as a ring slot's answer are long-lived,
     * and each reference stored into one dirties a card for G1 to refine or scan.
     */
    private byte stateCode;

    /**
     * Each line's row of the {@link MerchantTable} + 1, as it was when the order was reserved: the
     * merchant and the commission rate the line is settled at; 0: the SKU had no merchant. Behind
     * a flag, so that an order without merchants (every reserve of a sale without them) never
     * touches the array: read {@link #merchantRow(int)}.
     */
    private int[] merchantRows;

    private boolean merchantRowsSet;

    /** Where the order stands, or null until a state is set (a new or cleared record). */
    public OrderState state() {
        return EnumCodes.decode(STATES, stateCode);
    }

    /** Sets where the order stands; null leaves it unset. */
    public void state(OrderState newState) {
        stateCode = EnumCodes.encode(newState);
    }

    /** Units of line {@code line} refunded so far: all in a REFUNDED order, none before a refund. */
    public int refundedQuantity(int line) {
        OrderState now = state();
        return now == OrderState.REFUNDED
                ? quantities[line]
                : now == OrderState.PARTLY_REFUNDED ? refundedQuantities[line] : 0;
    }

    /** The amount refunded so far, over every line: what the buyer paid for the units refunded. */
    public long refundedAmountMinor() {
        long[] discounts = discountMinor == 0 ? null : lineDiscountsMinor();
        long refunded = 0;
        for (int i = 0; i < lineCount; i++) {
            refunded += Settlement.refundedAmountMinor(
                    quantities[i], refundedQuantity(i), unitPricesMinor[i], discounts == null ? 0 : discounts[i]);
        }
        return refunded;
    }

    /** Whether line {@code line} shares the order's discount. */
    public boolean isEligible(int line) {
        return (eligibleLines & (1L << line)) != 0;
    }

    /** Each line's share of the discount ({@link Settlement#allocateDiscount}), in a new array. */
    public long[] lineDiscountsMinor() {
        long[] shares = new long[lineCount];
        Settlement.allocateDiscount(this, shares);
        return shares;
    }

    /** Line {@code line}'s merchant row + 1, or 0 for a line without a merchant. */
    public int merchantRow(int line) {
        return merchantRowsSet ? merchantRows[line] : 0;
    }

    /** Sets line {@code line}'s merchant row + 1 ({@link #lineCount} set first: the other lines read 0 until set). */
    public void setMerchantRow(int line, int merchantRowPlusOne) {
        if (!merchantRowsSet) {
            if (merchantRowPlusOne == 0) {
                return;
            }
            if (merchantRows == null) {
                // Made when first needed and kept: most records (every reserve's of a sale without
                // merchants) never need it.
                merchantRows = new int[EngineLimits.LINES_PER_ORDER_MAX];
            } else {
                Arrays.fill(merchantRows, 0, Math.max(lineCount, line + 1), 0);
            }
            merchantRowsSet = true;
        }
        merchantRows[line] = merchantRowPlusOne;
    }

    /** Every line without a merchant (a record being filled afresh). */
    public void clearMerchantRows() {
        merchantRowsSet = false;
    }

    /** Whether a payment is recorded on the order. */
    public boolean hasPayment() {
        return paid;
    }

    /** Records the payment {@code (provider, id)}, made at {@code atEpochMillis}. */
    public void setPayment(IdBuffer provider, IdBuffer id, long atEpochMillis) {
        paymentProvider.copyFrom(provider);
        paymentId.copyFrom(id);
        paymentRead(atEpochMillis);
    }

    /**
     * Marks the payment as recorded once the caller (a decoder) has written its provider and id into
     * {@link #paymentProvider} and {@link #paymentId}.
     */
    public void paymentRead(long atEpochMillis) {
        paidAtEpochMillis = atEpochMillis;
        paid = true;
    }

    /** Drops the payment (an order read without one). */
    public void clearPayment() {
        if (paid) {
            paymentProvider.clear();
            paymentId.clear();
            paidAtEpochMillis = 0;
            paid = false;
        }
    }

    public void copyFrom(OrderRecord other) {
        orderId = other.orderId;
        userId.copyFrom(other.userId);
        lineCount = other.lineCount;
        System.arraycopy(other.skuIndexes, 0, skuIndexes, 0, other.lineCount);
        System.arraycopy(other.quantities, 0, quantities, 0, other.lineCount);
        System.arraycopy(other.unitPricesMinor, 0, unitPricesMinor, 0, other.lineCount);
        System.arraycopy(other.refundedQuantities, 0, refundedQuantities, 0, other.lineCount);
        merchantRowsSet = false;
        for (int i = 0; other.merchantRowsSet && i < other.lineCount; i++) {
            setMerchantRow(i, other.merchantRows[i]);
        }
        amountMinor = other.amountMinor;
        currency = other.currency;
        campaignNumber = other.campaignNumber;
        discountMinor = other.discountMinor;
        eligibleLines = other.eligibleLines;
        state(other.state());
        createdAtEpochMillis = other.createdAtEpochMillis;
        expiresAtEpochMillis = other.expiresAtEpochMillis;
        updatedAtEpochMillis = other.updatedAtEpochMillis;
        if (other.paid) {
            setPayment(other.paymentProvider, other.paymentId, other.paidAtEpochMillis);
        } else {
            clearPayment();
        }
    }

    public void clear() {
        orderId = 0;
        userId.clear();
        lineCount = 0;
        amountMinor = 0;
        currency = CurrencyCode.NONE;
        campaignNumber = -1;
        discountMinor = 0;
        eligibleLines = 0;
        stateCode = 0;
        createdAtEpochMillis = 0;
        expiresAtEpochMillis = 0;
        updatedAtEpochMillis = 0;
        merchantRowsSet = false;
        clearPayment();
    }

    /** Reads a word of each cache line of the record and of its first line's entries; see {@link Command#touchLines()}. */
    int touchLines() {
        return lineCount
                ^ (int) updatedAtEpochMillis
                ^ (merchantRows == null ? 0 : 1)
                ^ userId.touchLines()
                ^ skuIndexes[0]
                ^ quantities[0]
                ^ (int) unitPricesMinor[0]
                ^ refundedQuantities[0];
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("OrderRecord{")
                .append(orderId)
                .append(" user=")
                .append(userId)
                .append(' ')
                .append(state())
                .append(" amount=")
                .append(amountMinor)
                .append(' ')
                .append(CurrencyCode.unpack(currency))
                .append(
                        campaignNumber < 0
                                ? ""
                                : " campaign " + campaignNumber + " discount " + discountMinor + " on lines "
                                        + Long.toBinaryString(eligibleLines))
                .append(" lines=[");
        for (int i = 0; i < lineCount; i++) {
            text.append(i == 0 ? "" : ", ")
                    .append(skuIndexes[i])
                    .append('x')
                    .append(quantities[i])
                    .append('@')
                    .append(unitPricesMinor[i])
                    .append(merchantRow(i) == 0 ? "" : " merchant row " + (merchantRow(i) - 1))
                    .append(refundedQuantity(i) == 0 ? "" : " refunded " + refundedQuantity(i));
        }
        return text.append("] created=")
                .append(createdAtEpochMillis)
                .append(" expires=")
                .append(expiresAtEpochMillis)
                .append(" updated=")
                .append(updatedAtEpochMillis)
                .append(paid ? " paid=" + paymentProvider + "/" + paymentId + "@" + paidAtEpochMillis : "")
                .append('}')
                .toString();
    }
}
