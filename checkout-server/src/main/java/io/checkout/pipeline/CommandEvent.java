package io.checkout.pipeline;

import io.checkout.engine.Command;

/**
 * One ring slot: a command and how the engine fared. Allocated once per slot by the ring's factory
 * and reused for every command that passes through the slot; who to answer is kept beside the ring
 * ({@link ReplyTargets}), so that publishing stores no reference into the slot.
 */
public final class CommandEvent {
    final Command command = new Command();
    Throwable failure;
    /** The last event sequence the command's changes produced. */
    long eventSequenceAfter;
    /** The journal sequence the business logic counted for a mutating command (0 for a query). */
    long journalSequence;
    /** Skipped because its caller's deadline had passed: not applied, not journalled. */
    boolean expired;

    /**
     * Resets the slot for the next command: every field, input and output. The publisher does it
     * as it claims the slot ({@link CommandRing}), on its own thread, rather than the single
     * writer after the answer.
     */
    void clear() {
        command.clear();
        failure = null;
        eventSequenceAfter = 0;
        journalSequence = 0;
        expired = false;
    }

    /**
     * After the answer: drops what the slot refers to that the next command would not reuse
     * ({@link Command#releaseReferences}), so nothing outlives its command; the values stay until
     * the slot is claimed again.
     */
    void release() {
        failure = null;
        command.releaseReferences();
    }
}
