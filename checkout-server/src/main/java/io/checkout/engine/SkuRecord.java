package io.checkout.engine;

/**
 * One SKU, its sale and its stock. A mutable flyweight: the engine and the state copy into and out
 * of reusable instances so the hot path does not allocate.
 *
 * <p>Invariant, always: {@code available + reserved + sold == totalStock}, each of them {@code >= 0}.
 */
public final class SkuRecord {
    /** Dense index assigned when the SKU is created, never reused; orders refer to SKUs by it. */
    public int index = -1;

    public String skuId;
    public long priceMinor;
    public int currency;
    public long totalStock;
    public long available;
    public long reserved;
    public long sold;
    /** 0 means no limit. */
    public long perUserLimit;

    public long saleStartEpochMillis;
    /** Exclusive; 0 means the sale never ends. */
    public long saleEndEpochMillis;

    public long reservationTtlMillis;
    /** The merchant selling the SKU, or null; {@link #merchantNumber} is its number in the {@link MerchantTable}. */
    public String merchantId;
    /** -1 when {@link #merchantId} is null. */
    public int merchantNumber = -1;
    /** The store the SKU is sold at or picked up from, or the venue of a bookable slot; or null. */
    public String storeId;
    /** The SKU's group, or null; {@link #groupNumber} is its number in the {@link SkuGroupTable}. */
    public String groupId;
    /** -1 when {@link #groupId} is null. */
    public int groupNumber = -1;

    public boolean isOnSale(long nowMillis) {
        return nowMillis >= saleStartEpochMillis && (saleEndEpochMillis == 0 || nowMillis < saleEndEpochMillis);
    }

    public boolean isConserved() {
        return available >= 0 && reserved >= 0 && sold >= 0 && available + reserved + sold == totalStock;
    }

    public void copyFrom(SkuRecord other) {
        // The references are stored only when they differ: a reserve writes its SKU back through
        // here into the SKU table's long-lived record, and a reference stored there dirties a card
        // for G1 to refine, one per reserve of a different SKU (Command.typeCode says more).
        index = other.index;
        if (skuId != other.skuId) {
            skuId = other.skuId;
        }
        priceMinor = other.priceMinor;
        currency = other.currency;
        totalStock = other.totalStock;
        available = other.available;
        reserved = other.reserved;
        sold = other.sold;
        perUserLimit = other.perUserLimit;
        saleStartEpochMillis = other.saleStartEpochMillis;
        saleEndEpochMillis = other.saleEndEpochMillis;
        reservationTtlMillis = other.reservationTtlMillis;
        if (merchantId != other.merchantId) {
            merchantId = other.merchantId;
        }
        merchantNumber = other.merchantNumber;
        if (storeId != other.storeId) {
            storeId = other.storeId;
        }
        if (groupId != other.groupId) {
            groupId = other.groupId;
        }
        groupNumber = other.groupNumber;
    }

    public void clear() {
        index = -1;
        skuId = null;
        priceMinor = 0;
        currency = CurrencyCode.NONE;
        totalStock = 0;
        available = 0;
        reserved = 0;
        sold = 0;
        perUserLimit = 0;
        saleStartEpochMillis = 0;
        saleEndEpochMillis = 0;
        reservationTtlMillis = 0;
        merchantId = null;
        merchantNumber = -1;
        storeId = null;
        groupId = null;
        groupNumber = -1;
    }

    /** Reads a word of each cache line of the record; see {@link Command#touchLines()}. */
    int touchLines() {
        return index ^ (int) saleEndEpochMillis ^ (groupId == null ? 0 : 1);
    }

    @Override
    public String toString() {
        return "SkuRecord{" + index + ' ' + skuId + " price=" + priceMinor + ' ' + CurrencyCode.unpack(currency)
                + " total=" + totalStock + " available=" + available + " reserved=" + reserved + " sold=" + sold
                + " limit=" + perUserLimit + " sale=[" + saleStartEpochMillis + ',' + saleEndEpochMillis + ")"
                + " ttl=" + reservationTtlMillis
                + (merchantId == null ? "" : " merchant=" + merchantId)
                + (storeId == null ? "" : " store=" + storeId)
                + (groupId == null ? "" : " group=" + groupId) + '}';
    }
}
