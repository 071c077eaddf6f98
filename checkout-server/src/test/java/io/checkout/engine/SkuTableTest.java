package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SkuTableTest {
    private final SkuTable table = new SkuTable();

    private void add(String skuId) {
        SkuRecord sku = new SkuRecord();
        sku.index = table.size();
        sku.skuId = skuId;
        table.write(sku);
    }

    @Test
    void everySkuShouldBeFoundByItsIdAndNoIdThatOnlySharesItsBytesInPart() {
        String longest = "L".repeat(EngineLimits.ID_LENGTH_MAX);
        List<String> skuIds =
                new ArrayList<>(List.of("A", "AB", "B", longest, "L".repeat(EngineLimits.ID_LENGTH_MAX - 1)));
        for (int i = 0; i < 1_000; i++) {
            skuIds.add("sku-" + i);
        }
        skuIds.forEach(this::add);

        for (int i = 0; i < skuIds.size(); i++) {
            assertThat(table.indexOf(skuIds.get(i))).as(skuIds.get(i)).isEqualTo(i);
            assertThat(table.idLength(i)).isEqualTo(skuIds.get(i).length());
            ByteBuffer written = ByteBuffer.allocate(EngineLimits.ID_LENGTH_MAX);
            assertThat(table.copyIdTo(i, written)).isEqualTo(skuIds.get(i).length());
            assertThat(new String(written.array(), 0, written.position(), StandardCharsets.US_ASCII))
                    .isEqualTo(skuIds.get(i));
        }
        assertThat(table.indexOf("ABC")).isEqualTo(CheckoutState.MISSING_SKU);
        assertThat(table.indexOf("sku-1000")).isEqualTo(CheckoutState.MISSING_SKU);
        assertThat(table.indexOf("sku-10")).isEqualTo(skuIds.indexOf("sku-10"));
        assertThat(table.indexOf(longest + "L"))
                .as("one byte longer than the longest id")
                .isEqualTo(CheckoutState.MISSING_SKU);
        assertThat(table.indexOf("")).isEqualTo(CheckoutState.MISSING_SKU);
    }

    @Test
    void anIdThatIsNotASkuIdOrIsTakenShouldBeRefused() {
        add("A");
        SkuRecord again = new SkuRecord();
        again.index = 1;
        again.skuId = "A";
        assertThatThrownBy(() -> table.write(again)).isInstanceOf(IllegalStateException.class);
        SkuRecord spaced = new SkuRecord();
        spaced.index = 1;
        spaced.skuId = "A B";
        assertThatThrownBy(() -> table.write(spaced)).isInstanceOf(IllegalArgumentException.class);
        assertThat(table.size()).isEqualTo(1);
    }
}
