package io.checkout.engine;

import java.util.Arrays;

/**
 * Merchants and their commission rates, as rows that are only ever appended: defining a merchant
 * takes a row, and so does each change of its rate. An order line keeps the row that was current
 * when it was reserved, so later rate changes never touch orders already taken, and what a line
 * owes the platform is fixed the moment it exists. A row number is small (below {@link #ROWS_MAX})
 * so that an order line can carry it beside its SKU and units.
 *
 * <p>Merchants are numbered densely as they are first defined; a SKU refers to its merchant by
 * number, so a reserve finds the current row with two array reads. Admin calls add rows; reserves
 * only read them.
 */
public final class MerchantTable {
    /** The most rows any table may hold: row + 1 is kept in 20 bits of an order line. */
    public static final int ROWS_MAX = (1 << 20) - 1;
    /** A commission rate of 100%. */
    public static final int COMMISSION_BPS_MAX = 10_000;

    private static final int INITIAL = 16;

    /** Merchant ids by number. */
    private final IdNumbers ids = new IdNumbers();
    /** Each merchant's id as ASCII bytes, by number: what the index compares a wanted id with. */
    private int[] currentRow = new int[INITIAL];

    private int[] rowMerchant = new int[INITIAL];
    private int[] rowBps = new int[INITIAL];
    private long[] rowSince = new long[INITIAL];
    private int rowCount;

    /** Rows in the table: one per merchant defined and per change of rate. */
    public int rowCount() {
        return rowCount;
    }

    public int merchantCount() {
        return ids.size();
    }

    /** The merchant's number, or -1 if it was never defined. */
    public int numberOf(IdBuffer merchantId) {
        return ids.numberOf(merchantId);
    }

    /** Like {@link #numberOf(IdBuffer)}, for tests and cold paths (allocates). */
    public int numberOf(String merchantId) {
        return numberOf(IdBuffer.of(merchantId));
    }

    public String merchantId(int number) {
        return ids.id(number);
    }

    /** The row now in force for merchant {@code number}. */
    public int currentRow(int number) {
        return currentRow[number];
    }

    /** The merchant number of {@code row}. */
    public int rowMerchant(int row) {
        return rowMerchant[row];
    }

    public int rowCommissionBps(int row) {
        return rowBps[row];
    }

    /** When {@code row} was set, in engine time. */
    public long rowSinceEpochMillis(int row) {
        return rowSince[row];
    }

    /**
     * Appends a row giving {@code merchantId} the rate {@code commissionBps} from
     * {@code atEpochMillis}, defining the merchant if it is new; the row becomes the merchant's
     * current one. The caller has checked the id, the rate, and room against its capacity.
     *
     * @return the new row
     */
    public int append(String merchantId, int commissionBps, long atEpochMillis) {
        if (commissionBps < 0 || commissionBps > COMMISSION_BPS_MAX) {
            throw new IllegalArgumentException(
                    "commission must be 0.." + COMMISSION_BPS_MAX + " bps: " + commissionBps);
        }
        if (rowCount >= ROWS_MAX) {
            throw new IllegalStateException("merchant table holds " + ROWS_MAX + " rows at most");
        }
        IdBuffer id = IdBuffer.of(merchantId);
        int number = ids.numberOf(id);
        if (number < 0) {
            if (!id.isSkuId(EngineLimits.ID_LENGTH_MAX)) {
                throw new IllegalArgumentException("not a merchant id: " + merchantId);
            }
            number = ids.add(merchantId, id);
            if (number == currentRow.length) {
                currentRow = Arrays.copyOf(currentRow, number * 2);
            }
        }
        int row = rowCount;
        if (row == rowBps.length) {
            rowMerchant = Arrays.copyOf(rowMerchant, row * 2);
            rowBps = Arrays.copyOf(rowBps, row * 2);
            rowSince = Arrays.copyOf(rowSince, row * 2);
        }
        rowMerchant[row] = number;
        rowBps[row] = commissionBps;
        rowSince[row] = atEpochMillis;
        currentRow[number] = row;
        rowCount++;
        return row;
    }
}
