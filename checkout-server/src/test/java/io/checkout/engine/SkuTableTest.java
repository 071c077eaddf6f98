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
    void aFrozenTableShouldHoldItsRecordsAsTheyWereWhileItTakesWritesAndChangeThemInPlaceAgainOnceThawed() {
        for (int i = 0; i < 100; i++) {
            add("sku-" + i);
        }
        for (int round = 0; round < 2; round++) {
            List<SkuRecord> held = table.freeze();
            assertThatThrownBy(table::freeze).hasMessageContaining("frozen already");
            assertThat(held).hasSize(100 + round);
            // Writes while frozen: twice to some records (replaced once, then changed in place), and a new SKU.
            for (int write = 0; write < 2; write++) {
                for (int i = 0; i < 100; i += 3) {
                    table.write(withAvailable(i, 1_000L * (round + 1) + write));
                }
            }
            if (round == 0) {
                add("added-while-frozen");
            }
            for (int i = 0; i < 100; i++) {
                assertThat(held.get(i).available).as("held SKU %d", i).isEqualTo(i % 3 == 0 && round == 1 ? 1_001 : 0);
                assertThat(read(i).available).isEqualTo(i % 3 == 0 ? 1_000L * (round + 1) + 1 : 0);
            }
            assertThatThrownBy(() -> held.set(0, new SkuRecord())).isInstanceOf(UnsupportedOperationException.class);
            table.thaw();
            assertThat(table.size()).isEqualTo(101);
            assertThat(table.indexOf("added-while-frozen")).isEqualTo(100);
        }
        // Thawed: a write changes the table's own record, and a freeze after it sees the change.
        table.write(withAvailable(1, 7));
        assertThat(table.freeze().get(1).available).isEqualTo(7);
        table.thaw();
    }

    private SkuRecord withAvailable(int index, long available) {
        SkuRecord sku = read(index);
        sku.available = available;
        return sku;
    }

    private SkuRecord read(int index) {
        SkuRecord sku = new SkuRecord();
        table.read(index, sku);
        return sku;
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
