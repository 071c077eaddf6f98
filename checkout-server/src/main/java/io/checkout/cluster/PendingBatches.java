package io.checkout.cluster;

import io.checkout.engine.Command;
import io.checkout.pipeline.RingConsumer;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The gateway's batches that are offered to the cluster and not yet answered, and the hand-off of
 * their answers from the service thread (which applies the log) to the gateway thread (which
 * answers the callers).
 *
 * <p>A batch is a run of consecutive ring slots and its id is the sequence of its first slot, so
 * the batches waiting at any time start in different slots: one entry per ring slot, at the index
 * of the batch's first slot, holds every batch there can be, and the ring bounds them. Nothing is
 * allocated after construction.
 *
 * <p>An entry goes FREE → OFFERED (gateway) → COPYING → APPLIED (service) → FREE (gateway), or
 * OFFERED → FREE when the gateway gives up on it. The two threads claim an OFFERED entry by
 * compare-and-set, so a batch is answered once: with its outcome or with "unknown", never both.
 */
final class PendingBatches {
    static final int FREE = 0;
    static final int OFFERED = 1;
    static final int COPYING = 2;
    static final int APPLIED = 3;
    /** One slot answered without the cluster (its caller's deadline passed before it was offered). */
    static final int SKIPPED = 4;

    private final int mask;
    private final AtomicLongArray batchIds;
    private final AtomicIntegerArray states;
    /** Written by the gateway before the entry turns OFFERED; read after. */
    private final int[] counts;
    /** The gateway's alone. */
    private final long[] offeredAtNanos;

    PendingBatches(int ringSize) {
        if (Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two: " + ringSize);
        }
        this.mask = ringSize - 1;
        this.batchIds = new AtomicLongArray(ringSize);
        this.states = new AtomicIntegerArray(ringSize);
        this.counts = new int[ringSize];
        this.offeredAtNanos = new long[ringSize];
        for (int i = 0; i < ringSize; i++) {
            batchIds.set(i, -1);
        }
    }

    // ---- gateway thread ---------------------------------------------------------------------

    /**
     * Records a batch of {@code count} slots from {@code first} as offered at {@code nowNanos}; called
     * before the offer (the service may answer the batch before the offer returns), and undone with
     * {@link #withdraw} if the offer fails.
     */
    void offered(long first, int count, long nowNanos) {
        int index = index(first);
        if (states.get(index) != FREE) {
            throw new IllegalStateException("batch " + first + " offered over a batch still pending");
        }
        batchIds.set(index, first);
        counts[index] = count;
        offeredAtNanos[index] = nowNanos;
        states.set(index, OFFERED);
    }

    /**
     * Records the one slot at {@code sequence} as answered without the cluster: its caller's
     * deadline passed before it was offered, so it never enters the log. It is answered in its turn,
     * after the batches before it, like an applied batch.
     */
    void skipped(long sequence) {
        int index = index(sequence);
        if (states.get(index) != FREE) {
            throw new IllegalStateException("slot " + sequence + " skipped over a batch still pending");
        }
        batchIds.set(index, sequence);
        counts[index] = 1;
        states.set(index, SKIPPED);
    }

    /** The state of the batch that starts at {@code first}; FREE if there is none. */
    int state(long first) {
        int index = index(first);
        return batchIds.get(index) == first ? states.get(index) : FREE;
    }

    int count(long first) {
        return counts[index(first)];
    }

    long offeredAtNanos(long first) {
        return offeredAtNanos[index(first)];
    }

    /**
     * Takes back a batch recorded by {@link #offered} whose offer failed: it is not in the log, so
     * the service cannot have claimed it.
     */
    void withdraw(long first) {
        int index = index(first);
        if (batchIds.get(index) != first || !states.compareAndSet(index, OFFERED, FREE)) {
            throw new IllegalStateException("batch " + first + " withdrawn but not waiting as offered");
        }
    }

    /** Gives up on an offered batch; false if the service has claimed it first. */
    boolean tryAbandon(long first) {
        return batchIds.get(index(first)) == first && states.compareAndSet(index(first), OFFERED, FREE);
    }

    /** Frees an APPLIED batch, or a SKIPPED slot, once the gateway has answered it. */
    void free(long first) {
        states.set(index(first), FREE);
    }

    // ---- service thread ---------------------------------------------------------------------

    /**
     * Copies the answers of an applied batch into its ring slots if the batch is still waiting for
     * them, and marks it APPLIED.
     *
     * @return whether it did; false for a batch answered already or given up on
     */
    boolean deliver(long first, Command[] applied, int count, RingConsumer ring) {
        int index = index(first);
        if (batchIds.get(index) != first || !states.compareAndSet(index, OFFERED, COPYING)) {
            return false;
        }
        // Claimed: the gateway changes no entry it does not hold. The id is read again because the
        // entry may have been given up and reused between the read above and the claim.
        if (batchIds.get(index) != first || counts[index] != count) {
            states.set(index, OFFERED);
            return false;
        }
        for (int i = 0; i < count; i++) {
            ring.command(first + i).copyOutputFrom(applied[i]);
        }
        states.set(index, APPLIED);
        return true;
    }

    private int index(long first) {
        return (int) (first & mask);
    }
}
