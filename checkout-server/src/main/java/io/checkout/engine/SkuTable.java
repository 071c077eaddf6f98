package io.checkout.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SKU records on the heap, by dense index and by id. SKUs are few and read on every reserve. The id
 * lookup takes the command's {@link IdBuffer} and compares it with each SKU's id kept as bytes, so
 * finding a SKU reads the index's slot and one small array.
 */
public final class SkuTable {
    private static final int INITIAL_SKUS = 16;

    private final List<SkuRecord> skus = new ArrayList<>();
    /** Each SKU's id as ASCII bytes, by index: what the index compares a wanted id with. */
    private byte[][] idBytes = new byte[INITIAL_SKUS][];

    private final IdIndex indexes =
            new IdIndex(INITIAL_SKUS, (row, id) -> id.contentEquals(idBytes[row], 0, idBytes[row].length));

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
            if (copy.index == idBytes.length) {
                idBytes = Arrays.copyOf(idBytes, idBytes.length * 2);
            }
            idBytes[copy.index] = copy.skuId.getBytes(StandardCharsets.US_ASCII);
            skus.add(copy);
            indexes.add(id, copy.index);
        } else if (sku.index >= 0 && sku.index < skus.size()) {
            skus.get(sku.index).copyFrom(sku);
        } else {
            throw new IllegalStateException(
                    "SKU indexes must be dense: wrote " + sku.index + " with " + skus.size() + " SKUs");
        }
    }
}
