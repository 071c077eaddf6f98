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
}
