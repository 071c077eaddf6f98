package io.checkout.server;

import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.ReplyBatchListener;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unary answers of one replier batch bound for the calls of one Netty event loop, sent by that
 * event loop in one task at the batch's end instead of by the replier thread one call at a time: a
 * {@link UnaryReplies.Sender} for the handlers of that loop's calls.
 *
 * <p>Why: an answer written from the replier thread is a cross-thread hand-off per call inside
 * gRPC (each {@code onNext} and {@code onCompleted} enqueues on the transport's write queue and
 * schedules its flush on the event loop, waking it with an {@code eventfd} write when it sleeps),
 * and the replier thread is the single writer's own: the {@code eventfd} writes alone were 19% of its
 * CPU samples, besides the answers' serialisation (benchmarks/README, History 2026-12-06 08:54).
 * Written by the event loop, a batch's answers to one loop cost one task hand-off and the messages
 * are serialised off the single writer's thread; the frames go out with the loop's next flush.
 *
 * <p>Filled on the replier thread only ({@link #add}, then {@link #onReplyBatchEnd}); what it hands
 * to the event loop is a copy, so the replier never shares an array with it. A batch holds at most
 * one answer per ring slot, so {@code pending} never outgrows two entries per slot. The answers handed
 * over and not yet written are bounded by the calls open on the loop's connections, as the
 * transport's own write queue was before.
 */
final class LoopAnswers implements ReplyBatchListener {
    private static final Logger LOG = LoggerFactory.getLogger(LoopAnswers.class);
    private static final int INITIAL_PAIRS = 64;
    /** One answer per ring slot at most in a batch, and no ring is larger than this. */
    private static final int PAIRS_MAX = 2 * PipelineConfig.RING_SIZE_MAX;

    private final Executor loop;
    private final Consumer<ReplyBatchListener> afterReplyBatch;
    /** Pairs of (observer, message or Throwable) of the batch being answered. */
    private Object[] pending;

    /** Entries of {@code pending} in use; above 0 exactly while this waits for the batch's end. */
    private int count;

    /**
     * @param loop the event loop whose calls these answers are for
     * @param afterReplyBatch registers a listener of the replier's current batch
     */
    LoopAnswers(Executor loop, Consumer<ReplyBatchListener> afterReplyBatch) {
        this.loop = loop;
        this.afterReplyBatch = afterReplyBatch;
        this.pending = new Object[2 * INITIAL_PAIRS];
    }

    /**
     * The Netty event loop the calling thread runs, or null if it runs none. Netty keeps this per
     * thread for its own use ({@code ThreadExecutorMap}, set as each event loop's thread starts);
     * gRPC's shaded Netty is the one whose loops run our calls ({@code directExecutor()}).
     */
    static Executor currentEventLoop() {
        return io.grpc.netty.shaded.io.netty.util.internal.ThreadExecutorMap.currentExecutor();
    }

    /** On the replier thread: answer {@code observer}'s call with a message, or fail it with a Throwable. */
    void add(StreamObserver<?> observer, Object answer) {
        if (count == pending.length) {
            if (pending.length >= PAIRS_MAX) {
                throw new IllegalStateException("more answers in one batch than ring slots: " + count / 2);
            }
            pending = Arrays.copyOf(pending, Math.min(PAIRS_MAX, 2 * pending.length));
        }
        if (count == 0) {
            afterReplyBatch.accept(this);
        }
        pending[count++] = observer;
        pending[count++] = answer;
    }

    @Override
    public void onReplyBatchEnd() {
        if (count == 0) {
            return;
        }
        Object[] batch = Arrays.copyOf(pending, count);
        Arrays.fill(pending, 0, count, null);
        count = 0;
        try {
            loop.execute(() -> send(batch));
        } catch (RuntimeException e) {
            // The loop is shutting down and takes no task: its calls are being closed with it.
            LOG.debug("event loop refused {} answers", batch.length / 2, e);
        }
    }

    /** On the event loop: each call gets its message and completes, or gets its error. */
    private static void send(Object[] batch) {
        for (int i = 0; i < batch.length; i += 2) {
            try {
                UnaryReplies.answer((StreamObserver<?>) batch[i], batch[i + 1]);
            } catch (RuntimeException e) {
                LOG.warn("answer failed", e);
            }
        }
    }
}
