package io.checkout.cluster;

import io.checkout.engine.Command;

/** Hears of every ingress batch the clustered service applies, on the service's thread. */
@FunctionalInterface
public interface AppliedBatchListener {
    AppliedBatchListener NONE = (clusterSessionId, batchId, commands, count) -> {};

    /**
     * Called after the batch is applied, committed by a majority before that. The commands hold
     * the log's input and the engine's output, and are valid only during the call.
     */
    void onBatchApplied(long clusterSessionId, long batchId, Command[] commands, int count);
}
