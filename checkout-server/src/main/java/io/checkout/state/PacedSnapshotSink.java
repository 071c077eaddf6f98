package io.checkout.state;

import io.checkout.engine.CampaignTerms;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuRecord;

/**
 * Passes every record on to another sink and runs {@code pause} once every {@link #RECORDS_PER_PAUSE}
 * records: the background snapshotter's way to wait, between records, while the live engine is
 * saturated ({@code io.checkout.pipeline.Snapshotter}). The records and their order are untouched.
 */
final class PacedSnapshotSink implements SnapshotSink {
    /** Records between two calls of the pause: a few milliseconds of Chronicle Map work on the project's VM. */
    static final int RECORDS_PER_PAUSE = 4_096;

    private final SnapshotSink into;
    private final Runnable pause;
    private int untilPause = RECORDS_PER_PAUSE;

    PacedSnapshotSink(SnapshotSink into, Runnable pause) {
        this.into = into;
        this.pause = pause;
    }

    private void counted() {
        if (--untilPause == 0) {
            untilPause = RECORDS_PER_PAUSE;
            pause.run();
        }
    }

    @Override
    public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
        into.merchantRow(row, merchantId, commissionBps, sinceEpochMillis);
        counted();
    }

    @Override
    public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
        into.skuGroup(number, groupId, perUserLimit, maxAttempts, windowMillis);
        counted();
    }

    @Override
    public void groupAttempts(int number, long countedWindow, String userId, int count) {
        into.groupAttempts(number, countedWindow, userId, count);
        counted();
    }

    @Override
    public void sku(SkuRecord sku) {
        into.sku(sku);
        counted();
    }

    @Override
    public void campaign(int number, CampaignTerms terms) {
        into.campaign(number, terms);
        counted();
    }

    @Override
    public void order(OrderRecord order) {
        into.order(order);
        counted();
    }

    @Override
    public void userUnits(IdBuffer userId, int skuIndex, long units) {
        into.userUnits(userId, skuIndex, units);
        counted();
    }

    @Override
    public void outcome(IdBuffer requestId, Outcome outcome) {
        into.outcome(requestId, outcome);
        counted();
    }

    @Override
    public void riskRule(int maxAttempts, long windowMillis, long countedWindow) {
        into.riskRule(maxAttempts, windowMillis, countedWindow);
        counted();
    }

    @Override
    public void blockedUser(String userId) {
        into.blockedUser(userId);
        counted();
    }

    @Override
    public void attempts(String userId, int count) {
        into.attempts(userId, count);
        counted();
    }

    @Override
    public void comingUp(IdBuffer requestId, IdBuffer userId) {
        into.comingUp(requestId, userId);
    }
}
