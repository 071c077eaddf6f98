package io.checkout.state;

import io.checkout.engine.CheckoutState;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuRecord;
import io.checkout.engine.SkuTable;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;

/**
 * The engine's state in four persisted Chronicle Maps under one directory. The server writes and
 * reads its snapshots through it ({@link SnapshotStore}); the live engine runs on
 * {@link PackedCheckoutState}, which is about 2.6 times faster per reserve (benchmarks/README.md).
 * <pre>
 *   skus.cm        SKU index      -> SKU record (also mirrored on the heap: few, read on every reserve)
 *   orders.cm      order id       -> order record
 *   user-units.cm  "sku/user"     -> units held (reserved + paid)
 *   outcomes.cm    request id     -> first answer
 * </pre>
 * Only the engine thread calls it. Writes go through query contexts so that no previous value is
 * read back and boxed; reads copy into the caller's records.
 *
 * <p>SKU records are read on every reserve and written by most commands, so they live on the heap
 * and reach {@code skus.cm} once per batch ({@link #flush()}), not once per command: a hot SKU
 * costs one map write per batch instead of one per unit sold; {@link #close()} flushes. Capacities come from configuration,
 * and each map is created with head-room above its capacity ({@link #SIZING_HEADROOM}) so that an
 * insert the engine has allowed always fits.
 */
public final class ChronicleCheckoutState implements CheckoutState {
    /** Chronicle sizes for average entries; the head-room absorbs keys and values above average. */
    static final double SIZING_HEADROOM = 1.25;

    private final ChronicleMap<LongCell, SkuRecord> skuMap;
    private final ChronicleMap<LongCell, OrderRecord> orderMap;
    private final ChronicleMap<CharSequence, LongCell> userUnitsMap;
    private final ChronicleMap<CharSequence, Outcome> outcomeMap;
    private final List<ChronicleMap<?, ?>> maps = new ArrayList<>();

    private final int skuCapacity;
    private final long orderCapacity;
    private final long userCounterCapacity;
    private final long outcomeCapacity;

    private final SkuTable skus = new SkuTable();
    private long orderCount;
    private long userCounterCount;
    private long outcomeCount;

    /** SKU indexes written since the last flush, each once (see {@link #skuDirty}). */
    private int[] dirtySkus = new int[64];
    private int dirtySkuCount;
    private boolean[] skuDirty = new boolean[64];

    /*
     * A lookup is usually followed by a write of the same key in the same command (a new request id
     * is looked up, then remembered; a buyer's units are read, then written). The lookup's query
     * context stays open, holding its segment's update lock, so the write reuses it instead of
     * hashing and searching again: two map operations become one. Any other access to the same map
     * closes it first, so at most one context per map is ever open; flush() closes both at the end
     * of every batch. Identity comparison is deliberate: the engine passes the same String.
     */
    private ExternalMapQueryContext<CharSequence, Outcome, ?> pendingOutcome;
    private String pendingOutcomeRequestId;
    private ExternalMapQueryContext<CharSequence, LongCell, ?> pendingUnits;
    private String pendingUnitsUserId;
    private int pendingUnitsSkuIndex;

    /** Engine time between two segments of the outcome sweep. */
    public static final long OUTCOME_SWEEP_STEP_MILLIS = 100;
    private final Outcome sweptOutcome = new Outcome();

    private final LongCell longKey = new LongCell();
    private final LongCell longValue = new LongCell();
    private final StringBuilder userKey = new StringBuilder(80);
    private boolean closed;

    private ChronicleCheckoutState(StateConfig config) throws IOException {
        Path dir = config.dataDirectory();
        Files.createDirectories(dir);
        this.skuCapacity = config.skuCapacity();
        this.orderCapacity = config.orderCapacity();
        this.userCounterCapacity = config.userCounterCapacity();
        this.outcomeCapacity = config.outcomeCapacity();
        try {
            skuMap = track(ChronicleMap.of(LongCell.class, SkuRecord.class)
                    .name("skus")
                    .entries(sized(skuCapacity))
                    .keyMarshaller(LongCell.Marshaller.INSTANCE)
                    .constantKeySizeBySample(new LongCell(1))
                    .valueMarshaller(RecordMarshallers.SkuMarshaller.INSTANCE)
                    .averageValueSize(120)
                    .sparseFile(true)
                    .createPersistedTo(file(dir, "skus.cm")));
            orderMap = track(ChronicleMap.of(LongCell.class, OrderRecord.class)
                    .name("orders")
                    .entries(sized(orderCapacity))
                    .keyMarshaller(LongCell.Marshaller.INSTANCE)
                    .constantKeySizeBySample(new LongCell(1))
                    .valueMarshaller(RecordMarshallers.OrderMarshaller.INSTANCE)
                    .averageValueSize(96)
                    .sparseFile(true)
                    .createPersistedTo(file(dir, "orders.cm")));
            userUnitsMap = track(ChronicleMap.of(CharSequence.class, LongCell.class)
                    .name("user-units")
                    .entries(sized(userCounterCapacity))
                    .averageKeySize(28)
                    .valueMarshaller(LongCell.Marshaller.INSTANCE)
                    .constantValueSizeBySample(new LongCell(1))
                    .sparseFile(true)
                    .createPersistedTo(file(dir, "user-units.cm")));
            outcomeMap = track(ChronicleMap.of(CharSequence.class, Outcome.class)
                    .name("outcomes")
                    .entries(sized(outcomeCapacity))
                    .averageKeySize(40)
                    .valueMarshaller(RecordMarshallers.OutcomeMarshaller.INSTANCE)
                    .constantValueSizeBySample(sampleOutcome())
                    .sparseFile(true)
                    .createPersistedTo(file(dir, "outcomes.cm")));
        } catch (IOException | RuntimeException e) {
            closeMaps();
            throw e;
        }
        loadSkus();
        orderCount = orderMap.longSize();
        userCounterCount = userUnitsMap.longSize();
        outcomeCount = outcomeMap.longSize();
    }

    /** Opens the maps under {@code config.dataDirectory()}, creating them if they do not exist. */
    public static ChronicleCheckoutState open(StateConfig config) {
        try {
            return new ChronicleCheckoutState(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open state in " + config.dataDirectory() + ": " + e.getMessage(), e);
        }
    }

    private static long sized(long capacity) {
        return Math.max(64, (long) (capacity * SIZING_HEADROOM));
    }

    private static File file(Path dir, String name) {
        return dir.resolve(name).toFile();
    }

    private static Outcome sampleOutcome() {
        Outcome sample = new Outcome();
        sample.set(io.checkout.engine.CommandType.RESERVE, io.checkout.engine.ResultCode.SUCCESS, 1,
                io.checkout.engine.OrderState.RESERVED, -1, 0, 0);
        return sample;
    }

    private <K, V> ChronicleMap<K, V> track(ChronicleMap<K, V> map) {
        maps.add(map);
        return map;
    }

    private void loadSkus() {
        long stored = skuMap.longSize();
        for (int index = 0; index < stored; index++) {
            SkuRecord sku = skuMap.getUsing(longKey.set(index), new SkuRecord());
            if (sku == null || sku.index != index) {
                throw new IllegalStateException("SKU table is not dense: index " + index + " of " + stored);
            }
            skus.write(sku);
        }
    }

    // ---- SKUs ------------------------------------------------------------------------------

    @Override
    public int skuIndex(String skuId) {
        return skus.indexOf(skuId);
    }

    @Override
    public int skuCount() {
        return skus.size();
    }

    @Override
    public int skuCapacity() {
        return skuCapacity;
    }

    @Override
    public void readSku(int index, SkuRecord into) {
        skus.read(index, into);
    }

    @Override
    public void writeSku(SkuRecord sku) {
        skus.write(sku);
        markDirty(sku.index);
    }

    private void markDirty(int index) {
        if (index >= skuDirty.length) {
            skuDirty = java.util.Arrays.copyOf(skuDirty, Math.max(index + 1, skuDirty.length * 2));
        }
        if (skuDirty[index]) {
            return;
        }
        if (dirtySkuCount == dirtySkus.length) {
            dirtySkus = java.util.Arrays.copyOf(dirtySkus, dirtySkus.length * 2);
        }
        skuDirty[index] = true;
        dirtySkus[dirtySkuCount++] = index;
    }

    /** Writes every SKU changed since the last flush to {@code skus.cm} and releases held lookups. */
    @Override
    public void flush() {
        closePendingOutcome();
        closePendingUnits();
        for (int i = 0; i < dirtySkuCount; i++) {
            int index = dirtySkus[i];
            store(skuMap, longKey.set(index), skus.get(index));
            skuDirty[index] = false;
        }
        dirtySkuCount = 0;
    }

    // ---- user units --------------------------------------------------------------------------

    @Override
    public long userUnits(String userId, int skuIndex) {
        closePendingUnits();
        ExternalMapQueryContext<CharSequence, LongCell, ?> query = userUnitsMap.queryContext(userKey(userId, skuIndex));
        query.updateLock().lock();
        MapEntry<CharSequence, LongCell> entry = query.entry();
        long units = entry == null ? 0 : entry.value().getUsing(longValue).value;
        pendingUnits = query;
        pendingUnitsUserId = userId;
        pendingUnitsSkuIndex = skuIndex;
        return units;
    }

    @Override
    public void writeUserUnits(String userId, int skuIndex, long units) {
        boolean reuse = pendingUnits != null && pendingUnitsUserId == userId && pendingUnitsSkuIndex == skuIndex;
        if (!reuse) {
            closePendingUnits();
        }
        ExternalMapQueryContext<CharSequence, LongCell, ?> query =
                reuse ? pendingUnits : userUnitsMap.queryContext(userKey(userId, skuIndex));
        pendingUnits = null;
        pendingUnitsUserId = null;
        try (query) {
            query.writeLock().lock();
            MapEntry<CharSequence, LongCell> entry = query.entry();
            if (units == 0) {
                if (entry != null) {
                    entry.doRemove();
                    userCounterCount--;
                }
            } else if (entry != null) {
                entry.doReplaceValue(query.wrapValueAsData(longValue.set(units)));
            } else {
                query.absentEntry().doInsert(query.wrapValueAsData(longValue.set(units)));
                userCounterCount++;
            }
        }
    }

    private void closePendingUnits() {
        ExternalMapQueryContext<CharSequence, LongCell, ?> query = pendingUnits;
        if (query != null) {
            pendingUnits = null;
            pendingUnitsUserId = null;
            query.close();
        }
    }

    private CharSequence userKey(String userId, int skuIndex) {
        userKey.setLength(0);
        return userKey.append(skuIndex).append('/').append(userId);
    }

    @Override
    public long userCounterCount() {
        return userCounterCount;
    }

    @Override
    public long userCounterCapacity() {
        return userCounterCapacity;
    }

    // ---- orders ------------------------------------------------------------------------------

    @Override
    public long orderCount() {
        return orderCount;
    }

    @Override
    public long orderCapacity() {
        return orderCapacity;
    }

    @Override
    public boolean readOrder(long orderId, OrderRecord into) {
        if (orderId < 1 || orderId > orderCount) {
            return false;
        }
        return orderMap.getUsing(longKey.set(orderId), into) != null;
    }

    @Override
    public void writeOrder(OrderRecord order) {
        boolean created = store(orderMap, longKey.set(order.orderId), order);
        if (created) {
            if (order.orderId != orderCount + 1) {
                throw new IllegalStateException("order ids must be dense: wrote " + order.orderId + " after " + orderCount);
            }
            orderCount++;
        }
    }

    // ---- outcomes --------------------------------------------------------------------------

    @Override
    public boolean readOutcome(String requestId, Outcome into) {
        closePendingOutcome();
        ExternalMapQueryContext<CharSequence, Outcome, ?> query = outcomeMap.queryContext(requestId);
        query.updateLock().lock();
        MapEntry<CharSequence, Outcome> entry = query.entry();
        if (entry != null) {
            entry.value().getUsing(into);
            query.close();
            return true;
        }
        pendingOutcome = query;
        pendingOutcomeRequestId = requestId;
        return false;
    }

    @Override
    public void writeOutcome(String requestId, Outcome outcome) {
        ExternalMapQueryContext<CharSequence, Outcome, ?> query = pendingOutcome;
        if (query != null && pendingOutcomeRequestId == requestId) {
            pendingOutcome = null;
            pendingOutcomeRequestId = null;
            try (query) {
                query.writeLock().lock();
                query.absentEntry().doInsert(query.wrapValueAsData(outcome));
            }
            outcomeCount++;
            return;
        }
        closePendingOutcome();
        if (store(outcomeMap, requestId, outcome)) {
            outcomeCount++;
        }
    }

    private void closePendingOutcome() {
        ExternalMapQueryContext<CharSequence, Outcome, ?> query = pendingOutcome;
        if (query != null) {
            pendingOutcome = null;
            pendingOutcomeRequestId = null;
            query.close();
        }
    }

    /**
     * Sweeps two segments of {@code outcomes.cm}, removing answers older than the cutoff. Engine time
     * picks them: step {@code s = now / OUTCOME_SWEEP_STEP_MILLIS} sweeps the segments of steps
     * {@code s - 1} and {@code s}, so the same ticks sweep the same segments, a call costs two
     * segments' entries, and ticks that jitter up to two steps apart still skip none. Every segment
     * is swept at least once per {@code segments x step} of engine time (about 100 s for 1,024
     * segments): an answer is forgotten at most that long after its window ends.
     */
    @Override
    public void forgetOutcomesBefore(long cutoffEpochMillis, long nowMillis) {
        closePendingOutcome();
        long step = nowMillis / OUTCOME_SWEEP_STEP_MILLIS;
        sweepOutcomeSegment((int) Math.floorMod(step - 1, (long) outcomeMap.segments()), cutoffEpochMillis);
        sweepOutcomeSegment((int) Math.floorMod(step, (long) outcomeMap.segments()), cutoffEpochMillis);
    }

    private void sweepOutcomeSegment(int segment, long cutoffEpochMillis) {
        try (MapSegmentContext<CharSequence, Outcome, ?> context = outcomeMap.segmentContext(segment)) {
            context.forEachSegmentEntry(entry -> {
                if (entry.value().getUsing(sweptOutcome).atEpochMillis < cutoffEpochMillis) {
                    entry.doRemove();
                    outcomeCount--;
                }
            });
        }
    }

    /** Segments of the outcome map, for tests and operators: one sweep cycle is this many steps. */
    public int outcomeSegments() {
        return outcomeMap.segments();
    }

    @Override
    public long outcomeCount() {
        return outcomeCount;
    }

    @Override
    public long outcomeCapacity() {
        return outcomeCapacity;
    }

    // ---- whole-table visits -----------------------------------------------------------------

    @Override
    public void forEachUserUnits(UserUnitsVisitor visitor) {
        closePendingUnits();
        userUnitsMap.forEach((key, units) -> {
            String text = key.toString();
            int slash = text.indexOf('/');
            visitor.visit(text.substring(slash + 1), Integer.parseInt(text.substring(0, slash)), units.value);
        });
    }

    /** In the map's order, not the answers' order: a caller that needs time order sorts. */
    @Override
    public void forEachOutcome(OutcomeVisitor visitor) {
        closePendingOutcome();
        outcomeMap.forEach((key, outcome) -> visitor.visit(key.toString(), outcome));
    }

    // ---- plumbing ---------------------------------------------------------------------------

    /** Inserts or replaces without reading the old value back; returns true if it inserted. */
    private static <K, V> boolean store(ChronicleMap<K, V> map, K key, V value) {
        try (ExternalMapQueryContext<K, V, ?> query = map.queryContext(key)) {
            // Straight to the write lock: taking the update lock and upgrading costs a second CAS.
            query.writeLock().lock();
            MapEntry<K, V> entry = query.entry();
            if (entry != null) {
                entry.doReplaceValue(query.wrapValueAsData(value));
                return false;
            }
            query.absentEntry().doInsert(query.wrapValueAsData(value));
            return true;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                flush();
            } finally {
                closeMaps();
            }
        }
    }

    private void closeMaps() {
        for (ChronicleMap<?, ?> map : maps) {
            map.close();
        }
        maps.clear();
    }
}
