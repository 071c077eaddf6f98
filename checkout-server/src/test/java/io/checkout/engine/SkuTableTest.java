package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SkuTableTest {
    @Test
    void prefetchingShouldReadTheSkuALookupWillFindAndChangeNothing() {
        SkuTable table = new SkuTable();
        assertThat(table.touchRecord(IdBuffer.of("sku-1"))).as("an empty table").isZero();
        for (int i = 0; i < 100; i++) {
            SkuRecord sku = new SkuRecord();
            sku.index = i;
            sku.skuId = "sku-" + i;
            sku.totalStock = 1_000 + i;
            sku.available = 1_000 + i;
            table.write(sku);
        }

        for (int i = 0; i < 100; i++) {
            IdBuffer id = IdBuffer.of("sku-" + i);
            table.touch(id);
            // What it read: the id's first byte ('s') and the SKU's stock, when the hint finds the SKU.
            long read = table.touchRecord(id);
            assertThat(read == 0 || read == 's' + 1_000L + i)
                    .as("sku-%d read %d", i, read)
                    .isTrue();
        }
        assertThat(table.touchRecord(IdBuffer.of("sku-x"))).as("an unknown SKU").isZero();
        assertThat(table.touchRecord(new IdBuffer())).as("an absent id").isZero();

        assertThat(table.size()).isEqualTo(100);
        SkuRecord read = new SkuRecord();
        for (int i = 0; i < 100; i++) {
            assertThat(table.indexOf("sku-" + i)).isEqualTo(i);
            table.read(i, read);
            assertThat(read.available).isEqualTo(1_000 + i);
        }
    }
}
