package io.checkout.state;

import io.checkout.engine.CampaignTerms;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link PackedCheckoutState} held as it was between two commands, for a snapshot written on
 * another thread ({@link SnapshotStore#write(FrozenSnapshot, SnapshotStore.Meta, Runnable)}) while
 * the state goes on taking commands: its large tables by copy-on-write ({@link
 * PackedCheckoutState#freeze}) and its SKUs by reference (a record written while frozen is
 * replaced, not changed: {@link io.checkout.engine.SkuTable#freeze}), its other small tables
 * (merchants, SKU groups, campaigns, risk) copied as records when it is made, with the counts
 * that size the snapshot's maps. Made on the state's thread ({@link SnapshotStore#freeze}); once
 * written or {@link #abandon}ed ({@link #done}), that thread ends the freeze ({@link
 * PackedCheckoutState#thaw}).
 */
public final class FrozenSnapshot {
    private final List<Consumer<SnapshotSink>> smallTables;
    /** Where among {@link #smallTables} the SKUs go: they are held by the image, not copied. */
    private final int skusAt;

    private final ChronicleSnapshotFiles.Sizing sizing;
    private final PackedCheckoutState.FrozenImage image;
    private final long orderCount;
    private final int skuCount;

    private FrozenSnapshot(
            List<Consumer<SnapshotSink>> smallTables,
            int skusAt,
            ChronicleSnapshotFiles.Sizing sizing,
            PackedCheckoutState.FrozenImage image,
            long orderCount,
            int skuCount) {
        this.smallTables = smallTables;
        this.skusAt = skusAt;
        this.sizing = sizing;
        this.image = image;
        this.orderCount = orderCount;
        this.skuCount = skuCount;
    }

    /** Holds {@code state} as it is now; on the state's thread, between two commands. */
    static FrozenSnapshot of(PackedCheckoutState state) {
        List<Consumer<SnapshotSink>> smallTables = new ArrayList<>();
        int[] skusAt = {-1};
        SnapshotCodec.writeSmallTables(state, new Recorder(smallTables), sink -> skusAt[0] = smallTables.size());
        ChronicleSnapshotFiles.Sizing sizing = ChronicleSnapshotFiles.Sizing.of(state);
        // Last: nothing after it may fail and leave the state frozen with nobody to thaw it.
        PackedCheckoutState.FrozenImage image = state.freeze();
        return new FrozenSnapshot(smallTables, skusAt[0], sizing, image, state.orderCount(), state.skuCount());
    }

    /** Streams the small tables into {@code into}, as {@link SnapshotCodec#writeSmallTables} did when frozen. */
    void writeSmallTables(SnapshotSink into) {
        for (Consumer<SnapshotSink> record : smallTables.subList(0, skusAt)) {
            record.accept(into);
        }
        for (SkuRecord sku : image.skus()) {
            into.sku(sku);
        }
        for (Consumer<SnapshotSink> record : smallTables.subList(skusAt, smallTables.size())) {
            record.accept(into);
        }
    }

    ChronicleSnapshotFiles.Sizing sizing() {
        return sizing;
    }

    PackedCheckoutState.FrozenImage image() {
        return image;
    }

    long orderCount() {
        return orderCount;
    }

    int skuCount() {
        return skuCount;
    }

    /** Gives the snapshot up (or what is left of it): the state never waits for it again. */
    public void abandon() {
        image.abandon();
    }

    /** What the state copied aside while frozen (see {@link PackedCheckoutState.FrozenImage#savedBytes}). */
    public long savedBytes() {
        return image.savedBytes();
    }

    /** How long the state spent copying its map of further-SKU counters while frozen (see {@link PackedCheckoutState.FrozenImage#mapCopyNanos}). */
    public long mapCopyNanos() {
        return image.mapCopyNanos();
    }

    /** Whether it was written or abandoned: the state's thread may then thaw the state. */
    public boolean done() {
        return image.done();
    }

    /** Keeps each small-table record as a copy, to be streamed later on another thread. */
    private static final class Recorder implements SnapshotSink {
        private final List<Consumer<SnapshotSink>> records;

        Recorder(List<Consumer<SnapshotSink>> records) {
            this.records = records;
        }

        @Override
        public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
            records.add(into -> into.merchantRow(row, merchantId, commissionBps, sinceEpochMillis));
        }

        @Override
        public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
            records.add(into -> into.skuGroup(number, groupId, perUserLimit, maxAttempts, windowMillis));
        }

        @Override
        public void groupAttempts(int number, long countedWindow, String userId, int count) {
            records.add(into -> into.groupAttempts(number, countedWindow, userId, count));
        }

        @Override
        public void sku(SkuRecord sku) {
            throw new IllegalStateException("the SKUs are held by the frozen image, not among the recorded tables");
        }

        @Override
        public void campaign(int number, CampaignTerms terms) {
            CampaignTerms copy = new CampaignTerms();
            copy.copyFrom(terms);
            records.add(into -> into.campaign(number, copy));
        }

        @Override
        public void order(OrderRecord order) {
            throw new IllegalStateException("orders are in the frozen image, not among the small tables");
        }

        @Override
        public void userUnits(IdBuffer userId, int skuIndex, long units) {
            throw new IllegalStateException("users' units are in the frozen image, not among the small tables");
        }

        @Override
        public void outcome(IdBuffer requestId, Outcome outcome) {
            throw new IllegalStateException("remembered answers are in the frozen image, not among the small tables");
        }

        @Override
        public void riskRule(int maxAttempts, long windowMillis, long countedWindow) {
            records.add(into -> into.riskRule(maxAttempts, windowMillis, countedWindow));
        }

        @Override
        public void blockedUser(String userId) {
            records.add(into -> into.blockedUser(userId));
        }

        @Override
        public void attempts(String userId, int count) {
            records.add(into -> into.attempts(userId, count));
        }
    }
}
