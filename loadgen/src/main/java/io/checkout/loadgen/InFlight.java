package io.checkout.loadgen;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The calls a run may have in flight: a counting bound like a {@link java.util.concurrent.Semaphore},
 * for one waiting thread (the sender), that wakes that thread only once a batch of calls has come
 * back rather than on every answer.
 *
 * <p>Why not a semaphore: in the closed model every call's answer frees the one permit the waiting
 * sender needs, so a semaphore unparks it once per answer (a futex call on the event loop and one
 * on the sender), and the sender parks again after one send, on cores the server under test
 * shares. Woken once per {@code wakeBatch} answers, the sender sends that many calls in one go; the
 * closed model then holds between {@code max - wakeBatch + 1} and {@code max} calls in flight
 * instead of exactly {@code max} (1,000 in flight: 985-1,000). Measured in a capacity run on the
 * 2-core VM (2026-12-04, benchmarks/README): loadgen's CPU per reserve 15.4 -> 14.4 us (medians).
 *
 * <p>Only one thread may wait at a time ({@link #acquire}, {@link #awaitFree}); any thread may
 * {@link #release}.
 */
final class InFlight {
    /**
     * The largest wake batch: more saves few further wake-ups and leaves more of the closed model's
     * slots empty while the sender sleeps.
     */
    static final int WAKE_BATCH_MAX = 32;

    private final int max;
    private final int wakeBatch;
    private final AtomicInteger free;
    private volatile Thread waiter;
    /** How many free permits wake {@link #waiter}; set before {@link #waiter}, read after it. */
    private volatile int wanted = Integer.MAX_VALUE;

    /**
     * @param max the most calls in flight (at least 1)
     * @param wakeBatch how many permits must be free to wake a waiting {@link #acquire} (1..max)
     */
    InFlight(int max, int wakeBatch) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        if (wakeBatch < 1 || wakeBatch > max) {
            throw new IllegalArgumentException("wakeBatch must be within 1.." + max + ", got " + wakeBatch);
        }
        this.max = max;
        this.wakeBatch = wakeBatch;
        this.free = new AtomicInteger(max);
    }

    /**
     * The wake batch for {@code max} calls in flight: a sixty-fourth of them, at least 1 and at most
     * {@link #WAKE_BATCH_MAX}, so the closed model's concurrency stays within 2% of what was asked.
     */
    static InFlight of(int max) {
        return new InFlight(max, Math.max(1, Math.min(WAKE_BATCH_MAX, max / 64)));
    }

    int wakeBatch() {
        return wakeBatch;
    }

    int available() {
        return free.get();
    }

    boolean tryAcquire() {
        int now;
        do {
            now = free.get();
            if (now == 0) {
                return false;
            }
        } while (!free.compareAndSet(now, now - 1));
        return true;
    }

    /** Takes a permit, waiting (if none is free) until {@code wakeBatch} of them are. */
    void acquire() throws InterruptedException {
        while (!tryAcquire()) {
            awaitFree(wakeBatch, Long.MAX_VALUE);
        }
    }

    void release() {
        int now = free.incrementAndGet();
        if (now > max) {
            free.decrementAndGet();
            throw new IllegalStateException("released more calls than were in flight (" + max + ")");
        }
        Thread parked = waiter;
        if (parked != null && now >= wanted) {
            LockSupport.unpark(parked);
        }
    }

    /**
     * Waits until at least {@code needed} permits are free (taking none), or the timeout passes;
     * {@link Long#MAX_VALUE} nanoseconds waits without a bound.
     *
     * @return whether they were free in time
     */
    boolean awaitFree(int needed, long timeoutNanos) throws InterruptedException {
        if (needed < 1 || needed > max) {
            throw new IllegalArgumentException("needed must be within 1.." + max + ", got " + needed);
        }
        if (free.get() >= needed) {
            return true;
        }
        long deadline = timeoutNanos == Long.MAX_VALUE ? 0 : System.nanoTime() + timeoutNanos;
        if (waiter != null) {
            throw new IllegalStateException("another thread is already waiting");
        }
        // wanted before waiter, and free read after both: a release either sees this waiter with
        // its threshold, or its increment is seen by the check below.
        wanted = needed;
        waiter = Thread.currentThread();
        try {
            while (free.get() < needed) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (timeoutNanos == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
            return true;
        } finally {
            waiter = null;
            wanted = Integer.MAX_VALUE;
        }
    }

    /** {@link #awaitFree} with a timeout in a unit. */
    boolean awaitFree(int needed, long timeout, TimeUnit unit) throws InterruptedException {
        return awaitFree(needed, unit.toNanos(timeout));
    }
}
