package io.checkout.pipeline;

import io.checkout.engine.Command;

/**
 * Where the gRPC services put commands: a ring with a fixed number of slots, consumed either by
 * the single-node pipeline ({@link CheckoutPipeline}) or by a cluster gateway that forwards them to
 * a replicated log. Publishing never blocks: a full ring or a closed publisher answers false at
 * once, and the caller refuses the call (RESOURCE_EXHAUSTED or UNAVAILABLE).
 */
public interface CommandPublisher {
    /**
     * Fills a command from a request, on the publisher's thread. It must not block, must not throw
     * (a slot left half filled is published all the same, as the Disruptor's own translators are),
     * and sets no time: the publisher stamps every command with its clock as it publishes it.
     */
    @FunctionalInterface
    interface CommandTranslator<A> {
        void translate(A request, Command command);
    }

    /** A {@link CommandTranslator} for command {@code index} of a batch. */
    @FunctionalInterface
    interface BatchTranslator<A> {
        void translate(A batch, int index, Command command);
    }

    /**
     * Publishes one command, answered by {@code handler} with {@code context} once it is applied
     * and durable.
     *
     * @return false, at once, if the ring is full or the publisher is closed
     */
    <A> boolean tryPublish(CommandTranslator<A> translator, A request, ReplyHandler handler, Object context);

    /**
     * Publishes {@code count} commands with one claim of consecutive slots and one publish; all or
     * nothing. Each command is answered by {@code handler} with {@code context}.
     *
     * @return false, at once and with nothing published, if the ring has fewer than {@code count}
     *     free slots, {@code count} is larger than the ring, or the publisher is closed
     * @throws IllegalArgumentException if {@code count} is below 1
     */
    <A> boolean tryPublishEach(BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context);

    /**
     * Has {@code listener} called once the current batch of answers is out. Call only from a
     * {@link ReplyHandler}, at most once per listener per batch.
     */
    void afterReplyBatch(ReplyBatchListener listener);

    /** Whether shutdown has begun; a closed publisher takes no more commands. */
    boolean isClosed();

    /**
     * The estimated wait, in nanoseconds, of a command published now before the engine takes it
     * up: the commands ahead of it over the recent rate at which they are served; 0 when nothing
     * waits. The basis of admission by queueing delay.
     */
    long queueDelayNanos();

    /** Free ring slots now. */
    long remainingCapacity();

    int ringSize();

    /** Commands applied by the engine this publisher feeds, since this process started. */
    long commandsApplied();
}
