package io.checkout.state;

import io.checkout.engine.CampaignTerms;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuRecord;

/**
 * Takes a checkout state as a stream of records, in this order: every merchant table row by row
 * number, every SKU group by number (with its attempt limit), every user each limited group counts
 * in its counted window (group by group), every SKU by index, every campaign by number (its terms: the
 * SKUs and merchant it names come before it), every order by
 * id, every per-(user, SKU) counter, every remembered answer oldest first, then the risk rules
 * (the attempt limit, every blocked user, every user's attempts in the counted window). Writing a snapshot
 * is streaming a state into a sink that stores the records ({@link SnapshotCodec#write}); loading
 * one is streaming the stored records into a sink that fills an empty state
 * ({@link SnapshotCodec#loaderInto}). Records are lent for the call only: a sink copies what it keeps.
 */
public interface SnapshotSink {
    /** Row {@code row} of the merchant table: {@code merchantId} at {@code commissionBps} since then. */
    void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis);

    /**
     * SKU group {@code number}: {@code groupId} with {@code perUserLimit}, and its attempt limit
     * ({@code maxAttempts} 0: none). Its SKUs name it.
     */
    void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis);

    /**
     * {@code userId} has made {@code count} reserves touching SKU group {@code number} in the
     * group's counted window {@code countedWindow} (window k runs from k times its window millis).
     * Comes after every group; a group's counts all name the same window.
     */
    void groupAttempts(int number, long countedWindow, String userId, int count);

    void sku(SkuRecord sku);

    /**
     * Campaign {@code number}, as it was defined last: its terms, without redemptions (the engine
     * counts them again from the orders when it starts).
     */
    void campaign(int number, CampaignTerms terms);

    void order(OrderRecord order);

    /** {@code userId} (lent for the call) holds {@code units} of SKU {@code skuIndex}. */
    void userUnits(IdBuffer userId, int skuIndex, long units);

    /** The first answer to {@code requestId}; both lent for the call. */
    void outcome(IdBuffer requestId, Outcome outcome);

    /**
     * The attempt limit ({@code maxAttempts} 0: none) and the window whose attempts follow
     * ({@code Long.MIN_VALUE}: none counted). Comes before every blocked user and every count.
     */
    void riskRule(int maxAttempts, long windowMillis, long countedWindow);

    void blockedUser(String userId);

    /** {@code userId} has made {@code count} reserves in the counted window. */
    void attempts(String userId, int count);

    /**
     * A hint that records naming {@code requestId} and {@code userId} (either may be null) come
     * soon: a reader that has a group of records at hand passes each group's ids first, so a sink
     * filling a state can start loading what their lookups will read and overlap the cache misses
     * (as replay does). Changes nothing; the default ignores it.
     */
    default void comingUp(IdBuffer requestId, IdBuffer userId) {}
}
