package io.checkout.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The contract's slot function and order-id layout, as checkout.proto (service Partitions) defines them. */
class PartitioningTest {

    /** The definition, written the plain way: FNV-1a 32 over the UTF-8 bytes, modulo 16384. */
    private static int referenceSlot(String key) {
        int hash = 0x811C9DC5;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xFF)) * 0x01000193;
        }
        return Integer.remainderUnsigned(hash, Partitioning.SLOTS);
    }

    @Test
    void theSlotShouldBeFnv1aOfTheUtf8BytesModuloTheSlotCount() {
        // FNV-1a 32 of "a" is 0xE40C292C (the published test vector).
        assertThat(Partitioning.slotOf("a")).isEqualTo(Integer.remainderUnsigned(0xE40C292C, 16_384));
        assertThat(Partitioning.slotOf("")).isEqualTo(Integer.remainderUnsigned(0x811C9DC5, 16_384));
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 10_000; i++) {
            StringBuilder id = new StringBuilder();
            int length = 1 + random.nextInt(20);
            for (int c = 0; c < length; c++) {
                // Mostly ASCII, some two- and three-byte characters and surrogate pairs.
                int kind = random.nextInt(10);
                if (kind < 7) {
                    id.append((char) (0x21 + random.nextInt(0x5E)));
                } else if (kind == 7) {
                    id.append((char) (0x80 + random.nextInt(0x780)));
                } else if (kind == 8) {
                    id.append((char) (0x800 + random.nextInt(0xD000 - 0x800)));
                } else {
                    id.appendCodePoint(0x10000 + random.nextInt(0x10000));
                }
            }
            String key = id.toString().replace(':', '.');
            assertThat(Partitioning.slotOf(key)).as(key).isEqualTo(referenceSlot(key));
        }
    }

    @Test
    void skusWithOnePartitionKeyShouldShareASlot() {
        assertThat(Partitioning.slotOf("sale-42:phone")).isEqualTo(referenceSlot("sale-42"));
        assertThat(Partitioning.slotOf("sale-42:case")).isEqualTo(Partitioning.slotOf("sale-42:phone"));
        assertThat(Partitioning.slotOf("sale-42:case:red")).isEqualTo(referenceSlot("sale-42"));
        // No colon, or nothing before it: the whole id is the key.
        assertThat(Partitioning.slotOf("phone")).isEqualTo(referenceSlot("phone"));
        assertThat(Partitioning.slotOf(":phone")).isEqualTo(referenceSlot(":phone"));
    }

    @Test
    void orderIdsShouldCarryTheirPartitionAboveTheLocalBits() {
        long id = Partitioning.orderIdBase(3) + 12_345;
        assertThat(id).isPositive();
        assertThat(Partitioning.partitionOfOrder(id)).isEqualTo(3);
        assertThat(Partitioning.localOrderId(id)).isEqualTo(12_345);
        assertThat(Partitioning.orderIdBase(0)).isZero();
        long last = Partitioning.orderIdBase(Partitioning.PARTITIONS_MAX - 1) + Partitioning.ORDER_ID_LOCAL_MASK;
        assertThat(last).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> Partitioning.orderIdBase(Partitioning.PARTITIONS_MAX))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
