package io.checkout.contract;

/**
 * How SKUs and orders map to partitions, as the contract defines it (checkout.proto, service
 * Partitions): the server checks ownership with it and the SDK routes with it, so neither can drift.
 *
 * <p>The slot hash is FNV-1a, 32 bits, over the routing key's UTF-8 bytes: a few lines any client
 * language can repeat exactly, computed here straight from the {@code String}'s chars with no array
 * (a CRC from {@code java.util.zip} would need the bytes copied out first, on every request).
 */
public final class Partitioning {
    /** Slots of the key space; a partition map assigns each to one partition. */
    public static final int SLOTS = 16_384;

    /** Bits of an order id that are the partition's own sequence; the partition id sits above them. */
    public static final int ORDER_ID_LOCAL_BITS = 48;

    /** Partition ids are 0..this-1: 15 bits above the local ones, so order ids stay positive. */
    public static final int PARTITIONS_MAX = 1 << (63 - ORDER_ID_LOCAL_BITS);

    /** The local part of an order id. */
    public static final long ORDER_ID_LOCAL_MASK = (1L << ORDER_ID_LOCAL_BITS) - 1;

    private static final int FNV_OFFSET_BASIS = 0x811C9DC5;
    private static final int FNV_PRIME = 0x01000193;

    private Partitioning() {}

    /**
     * The slot of a SKU: of its partition key, the text before its first {@code ':'} (as in
     * {@code sale-42:phone}) if that is not empty, else of the whole id. SKUs that share a key
     * share a partition, so one order may take them together.
     */
    public static int slotOf(CharSequence skuId) {
        int end = indexOf(skuId, ':', 0);
        if (end <= 0) {
            end = skuId.length();
        }
        return Integer.remainderUnsigned(fnv1a(skuId, 0, end), SLOTS);
    }

    /** The partition an order id was made by. */
    public static int partitionOfOrder(long orderId) {
        return (int) (orderId >>> ORDER_ID_LOCAL_BITS);
    }

    /** The id a partition's engine knows an order by (its bits below the partition's). */
    public static long localOrderId(long orderId) {
        return orderId & ORDER_ID_LOCAL_MASK;
    }

    /** What a partition's order ids have above their local part: {@code partition << 48}. */
    public static long orderIdBase(int partition) {
        if (partition < 0 || partition >= PARTITIONS_MAX) {
            throw new IllegalArgumentException("partition " + partition + " is not 0.." + (PARTITIONS_MAX - 1));
        }
        return (long) partition << ORDER_ID_LOCAL_BITS;
    }

    private static int indexOf(CharSequence text, char wanted, int from) {
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** FNV-1a over the UTF-8 encoding of {@code text[start, end)}, encoded as it goes. */
    private static int fnv1a(CharSequence text, int start, int end) {
        int hash = FNV_OFFSET_BASIS;
        for (int i = start; i < end; i++) {
            int c = text.charAt(i);
            if (c < 0x80) {
                hash = (hash ^ c) * FNV_PRIME;
            } else if (c < 0x800) {
                hash = (hash ^ (0xC0 | (c >> 6))) * FNV_PRIME;
                hash = (hash ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
            } else if (Character.isHighSurrogate((char) c)
                    && i + 1 < end
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint((char) c, text.charAt(++i));
                hash = (hash ^ (0xF0 | (cp >> 18))) * FNV_PRIME;
                hash = (hash ^ (0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME;
                hash = (hash ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
                hash = (hash ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
            } else {
                // A lone surrogate is encoded as '?', as String.getBytes(UTF_8) does.
                if (Character.isSurrogate((char) c)) {
                    hash = (hash ^ '?') * FNV_PRIME;
                    continue;
                }
                hash = (hash ^ (0xE0 | (c >> 12))) * FNV_PRIME;
                hash = (hash ^ (0x80 | ((c >> 6) & 0x3F))) * FNV_PRIME;
                hash = (hash ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
            }
        }
        return hash;
    }
}
