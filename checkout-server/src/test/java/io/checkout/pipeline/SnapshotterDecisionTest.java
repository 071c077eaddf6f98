package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.pipeline.Snapshotter.Decision;
import org.junit.jupiter.api.Test;

/** When a background snapshot runs: after its interval, later while the engine is saturated, never past the deferral. */
class SnapshotterDecisionTest {
    @Test
    void shouldNotBeDueBeforeTheIntervalNorEverWithoutOne() {
        assertThat(Snapshotter.decide(999, 1_000, 500, false)).isEqualTo(Decision.NOT_DUE);
        assertThat(Snapshotter.decide(999, 1_000, 500, true)).isEqualTo(Decision.NOT_DUE);
        assertThat(Snapshotter.decide(Long.MAX_VALUE, 0, 500, false)).isEqualTo(Decision.NOT_DUE);
    }

    @Test
    void shouldRunWhenDueAndTheEngineKeepsUp() {
        assertThat(Snapshotter.decide(1_000, 1_000, 500, false)).isEqualTo(Decision.SNAPSHOT);
        assertThat(Snapshotter.decide(1_499, 1_000, 500, false)).isEqualTo(Decision.SNAPSHOT);
    }

    @Test
    void shouldWaitWhileSaturatedUntilTheDeferralIsUsedUp() {
        assertThat(Snapshotter.decide(1_000, 1_000, 500, true)).isEqualTo(Decision.DEFER);
        assertThat(Snapshotter.decide(1_499, 1_000, 500, true)).isEqualTo(Decision.DEFER);
        assertThat(Snapshotter.decide(1_500, 1_000, 500, true)).isEqualTo(Decision.SNAPSHOT);
        assertThat(Snapshotter.decide(1_000_000, 1_000, 500, true)).isEqualTo(Decision.SNAPSHOT);
    }

    @Test
    void shouldNeverWaitWithoutADeferral() {
        assertThat(Snapshotter.decide(1_000, 1_000, 0, true)).isEqualTo(Decision.SNAPSHOT);
    }

    @Test
    void shouldNotOverflowAtTheLargestSettings() {
        long largest = 1L << 40;
        assertThat(Snapshotter.decide(Long.MAX_VALUE, largest, largest, true)).isEqualTo(Decision.SNAPSHOT);
        assertThat(Snapshotter.decide(largest + largest - 1, largest, largest, true))
                .isEqualTo(Decision.DEFER);
        assertThat(Snapshotter.decide(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, true))
                .isEqualTo(Decision.DEFER);
    }
}
