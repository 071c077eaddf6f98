package io.checkout.pipeline;

import io.checkout.engine.Command;

/**
 * Completes a caller's request once its command has been applied. Called on the replier thread,
 * one command at a time, in ring order. Implementations are stateless singletons; per-call state
 * travels in {@code context} (for gRPC, the response observer), so publishing allocates nothing.
 */
public interface ReplyHandler {
    /**
     * @param command the applied command with its result
     * @param context what the publisher passed along
     * @param failure non-null if the engine could not apply the command (it has stopped)
     */
    void reply(Command command, Object context, Throwable failure);
}
