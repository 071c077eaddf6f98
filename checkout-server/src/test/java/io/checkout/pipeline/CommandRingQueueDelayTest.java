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
            RingBuffer.createMultiProducer(CommandEvent::new, 1024, new BlockingWaitStrategy()),
            new ReplyTargets(1024),
            () -> 0L,
            nanos::get);
    private final RingConsumer consumer = ring.consumer();

    private void publish(int count) {
        for (int i = 0; i < count; i++) {
            assertThat(ring.tryPublish(
                            (request, command) -> command.type(CommandType.GET_SKU),
                            null,
                            (command, context, failure) -> {},
                            null))
                    .isTrue();
        }
    }

    private void answerUpTo(long sequence) {
        consumer.answer(consumer.answeredSequence() + 1, sequence, null);
    }

    /** Publishes a backlog and opens a drain window with it in use. */
    private void backlog(int count) {
        publish(count);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
    }

    /** One window in which the consumer served {@code served} slots out of the backlog. */
    private void busyWindow(int served) {
        answerUpTo(consumer.answeredSequence() + served);
        nanos.addAndGet(WINDOW);
        ring.queueDelayNanos();
    }

    private static long perSlot(int servedInAWindow) {
        return WINDOW / servedInAWindow;
    }

    @Test
    void nothingWaitingOrNothingMeasuredShouldEstimateNoWait() {
        assertThat(ring.queueDelayNanos()).isZero();
        publish(500);
        // A backlog, but no busy window measured yet: no basis to refuse anyone.
        assertThat(ring.queueDelayNanos()).isZero();
    }

    @Test
    void theEstimateShouldBeTheBacklogTimesTheTimePerSlotOfTheBusyWindows() {
        backlog(1000);
        for (int window = 0; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(100); // 100 served in each window, with a backlog all along: 100 µs each
        }

        assertThat(ring.queueDelayNanos()).isEqualTo(200 * perSlot(100));
    }

    @Test
    void aColdStartsFirstSlowWindowsShouldNotBeTakenForTheRate() {
        backlog(1000);
        for (int window = 0; window < 3; window++) {
            busyWindow(5); // a cold JVM: 2 ms a slot
        }
        assertThat(ring.queueDelayNanos())
                .as("fewer busy windows than kept: no estimate, not 985 slots at 2 ms")
                .isZero();

        for (int window = 3; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(100); // warmed up
        }
        assertThat(ring.queueDelayNanos()).isEqualTo((1000 - 15 - 500) * perSlot(100));
    }

    @Test
    void aWindowInWhichTheConsumerRanDryShouldNotCount() {
        backlog(1000);
        for (int window = 1; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(100);
        }
        answerUpTo(999);
        publish(100); // more arrived and were served too: it drained more than it had at the start
        answerUpTo(1049);
        nanos.addAndGet(WINDOW);

        assertThat(ring.queueDelayNanos())
                .as("one busy window short of an estimate")
                .isZero();
    }

    @Test
    void theFastestOfTheRecentBusyWindowsShouldSetTheRateSoAStallDoesNotInflateIt() {
        backlog(1000);
        busyWindow(500); // 20 µs each
        for (int window = 1; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(5); // stalls: 2 ms each
        }

        assertThat(ring.queueDelayNanos()).isEqualTo((1000 - 500 - 35) * perSlot(500));
    }

    @Test
    void aSlowerRateShouldTakeOverOnceTheFasterWindowsHaveAgedOut() {
        backlog(1000);
        busyWindow(500); // 20 µs each
        for (int window = 0; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(50); // then windows of 50: 200 µs each
        }

        assertThat(ring.queueDelayNanos()).isEqualTo((1000 - 500 - 400) * perSlot(50));
    }

    @Test
    void aWindowFarLongerThanPlannedShouldNotCount() {
        backlog(1000);
        for (int window = 1; window < CommandRing.BUSY_WINDOWS_KEPT; window++) {
            busyWindow(100);
        }
        answerUpTo(consumer.answeredSequence() + 10);
        // Nobody asked for a second: the consumer may have been idle most of it.
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));

        assertThat(ring.queueDelayNanos())
                .as("one busy window short of an estimate")
                .isZero();
    }
}
