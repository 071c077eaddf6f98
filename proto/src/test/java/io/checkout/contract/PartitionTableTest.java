package io.checkout.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The partition map document: parsed from its JSON form, validated with errors that name the field. */
class PartitionTableTest {
    private static final String TWO = """
            {"version": 7, "partitions": [
              {"id": 0, "targets": ["p0:9090"], "slots": [{"first": 0, "last": 8191}]},
              {"id": 1, "targets": ["p1a:9090", "p1b:9090", "p1c:9090"], "slots": [{"first": 8192, "last": 16383}]}
            ]}""";

    @Test
    void aValidMapShouldTellEachSlotsOwner() {
        PartitionTable table = PartitionTable.parseJson(TWO);
        assertThat(table.version()).isEqualTo(7);
        assertThat(table.partitionCount()).isEqualTo(2);
        assertThat(table.partitionOfSlot(0)).isZero();
        assertThat(table.partitionOfSlot(8191)).isZero();
        assertThat(table.partitionOfSlot(8192)).isEqualTo(1);
        assertThat(table.partition(1).getTargetsList()).hasSize(3);
        assertThat(table.partitionOfSku("t:a")).isEqualTo(table.partitionOfSlot(Partitioning.slotOf("t")));
        assertThat(table.partition(2)).isNull();
    }

    @Test
    void targetsAndKeysShouldComeFromTheMap() {
        PartitionTable table = PartitionTable.parseJson(TWO);
        assertThat(table.targetOf(0)).isEqualTo("p0:9090");
        assertThat(table.targetOf(1)).isEqualTo("static:///p1a:9090,p1b:9090,p1c:9090");
        assertThatThrownBy(() -> PartitionTable.single().targetOf(0)).hasMessageContaining("no targets");
        for (int id = 0; id < 2; id++) {
            String key = table.keyOwnedBy(id);
            assertThat(table.partitionOfSku(key + ":anything")).isEqualTo(id);
        }
    }

    @Test
    void theSingleMapShouldGiveEverySlotToPartitionZero() {
        PartitionTable single = PartitionTable.single();
        assertThat(single.version()).isZero();
        for (int slot = 0; slot < Partitioning.SLOTS; slot += 997) {
            assertThat(single.partitionOfSlot(slot)).isZero();
        }
        for (String skuId : new String[] {"", "HOT-1", "t:a", "\u00e9t\u00e9:x", "catalog-99999"}) {
            assertThat(single.partitionOfSku(skuId)).isZero();
        }
    }

    @Test
    void sameSlotsShouldNoticeAPartitionGainingOrLosingASlot() {
        PartitionTable before = PartitionTable.parseJson(TWO);
        PartitionTable moved = PartitionTable.parseJson(
                TWO.replace("\"version\": 7", "\"version\": 8").replace("p0:9090", "p0-new:9090"));
        PartitionTable resliced =
                PartitionTable.parseJson(TWO.replace("8191", "8000").replace("8192", "8001"));
        assertThat(before.sameSlots(moved, 0)).isTrue();
        assertThat(before.sameSlots(resliced, 0)).isFalse();
        assertThat(before.sameSlots(resliced, 1)).isFalse();
    }

    @Test
    void invalidMapsShouldBeRefusedNamingTheField() {
        assertThatThrownBy(() -> PartitionTable.parseJson("{\"version\": 1}"))
                .hasMessageContaining("partitions: at least one partition");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("8192", "8193")))
                .hasMessageContaining("slot 8192 is owned by no partition");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("8192", "8191")))
                .hasMessageContaining("partitions[1].slots[0]: slot 8191 is owned by partition 0 already");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("\"id\": 1", "\"id\": 0")))
                .hasMessageContaining("partitions[1].id: 0 is listed twice");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("\"id\": 1", "\"id\": 5")))
                .hasMessageContaining("partitions[1].id: 5 is not one of 0..1");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("16383", "16384")))
                .hasMessageContaining("partitions[1].slots[0]: 8192..16384 is not a range within 0..16383");
        assertThatThrownBy(() -> PartitionTable.parseJson(TWO.replace("p0:9090", " ")))
                .hasMessageContaining("partitions[0].targets[0]");
        assertThatThrownBy(() -> PartitionTable.parseJson("{\"partitions\": [{\"id\": \"x\"}]}"))
                .hasMessageContaining("not a PartitionMap in JSON");
    }
}
