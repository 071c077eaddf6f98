package io.checkout.journal;

import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.SkuRecord;

/**
 * Numbers events without writing them: a replay that rebuilds state (the background snapshotter)
 * needs to know where the event log's numbering stands, not the events themselves.
 */
public final class EventCounter implements NumberedEvents {
    private long nextEventSequence;

    public EventCounter(long nextEventSequence) {
        this.nextEventSequence = nextEventSequence;
    }

    @Override
    public void journalSequence(long sequence) {
        // Counting needs no attribution.
    }

    @Override
    public long nextEventSequence() {
        return nextEventSequence;
    }

    @Override
    public void commit() {
        // Nothing is written.
    }

    @Override
    public void onOrderChanged(OrderRecord order, OrderState previous) {
        nextEventSequence++;
    }

    @Override
    public void onSkuChanged(SkuRecord sku, long stockDelta, boolean upserted, long atEpochMillis) {
        nextEventSequence++;
    }
}
