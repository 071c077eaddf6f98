package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OrderRowsTest {

    @Test
    void consecutiveIdsOfAStripeFillPagesInOrder() {
        OrderRows rows = new OrderRows(4);
        // The stripe of ids ending in 0b0011: 3, 19, 35, ... as a server's counter hands them out.
        for (int row = 0; row < 10_000; row++) {
            assertThat(rows.get(3 + 16L * row)).isEqualTo(OrderRows.NONE);
            rows.put(3 + 16L * row, row);
        }
        for (int row = 0; row < 10_000; row++) {
            assertThat(rows.get(3 + 16L * row)).isEqualTo(row);
        }
        assertThat(rows.get(3 + 16L * 10_000)).isEqualTo(OrderRows.NONE);
        assertThat(rows.pages()).isEqualTo(3);
        assertThat(rows.scattered()).isZero();
    }

    @Test
    void partitionsInTheHighBitsEachGetPagesOfTheirOwn() {
        OrderRows rows = new OrderRows(4);
        int row = 0;
        for (long local = 1; local <= 5_000; local++) {
            for (long partition = 0; partition < 3; partition++) {
                long id = partition << 48 | local << 4 | 5;
                rows.put(id, row++);
            }
        }
        row = 0;
        for (long local = 1; local <= 5_000; local++) {
            for (long partition = 0; partition < 3; partition++) {
                assertThat(rows.get(partition << 48 | local << 4 | 5)).isEqualTo(row++);
            }
        }
        assertThat(rows.pages()).isEqualTo(6);
        assertThat(rows.scattered()).isZero();
    }

    @Test
    void scatteredIdsGoToTheHashMapOncePagesPassTheirBudget() {
        OrderRows rows = new OrderRows(0);
        Map<Long, Integer> expected = new HashMap<>();
        SplittableRandom random = new SplittableRandom(18);
        for (int row = 0; row < 20_000; row++) {
            long id = random.nextLong();
            if (!expected.containsKey(id)) {
                assertThat(rows.get(id)).isEqualTo(OrderRows.NONE);
                rows.put(id, row);
                expected.put(id, row);
            }
        }
        expected.forEach((id, row) -> assertThat(rows.get(id)).isEqualTo(row));
        // Twice the pages 20,000 consecutive ids fill, plus the spare ones: never a page an id.
        assertThat(rows.pages()).isLessThanOrEqualTo(2 * (20_000 / 4_096 + 1) + 64);
        assertThat(rows.scattered()).isEqualTo(expected.size() - rows.pages());
    }

    @Test
    void anIdFoundInTheHashMapIsFoundAfterItsPageIsMadeLater() {
        OrderRows rows = new OrderRows(0);
        SplittableRandom random = new SplittableRandom(7);
        Map<Long, Integer> expected = new HashMap<>();
        int row = 0;
        // Scattered ids first use up the budget, so the next ones land in the hash map...
        for (; row < 200; row++) {
            long id = random.nextLong() & ~0xFFFL;
            rows.put(id, row);
            expected.put(id, row);
        }
        long late = (random.nextLong() & ~0xFFFL) | 1;
        rows.put(late, row);
        expected.put(late, row++);
        assertThat(rows.scattered()).isPositive();
        // ...then a long consecutive run lets pages be made again, one of them for late's page.
        for (long id = 1 << 20; row < 300_000; id++, row++) {
            rows.put(id, row);
            expected.put(id, row);
        }
        long neighbour = late + 1;
        assertThat(rows.get(neighbour)).isEqualTo(OrderRows.NONE);
        rows.put(neighbour, row);
        expected.put(neighbour, row);
        expected.forEach((id, at) -> assertThat(rows.get(id)).isEqualTo(at));
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertThatThrownBy(() -> new OrderRows(9)).hasMessageContaining("stripeBits");
        OrderRows rows = new OrderRows(0);
        assertThatThrownBy(() -> rows.put(1, -1)).hasMessageContaining("row");
        assertThatThrownBy(() -> rows.put(1, Integer.MAX_VALUE)).hasMessageContaining("row");
        assertThat(rows.get(1)).isEqualTo(OrderRows.NONE);
    }
}
