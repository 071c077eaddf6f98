package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineTest {
    private static final long MILLI = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    /** A second's one stall shows in its longest call while its p99 stays with the rest. */
    @Test
    void aSecondShouldKeepItsP99AndItsLongestCall() {
        Timeline timeline = new Timeline(10);
        for (int i = 0; i < 999; i++) {
            timeline.admitted(0, SECOND / 2, 2 * MILLI, 2 * MILLI, true, 0);
        }
        timeline.admitted(0, SECOND / 2, 150 * MILLI, 150 * MILLI, true, 0);
        timeline.sampleSecond(SECOND);
        timeline.admitted(SECOND, 3 * SECOND / 2, 7 * MILLI, 7 * MILLI, false, 0);
        timeline.sampleSecond(2 * SECOND);
        timeline.sampleSecond(3 * SECOND); // nothing answered in the third second

        List<Timeline.Second> seconds = timeline.seconds();
        assertThat(seconds).hasSize(2);
        assertThat(seconds.get(0).admittedP99Millis()).isCloseTo(2.0, within(0.01));
        assertThat(seconds.get(0).admittedMaxMillis()).isCloseTo(150.0, within(0.2));
        assertThat(seconds.get(0).admitted()).isEqualTo(1_000);
        assertThat(seconds.get(0).reservedAnswered()).isEqualTo(1_000);
        assertThat(seconds.get(1).admittedP99Millis()).isCloseTo(7.0, within(0.01));
        assertThat(seconds.get(1).admittedMaxMillis()).isCloseTo(7.0, within(0.01));
        assertThat(seconds.get(1).reservedAnswered()).isZero();
    }
}
