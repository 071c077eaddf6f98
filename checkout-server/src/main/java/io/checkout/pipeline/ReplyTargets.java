package io.checkout.pipeline;

/**
 * Who to answer for each ring slot: the reply handler and its context, in two arrays indexed by
 * the slot, not in the slot's own object. Each call brings a fresh handler (a gRPC call's
 * observer), and storing a young object's reference into a long-lived object dirties that
 * object's card for G1: in the slots themselves, spread over the ring's memory, that was one card
 * per slot in use, tens of thousands a young pause to scan; in these two arrays the same stores
 * fall on 2 x ringSize / 128 cards at most (benchmarks/README, History 2026-12-05 20:58).
 *
 * <p>A slot's entries are written by the publisher that claimed it, before it publishes, and read
 * and cleared by the replier before the slot is given back, so the ring's own sequences order
 * every access, as they do the slot's other fields.
 */
final class ReplyTargets {
    private final ReplyHandler[] handlers;
    private final Object[] contexts;
    private final int mask;

    /** @param ringSize the ring's slots, a power of two */
    ReplyTargets(int ringSize) {
        if (ringSize < 1 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two, got " + ringSize);
        }
        this.handlers = new ReplyHandler[ringSize];
        this.contexts = new Object[ringSize];
        this.mask = ringSize - 1;
    }

    void set(long sequence, ReplyHandler handler, Object context) {
        int slot = (int) sequence & mask;
        handlers[slot] = handler;
        contexts[slot] = context;
    }

    /** The handler of the slot's command, or null (a tick, or a command nobody waits for). */
    ReplyHandler handler(long sequence) {
        return handlers[(int) sequence & mask];
    }

    Object context(long sequence) {
        return contexts[(int) sequence & mask];
    }

    /** Drops the slot's references, so nothing outlives its command. */
    void clear(long sequence) {
        int slot = (int) sequence & mask;
        handlers[slot] = null;
        contexts[slot] = null;
    }
}
