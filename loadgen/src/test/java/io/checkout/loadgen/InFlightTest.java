package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InFlightTest {

    @Test
    void wakeBatchIsASixtyFourthOfTheBoundWithinOneAndTheMaximum() {
        assertThat(InFlight.of(1).wakeBatch()).isEqualTo(1);
        assertThat(InFlight.of(100).wakeBatch()).isEqualTo(1);
        assertThat(InFlight.of(1_000).wakeBatch()).isEqualTo(15);
        assertThat(InFlight.of(40_000).wakeBatch()).isEqualTo(InFlight.WAKE_BATCH_MAX);
    }

    @Test
    void badBoundsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new InFlight(0, 1)).hasMessageContaining("max");
        assertThatThrownBy(() -> new InFlight(10, 0)).hasMessageContaining("wakeBatch");
        assertThatThrownBy(() -> new InFlight(10, 11)).hasMessageContaining("wakeBatch");
        assertThatThrownBy(() -> new InFlight(10, 1).awaitFree(11, 1)).hasMessageContaining("needed");
    }

    @Test
    void takesUpToTheBoundAndNoMore() {
        InFlight inFlight = new InFlight(3, 1);
        assertThat(inFlight.tryAcquire()).isTrue();
        assertThat(inFlight.tryAcquire()).isTrue();
        assertThat(inFlight.tryAcquire()).isTrue();
        assertThat(inFlight.tryAcquire()).isFalse();
        assertThat(inFlight.available()).isZero();
        inFlight.release();
        assertThat(inFlight.available()).isEqualTo(1);
        assertThat(inFlight.tryAcquire()).isTrue();
    }

    @Test
    void releasingMoreThanWasTakenIsABugThatIsReported() {
        InFlight inFlight = new InFlight(2, 1);
        assertThatThrownBy(inFlight::release).isInstanceOf(IllegalStateException.class);
        assertThat(inFlight.available()).isEqualTo(2);
    }

    @Test
    void aWaitingAcquireWakesOnlyOnceABatchIsFree() throws Exception {
        InFlight inFlight = new InFlight(8, 4);
        for (int i = 0; i < 8; i++) {
            assertThat(inFlight.tryAcquire()).isTrue();
        }
        CountDownLatch acquired = new CountDownLatch(1);
        Thread sender = new Thread(() -> {
            try {
                inFlight.acquire();
                acquired.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sender.start();
        // acquire takes a free permit at once; the batch rule is for a sender already waiting.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sender.getState() != Thread.State.WAITING && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(sender.getState()).isEqualTo(Thread.State.WAITING);
        inFlight.release();
        inFlight.release();
        inFlight.release();
        // Three of the four the waiter asked for: it still waits, holding none.
        assertThat(acquired.await(200, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(inFlight.available()).isEqualTo(3);
        inFlight.release();
        assertThat(acquired.await(10, TimeUnit.SECONDS)).isTrue();
        sender.join(10_000);
        assertThat(inFlight.available()).isEqualTo(3);
    }

    @Test
    void awaitFreeTimesOutWhenTheCallsDoNotComeBack() throws Exception {
        InFlight inFlight = new InFlight(4, 1);
        assertThat(inFlight.tryAcquire()).isTrue();
        long started = System.nanoTime();
        assertThat(inFlight.awaitFree(4, 50, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        inFlight.release();
        assertThat(inFlight.awaitFree(4, 0, TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void anInterruptedWaiterStopsWaiting() throws Exception {
        InFlight inFlight = new InFlight(1, 1);
        assertThat(inFlight.tryAcquire()).isTrue();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread sender = new Thread(() -> {
            try {
                inFlight.acquire();
                outcome.complete(null);
            } catch (InterruptedException e) {
                outcome.complete(e);
            }
        });
        sender.start();
        Thread.sleep(50);
        sender.interrupt();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        // A waiter gone, another may wait.
        inFlight.release();
        assertThat(inFlight.awaitFree(1, 1, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * A sender taking permits while four threads answer calls: never more in flight than the bound,
     * every call answered, and the sender never stuck (a lost wake-up would hang it here).
     */
    @Test
    void underConcurrentAnswersTheBoundHoldsAndNoWakeUpIsLost() throws Exception {
        int max = 64;
        InFlight inFlight = new InFlight(max, 8);
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger mostOutstanding = new AtomicInteger();
        AtomicLong answered = new AtomicLong();
        int calls = 200_000;
        ExecutorService answerers = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < calls; i++) {
                inFlight.acquire();
                int now = outstanding.incrementAndGet();
                mostOutstanding.accumulateAndGet(now, Math::max);
                answerers.execute(() -> {
                    outstanding.decrementAndGet();
                    answered.incrementAndGet();
                    inFlight.release();
                });
            }
            assertThat(inFlight.awaitFree(max, 30, TimeUnit.SECONDS)).isTrue();
        } finally {
            answerers.shutdownNow();
        }
        assertThat(answered.get()).isEqualTo(calls);
        assertThat(mostOutstanding.get()).isLessThanOrEqualTo(max);
        assertThat(inFlight.available()).isEqualTo(max);
    }
}
