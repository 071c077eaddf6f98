package io.checkout.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** SKU records on the heap, by dense index and by id. SKUs are few and read on every reserve. */
public final class SkuTable {
    private final List<SkuRecord> skus = new ArrayList<>();
    private final Map<String, Integer> indexes = new HashMap<>();

    /** The SKU's index, or {@link CheckoutState#MISSING_SKU}. */
    public int indexOf(String skuId) {
        Integer index = indexes.get(skuId);
        return index == null ? CheckoutState.MISSING_SKU : index;
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
            skus.add(copy);
            indexes.put(copy.skuId, copy.index);
        } else if (sku.index >= 0 && sku.index < skus.size()) {
            skus.get(sku.index).copyFrom(sku);
        } else {
            throw new IllegalStateException(
                    "SKU indexes must be dense: wrote " + sku.index + " with " + skus.size() + " SKUs");
        }
    }
}
