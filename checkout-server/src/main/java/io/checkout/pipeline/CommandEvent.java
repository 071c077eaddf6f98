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

    /** Drops every reference the slot holds so nothing outlives its command. */
    void clear() {
        command.clear();
        failure = null;
        eventSequenceAfter = 0;
        journalSequence = 0;
        expired = false;
    }
}
