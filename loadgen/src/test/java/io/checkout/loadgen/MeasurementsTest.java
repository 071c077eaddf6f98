package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MeasurementsTest {

    @Test
    void aRefusalByTheClientLimitShouldCountAsTheReservesOtherRefusalsDo() {
        Measurements measurements = new Measurements(null, System.currentTimeMillis(), OpKind.RESERVE);
        measurements.recordClientRefusal(TimeUnit.MICROSECONDS.toNanos(3));
        measurements.recordClientRefusal(TimeUnit.MICROSECONDS.toNanos(5));
        measurements.recordError(OpKind.RESERVE, Status.Code.RESOURCE_EXHAUSTED, TimeUnit.MILLISECONDS.toNanos(40));
        measurements.recordSuccess(OpKind.RESERVE, TimeUnit.MILLISECONDS.toNanos(2));

        measurements.sampleInterval(System.currentTimeMillis());

        assertThat(measurements.errors(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(3);
        assertThat(measurements.total(OpKind.RESERVE).getTotalCount()).isEqualTo(4);
        assertThat(measurements.total(OpKind.RESERVE).getMinValue())
                .isBetween(TimeUnit.MICROSECONDS.toNanos(3) - 10, TimeUnit.MICROSECONDS.toNanos(3) + 10);
        assertThat(measurements.intervals(OpKind.RESERVE))
                .singleElement()
                .satisfies(interval -> assertThat(interval.count()).isEqualTo(4));
    }

    @Test
    void refusalsRecordedAfterAnIntervalShouldGoIntoTheNextOne() {
        Measurements measurements = new Measurements(null, System.currentTimeMillis(), OpKind.RESERVE);
        measurements.recordClientRefusal(1_000);
        measurements.sampleInterval(System.currentTimeMillis());
        measurements.recordClientRefusal(2_000);
        measurements.recordClientRefusal(3_000);
        measurements.sampleInterval(System.currentTimeMillis());

        assertThat(measurements.intervals(OpKind.RESERVE))
                .extracting(Measurements.Interval::count)
                .containsExactly(1L, 2L);
        assertThat(measurements.total(OpKind.RESERVE).getTotalCount()).isEqualTo(3);
    }
}
