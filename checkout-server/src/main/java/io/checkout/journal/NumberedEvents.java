package io.checkout.journal;

import io.checkout.engine.EngineEventListener;

/**
 * The engine's order events, numbered as the event log numbers them: gap-free, in the order the
 * engine produced them, each tagged with the journal sequence of the command that caused it. The
 * live pipeline and every replay keep the numbering in step the same way: before applying a
 * journalled command, set its journal sequence; events the command produces follow.
 */
public interface NumberedEvents extends EngineEventListener {
    /** The journal sequence of the command about to be applied. */
    void journalSequence(long sequence);

    /** The number the next event gets. */
    long nextEventSequence();

    /** Writes out the events produced so far, where they are written at all. */
    void commit();
}
