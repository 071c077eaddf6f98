package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentedCountersTest {
    /** Puts, overwrites and removals against a plain map, past every segment's first rehash. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void shouldHoldWhatAPlainMapHolds(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        SegmentedCounters counters = new SegmentedCounters(1_000, 0.65f);
        Map<Long, Long> model = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            long key = key(random.nextInt(20_000), random.nextInt(8));
            long value = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(5);
            counters.put(key, value);
            if (value == 0) {
                model.remove(key);
            } else {
                model.put(key, value);
            }
            if (step % 997 == 0) {
                long probe = key(random.nextInt(20_000), random.nextInt(8));
                assertThat(counters.get(probe)).isEqualTo(model.getOrDefault(probe, 0L));
            }
        }
        assertThat(counters.size()).isEqualTo(model.size());
        assertThat(counters.isEmpty()).isFalse();
        Map<Long, Long> seen = new HashMap<>();
        counters.forEach((key, value) -> assertThat(seen.put(key, value)).isNull());
        assertThat(seen).isEqualTo(model);
    }

    /**
     * While frozen, writes go on into copies of the segments they touch; what the freeze handed out
     * stays as it was, and a second freeze waits for the thaw.
     */
    @Test
    void aFreezeShouldKeepWhatItHeldWhileWritesGoOn() {
        SegmentedCounters counters = new SegmentedCounters(0, 0.65f);
        Map<Long, Long> atFreeze = new HashMap<>();
        for (int user = 0; user < 5_000; user++) {
            counters.put(key(user, 1), user + 1L);
            atFreeze.put(key(user, 1), user + 1L);
        }
        SegmentedCounters.Frozen frozen = counters.freeze();
        assertThatThrownBy(counters::freeze).isInstanceOf(IllegalStateException.class);

        for (int user = 0; user < 5_000; user += 2) {
            counters.put(key(user, 1), 0); // removed
            counters.put(key(user, 2), 7); // added, rehashing segments
        }
        long copyNanos = frozen.copyNanos();
        assertThat(copyNanos).isPositive();

        assertThat(frozen.size()).isEqualTo(5_000);
        Map<Long, Long> held = new HashMap<>();
        frozen.forEach(held::put);
        assertThat(held).isEqualTo(atFreeze);
        assertThat(counters.size()).isEqualTo(5_000);
        assertThat(counters.get(key(0, 1))).isZero();
        assertThat(counters.get(key(1, 1))).isEqualTo(2);
        assertThat(counters.get(key(0, 2))).isEqualTo(7);

        counters.thaw();
        counters.put(key(1, 1), 9);
        assertThat(frozen.copyNanos()).as("no copy once thawed").isEqualTo(copyNanos);
        SegmentedCounters.Frozen again = counters.freeze();
        assertThat(again.size()).isEqualTo(5_000);
        assertThat(again.copyNanos()).isZero();
    }

    /** The state's keys (user number above, SKU index below) spread evenly over the segments. */
    @Test
    void theStatesKeysShouldSpreadOverTheSegments() {
        int[] perSegment = new int[SegmentedCounters.SEGMENTS];
        int users = 64_000;
        for (int user = 0; user < users; user++) {
            for (int sku = 0; sku < 4; sku++) {
                perSegment[SegmentedCounters.segmentOf(key(user, sku))]++;
            }
        }
        int mean = users * 4 / SegmentedCounters.SEGMENTS;
        for (int count : perSegment) {
            assertThat(count).isBetween(mean * 9 / 10, mean * 11 / 10);
        }
    }

    private static long key(int user, int sku) {
        return ((long) user << 32) | sku;
    }
}
