package io.checkout.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * SKU records on the heap, by dense index and by id. SKUs are few and read on every reserve. The id
 * lookup takes the command's {@link IdBuffer} and compares it with the SKU's id kept as bytes at a
 * fixed place in one array, so finding a SKU reads the index's slot and one run of bytes.
 */
public final class SkuTable {
    private static final int INITIAL_SKUS = 16;
    /** The bytes each SKU's id takes in {@link #ids}: the longest id. */
    private static final int ID_STRIDE = EngineLimits.ID_LENGTH_MAX;
    /** The most SKUs whose ids one array holds. */
    static final int SKUS_MAX = Integer.MAX_VALUE / ID_STRIDE;

    private final List<SkuRecord> skus = new ArrayList<>();
    /**
     * Each SKU's id as ASCII bytes, {@link #ID_STRIDE} bytes a SKU by index, zero after the id (an
     * id's bytes are printable, never zero): what the index compares a wanted id with. One array
     * rather than one per SKU: a lookup in a large catalog misses the caches, and an array per SKU
     * was a reference to follow before the bytes, a dependent miss more.
     */
    private byte[] ids = new byte[INITIAL_SKUS * ID_STRIDE];

    private final IdIndex indexes = new IdIndex(INITIAL_SKUS, this::holds);

    /**
     * While frozen ({@link #freeze}): the records as they were at the freeze, held for a reader on
     * another thread. A write to one of them replaces it in {@link #skus} with a changed copy (once
     * per record and freeze: {@link #replaced}) instead of changing it. Null when not frozen.
     */
    private List<SkuRecord> held;
    /** While frozen: a bit per held record, set once the table no longer holds it. */
    private long[] replaced;

    /** The SKU's index, or {@link CheckoutState#MISSING_SKU}. */
    public int indexOf(IdBuffer skuId) {
        int index = indexes.get(skuId);
        return index == IdIndex.NONE ? CheckoutState.MISSING_SKU : index;
    }

    /** Like {@link #indexOf(IdBuffer)}, for tests and cold paths (allocates). */
    public int indexOf(String skuId) {
        return indexOf(IdBuffer.of(skuId));
    }

    public int size() {
        return skus.size();
    }

    /** Copies SKU {@code index} into {@code into}. */
    public void read(int index, SkuRecord into) {
        into.copyFrom(skus.get(index));
    }

    /** Whether SKU {@code row}'s id is {@code id}. */
    private boolean holds(int row, IdBuffer id) {
        int length = id.length();
        if (length > ID_STRIDE) {
            return false;
        }
        int at = row * ID_STRIDE;
        return id.contentEquals(ids, at, length) && (length == ID_STRIDE || ids[at + length] == 0);
    }

    /** The length of SKU {@code index}'s id: its ASCII bytes, one a character. */
    public int idLength(int index) {
        int at = index * ID_STRIDE;
        int length = 0;
        while (length < ID_STRIDE && ids[at + length] != 0) {
            length++;
        }
        return length;
    }

    /**
     * Writes SKU {@code index}'s id bytes into {@code into} from its position, as {@link IdBuffer#copyTo} does.
     *
     * @return how many bytes it wrote: the id's length
     */
    public int copyIdTo(int index, ByteBuffer into) {
        int length = idLength(index);
        into.put(ids, index * ID_STRIDE, length);
        return length;
    }

    /** SKU {@code index}'s store id (null: none), without copying its record. */
    public String storeId(int index) {
        return skus.get(index).storeId;
    }

    /** Stores a copy of {@code sku}: {@code sku.index == size()} adds it, a lower index replaces it. */
    public void write(SkuRecord sku) {
        if (sku.index == skus.size()) {
            SkuRecord copy = new SkuRecord();
            copy.copyFrom(sku);
            IdBuffer id = IdBuffer.of(copy.skuId);
            if (!id.isSkuId(EngineLimits.ID_LENGTH_MAX)) {
                throw new IllegalArgumentException("not a SKU id: " + copy.skuId);
            }
            if (indexes.get(id) != IdIndex.NONE) {
                throw new IllegalStateException("SKU " + copy.skuId + " is already at index " + indexes.get(id));
            }
            if (copy.index >= SKUS_MAX) {
                throw new IllegalStateException("the SKU table holds at most " + SKUS_MAX + " SKUs");
            }
            if ((copy.index + 1) * ID_STRIDE > ids.length) {
                ids = Arrays.copyOf(ids, (int) Math.min((long) ids.length * 2, (long) SKUS_MAX * ID_STRIDE));
            }
            byte[] idAscii = copy.skuId.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(idAscii, 0, ids, copy.index * ID_STRIDE, idAscii.length);
            skus.add(copy);
            indexes.add(id, copy.index);
        } else if (sku.index >= 0 && sku.index < skus.size()) {
            writeOver(sku);
        } else {
            throw new IllegalStateException(
                    "SKU indexes must be dense: wrote " + sku.index + " with " + skus.size() + " SKUs");
        }
    }

    /** Replaces SKU {@code sku.index}'s record with {@code sku}'s values; a held record is left as it is. */
    private void writeOver(SkuRecord sku) {
        int index = sku.index;
        if (held != null && index < held.size() && (replaced[index >>> 6] & (1L << index)) == 0) {
            SkuRecord copy = new SkuRecord();
            copy.copyFrom(sku);
            skus.set(index, copy);
            replaced[index >>> 6] |= 1L << index;
        } else {
            skus.get(index).copyFrom(sku);
        }
    }

    /**
     * Holds every SKU record as it is now, for a reader on another thread (a snapshot being
     * written), until {@link #thaw}: the table goes on taking writes, each first write of a held
     * record replacing it with a copy rather than changing it. Costs a copy of the references, not
     * of the records. Call on the table's own thread, between two commands.
     *
     * @return the records at this point, by index; the reader must not change them
     */
    public List<SkuRecord> freeze() {
        if (held != null) {
            throw new IllegalStateException("the SKU table is frozen already");
        }
        // One copy of the references, as Object[]: a copy into a SkuRecord[] checks each element's
        // type, reading every record's header (a cache miss each in a large catalog: 0.16 ms of the
        // freeze's 0.27 at 41,000 SKUs in FreezeBenchmark's profile), and List.copyOf copies twice.
        @SuppressWarnings("unchecked") // the elements are those of skus, a List<SkuRecord>
        List<SkuRecord> records =
                (List<SkuRecord>) (List<?>) Collections.unmodifiableList(Arrays.asList(skus.toArray()));
        replaced = new long[(records.size() + 63) >>> 6];
        held = records;
        return records;
    }

    /** Ends the freeze: the reader is done with the held records; writes change records in place again. */
    public void thaw() {
        held = null;
        replaced = null;
    }
}
