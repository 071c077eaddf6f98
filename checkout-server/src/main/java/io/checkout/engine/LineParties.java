package io.checkout.engine;

/**
 * Who an order's lines are settled with, resolved for an answer or an event: each line's merchant
 * and commission rate (from the {@link MerchantTable} row the line was reserved with) and its SKU's
 * store; and the campaign the order redeemed. Parallel to the order's line arrays; entries are null and 0 for a line without them. The
 * strings are the tables' own, so filling allocates nothing.
 */
public final class LineParties {
    /** No merchant, store or rate on any line: what an answer without them reads. Never written. */
    public static final LineParties NONE = new LineParties();

    public final String[] merchantIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    public final String[] storeIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    public final int[] commissionBps = new int[EngineLimits.LINES_PER_ORDER_MAX];
    /** The id of the campaign the order redeemed, or null: none. */
    public String campaignId;

    private int count;

    /** Sets line {@code line} (lines are set in order from 0). */
    public void set(int line, String merchantId, String storeId, int bps) {
        merchantIds[line] = merchantId;
        storeIds[line] = storeId;
        commissionBps[line] = bps;
        count = Math.max(count, line + 1);
    }

    /** Sets line {@code line} from its merchant row + 1 ({@link OrderRecord#merchantRow}) and its SKU's store. */
    public void set(int line, MerchantTable merchants, int merchantRow, String storeId) {
        if (merchantRow == 0) {
            set(line, null, storeId, 0);
        } else {
            int row = merchantRow - 1;
            set(line, merchants.merchantId(merchants.rowMerchant(row)), storeId, merchants.rowCommissionBps(row));
        }
    }

    public void clear() {
        for (int i = 0; i < count; i++) {
            merchantIds[i] = null;
            storeIds[i] = null;
            commissionBps[i] = 0;
        }
        count = 0;
        campaignId = null;
    }

    public void copyFrom(LineParties other) {
        clear();
        System.arraycopy(other.merchantIds, 0, merchantIds, 0, other.count);
        System.arraycopy(other.storeIds, 0, storeIds, 0, other.count);
        System.arraycopy(other.commissionBps, 0, commissionBps, 0, other.count);
        count = other.count;
        campaignId = other.campaignId;
    }
}
