package io.checkout.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.checkout.engine.Command;

/**
 * The one consumer of a {@link CommandRing} that is not a Disruptor event processor: it reads
 * published commands, has them applied elsewhere (a replicated log), and holds each slot until it
 * has answered it, so the ring itself bounds the commands waiting for an answer. Answers go out
 * in ring order through the same replier the single-node pipeline uses.
 *
 * <p>{@link #answer} and {@link #afterReplyBatch} belong to one thread, the consumer's.
 */
public final class RingConsumer {
    private final RingBuffer<CommandEvent> ring;
    /** The last slot answered and given back to the publishers. */
    private final Sequence answered = new Sequence(RingBuffer.INITIAL_CURSOR_VALUE);

    private final Replier replier;

    RingConsumer(RingBuffer<CommandEvent> ring, ReplyTargets replyTargets) {
        this.ring = ring;
        ring.addGatingSequences(answered);
        this.replier = new Replier(ring, replyTargets, 0, 0);
    }

    /** Whether the command at {@code sequence} has been published (and not yet answered). */
    public boolean isPublished(long sequence) {
        return sequence > answered.get() && ring.isAvailable(sequence);
    }

    /**
     * The command at {@code sequence}. The consumer may read its input once it is published and
     * write its output until it is answered; nobody else touches the slot in between.
     */
    public Command command(long sequence) {
        return ring.get(sequence).command;
    }

    /**
     * Answers the slots {@code first..last} (each with {@code failure}, if not null) and gives them
     * back to the publishers. The slots must be the oldest unanswered ones.
     *
     * @throws IllegalStateException if {@code first} is not the oldest unanswered slot
     */
    public void answer(long first, long last, Throwable failure) {
        if (first != answered.get() + 1 || last < first) {
            throw new IllegalStateException(
                    "answers go in ring order: expected " + (answered.get() + 1) + ", got " + first + ".." + last);
        }
        replier.answerBatch(first, last, failure);
        answered.set(last);
    }

    /** The last slot answered, -1 before the first. */
    public long answeredSequence() {
        return answered.get();
    }

    /** See {@link CommandPublisher#afterReplyBatch}; only from a reply handler. */
    public void afterReplyBatch(ReplyBatchListener listener) {
        replier.afterBatch(listener);
    }

    public int ringSize() {
        return ring.getBufferSize();
    }
}
