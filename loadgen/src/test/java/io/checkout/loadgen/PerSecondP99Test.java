package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PerSecondP99Test {

    private static Measurements.Interval second(double start, double length, long count, double p99) {
        return new Measurements.Interval(start, length, count, p99 / 4, p99, p99 * 2);
    }

    @Test
    void aFewBadSecondsShouldMoveTheMaxAndNotTheMedian() {
        List<Measurements.Interval> intervals = List.of(
                second(-0.9, 1, 900, 300), // warm-up's last second: not measured
                second(0, 1, 1_000, 40),
                second(1, 1, 1_000, 3),
                second(2, 1, 1_000, 4),
                second(3, 1, 1_000, 5),
                second(4, 1, 1_000, 2),
                second(5, 0.2, 150, 90)); // the ticker's short last interval

        assertThat(Report.perSecondP99("reserve", intervals))
                .isEqualTo("per second: reserve p99 median 4.000 ms, max 40.000 ms over 5 seconds%n".formatted());
    }

    @Test
    void anEvenCountShouldTakeTheMeanOfTheMiddleTwo() {
        List<Measurements.Interval> intervals =
                List.of(second(0, 1, 10, 2), second(1, 1, 10, 8), second(2, 1, 10, 4), second(3, 1, 10, 6));

        assertThat(Report.perSecondP99("health-check", intervals))
                .startsWith("per second: health-check p99 median 5.000 ms,");
    }

    @Test
    void noMeasuredSecondShouldPrintNothing() {
        assertThat(Report.perSecondP99("reserve", List.of(second(-1, 1, 10, 2), second(0, 1, 0, 0))))
                .isEmpty();
        assertThat(Report.perSecondP99("reserve", null)).isEmpty();
    }
}
