package io.checkout.pipeline;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The publishing side of a ring of {@link CommandEvent} slots: claims slots without blocking,
 * clears each (the last command's values; on the publisher's thread, off the single writer's) and
 * fills it through a translator, stamps each command with the clock and publishes. Shared by the
 * single-node pipeline and the cluster gateway, which differ only in who consumes the ring.
 */
public final class CommandRing {
    /**
     * How often the drain rate is measured: long enough to hold many batches at the rates that
     * matter (at 20k commands/s, 200), short enough to follow a crowd arriving within a second.
     */
    static final long DRAIN_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Busy windows whose fastest rate is the estimate's: the last 80 ms of backlog or more. No
     * estimate is made until this many were measured: a freshly started JVM's first busy windows
     * hold JIT compilation, class loading and first-touch page faults, and the fastest of two or
     * three of them can be tens of times slower than the server's real rate (CI saw a stream race
     * refused at a 10 s limit that way).
     */
    static final int BUSY_WINDOWS_KEPT = 8;

    private final RingBuffer<CommandEvent> ring;
    private final ReplyTargets replyTargets;
    private final LongSupplier clockMillis;
    private final LongSupplier nanoClock;
    private final ReentrantLock drainWindowLock = new ReentrantLock();
    private volatile boolean closed;
    /** When the current drain-rate window began; read by every estimate, moved by the one that closes it. */
    private volatile long drainWindowStartNanos;
    /** Guarded by drainWindowLock: the slots given back and in use when the window began. */
    private long releasedAtWindowStart = -1;

    private long inUseAtWindowStart;
    /** Guarded by drainWindowLock: nanoseconds per slot of the last busy windows, a ring of samples. */
    private final long[] busyWindowSamples = new long[BUSY_WINDOWS_KEPT];

    /** Guarded by drainWindowLock: where the next sample goes, and how many of the slots hold one. */
    private int nextBusyWindow;

    private int busyWindowsKept;
    /** The fastest of the kept busy windows, nanoseconds per slot; 0 until all of them were measured. */
    private volatile long nanosPerSlot;

    CommandRing(RingBuffer<CommandEvent> ring, ReplyTargets replyTargets, LongSupplier clockMillis) {
        this(ring, replyTargets, clockMillis, System::nanoTime);
    }

    /** @param nanoClock {@code System::nanoTime}, or a test's clock for the drain-rate windows */
    CommandRing(
            RingBuffer<CommandEvent> ring,
            ReplyTargets replyTargets,
            LongSupplier clockMillis,
            LongSupplier nanoClock) {
        this.ring = ring;
        this.replyTargets = replyTargets;
        this.clockMillis = clockMillis;
        this.nanoClock = nanoClock;
        this.drainWindowStartNanos = nanoClock.getAsLong();
    }

    /**
     * A ring for many publishing threads and one consumer that is not a Disruptor event processor
     * (see {@link #consumer()}).
     *
     * @param waitStrategy told of every publish ({@code signalAllWhenBlocking}), so it can wake the consumer
     */
    public static CommandRing multiProducer(int size, LongSupplier clockMillis, WaitStrategy waitStrategy) {
        return new CommandRing(
                RingBuffer.createMultiProducer(CommandEvent::new, size, waitStrategy),
                new ReplyTargets(size),
                clockMillis);
    }

    /**
     * The ring's one consumer, which holds each slot until it has answered it; call once, before
     * anything is published.
     */
    public RingConsumer consumer() {
        return new RingConsumer(ring, replyTargets);
    }

    public <A> boolean tryPublish(
            CommandPublisher.CommandTranslator<A> translator, A request, ReplyHandler handler, Object context) {
        long sequence = tryClaim(1);
        if (sequence < 0) {
            return false;
        }
        try {
            CommandEvent event = ring.get(sequence);
            event.clear();
            translator.translate(request, event.command);
            replyTargets.set(sequence, handler, context);
        } finally {
            stampAndPublish(sequence, sequence);
        }
        return true;
    }

    public <A> boolean tryPublishEach(
            CommandPublisher.BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        long last = tryClaim(count);
        if (last < 0) {
            return false;
        }
        long first = last - (count - 1);
        try {
            for (long sequence = first; sequence <= last; sequence++) {
                CommandEvent event = ring.get(sequence);
                event.clear();
                translator.translate(batch, (int) (sequence - first), event.command);
                replyTargets.set(sequence, handler, context);
            }
        } finally {
            stampAndPublish(first, last);
        }
        return true;
    }

    /** Claims {@code count} slots; returns the last one's sequence, or -1 if they cannot be had now. */
    private long tryClaim(int count) {
        if (closed || count > ring.getBufferSize()) {
            return -1;
        }
        try {
            return ring.tryNext(count);
        } catch (InsufficientCapacityException e) {
            return -1;
        }
    }

    private void stampAndPublish(long first, long last) {
        long nowMillis = clockMillis.getAsLong();
        for (long sequence = first; sequence <= last; sequence++) {
            ring.get(sequence).command.timestampMillis = nowMillis;
        }
        ring.publish(first, last);
    }

    /**
     * The estimated time a command published now would wait before it is taken up: the slots in
     * use ahead of it times the time the consumers took per slot while they had a backlog, measured
     * over windows of {@value #DRAIN_WINDOW_NANOS} ns. 0 while nothing waits or before
     * {@value #BUSY_WINDOWS_KEPT} busy windows have been measured (the ring of slots still bounds
     * the wait then).
     *
     * <p>A window counts only if the consumers never ran out of work in it (they gave back no more
     * slots than were in use when it began): an idle consumer's rate says nothing about its speed.
     * The time per slot is the <em>fastest</em> of the last {@value #BUSY_WINDOWS_KEPT} busy
     * windows, as CoDel takes the minimum sojourn over an interval: a window that held an fsync
     * stall or a GC pause would otherwise make a queue that is about to drain look long, and refuse
     * callers the server is about to serve. Under a standing overload every window is busy and
     * alike, and the fastest is the real rate. Any thread may call this; the one that finds the
     * window over measures it.
     */
    public long queueDelayNanos() {
        long now = nanoClock.getAsLong();
        long cursor = ring.getCursor();
        long inUse = ring.getBufferSize() - ring.remainingCapacity();
        if (now - drainWindowStartNanos >= DRAIN_WINDOW_NANOS && drainWindowLock.tryLock()) {
            try {
                measureDrainWindow(now, cursor - inUse, inUse);
            } finally {
                drainWindowLock.unlock();
            }
        }
        return inUse <= 0 ? 0 : inUse * nanosPerSlot;
    }

    private void measureDrainWindow(long now, long released, long inUse) {
        long started = drainWindowStartNanos;
        if (now - started < DRAIN_WINDOW_NANOS) {
            return;
        }
        long drained = released - releasedAtWindowStart;
        // A window far longer than planned (nobody asked for a while) may hide idle time.
        if (drained > 0 && drained <= inUseAtWindowStart && now - started <= 4 * DRAIN_WINDOW_NANOS) {
            busyWindowSamples[nextBusyWindow] = Math.max(1, (now - started) / drained);
            nextBusyWindow = (nextBusyWindow + 1) % BUSY_WINDOWS_KEPT;
            busyWindowsKept = Math.min(busyWindowsKept + 1, BUSY_WINDOWS_KEPT);
            if (busyWindowsKept == BUSY_WINDOWS_KEPT) {
                long fastest = Long.MAX_VALUE;
                for (long sample : busyWindowSamples) {
                    fastest = Math.min(fastest, sample);
                }
                nanosPerSlot = fastest;
            }
        }
        releasedAtWindowStart = released;
        inUseAtWindowStart = inUse;
        drainWindowStartNanos = now;
    }

    /** Takes no more commands; those already published are still consumed. */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    public int size() {
        return ring.getBufferSize();
    }

    /** The clock that stamps commands. */
    public long nowMillis() {
        return clockMillis.getAsLong();
    }
}
