package io.checkout.pipeline;

import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who outside the pipeline hears about its work, shared by its stages: the observer (metrics) and
 * the listener told once when the engine or the journal fails. Either may be set from any thread
 * before the pipeline starts; a failing observer or listener is logged, never a reason to stop.
 */
final class PipelineHooks {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineHooks.class);

    private volatile PipelineObserver observer = PipelineObserver.NONE;
    private volatile Runnable failureListener = () -> {};

    PipelineObserver observer() {
        return observer;
    }

    void observer(PipelineObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    void failureListener(Runnable listener) {
        this.failureListener = Objects.requireNonNull(listener, "listener");
    }

    /** Tells the failure listener that the pipeline has stopped applying commands. */
    void failed() {
        try {
            failureListener.run();
        } catch (RuntimeException e) {
            LOG.error("engine failure listener failed", e);
        }
    }

    /** Reports one journal commit to the observer. */
    void committed(long writeNanos, long syncNanos) {
        try {
            PipelineObserver watching = observer;
            watching.onJournalWrite(writeNanos);
            if (syncNanos > 0) {
                watching.onJournalSync(syncNanos);
            }
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }
}
