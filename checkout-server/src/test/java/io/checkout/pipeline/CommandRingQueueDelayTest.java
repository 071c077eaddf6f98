package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.checkout.engine.CommandType;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The queueing-delay estimate: slots in use times the per-slot drain time of busy windows. */
class CommandRingQueueDelayTest {
    private static final long WINDOW = CommandRing.DRAIN_WINDOW_NANOS;

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final CommandRing ring = new CommandRing(
            RingBuffer.createMultiProducer(CommandEvent::new, 1024, new BlockingWaitStrategy()), () -> 0L, nanos::get);
    private final RingConsumer consumer = ring.consumer();

    private void publish(int count) {
        for (int i = 0; i < count; i++) {
            assertThat(ring.tryPublish(
                            (request, command) -> command.type = CommandType.GET_SKU,
                            null,
                            (command, context, failure) -> {},
                            null))
                    .isTrue();
        }
    }

    private void answerUpTo(long sequence) {
        consumer.answer(consumer.answeredSequence() + 1, sequence, null);
    }

    @Test
    void nothingWaitingOrNothingMeasuredShouldEstimateNoWait() {
        assertThat(ring.queueDelayNanos()).isZero();
        publish(500);
        // A backlog, but no busy window measured yet: no basis to refuse anyone.
        assertThat(ring.queueDelayNanos()).isZero();
    }

    @Test
    void theEstimateShouldBeTheBacklogTimesTheTimePerSlotOfABusyWindow() {
        publish(500);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos(); // opens a window with 500 in use

        answerUpTo(99); // 100 served in one window, with a backlog all along: 100 µs each
        nanos.addAndGet(WINDOW);

        assertThat(ring.queueDelayNanos()).isEqualTo(400 * (WINDOW / 100));
    }

    @Test
    void aWindowInWhichTheConsumerRanDryShouldNotCount() {
        publish(100);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos(); // 100 in use
        answerUpTo(99);
        publish(100); // more arrived and were served too: it drained 150 > 100 it had at the start
        answerUpTo(149);
        nanos.addAndGet(WINDOW);

        assertThat(ring.queueDelayNanos()).as("no busy window yet").isZero();
    }

    @Test
    void theFastestOfTheRecentBusyWindowsShouldSetTheRateSoAStallDoesNotInflateIt() {
        publish(1000);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
        answerUpTo(499); // 500 in a window: 20 µs each
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
        answerUpTo(499 + 5); // a stall: 5 in a window, 2 ms each
        nanos.addAndGet(WINDOW);

        assertThat(ring.queueDelayNanos()).isEqualTo(495 * (WINDOW / 500));
    }

    @Test
    void aSlowerRateShouldTakeOverOnceTheFasterWindowsHaveAgedOut() {
        publish(1000);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
        long answered = 499; // 500 in the first window: 20 µs each
        answerUpTo(answered);
        for (int window = 0; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            nanos.addAndGet(WINDOW);
            ring.queueDelayNanos();
            answered += 50; // then windows of 50: 200 µs each
            answerUpTo(answered);
        }
        nanos.addAndGet(WINDOW);

        assertThat(ring.queueDelayNanos()).isEqualTo((999 - answered) * (WINDOW / 50));
    }

    @Test
    void aWindowFarLongerThanPlannedShouldNotCount() {
        publish(500);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
        answerUpTo(9);
        // Nobody asked for a second: the consumer may have been idle most of it.
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));

        assertThat(ring.queueDelayNanos()).isZero();
    }
}
