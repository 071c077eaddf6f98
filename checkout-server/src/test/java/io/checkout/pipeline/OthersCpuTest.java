package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OthersCpuTest {
    /** A tick of /proc/stat. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    @Test
    void shareShouldTakeTheCallersOwnTimeOutOfBothTheBusyAndTheTotal() {
        // Two CPUs for a second: 200 ticks.
        assertThat(OthersCpu.share(190, 200, 0)).as("95% busy, none of it ours").isCloseTo(0.95, within(1e-9));
        assertThat(OthersCpu.share(200, 200, 100 * TICK_NANOS))
                .as("all busy, half of it ours: the half we left is all used")
                .isCloseTo(1.0, within(1e-9));
        assertThat(OthersCpu.share(120, 200, 100 * TICK_NANOS))
                .as("60% busy, 50% ours: a fifth of what we left")
                .isCloseTo(0.2, within(1e-9));
        assertThat(OthersCpu.share(90, 200, 100 * TICK_NANOS))
                .as("counters a tick apart never give less than none")
                .isZero();
    }

    @Test
    void shareShouldBeUnknownWithoutTicksOrWhenTheCallerTookNearlyEverything() {
        assertThat(OthersCpu.share(0, 0, 0)).isNaN();
        assertThat(OthersCpu.share(100, 100, 99 * TICK_NANOS)).isNaN();
        assertThat(OthersCpu.share(-1, 100, 0)).isNaN();
    }

    @Test
    void samplesShouldCoverTheTimeSinceThePreviousOneAndRepeatItWhenTooSoon() {
        AtomicReference<long[]> ticks = new AtomicReference<>(new long[] {1_000, 10_000});
        AtomicLong own = new AtomicLong();
        AtomicLong now = new AtomicLong(1_000_000_000L);
        OthersCpu cpu = new OthersCpu(ticks::get, own::get, now::get);

        assertThat(cpu.getAsDouble())
                .as("the first sample has nothing to compare with")
                .isNaN();

        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        ticks.set(new long[] {1_180, 10_200});
        assertThat(cpu.getAsDouble()).isCloseTo(0.9, within(1e-9));

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(50));
        ticks.set(new long[] {1_181, 10_205});
        assertThat(cpu.getAsDouble()).as("50 ms later: the last figure").isCloseTo(0.9, within(1e-9));

        now.addAndGet(OthersCpu.INTERVAL_MIN_NANOS);
        ticks.set(new long[] {1_200, 10_250});
        own.addAndGet(20 * TICK_NANOS);
        // Since the sample at 1 s: 20 busy ticks of 50, 20 of them ours.
        assertThat(cpu.getAsDouble()).isZero();
    }

    @Test
    void unreadableCountersShouldGiveUnknownWithoutReadingThemAtEveryCall() {
        AtomicLong reads = new AtomicLong();
        AtomicLong now = new AtomicLong();
        OthersCpu cpu = new OthersCpu(
                () -> {
                    reads.incrementAndGet();
                    return null;
                },
                () -> 0,
                now::get);

        assertThat(cpu.getAsDouble()).isNaN();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
        assertThat(cpu.getAsDouble()).isNaN();
        assertThat(reads.get()).isEqualTo(1);
    }

    @Test
    void thisMachineShouldGiveAShareOrUnknown() throws Exception {
        OthersCpu cpu = OthersCpu.ofThisMachine();
        cpu.getAsDouble();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(OthersCpu.INTERVAL_MIN_NANOS) + 50);
        double share = cpu.getAsDouble();

        assertThat(Double.isNaN(share) || (share >= 0 && share <= 1))
                .as("share %s", share)
                .isTrue();
    }
}
