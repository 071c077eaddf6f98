package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdIndexTest {
    /**
     * Random adds, lookups and removals (by id and by row) against a {@link HashMap}, on a table
     * that starts tiny so that it grows, and with ids that share hash codes so that runs collide.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42})
    void shouldAgreeWithAHashMap(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> rowIds = new ArrayList<>();
        IdIndex index = new IdIndex(4, (row, id) -> id.contentEquals(rowIds.get(row)));
        Map<String, Integer> model = new HashMap<>();
        List<String> present = new ArrayList<>();
        for (int step = 0; step < 200_000; step++) {
            int action = random.nextInt(10);
            if (action < 5 || present.isEmpty()) {
                String id = randomId(random);
                if (!model.containsKey(id)) {
                    int row = rowIds.size();
                    rowIds.add(id);
                    index.add(IdBuffer.of(id), row);
                    model.put(id, row);
                    present.add(id);
                }
            } else if (action < 7) {
                String id = present.remove(random.nextInt(present.size()));
                int row = model.remove(id);
                if (random.nextBoolean()) {
                    assertThat(index.remove(IdBuffer.of(id))).isEqualTo(row);
                } else {
                    assertThat(index.removeRow(id.hashCode(), row)).isTrue();
                }
            } else {
                String id = random.nextBoolean() && !present.isEmpty()
                        ? present.get(random.nextInt(present.size()))
                        : randomId(random);
                assertThat(index.get(IdBuffer.of(id)))
                        .as("seed %d step %d: %s", seed, step, id)
                        .isEqualTo(model.getOrDefault(id, IdIndex.NONE));
            }
            assertThat(index.size()).isEqualTo(model.size());
        }
        for (Map.Entry<String, Integer> entry : model.entrySet()) {
            assertThat(index.get(IdBuffer.of(entry.getKey()))).isEqualTo(entry.getValue());
        }
    }

    /** Short ids from a small alphabet, plus pairs known to share a hash code ("Aa" and "BB"). */
    private static String randomId(SplittableRandom random) {
        StringBuilder id = new StringBuilder();
        int parts = 1 + random.nextInt(4);
        for (int i = 0; i < parts; i++) {
            id.append(random.nextBoolean() ? "Aa" : "BB");
        }
        id.append(random.nextInt(3_000));
        return id.toString();
    }

    @Test
    void removingAnAbsentIdShouldChangeNothing() {
        List<String> rowIds = List.of("a", "b");
        IdIndex index = new IdIndex(16, (row, id) -> id.contentEquals(rowIds.get(row)));
        index.add(IdBuffer.of("a"), 0);
        assertThat(index.remove(IdBuffer.of("b"))).isEqualTo(IdIndex.NONE);
        assertThat(index.removeRow("b".hashCode(), 1)).isFalse();
        assertThat(index.removeRow("a".hashCode(), 1)).isFalse();
        assertThat(index.get(IdBuffer.of("a"))).isZero();
        assertThat(index.size()).isEqualTo(1);
    }

    /** Over slots the caller allocated: the size {@code slotsFor} gives, used exactly like a sized index. */
    @Test
    void anIndexOverTheCallersSlotsShouldWorkLikeASizedOne() {
        List<String> rowIds = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            rowIds.add("id-" + i);
        }
        IdIndex.KeyMatcher matcher = (row, id) -> id.contentEquals(rowIds.get(row));
        assertThat(IdIndex.slotsFor(1_000)).isEqualTo(2_048);
        assertThat(IdIndex.slotsFor(0)).isEqualTo(16);
        IdIndex index = new IdIndex(new long[IdIndex.slotsFor(1_000)], matcher);
        for (int row = 0; row < rowIds.size(); row++) {
            index.add(IdBuffer.of(rowIds.get(row)), row);
        }
        for (int row = 0; row < rowIds.size(); row++) {
            assertThat(index.get(IdBuffer.of(rowIds.get(row)))).isEqualTo(row);
        }
        assertThat(index.get(IdBuffer.of("id-1000"))).isEqualTo(IdIndex.NONE);
        for (int length : new int[] {0, 8, 24, 100, 1_000}) {
            assertThatThrownBy(() -> new IdIndex(new long[length], matcher))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("power of two");
        }
    }

    @Test
    void shouldRefuseRowsItCannotStore() {
        IdIndex index = new IdIndex(16, (row, id) -> true);
        assertThatThrownBy(() -> index.add(IdBuffer.of("x"), -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.add(IdBuffer.of("x"), Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "read into {0} slots")
    @ValueSource(ints = {1_024, 64, 65_536})
    void slotsWrittenShouldBeReadBackIntoAnIndexOfTheSameOrAnotherSizeAndFindEveryId(int expected) {
        List<String> rowIds = new ArrayList<>();
        IdIndex written = new IdIndex(700, (row, id) -> id.contentEquals(rowIds.get(row)));
        for (int row = 0; row < 600; row++) {
            rowIds.add("id-" + row);
            written.add(IdBuffer.of("id-" + row), row);
        }
        written.remove(IdBuffer.of("id-7"));
        long[] image = new long[written.slotCount()];
        written.writeSlots((array, offset, length) -> System.arraycopy(array, offset, image, 0, length));

        IdIndex read = new IdIndex(expected, (row, id) -> id.contentEquals(rowIds.get(row)));
        int[] at = {0};
        read.readSlots(image.length, 599, 600, (into, offset, length) -> {
            System.arraycopy(image, at[0], into, offset, length);
            at[0] += length;
        });

        assertThat(at[0]).as("every slot read").isEqualTo(image.length);
        assertThat(read.size()).isEqualTo(599);
        for (int row = 0; row < 600; row++) {
            assertThat(read.get(IdBuffer.of("id-" + row))).isEqualTo(row == 7 ? IdIndex.NONE : row);
        }
        read.add(IdBuffer.of("id-7"), 7);
        assertThat(read.get(IdBuffer.of("id-7"))).isEqualTo(7);
    }

    @Test
    void readSlotsShouldRefuseARowPastTheLimitACountThatDisagreesAndAnIndexNotEmpty() {
        IdIndex written = new IdIndex(16, (row, id) -> true);
        written.add(IdBuffer.of("a"), 0);
        written.add(IdBuffer.of("b"), 5);
        long[] image = new long[written.slotCount()];
        written.writeSlots((array, offset, length) -> System.arraycopy(array, offset, image, 0, length));
        IdIndex.SlotsIn in = (into, offset, length) -> System.arraycopy(image, 0, into, offset, length);

        assertThatThrownBy(() -> new IdIndex(16, (row, id) -> true).readSlots(image.length, 2, 5, in))
                .hasMessageContaining("names row 5 of 5");
        assertThatThrownBy(() -> new IdIndex(16, (row, id) -> true).readSlots(image.length, 3, 6, in))
                .hasMessageContaining("says 3 entries and holds 2");
        assertThatThrownBy(() -> new IdIndex(16, (row, id) -> true).readSlots(24, 2, 6, in))
                .hasMessageContaining("not a power of two");
        assertThatThrownBy(() -> written.readSlots(image.length, 2, 6, in)).hasMessageContaining("only while empty");
    }
}
