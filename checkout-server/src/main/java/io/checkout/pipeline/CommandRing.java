package io.checkout.pipeline;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import java.util.function.LongSupplier;

/**
 * The publishing side of a ring of {@link CommandEvent} slots: claims slots without blocking,
 * fills them through a translator, stamps each command with the clock and publishes. Shared by the
 * single-node pipeline and the cluster gateway, which differ only in who consumes the ring.
 */
public final class CommandRing {
    private final RingBuffer<CommandEvent> ring;
    private final LongSupplier clockMillis;
    private volatile boolean closed;

    CommandRing(RingBuffer<CommandEvent> ring, LongSupplier clockMillis) {
        this.ring = ring;
        this.clockMillis = clockMillis;
    }

    /**
     * A ring for many publishing threads and one consumer that is not a Disruptor event processor
     * (see {@link #consumer()}).
     *
     * @param waitStrategy told of every publish ({@code signalAllWhenBlocking}), so it can wake the consumer
     */
    public static CommandRing multiProducer(int size, LongSupplier clockMillis, WaitStrategy waitStrategy) {
        return new CommandRing(RingBuffer.createMultiProducer(CommandEvent::new, size, waitStrategy), clockMillis);
    }

    /**
     * The ring's one consumer, which holds each slot until it has answered it; call once, before
     * anything is published.
     */
    public RingConsumer consumer() {
        return new RingConsumer(ring);
    }

    public <A> boolean tryPublish(
            CommandPublisher.CommandTranslator<A> translator, A request, ReplyHandler handler, Object context) {
        long sequence = tryClaim(1);
        if (sequence < 0) {
            return false;
        }
        try {
            CommandEvent event = ring.get(sequence);
            translator.translate(request, event.command);
            event.replyTo(handler, context);
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
                translator.translate(batch, (int) (sequence - first), event.command);
                event.replyTo(handler, context);
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
