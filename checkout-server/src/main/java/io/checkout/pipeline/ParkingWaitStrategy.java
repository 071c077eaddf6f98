package io.checkout.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Spins briefly, yields a few times, then parks until woken: an idle pipeline thread costs no CPU,
 * where {@code SleepingWaitStrategy} wakes its threads many thousand times a second, taking CPU from
 * the Netty threads that share the cores (benchmarks/README.md has the measurements).
 *
 * <p>Two kinds of waiter park apart, so a wake-up reaches only threads that can use it:
 * <ul>
 *   <li>the first stage (the business logic) waits for the ring's cursor and is woken by every
 *       publish ({@link #signalAllWhenBlocking()}, called by the sequencer), cheaply when nobody is
 *       parked: one volatile read;
 *   <li>a later stage (the journaller, when it has a thread of its own) waits for the business
 *       logic, which the Disruptor never signals; the business logic calls
 *       {@link #signalStagesAdvanced()} after making its sequence visible at the end of each batch.
 * </ul>
 * Every park is bounded by {@link #PARK_NANOS_MAX}, so a halt ({@code alert()}, which signals only
 * the ring's waiters) reaches a parked later stage within that time, and a missed wake-up could
 * only ever delay, never stall.
 */
public final class ParkingWaitStrategy implements WaitStrategy {
    /** Busy checks before yielding: a few microseconds, about one hand-off under load. */
    static final int SPIN_TRIES = 100;
    /** Yields before parking: lets a runnable Netty or pipeline thread have the core first. */
    static final int YIELD_TRIES = 10;
    /** The longest a parked thread sleeps without a signal. */
    static final long PARK_NANOS_MAX = TimeUnit.MILLISECONDS.toNanos(10);

    private final ParkingLot ringWaiters = new ParkingLot();
    private final ParkingLot stageWaiters = new ParkingLot();

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, InterruptedException {
        // A first-stage barrier's dependent sequence is the cursor itself.
        ParkingLot lot = dependentSequence == cursor ? ringWaiters : stageWaiters;
        long available;
        int tries = 0;
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (tries < SPIN_TRIES) {
                Thread.onSpinWait();
                tries++;
            } else if (tries < SPIN_TRIES + YIELD_TRIES) {
                Thread.yield();
                tries++;
            } else {
                lot.park(dependentSequence, sequence, barrier);
            }
        }
        return available;
    }

    /** Called by the sequencer on every publish and by {@code alert()}. */
    @Override
    public void signalAllWhenBlocking() {
        ringWaiters.wake();
    }

    /**
     * Wakes later stages parked on earlier ones. Call after the stage's sequence is set with
     * {@link Sequence#setVolatile} (the store must be visible before the waiter count is read).
     */
    public void signalStagesAdvanced() {
        stageWaiters.wake();
    }

    @Override
    public String toString() {
        return "ParkingWaitStrategy{spin=" + SPIN_TRIES + ", yield=" + YIELD_TRIES + ", parkMaxNanos=" + PARK_NANOS_MAX
                + "}";
    }

    /**
     * Threads parked for one kind of progress. A waiter counts itself in before it checks the
     * sequence (under the lock); a signaller makes its sequence visible before it reads the count.
     * So either the waiter sees the new sequence, or the signaller sees the waiter and signals it
     * under the lock, which the waiter holds from its check until it is waiting.
     */
    private static final class ParkingLot {
        private final AtomicInteger waiters = new AtomicInteger();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition progressed = lock.newCondition();

        void park(Sequence dependentSequence, long sequence, SequenceBarrier barrier) throws InterruptedException {
            waiters.incrementAndGet();
            lock.lock();
            try {
                if (dependentSequence.get() < sequence && !barrier.isAlerted()) {
                    progressed.awaitNanos(PARK_NANOS_MAX);
                }
            } finally {
                lock.unlock();
                waiters.decrementAndGet();
            }
        }

        void wake() {
            if (waiters.get() > 0) {
                lock.lock();
                try {
                    progressed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
