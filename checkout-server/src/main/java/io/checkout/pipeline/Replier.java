package io.checkout.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a committed batch on the journaller's thread: completes each caller's request, makes the
 * batch's events visible to subscribers, releases what the slots refer to (the publisher clears a
 * slot as it claims it again), then tells the batch's listeners (a
 * stream returning flow-control credit once per batch, say).
 */
final class Replier {
    private static final Logger LOG = LoggerFactory.getLogger(Replier.class);

    private final RingBuffer<CommandEvent> ring;
    private final ReplyTargets replyTargets;
    /** Listeners of the batch being answered; one per listener per batch, so at most a ring's worth. */
    private final ReplyBatchListener[] batchListeners;

    private int batchListenerCount;
    /*
     * Both written only by the answering thread; a Sequence writes with a release store (a plain
     * store on x86): a volatile write per command would make the thread wait, at each answer, for
     * every store before it (the engine's writes to the slot, lines a ring old) to reach the cache.
     * A caller that reads either after its answer still sees its own command in it: the store comes
     * before the answer's hand-off.
     */
    private final Sequence visibleEventSequence;
    private final Sequence answeredJournalSequence;

    Replier(
            RingBuffer<CommandEvent> ring,
            ReplyTargets replyTargets,
            long lastEventSequence,
            long lastJournalSequence) {
        this.ring = ring;
        this.replyTargets = replyTargets;
        this.batchListeners = new ReplyBatchListener[ring.getBufferSize()];
        this.visibleEventSequence = new Sequence(lastEventSequence);
        this.answeredJournalSequence = new Sequence(lastJournalSequence);
    }

    /** Registers a listener of the batch being answered; see {@link CheckoutPipeline#afterReplyBatch}. */
    void afterBatch(ReplyBatchListener listener) {
        if (batchListenerCount == batchListeners.length) {
            throw new IllegalStateException("more reply batch listeners than ring slots: a listener registered twice"
                    + " in one batch, or from outside the replier");
        }
        batchListeners[batchListenerCount++] = listener;
    }

    /**
     * Answers the slots {@code first..last} of the ring, each with {@code batchFailure} unless the
     * engine failed on it, then ends the batch. The caller must own those slots.
     */
    void answerBatch(long first, long last, Throwable batchFailure) {
        for (long sequence = first; sequence <= last; sequence++) {
            answer(ring.get(sequence), sequence, batchFailure);
        }
        for (int i = 0; i < batchListenerCount; i++) {
            ReplyBatchListener listener = batchListeners[i];
            batchListeners[i] = null;
            try {
                listener.onReplyBatchEnd();
            } catch (RuntimeException e) {
                LOG.warn("reply batch listener failed", e);
            }
        }
        batchListenerCount = 0;
    }

    private void answer(CommandEvent event, long sequence, Throwable batchFailure) {
        try {
            Throwable failure = event.failure != null ? event.failure : batchFailure;
            if (event.failure == null
                    && batchFailure != null
                    && !event.command.type().isMutating()) {
                // The batch's journal write failed, but a read changed nothing: its answer stands.
                // Its event position is not made visible: the failed batch's events are not acknowledged.
                failure = null;
            } else if (failure == null) {
                if (event.eventSequenceAfter > visibleEventSequence.get()) {
                    visibleEventSequence.set(event.eventSequenceAfter);
                }
                if (event.journalSequence > answeredJournalSequence.get()) {
                    answeredJournalSequence.set(event.journalSequence);
                }
            }
            ReplyHandler handler = replyTargets.handler(sequence);
            if (handler != null) {
                handler.reply(event.command, replyTargets.context(sequence), failure);
            }
        } catch (RuntimeException e) {
            LOG.warn("reply for {} failed", event.command.type(), e);
        } finally {
            event.release();
            replyTargets.clear(sequence);
        }
    }

    long visibleEventSequence() {
        return visibleEventSequence.get();
    }

    long answeredJournalSequence() {
        return answeredJournalSequence.get();
    }
}
