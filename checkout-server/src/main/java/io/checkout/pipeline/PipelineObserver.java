package io.checkout.pipeline;

import io.checkout.engine.CheckoutState;

/**
 * What the pipeline tells an observer (metrics) about its work. Every method runs on a pipeline
 * thread, in the middle of the hot path (the business-logic thread; the journal's on the thread
 * that journals, which is the business logic's unless the journaller has its own): implementations
 * must be quick, must not block and must not allocate per call beyond what {@link #onTick} documents.
 */
public interface PipelineObserver {
    /** Observes nothing. */
    PipelineObserver NONE = new PipelineObserver() {};

    /** A batch of {@code size} commands is about to be applied. */
    default void onBatch(int size) {}

    /** A command was skipped, not applied, because its caller's deadline had passed. */
    default void onExpiredSkipped() {}

    /** A command expired {@code count} (> 0) reservations. */
    default void onExpiries(int count) {}

    /**
     * A TICK has been applied at engine time {@code nowMillis}. This is the one moment an observer
     * may read {@code state}, because it runs on the thread that alone writes it; it must copy what
     * it needs and never keep a reference to the state for another thread.
     */
    default void onTick(CheckoutState state, long nowMillis) {}

    /** On the thread that journals: one batch's journal write took {@code nanos} (the write call, not the sync). */
    default void onJournalWrite(long nanos) {}

    /** On the thread that journals: one batch's sync to the device took {@code nanos} (fsync policy only). */
    default void onJournalSync(long nanos) {}
}
