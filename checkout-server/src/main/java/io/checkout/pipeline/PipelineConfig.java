package io.checkout.pipeline;

/**
 * Ring size, how the pipeline threads wait, how often time ticks, and which thread journals.
 *
 * @param ringSize slots in the ring, a power of two; a full ring answers RESOURCE_EXHAUSTED
 * @param waitStrategy how idle pipeline threads wait for work
 * @param tickIntervalMillis how often a TICK command advances engine time and expires reservations
 * @param journalThread which thread journals and answers when there is a journal
 * @param prefetchGroup how many commands of a batch the business logic prefetches together before
 *     applying them (0: none); {@value #PREFETCH_GROUP_DEFAULT} by default (benchmarks/README.md,
 *     2026-12-03)
 */
public record PipelineConfig(
        int ringSize,
        WaitStrategyKind waitStrategy,
        long tickIntervalMillis,
        JournalThread journalThread,
        int prefetchGroup) {
    public static final int RING_SIZE_MAX = 1 << 22;
    public static final int PREFETCH_GROUP_MAX = 256;
    public static final int PREFETCH_GROUP_DEFAULT = 16;

    /** A pipeline that journals on the business-logic thread, the default. */
    public PipelineConfig(int ringSize, WaitStrategyKind waitStrategy, long tickIntervalMillis) {
        this(ringSize, waitStrategy, tickIntervalMillis, JournalThread.BUSINESS_LOGIC);
    }

    /** Prefetching groups of {@value #PREFETCH_GROUP_DEFAULT}, the default. */
    public PipelineConfig(
            int ringSize, WaitStrategyKind waitStrategy, long tickIntervalMillis, JournalThread journalThread) {
        this(ringSize, waitStrategy, tickIntervalMillis, journalThread, PREFETCH_GROUP_DEFAULT);
    }

    public PipelineConfig {
        if (ringSize < 2 || ringSize > RING_SIZE_MAX || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException(
                    "ringSize must be a power of two in 2.." + RING_SIZE_MAX + ": " + ringSize);
        }
        if (waitStrategy == null) {
            throw new IllegalArgumentException("waitStrategy is required");
        }
        if (tickIntervalMillis < 1 || tickIntervalMillis > 60_000) {
            throw new IllegalArgumentException("tickIntervalMillis must be 1..60000: " + tickIntervalMillis);
        }
        if (journalThread == null) {
            throw new IllegalArgumentException("journalThread is required");
        }
        if (prefetchGroup < 0 || prefetchGroup > PREFETCH_GROUP_MAX) {
            throw new IllegalArgumentException("prefetchGroup must be 0.." + PREFETCH_GROUP_MAX + ": " + prefetchGroup);
        }
    }

    /**
     * Which thread appends each batch to the journal, commits it and answers it. Either way nothing
     * is answered before its batch is committed, and only what the business logic applied is
     * journalled.
     */
    public enum JournalThread {
        /**
         * The business-logic thread itself, journalling each command after applying it and
         * committing at the end of each batch: one thread and one hand-off fewer per batch, but no
         * command is applied while a batch syncs. The default, because on a small machine the
         * gRPC threads need the core a second pipeline thread would take (benchmarks/README.md).
         */
        BUSINESS_LOGIC,
        /**
         * A thread of its own behind the business logic, which then applies the next batch while
         * this one syncs: for machines with cores to spare, where it gets more through than
         * {@link #BUSINESS_LOGIC} (benchmarks/README.md).
         */
        OWN
    }

    /** How the pipeline's threads wait for the next command. */
    public enum WaitStrategyKind {
        /**
         * Parks on a lock while the ring is empty, but spins while waiting for an earlier stage, so
         * a journaller of its own burns a core whenever the business logic is busy: poor on small
         * machines.
         */
        BLOCKING,
        /**
         * Spins briefly, yields, then parks until a publish (or an earlier stage's batch) wakes
         * it: no CPU at all when idle, a wake-up (a few microseconds) after an idle spell. The
         * default: on a small machine the pipeline threads share the cores with Netty.
         */
        PARKING,
        /**
         * Spins, then yields, then parks for a few tens of microseconds at a time, for the ring and
         * for earlier stages alike: low latency, but an idle thread wakes thousands of times a
         * second and takes CPU from the threads sharing its core.
         */
        SLEEPING,
        /** Spins then yields: lowest latency, burns a core per pipeline thread. */
        YIELDING,
        /** Spins: needs a dedicated core per pipeline thread. */
        BUSY_SPIN
    }
}
