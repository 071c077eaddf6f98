package io.checkout.state;

import io.checkout.engine.CampaignTable;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.FrozenArray;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.IdIndex;
import io.checkout.engine.MerchantTable;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.RiskTable;
import io.checkout.engine.SkuGroupTable;
import io.checkout.engine.SkuRecord;
import io.checkout.engine.SkuTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The server's live state: every table on the heap, packed into primitive columns and primitive
 * hash maps, so that a reserve costs a few array writes and hash probes and allocates nothing.
 * The journal makes it durable; snapshots ({@link SnapshotStore}) bound recovery time.
 *
 * <ul>
 *   <li>Orders: ids are dense, so an order is a row of {@value #ORDER_WORDS} longs (64 bytes, one
 *       or two cache lines) in one chunked array indexed by id; its lines are rows of two longs
 *       (orders never change their lines). Rows rather than columns because expiry and cancel
 *       read old orders at random: a row costs one or two cache misses, a column per field ten.</li>
 *   <li>Users: each user id is stored once, as bytes ({@link IdBytes}), and numbered; orders and
 *       counters refer to the number. An {@link IdIndex} finds the number.</li>
 *   <li>Per-(user, SKU) units: each user's first SKU has its counter in a row of two longs next
 *       to the user's number (SKU index + 1, units), written in user order; the user's other SKUs
 *       go to one map keyed by user number and SKU index ({@link SegmentedCounters}). In a flash sale
 *       nearly every buyer takes one SKU, so a new buyer's counter is a sequential write rather
 *       than a random probe of a table as large as the user count.</li>
 *   <li>Payments: a row per payment recorded on an order (its provider and payment id as bytes,
 *       the order, the time), found by payment id through an {@link IdIndex} whose match also
 *       compares the provider; the order's row points back to it. Never removed: a payment is
 *       remembered as long as its order.</li>
 *   <li>Remembered answers: a FIFO of rows in answer order (engine time never goes backwards),
 *       found by request id through an {@link IdIndex}; forgetting takes rows off the head, so it
 *       is exact and costs only what it removes. Request ids are kept as bytes ({@link IdBytes}),
 *       not as objects: they are most of what the state holds, and the collector never sees them.</li>
 * </ul>
 * Columns grow a chunk at a time (never copied), and maps grow by rehashing; every table stops at
 * its capacity because the engine checks room before it writes.
 */
public final class PackedCheckoutState implements CheckoutState {
    /**
     * Words of an order row: user number and currency, state and line count, amount, times, first
     * line, payment row.
     */
    static final int ORDER_WORDS = 8;

    private static final int NONE = IdIndex.NONE;
    private static final float LOAD_FACTOR = 0.65f;
    /**
     * The id indexes are sized for their capacity up front (up to this), so that they never grow
     * mid-sale; the map of further SKUs' counters for a quarter of its capacity (see the constructor).
     */
    private static final int PRESIZE_MAX = 1 << 24;

    // The words of a first-SKU row (firstSkuUnits).
    private static final int FIRST_SKU_WORDS = 2;
    private static final int F_SKU = 0;
    private static final int F_UNITS = 1;
    /**
     * A first-SKU row's first word: the SKU index + 1 in its low bits (the SKU capacity is at most
     * 10^7), the user's newest order id above them: the head of the user's list of orders.
     */
    private static final int F_LAST_ORDER_SHIFT = 24;

    private static final long F_SKU_MASK = (1L << F_LAST_ORDER_SHIFT) - 1;

    // The words of an order row (orders).
    private static final int O_USER_CURRENCY = 0;
    /**
     * State (bits 8..15) and line count (0..7), and above them the id of the same user's previous
     * order (0: none): each user's orders are a list through their rows, newest first.
     */
    private static final int O_STATE_LINES = 1;

    private static final int O_PREVIOUS_SHIFT = 16;
    private static final int O_AMOUNT = 2;
    private static final int O_CREATED = 3;
    private static final int O_EXPIRES = 4;
    private static final int O_UPDATED = 5;
    /**
     * The order's first line (its row in {@code lines}) in the low {@value #O_CAMPAIGN_SHIFT} bits,
     * its campaign's number + 1 above them (0: none; {@link CampaignTable#CAPACITY_MAX}). An order
     * with a campaign stores what the buyer pays in {@link #O_AMOUNT}; its discount is the lines'
     * gross less that, and which lines share it is a bit of each line's second word.
     */
    private static final int O_FIRST_LINE = 6;

    private static final int O_CAMPAIGN_SHIFT = 48;
    private static final long O_FIRST_LINE_MASK = (1L << O_CAMPAIGN_SHIFT) - 1;
    /** A line's second word: this bit is set if the line shares its order's campaign discount. */
    private static final long LINE_ELIGIBLE = 1L << 63;
    /**
     * A line's second word: its unit price (below {@code 2^34}, {@link EngineLimits#PRICE_MINOR_MAX}
     * is 10^10) and, above, the units refunded so far while the order is PARTLY_REFUNDED (a
     * REFUNDED order has refunded all, whatever the word says; 20 bits), and in the top bit {@link
     * #LINE_ELIGIBLE}.
     */
    private static final int PRICE_BITS = 34;
    /**
     * A line's first word: its units in the low 20 bits ({@link EngineLimits#QUANTITY_PER_LINE_MAX}
     * is 10^6), its merchant row + 1 in the next 20 ({@link MerchantTable#ROWS_MAX}), its SKU index
     * in the top 24 (the SKU capacity is at most 10^7).
     */
    private static final int LINE_MERCHANT_SHIFT = 20;

    private static final int LINE_SKU_SHIFT = 40;
    private static final int LINE_FIELD_MASK = (1 << 20) - 1;

    private static final long PRICE_MASK = (1L << PRICE_BITS) - 1;
    /** The order's payment row + 1; 0: no payment recorded. */
    private static final int O_PAYMENT = 7;
    /** An index table this long (32 MB) or longer is zeroed on a thread of its own ({@link #zeroedAside}). */
    private static final int ZEROED_ASIDE_MIN_LENGTH = 1 << 22;
    /** The payment index of an on-demand state starts this small and grows by doubling. */
    private static final int PAYMENT_PRESIZE_ON_DEMAND = 1 << 16;

    /** Where the growing tables' large chunks come from: allocated inline, or ahead while a replay runs. */
    private final ArrayStock arrays = new ArrayStock();

    private final int skuCapacity;
    private final long orderCapacity;
    private final long userCounterCapacity;
    private final long outcomeCapacity;
    private final long paymentCapacity;

    private final SkuTable skus = new SkuTable();
    private final MerchantTable merchants = new MerchantTable();
    private final int merchantCapacity;
    private final RiskTable risk;
    private final SkuGroupTable skuGroups;
    private final CampaignTable campaigns;

    // ---- users -------------------------------------------------------------------------------
    private final IdIndex userNumbers;
    /** Every user's id, appended as users are created and never released. */
    private final IdBytes userIds;
    /** Where each user's id starts in {@link #userIds}, by user number. */
    private final Columns.Longs userIdAt = new Columns.Longs(arrays);
    /**
     * The user looked up, created or read (with an order) last, and its number ({@link #NONE}:
     * none yet); users are never removed or renumbered, so a match is always right. A reserve looks
     * its buyer up three times, and releasing an order looks up the user readOrder has just handed
     * out: comparing with this copy spares a probe of a cold table.
     */
    private final IdBuffer lastUserId = new IdBuffer();

    private int lastUserNumber = NONE;
    private int userCount;

    // ---- per-(user, SKU) units ---------------------------------------------------------------
    /** Row per user number: word 0 the SKU index + 1 of the user's first SKU (0: none yet), word 1 its units. */
    private final Columns.Longs firstSkuUnits = new Columns.Longs(arrays);
    /** First-SKU counters holding units (not zero). */
    private long firstSkuHeld;
    /**
     * Every other (user, SKU) counter. A first-SKU slot, once given a SKU, keeps it. Grows by
     * rehashing a segment at a time; while frozen ({@link #freeze}) a write copies its segment first.
     */
    private final SegmentedCounters userUnits;
    /** The freeze under way, or null ({@link #freeze}, {@link #thaw}). */
    private FrozenImage frozen;

    // ---- orders (row = order id - 1) ---------------------------------------------------------
    private long orderCount;
    private final Columns.Longs orders = new Columns.Longs(arrays);
    /** Two words per line: SKU index and quantity, unit price. */
    private final Columns.Longs lines = new Columns.Longs(arrays);

    private long lineCount;

    // ---- payments (row = payment number, in the order recorded) --------------------------------
    private final IdIndex paymentRows;
    private final IdBytes paymentProviders;
    private final IdBytes paymentIds;
    private final Columns.Longs paymentProviderAt = new Columns.Longs(arrays);
    private final Columns.Longs paymentIdAt = new Columns.Longs(arrays);
    private final Columns.Longs paymentOrderId = new Columns.Longs(arrays);
    private final Columns.Longs paymentPaidAt = new Columns.Longs(arrays);
    /** The provider of the payment being looked up: the index's match compares it besides the id. */
    private IdBuffer probedProvider;

    private int paymentCount;

    // ---- remembered answers: a FIFO ring of rows ---------------------------------------------
    private final IdIndex outcomeRows;
    private final IdBytes outcomeIds;
    private final int outcomeRing;
    private long outcomeHead;
    private long outcomeTail;
    /** Where each row's request id starts in {@link #outcomeIds}. */
    private final Columns.Longs outcomeIdAt = new Columns.Longs(arrays);

    private final Columns.Bytes outcomeCommand = new Columns.Bytes();
    private final Columns.Ints outcomeResult = new Columns.Ints(arrays);
    private final Columns.Longs outcomeOrderId = new Columns.Longs(arrays);
    private final Columns.Bytes outcomeOrderState = new Columns.Bytes();
    private final Columns.Ints outcomeFailedLine = new Columns.Ints(arrays);
    private final Columns.Longs outcomeAt = new Columns.Longs(arrays);
    private final Columns.Longs outcomeOrderUpdated = new Columns.Longs(arrays);

    /** The payments' columns a state image holds, in its order. */
    private final List<Columns.Column> paymentColumns =
            List.of(paymentProviderAt, paymentIdAt, paymentOrderId, paymentPaidAt);
    /** The remembered answers' columns a state image holds, in its order. */
    private final List<Columns.Column> outcomeColumns = List.of(
            outcomeIdAt,
            outcomeCommand,
            outcomeResult,
            outcomeOrderId,
            outcomeOrderState,
            outcomeFailedLine,
            outcomeAt,
            outcomeOrderUpdated);

    // ---- prefetching ----------------------------------------------------------------------------
    /** Where prefetching reads go, so that the compiler keeps them. */
    private long prefetched;

    private long preallocatedBytes;

    /** A state whose memory follows the rows written. */
    public PackedCheckoutState(int skuCapacity, long orderCapacity, long userCounterCapacity, long outcomeCapacity) {
        this(new StateCapacities(skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity));
    }

    private PackedCheckoutState(StateCapacities capacities) {
        int skuCapacity = capacities.skuCapacity();
        long orderCapacity = capacities.orderCapacity();
        long userCounterCapacity = capacities.userCounterCapacity();
        long outcomeCapacity = capacities.outcomeCapacity();
        if (outcomeCapacity > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("outcomeCapacity too large for one ring: " + outcomeCapacity);
        }
        this.skuCapacity = skuCapacity;
        this.orderCapacity = orderCapacity;
        this.userCounterCapacity = userCounterCapacity;
        this.outcomeCapacity = outcomeCapacity;
        this.paymentCapacity = capacities.paymentCapacity();
        this.merchantCapacity = capacities.merchantCapacity();
        this.risk = new RiskTable(
                capacities.blocklistCapacity(), capacities.attemptCounterCapacity(), capacities.preallocated());
        this.skuGroups = new SkuGroupTable(capacities.skuGroupCapacity(), capacities.attemptCounterCapacity());
        this.campaigns = new CampaignTable(capacities.campaignCapacity(), capacities.redemptionCapacity());
        this.outcomeRing = (int) outcomeCapacity;
        // The two id indexes are the largest tables allocated here (128 MB each for 10M orders and
        // answers), and zeroing fresh heap is slow on a VM: the answers' is zeroed on a second
        // thread while this one allocates the rest (benchmarks/README.md, 2026-12-04).
        CompletableFuture<long[]> outcomeSlots = zeroedAside(IdIndex.slotsFor(Math.min(PRESIZE_MAX, outcomeCapacity)));
        long users = Math.min(PRESIZE_MAX, Math.min(orderCapacity, userCounterCapacity));
        // Every user has an order, so there are never more users than orders.
        this.userIds = new IdBytes(orderCapacity, EngineLimits.ID_LENGTH_MAX, arrays);
        this.userNumbers = new IdIndex(users, (number, id) -> userIds.matches(userIdAt.get(number), id));
        // Each user's first SKU is counted beside the user, so this map holds only the further SKUs
        // of users who buy several: sized for a quarter of the capacity, it rehashes beyond that
        // (preallocated: for all of it, so it never rehashes mid-sale).
        this.userUnits = new SegmentedCounters(
                Math.min(
                        (long) (PRESIZE_MAX * LOAD_FACTOR),
                        capacities.preallocated() ? userCounterCapacity : userCounterCapacity / 4),
                LOAD_FACTOR);
        this.outcomeIds = new IdBytes(outcomeCapacity, EngineLimits.ID_LENGTH_MAX, arrays);
        this.outcomeRows =
                new IdIndex(joined(outcomeSlots), (slot, id) -> outcomeIds.matches(outcomeIdAt.get(slot), id));
        this.paymentProviders = new IdBytes(paymentCapacity, EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX, arrays);
        this.paymentIds = new IdBytes(paymentCapacity, EngineLimits.ID_LENGTH_MAX, arrays);
        this.paymentRows = new IdIndex(
                capacities.preallocated()
                        ? Math.min(PRESIZE_MAX, paymentCapacity)
                        : Math.min(PAYMENT_PRESIZE_ON_DEMAND, paymentCapacity),
                (row, id) -> paymentIds.matches(paymentIdAt.get(row), id)
                        && paymentProviders.matches(paymentProviderAt.get(row), probedProvider));
        if (capacities.preallocated()) {
            preallocatedBytes = preallocate();
        }
    }

    /**
     * Starts allocating the growing tables' next chunks ahead on a thread of its own, for a long
     * replay (see {@link ArrayStock}); does nothing if the state is preallocated (nothing grows) or
     * the heap has too little room to spare. Close what it returns before the state's thread does
     * anything else with the heap in mind: the stock then stops and drops what waits.
     */
    public AllocationAhead allocateAhead() {
        return allocateAhead(ArrayStock.freeHeapBytes());
    }

    /** {@link #allocateAhead()} with the heap's free bytes given (tests). */
    AllocationAhead allocateAhead(long freeHeapBytes) {
        if (!preallocated()) {
            arrays.start(freeHeapBytes);
        }
        return new AllocationAhead();
    }

    /** The stock {@link #allocateAhead()} runs (tests). */
    ArrayStock arrayStock() {
        return arrays;
    }

    /** A running (or refused) {@link #allocateAhead()}: what it did, and how to stop it. */
    public final class AllocationAhead implements AutoCloseable {
        private AllocationAhead() {}

        /** Whether chunks are allocated ahead (false: the heap had no room to spare, nothing grows, or closed). */
        public boolean running() {
            return arrays.running();
        }

        /** Chunks the replay took ready from the stock. */
        public long takenReady() {
            return arrays.takenReady();
        }

        /** Chunks the replay allocated itself because none was ready. */
        public long allocatedInline() {
            return arrays.allocatedInline();
        }

        @Override
        public void close() {
            arrays.stop();
        }
    }

    /**
     * A fresh {@code long[length]}; one of at least {@link #ZEROED_ASIDE_MIN_LENGTH} is allocated
     * (and so zeroed, its pages faulted in) on a short-lived thread of its own while the caller goes on.
     */
    private static CompletableFuture<long[]> zeroedAside(int length) {
        if (length < ZEROED_ASIDE_MIN_LENGTH) {
            return CompletableFuture.completedFuture(new long[length]);
        }
        CompletableFuture<long[]> zeroed = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        zeroed.complete(new long[length]);
                    } catch (Throwable t) {
                        zeroed.completeExceptionally(t);
                    }
                },
                "state-index-zeroing");
        thread.setDaemon(true);
        thread.start();
        return zeroed;
    }

    /** What a thread of {@link #zeroedAside} or {@link #readAside} made, or what stopped it (an {@link OutOfMemoryError}, say) rethrown as it was. */
    private static <T> T joined(CompletableFuture<T> aside) {
        try {
            return aside.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /**
     * The state for {@code capacities}. Preallocated, it fails at once, naming the capacities, if the
     * heap could not hold its tables.
     */
    public static PackedCheckoutState of(StateCapacities capacities) {
        if (!capacities.preallocated()) {
            return new PackedCheckoutState(capacities);
        }
        long needed = preallocatedBytes(capacities);
        if (needed > Runtime.getRuntime().maxMemory()) {
            throw tooSmallHeap(capacities, needed, null);
        }
        try {
            return new PackedCheckoutState(capacities);
        } catch (OutOfMemoryError e) {
            // Only start-up allocates this much at once; what was allocated is garbage again.
            throw tooSmallHeap(capacities, needed, e);
        }
    }

    private static IllegalStateException tooSmallHeap(StateCapacities capacities, long needed, Throwable cause) {
        return new IllegalStateException(
                "the heap (-Xmx " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB) cannot hold the "
                        + (needed >> 20) + " MiB of state tables preallocated for " + capacities
                        + ": raise -Xmx, lower the capacities, or let memory follow the rows written (on-demand)",
                cause);
    }

    /** What preallocating the tables for {@code capacities} takes: exactly what {@link #preallocate} allocates. */
    public static long preallocatedBytes(StateCapacities capacities) {
        long orders = capacities.orderCapacity();
        long users = Math.min(orders, capacities.userCounterCapacity());
        long outcomes = capacities.outcomeCapacity();
        return Columns.reservedBytes(orders * ORDER_WORDS, Long.BYTES)
                + Columns.reservedBytes(orders * 2, Long.BYTES)
                + Columns.reservedBytes(users * FIRST_SKU_WORDS, Long.BYTES)
                + Columns.reservedBytes(users, Long.BYTES)
                + IdBytes.preallocatedBytes(orders, EngineLimits.ID_LENGTH_MAX)
                + 4 * Columns.reservedBytes(outcomes, Long.BYTES) // id position, order id, two times
                + 2 * Columns.reservedBytes(outcomes, Integer.BYTES) // result, failed line
                + 2 * Columns.reservedBytes(outcomes, 1) // command, order state
                + IdBytes.preallocatedBytes(outcomes, EngineLimits.ID_LENGTH_MAX)
                + paymentBytes(capacities.paymentCapacity());
    }

    /** The payment table's columns and id bytes for {@code payments} rows. */
    private static long paymentBytes(long payments) {
        return 4 * Columns.reservedBytes(payments, Long.BYTES) // provider and id positions, order id, time
                + IdBytes.preallocatedBytes(payments, EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX)
                + IdBytes.preallocatedBytes(payments, EngineLimits.ID_LENGTH_MAX);
    }

    /**
     * Allocates the tables for their capacities now (each row of an order's first line, each user's
     * first-SKU counter, every remembered answer with its id at the longest length), so that
     * writing rows up to the capacities allocates nothing.
     */
    private long preallocate() {
        long users = Math.min(orderCapacity, userCounterCapacity);
        long bytes = orders.reserve(orderCapacity * ORDER_WORDS);
        bytes += lines.reserve(orderCapacity * 2);
        bytes += firstSkuUnits.reserve(users * FIRST_SKU_WORDS);
        bytes += userIdAt.reserve(users);
        bytes += userIds.preallocate();
        bytes += outcomeIdAt.reserve(outcomeRing);
        bytes += outcomeCommand.reserve(outcomeRing);
        bytes += outcomeResult.reserve(outcomeRing);
        bytes += outcomeOrderId.reserve(outcomeRing);
        bytes += outcomeOrderState.reserve(outcomeRing);
        bytes += outcomeFailedLine.reserve(outcomeRing);
        bytes += outcomeAt.reserve(outcomeRing);
        bytes += outcomeOrderUpdated.reserve(outcomeRing);
        bytes += paymentProviderAt.reserve(paymentCapacity);
        bytes += paymentIdAt.reserve(paymentCapacity);
        bytes += paymentOrderId.reserve(paymentCapacity);
        bytes += paymentPaidAt.reserve(paymentCapacity);
        bytes += paymentProviders.preallocate();
        bytes += paymentIds.preallocate();
        return bytes + outcomeIds.preallocate();
    }

    /** Whether the tables were allocated for their capacities at start-up. */
    @Override
    public boolean preallocated() {
        return preallocatedBytes > 0;
    }

    /** Bytes the columns took at start-up when preallocated (the id indexes are sized up front either way); else 0. */
    public long preallocatedBytes() {
        return preallocatedBytes;
    }

    // ---- the image of the large tables (snapshots) -----------------------------------------------

    /** What an image's loader needs before its tables: the writer's capacities that shape them. */
    record ImageShape(long outcomeRing, long orderCapacity, long userCounterCapacity, long paymentCapacity) {}

    /**
     * Writes the large tables (users and their units, orders and their lines, payments, remembered
     * answers) as they are in memory ({@link StateImageFile}): into {@code out} their {@link
     * ImageShape}, the counts, then the users', orders' and payments' columns, id bytes and index
     * slots; into {@code answersOut} the remembered answers', so that a load can read the two at once
     * on two threads ({@link #readImage}). The small tables (SKUs, merchants, groups, campaigns,
     * risk) are not in it: they go as records ({@link SnapshotCodec}).
     */
    void writeImage(StateImageFile.Out out, StateImageFile.Out answersOut) {
        out.putLong(outcomeRing);
        out.putLong(orderCapacity);
        out.putLong(userCounterCapacity);
        out.putLong(paymentCapacity);
        out.putInt(userCount);
        out.putLong(firstSkuHeld);
        out.putLong(orderCount);
        out.putLong(lineCount);
        out.putInt(paymentCount);
        out.putLong(outcomeHead);
        out.putLong(outcomeTail);
        // users
        userIds.writeTo(out);
        userIdAt.writeTo(out, userCount);
        firstSkuUnits.writeTo(out, (long) userCount * FIRST_SKU_WORDS);
        writeIndex(out, userNumbers);
        out.putInt(Math.toIntExact(userUnits.size()));
        userUnits.forEach((key, units) -> {
            out.putLong(key);
            out.putLong(units);
        });
        // orders
        orders.writeTo(out, orderCount * ORDER_WORDS);
        lines.writeTo(out, lineCount * 2);
        // payments
        paymentProviders.writeTo(out);
        paymentIds.writeTo(out);
        for (Columns.Column column : paymentColumns) {
            column.writeTo(out, paymentCount);
        }
        writeIndex(out, paymentRows);
        // remembered answers: the ring's rows written so far (stale ones too, which nothing reads)
        long ringRows = Math.min(outcomeTail, outcomeRing);
        outcomeIds.writeTo(answersOut);
        for (Columns.Column column : outcomeColumns) {
            column.writeTo(answersOut, ringRows);
        }
        writeIndex(answersOut, outcomeRows);
    }

    /**
     * Holds the large tables as they are now, at a point between two commands, for a state image
     * written on another thread while this state goes on taking commands ({@link FrozenImage}):
     * what {@link #writeImage} would write now, without a second copy of the state or a pause
     * longer than setting the freeze up. Every write of the owner into what is held copies its
     * {@link FrozenArray} unit aside first if the image has not been written past it; writes into
     * rows added since cost a comparison. Call on the state's own thread, and {@link #thaw} there
     * once the image is written or abandoned. Of the small tables only the SKUs' are held (by
     * reference: {@link SkuTable#freeze}), as they are many in a large catalog and read on every
     * reserve; a caller copies the others at the same point ({@link SnapshotCodec#writeSmallTables}
     * into memory).
     */
    public FrozenImage freeze() {
        if (frozen != null) {
            throw new IllegalStateException("the state is frozen already");
        }
        try {
            return freezeTables();
        } catch (RuntimeException e) {
            // A table that could not be held (a bug) must not leave the others checking every write.
            thawTables();
            throw e;
        }
    }

    private FrozenImage freezeTables() {
        long ringRows = Math.min(outcomeTail, outcomeRing);
        List<Columns.Frozen> payments = new ArrayList<>(paymentColumns.size());
        List<Columns.Frozen> outcomes = new ArrayList<>(outcomeColumns.size());
        FrozenImage image = new FrozenImage(
                new long[] {
                    outcomeRing,
                    orderCapacity,
                    userCounterCapacity,
                    paymentCapacity,
                    firstSkuHeld,
                    orderCount,
                    lineCount,
                    outcomeHead,
                    outcomeTail
                },
                userCount,
                paymentCount,
                userIds.freeze(),
                userIdAt.freeze(userCount),
                firstSkuUnits.freeze((long) userCount * FIRST_SKU_WORDS),
                new FrozenIndex(userNumbers),
                userUnits.freeze(),
                orders.freeze(orderCount * ORDER_WORDS),
                lines.freeze(lineCount * 2),
                paymentProviders.freeze(),
                paymentIds.freeze(),
                payments,
                new FrozenIndex(paymentRows),
                outcomeIds.freeze(),
                outcomes,
                new FrozenIndex(outcomeRows),
                skus.freeze());
        for (Columns.Column column : paymentColumns) {
            payments.add(column.freeze(paymentCount));
        }
        for (Columns.Column column : outcomeColumns) {
            outcomes.add(column.freeze(ringRows));
        }
        frozen = image;
        return image;
    }

    /**
     * Ends the freeze {@link #freeze} began: call on the state's own thread once its image is
     * written or abandoned ({@link FrozenImage#done}); writes stop checking for it.
     */
    public void thaw() {
        if (frozen == null) {
            return;
        }
        if (!frozen.done()) {
            throw new IllegalStateException("thawed before the frozen image was written or abandoned");
        }
        frozen = null;
        thawTables();
    }

    private void thawTables() {
        userUnits.thaw();
        skus.thaw();
        userIds.thaw();
        userIdAt.thaw();
        firstSkuUnits.thaw();
        userNumbers.thaw();
        orders.thaw();
        lines.thaw();
        paymentProviders.thaw();
        paymentIds.thaw();
        for (Columns.Column column : paymentColumns) {
            column.thaw();
        }
        paymentRows.thaw();
        outcomeIds.thaw();
        for (Columns.Column column : outcomeColumns) {
            column.thaw();
        }
        outcomeRows.thaw();
    }

    /** An id index's slots and counts as they were at a freeze. */
    private static final class FrozenIndex {
        private final int slotCount;
        private final int size;
        private final FrozenArray slots;

        FrozenIndex(IdIndex index) {
            this.slotCount = index.slotCount();
            this.size = index.size();
            this.slots = index.freeze();
        }

        void writeTo(StateImageFile.Out out) {
            out.putInt(slotCount);
            out.putInt(size);
            slots.read(out.frozenUnits());
        }

        void abandon() {
            slots.abandon();
        }

        long savedUnits() {
            return slots.savedUnits();
        }
    }

    /**
     * The large tables of a state as they were at a {@link #freeze}: {@link #writeImage} writes on
     * any one thread what {@link PackedCheckoutState#writeImage} would have written then, while the
     * state goes on. Write it once, or {@link #abandon} it; either way it is then {@link #done}.
     */
    public static final class FrozenImage {
        private final long[] counts;
        private final int userCount;
        private final int paymentCount;
        private final IdBytes.Frozen userIds;
        private final Columns.Frozen userIdAt;
        private final Columns.Frozen firstSkuUnits;
        private final FrozenIndex userNumbers;
        private final SegmentedCounters.Frozen userUnits;
        private final Columns.Frozen orders;
        private final Columns.Frozen lines;
        private final IdBytes.Frozen paymentProviders;
        private final IdBytes.Frozen paymentIds;
        private final List<Columns.Frozen> paymentColumns;
        private final FrozenIndex paymentRows;
        private final IdBytes.Frozen outcomeIds;
        private final List<Columns.Frozen> outcomeColumns;
        private final FrozenIndex outcomeRows;
        private final List<SkuRecord> skus;
        private final java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean done;

        private FrozenImage(
                long[] counts,
                int userCount,
                int paymentCount,
                IdBytes.Frozen userIds,
                Columns.Frozen userIdAt,
                Columns.Frozen firstSkuUnits,
                FrozenIndex userNumbers,
                SegmentedCounters.Frozen userUnits,
                Columns.Frozen orders,
                Columns.Frozen lines,
                IdBytes.Frozen paymentProviders,
                IdBytes.Frozen paymentIds,
                List<Columns.Frozen> paymentColumns,
                FrozenIndex paymentRows,
                IdBytes.Frozen outcomeIds,
                List<Columns.Frozen> outcomeColumns,
                FrozenIndex outcomeRows,
                List<SkuRecord> skus) {
            this.counts = counts;
            this.userCount = userCount;
            this.paymentCount = paymentCount;
            this.userIds = userIds;
            this.userIdAt = userIdAt;
            this.firstSkuUnits = firstSkuUnits;
            this.userNumbers = userNumbers;
            this.userUnits = userUnits;
            this.orders = orders;
            this.lines = lines;
            this.paymentProviders = paymentProviders;
            this.paymentIds = paymentIds;
            this.paymentColumns = paymentColumns;
            this.paymentRows = paymentRows;
            this.outcomeIds = outcomeIds;
            this.outcomeColumns = outcomeColumns;
            this.outcomeRows = outcomeRows;
            this.skus = skus;
        }

        /** The SKU records as they were at the freeze, by index; not to be changed. */
        List<SkuRecord> skus() {
            return skus;
        }

        /** Writes the image, in {@link PackedCheckoutState#writeImage}'s layout. Once, on one thread. */
        void writeImage(StateImageFile.Out out, StateImageFile.Out answersOut) {
            if (!taken.compareAndSet(false, true)) {
                throw new IllegalStateException("a frozen image is written once");
            }
            try {
                out.putLong(counts[0]);
                out.putLong(counts[1]);
                out.putLong(counts[2]);
                out.putLong(counts[3]);
                out.putInt(userCount);
                out.putLong(counts[4]);
                out.putLong(counts[5]);
                out.putLong(counts[6]);
                out.putInt(paymentCount);
                out.putLong(counts[7]);
                out.putLong(counts[8]);
                userIds.writeTo(out);
                userIdAt.writeTo(out);
                firstSkuUnits.writeTo(out);
                userNumbers.writeTo(out);
                out.putInt(Math.toIntExact(userUnits.size()));
                userUnits.forEach((key, units) -> {
                    out.putLong(key);
                    out.putLong(units);
                });
                orders.writeTo(out);
                lines.writeTo(out);
                paymentProviders.writeTo(out);
                paymentIds.writeTo(out);
                for (Columns.Frozen column : paymentColumns) {
                    column.writeTo(out);
                }
                paymentRows.writeTo(out);
                outcomeIds.writeTo(answersOut);
                for (Columns.Frozen column : outcomeColumns) {
                    column.writeTo(answersOut);
                }
                outcomeRows.writeTo(answersOut);
            } finally {
                // Whatever a failure left unread goes back to the owner unread.
                release();
            }
        }

        /** Gives the image up unwritten (or the rest of it): the owner never waits for it again. */
        public void abandon() {
            taken.set(true);
            release();
        }

        private void release() {
            userIds.abandon();
            userIdAt.abandon();
            firstSkuUnits.abandon();
            userNumbers.abandon();
            orders.abandon();
            lines.abandon();
            paymentProviders.abandon();
            paymentIds.abandon();
            for (Columns.Frozen column : paymentColumns) {
                column.abandon();
            }
            paymentRows.abandon();
            outcomeIds.abandon();
            for (Columns.Frozen column : outcomeColumns) {
                column.abandon();
            }
            outcomeRows.abandon();
            done = true;
        }

        /** Whether it was written or abandoned: the state may {@link PackedCheckoutState#thaw}. */
        public boolean done() {
            return done;
        }

        /**
         * The bytes the state copied aside so far because it wrote into a unit the image had not
         * written yet: what the freeze cost it besides setting up. Counted by the state's thread
         * without a fence: read after {@link #done}, a figure for logs.
         */
        public long savedBytes() {
            long units = userIds.savedUnits()
                    + userIdAt.savedUnits()
                    + firstSkuUnits.savedUnits()
                    + userNumbers.savedUnits()
                    + orders.savedUnits()
                    + lines.savedUnits()
                    + paymentProviders.savedUnits()
                    + paymentIds.savedUnits()
                    + paymentRows.savedUnits()
                    + outcomeIds.savedUnits()
                    + outcomeRows.savedUnits();
            for (Columns.Frozen column : paymentColumns) {
                units += column.savedUnits();
            }
            for (Columns.Frozen column : outcomeColumns) {
                units += column.savedUnits();
            }
            return units * FrozenArray.UNIT_BYTES;
        }

        /**
         * How long the state's thread spent copying the users' further-SKU counters (each segment
         * of them copied at its first write while frozen), 0 if it has not; like
         * {@link #savedBytes}, a figure for logs.
         */
        public long mapCopyNanos() {
            return userUnits.copyNanos();
        }
    }

    private static void writeIndex(StateImageFile.Out out, IdIndex index) {
        out.putInt(index.slotCount());
        out.putInt(index.size());
        index.writeSlots(out);
    }

    /** Reads the {@link ImageShape} at the head of an image. */
    static ImageShape readImageShape(StateImageFile.In in) {
        return new ImageShape(in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }

    /** Whether an image of {@code shape} can be read straight into this state ({@link #readImage}). */
    boolean takesImage(ImageShape shape) {
        return shape.outcomeRing() == outcomeRing;
    }

    /**
     * Reads the rest of an image whose shape this state {@link #takesImage takes} into its large
     * tables, which must be empty; refuses an image that holds more than this state's capacities.
     * The rows' references to SKUs, merchants and campaigns are checked by {@link #checkImageRows}.
     *
     * <p>With {@code twoThreads}, and no chunks being allocated ahead (the stock hands chunks to one
     * thread only), the remembered answers are read from {@code answersIn} on a thread of its own
     * while this one reads the rest: the two touch disjoint tables, and this thread joins the other
     * before it goes on. A restart's load is mostly the copy into fresh heap, which then runs on both
     * cores (benchmarks/README.md, 2026-12-05).
     */
    void readImage(StateImageFile.In in, StateImageFile.In answersIn, ImageShape shape, boolean twoThreads) {
        if (!takesImage(shape)) {
            throw new IllegalArgumentException("an image of a ring of " + shape.outcomeRing()
                    + " remembered answers read into one of " + outcomeRing);
        }
        if (userCount != 0 || orderCount != 0 || paymentCount != 0 || outcomeTail != 0 || !userUnits.isEmpty()) {
            throw new IllegalStateException("a state image loads only into empty tables");
        }
        int users = in.getInt();
        long held = in.getLong();
        long ordersIn = in.getLong();
        long linesIn = in.getLong();
        int payments = in.getInt();
        long head = in.getLong();
        long tail = in.getLong();
        if (users < 0
                || ordersIn < 0
                || linesIn < 0
                || payments < 0
                || head < 0
                || tail < head
                || held < 0
                || held > users
                || linesIn > ordersIn * EngineLimits.LINES_PER_ORDER_MAX) {
            throw in.damaged("counts " + users + " users (" + held + " first counters), " + ordersIn + " orders, "
                    + linesIn + " lines, " + payments + " payments, answers " + head + ".." + tail);
        }
        requireRoom("orders", ordersIn, orderCapacity);
        requireRoom("payments", payments, paymentCapacity);
        requireRoom("remembered answers", tail - head, outcomeCapacity);
        CompletableFuture<Void> answers =
                twoThreads && !arrays.running() ? readAside(() -> readAnswers(answersIn, head, tail)) : null;
        if (answers == null) {
            readAnswers(answersIn, head, tail);
        }
        Throwable failed = null;
        try {
            readUsersOrdersPayments(in, users, held, ordersIn, linesIn, payments);
        } catch (RuntimeException | Error e) {
            failed = e;
        }
        if (answers != null) {
            // Joined whatever this thread met: the other writes into this state until it is done.
            try {
                joined(answers);
            } catch (RuntimeException | Error e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failed instanceof Error error) {
            throw error;
        }
        outcomeHead = head;
        outcomeTail = tail;
    }

    /** Runs {@code read} on a short-lived thread of its own. */
    private static CompletableFuture<Void> readAside(Runnable read) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        read.run();
                        done.complete(null);
                    } catch (Throwable t) {
                        done.completeExceptionally(t);
                    }
                },
                "state-image-answers");
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    private void readUsersOrdersPayments(
            StateImageFile.In in, int users, long held, long ordersIn, long linesIn, int payments) {
        // users
        userIds.readFrom(in);
        userIdAt.readFrom(in, users);
        firstSkuUnits.readFrom(in, (long) users * FIRST_SKU_WORDS);
        readIndex(in, userNumbers, users);
        int further = in.getInt();
        if (further < 0) {
            throw in.damaged("counts " + further + " further per-user counters");
        }
        requireRoom("per-user counters", held + further, userCounterCapacity);
        for (int i = 0; i < further; i++) {
            long key = in.getLong();
            long units = in.getLong();
            if ((key >>> 32) >= users || units <= 0) {
                throw in.damaged("holds " + units + " units of user number " + (key >>> 32) + " of " + users);
            }
            userUnits.put(key, units);
        }
        userCount = users;
        firstSkuHeld = held;
        // orders
        orders.readFrom(in, ordersIn * ORDER_WORDS);
        lines.readFrom(in, linesIn * 2);
        orderCount = ordersIn;
        lineCount = linesIn;
        // payments
        paymentProviders.readFrom(in);
        paymentIds.readFrom(in);
        for (Columns.Column column : paymentColumns) {
            column.readFrom(in, payments);
        }
        readIndex(in, paymentRows, payments);
        paymentCount = payments;
        if (userNumbers.size() != users || paymentRows.size() != payments) {
            throw in.damaged("indexes " + userNumbers.size() + " users of " + users + " and " + paymentRows.size()
                    + " payments of " + payments);
        }
    }

    /** The remembered answers' ids, columns and index; touches no other table. */
    private void readAnswers(StateImageFile.In answersIn, long head, long tail) {
        long ringRows = Math.min(tail, outcomeRing);
        outcomeIds.readFrom(answersIn);
        for (Columns.Column column : outcomeColumns) {
            column.readFrom(answersIn, ringRows);
        }
        readIndex(answersIn, outcomeRows, (int) ringRows);
        if (outcomeRows.size() != tail - head) {
            throw answersIn.damaged("indexes " + outcomeRows.size() + " remembered answers of " + (tail - head));
        }
    }

    private static void readIndex(StateImageFile.In in, IdIndex index, int rows) {
        int slotCount = in.getInt();
        int entries = in.getInt();
        index.readSlots(slotCount, entries, rows, in);
    }

    private static void requireRoom(String table, long count, long capacity) {
        if (count > capacity) {
            throw new IllegalStateException("the snapshot holds more " + table + " than the configured capacity of "
                    + capacity + " (" + count + "); raise the capacity to load it");
        }
    }

    /**
     * Checks what the rows read by {@link #readImage} refer to, in one pass in row order: each
     * order's user, state, lines, their SKUs and merchants, its campaign and payment; each user's
     * id, first SKU and newest order; each payment's order; each remembered answer's command and result. A snapshot whose
     * rows name what the state does not hold stops the load, as the record loader's checks do.
     */
    void checkImageRows(StateImageFile.In in, int merchantRows, int campaignCount) {
        int skuCount = skuCount();
        for (long orderId = 1; orderId <= orderCount; orderId++) {
            long at = (orderId - 1) * ORDER_WORDS;
            long userNumber = orders.get(at + O_USER_CURRENCY) >>> 32;
            long stateLines = orders.get(at + O_STATE_LINES);
            long firstWord = orders.get(at + O_FIRST_LINE);
            long first = firstWord & O_FIRST_LINE_MASK;
            int count = (int) (stateLines & 0xFF);
            long campaign = (firstWord >>> O_CAMPAIGN_SHIFT) - 1;
            long payment = orders.get(at + O_PAYMENT);
            long previous = stateLines >>> O_PREVIOUS_SHIFT;
            if (userNumber >= userCount
                    || !OrderState.isCode((int) (stateLines >>> 8) & 0xFF)
                    || count < 1
                    || count > EngineLimits.LINES_PER_ORDER_MAX
                    || first + count > lineCount
                    || campaign >= campaignCount
                    || payment > paymentCount
                    || previous >= orderId) {
                throw in.damaged("holds order " + orderId + " with user number " + userNumber + " of " + userCount
                        + ", state and lines " + Long.toHexString(stateLines) + ", lines " + first + "+" + count
                        + " of " + lineCount + ", campaign " + campaign + " of " + campaignCount + ", payment "
                        + payment + " of " + paymentCount);
            }
            for (long line = first; line < first + count; line++) {
                long skuQuantity = lines.get(line * 2);
                long skuIndex = skuQuantity >>> LINE_SKU_SHIFT;
                int merchantRow = (int) (skuQuantity >>> LINE_MERCHANT_SHIFT) & LINE_FIELD_MASK;
                int quantity = (int) skuQuantity & LINE_FIELD_MASK;
                if (skuIndex >= skuCount
                        || merchantRow > merchantRows
                        || quantity < 1
                        || quantity > EngineLimits.QUANTITY_PER_LINE_MAX) {
                    throw in.damaged("holds order " + orderId + " with " + quantity + " units of SKU index " + skuIndex
                            + " of " + skuCount + " from merchant row " + (merchantRow - 1) + " of " + merchantRows);
                }
            }
        }
        for (int row = 0; row < paymentCount; row++) {
            long orderId = paymentOrderId.get(row);
            if (orderId < 1 || orderId > orderCount || paymentIdAt.get(row) >= paymentIds.end()) {
                throw in.damaged("holds payment row " + row + " of order " + orderId + " of " + orderCount);
            }
        }
        for (int number = 0; number < userCount; number++) {
            long word = firstSkuUnits.get(firstSkuRow(number) + F_SKU);
            if (userIdAt.get(number) >= userIds.end()) {
                throw in.damaged("holds user number " + number + " with its id at " + userIdAt.get(number)
                        + ", past the ids' end " + userIds.end());
            }
            if ((word & F_SKU_MASK) > skuCount || (word >>> F_LAST_ORDER_SHIFT) > orderCount) {
                throw in.damaged("holds user number " + number + " with first SKU " + ((word & F_SKU_MASK) - 1)
                        + " of " + skuCount + " and newest order " + (word >>> F_LAST_ORDER_SHIFT) + " of "
                        + orderCount);
            }
        }
        userUnits.forEach((key, units) -> {
            if ((int) key < 0 || (int) key >= skuCount) {
                throw in.damaged("holds units of SKU index " + (int) key + " of " + skuCount);
            }
        });
        for (long position = outcomeHead; position < outcomeTail; position++) {
            int slot = (int) (position % outcomeRing);
            if (!CommandType.isCode(outcomeCommand.get(slot)) || !ResultCode.isCode(outcomeResult.get(slot))) {
                throw in.damaged("holds remembered answer " + position + " with command " + outcomeCommand.get(slot)
                        + " and result " + outcomeResult.get(slot));
            }
        }
    }

    // ---- SKUs ----------------------------------------------------------------------------------

    @Override
    public SkuTable skus() {
        return skus;
    }

    @Override
    public int skuCapacity() {
        return skuCapacity;
    }

    @Override
    public MerchantTable merchants() {
        return merchants;
    }

    @Override
    public int merchantCapacity() {
        return merchantCapacity;
    }

    @Override
    public RiskTable risk() {
        return risk;
    }

    @Override
    public SkuGroupTable skuGroups() {
        return skuGroups;
    }

    @Override
    public CampaignTable campaigns() {
        return campaigns;
    }

    // ---- users and their units ----------------------------------------------------------------

    private int userNumber(IdBuffer userId, boolean create) {
        if (lastUserNumber != NONE && lastUserId.contentEquals(userId)) {
            return lastUserNumber;
        }
        int number = userNumbers.get(userId);
        if (number == NONE) {
            if (!create) {
                return NONE;
            }
            number = userCount++;
            userIdAt.set(number, userIds.append(userId));
            userNumbers.add(userId, number);
            long at = firstSkuRow(number);
            firstSkuUnits.set(at + F_SKU, 0);
            firstSkuUnits.set(at + F_UNITS, 0);
        }
        lastUserId.copyFrom(userId);
        lastUserNumber = number;
        return number;
    }

    /** Where the user's first-SKU row starts in {@link #firstSkuUnits}. */
    private static long firstSkuRow(int userNumber) {
        return (long) userNumber * FIRST_SKU_WORDS;
    }

    private static long unitsKey(int userNumber, int skuIndex) {
        return ((long) userNumber << 32) | (skuIndex & 0xFFFF_FFFFL);
    }

    @Override
    public long userUnits(IdBuffer userId, int skuIndex) {
        int number = userNumber(userId, false);
        if (number == NONE) {
            return 0;
        }
        long at = firstSkuRow(number);
        long firstSku = firstSkuUnits.get(at + F_SKU) & F_SKU_MASK;
        if (firstSku == skuIndex + 1L) {
            return firstSkuUnits.get(at + F_UNITS);
        }
        // A user's first counter always takes the first-SKU slot, so with none there is no other.
        return firstSku == 0 ? 0 : userUnits.get(unitsKey(number, skuIndex));
    }

    @Override
    public void writeUserUnits(IdBuffer userId, int skuIndex, long units) {
        if (units < 0) {
            throw new IllegalArgumentException("units below zero: " + units);
        }
        int number = userNumber(userId, units != 0);
        if (number == NONE) {
            return;
        }
        long at = firstSkuRow(number);
        long word = firstSkuUnits.get(at + F_SKU);
        long firstSku = word & F_SKU_MASK;
        if (firstSku == 0 && units != 0) {
            firstSkuUnits.set(at + F_SKU, (word & ~F_SKU_MASK) | (skuIndex + 1L));
            firstSku = skuIndex + 1L;
        }
        if (firstSku == skuIndex + 1L) {
            long before = firstSkuUnits.get(at + F_UNITS);
            firstSkuUnits.set(at + F_UNITS, units);
            firstSkuHeld += (units != 0 ? 1 : 0) - (before != 0 ? 1 : 0);
        } else {
            userUnits.put(unitsKey(number, skuIndex), units); // 0 removes it
        }
    }

    /** Pairs holding units. The user table behind them only grows, and is bounded by the order table. */
    @Override
    public long userCounterCount() {
        return firstSkuHeld + userUnits.size();
    }

    @Override
    public long userCounterCapacity() {
        return userCounterCapacity;
    }

    @Override
    public void forEachUserUnits(UserUnitsVisitor visitor) {
        IdBuffer userId = new IdBuffer();
        for (int number = 0; number < userCount; number++) {
            long at = firstSkuRow(number);
            long units = firstSkuUnits.get(at + F_UNITS);
            if (units != 0) {
                userIds.read(userIdAt.get(number), userId);
                visitor.visit(userId, (int) ((firstSkuUnits.get(at + F_SKU) & F_SKU_MASK) - 1), units);
            }
        }
        userUnits.forEach((key, units) -> {
            userIds.read(userIdAt.get((int) (key >>> 32)), userId);
            visitor.visit(userId, (int) key, units);
        });
    }

    // ---- orders --------------------------------------------------------------------------------

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
        long at = (orderId - 1) * ORDER_WORDS;
        long userCurrency = orders.get(at + O_USER_CURRENCY);
        long stateLines = orders.get(at + O_STATE_LINES);
        into.orderId = orderId;
        int number = (int) (userCurrency >>> 32);
        userIds.read(userIdAt.get(number), into.userId);
        lastUserId.copyFrom(into.userId);
        lastUserNumber = number;
        into.currency = (int) userCurrency;
        into.state(OrderState.fromCode((byte) (stateLines >>> 8)));
        into.amountMinor = orders.get(at + O_AMOUNT);
        into.createdAtEpochMillis = orders.get(at + O_CREATED);
        into.expiresAtEpochMillis = orders.get(at + O_EXPIRES);
        into.updatedAtEpochMillis = orders.get(at + O_UPDATED);
        int count = (int) (stateLines & 0xFF);
        long firstWord = orders.get(at + O_FIRST_LINE);
        long first = firstWord & O_FIRST_LINE_MASK;
        into.lineCount = count;
        into.clearMerchantRows();
        into.campaignNumber = (int) (firstWord >>> O_CAMPAIGN_SHIFT) - 1;
        into.discountMinor = 0;
        into.eligibleLines = 0;
        boolean inPart = into.state() == OrderState.PARTLY_REFUNDED;
        for (int i = 0; i < count; i++) {
            long skuQuantity = lines.get((first + i) * 2);
            into.skuIndexes[i] = (int) (skuQuantity >>> LINE_SKU_SHIFT);
            int merchantRow = (int) (skuQuantity >>> LINE_MERCHANT_SHIFT) & LINE_FIELD_MASK;
            if (merchantRow != 0) {
                into.setMerchantRow(i, merchantRow);
            }
            into.quantities[i] = (int) skuQuantity & LINE_FIELD_MASK;
            long priceRefunded = lines.get((first + i) * 2 + 1);
            into.unitPricesMinor[i] = priceRefunded & PRICE_MASK;
            if (inPart) {
                into.refundedQuantities[i] = (int) ((priceRefunded & ~LINE_ELIGIBLE) >>> PRICE_BITS);
            }
            if (into.campaignNumber >= 0) {
                into.discountMinor += into.quantities[i] * into.unitPricesMinor[i];
                if ((priceRefunded & LINE_ELIGIBLE) != 0) {
                    into.eligibleLines |= 1L << i;
                }
            }
        }
        if (into.campaignNumber >= 0) {
            // The lines' gross, less what the buyer pays.
            into.discountMinor -= into.amountMinor;
        }
        long payment = orders.get(at + O_PAYMENT);
        if (payment == 0) {
            into.clearPayment();
        } else {
            int row = (int) (payment - 1);
            paymentProviders.read(paymentProviderAt.get(row), into.paymentProvider);
            paymentIds.read(paymentIdAt.get(row), into.paymentId);
            into.paymentRead(paymentPaidAt.get(row));
        }
        return true;
    }

    @Override
    public long lastOrderOf(IdBuffer userId) {
        int number = userNumber(userId, false);
        return number == NONE ? 0 : firstSkuUnits.get(firstSkuRow(number) + F_SKU) >>> F_LAST_ORDER_SHIFT;
    }

    @Override
    public long previousOrderOfUser(long orderId) {
        if (orderId < 1 || orderId > orderCount) {
            return 0;
        }
        return orders.get((orderId - 1) * ORDER_WORDS + O_STATE_LINES) >>> O_PREVIOUS_SHIFT;
    }

    @Override
    public void writeOrder(OrderRecord order) {
        long at = (order.orderId - 1) * ORDER_WORDS;
        long stateLines = ((long) (order.state().code() & 0xFF) << 8) | (order.lineCount & 0xFF);
        if (order.orderId == orderCount + 1) {
            int number = userNumber(order.userId, true);
            orders.set(at + O_USER_CURRENCY, ((long) number << 32) | (order.currency & 0xFFFF_FFFFL));
            // The order becomes the head of its user's list; the previous head is linked from its row.
            long user = firstSkuRow(number) + F_SKU;
            long head = firstSkuUnits.get(user);
            firstSkuUnits.set(user, (order.orderId << F_LAST_ORDER_SHIFT) | (head & F_SKU_MASK));
            stateLines |= (head >>> F_LAST_ORDER_SHIFT) << O_PREVIOUS_SHIFT;
            orders.set(at + O_AMOUNT, order.amountMinor);
            orders.set(at + O_CREATED, order.createdAtEpochMillis);
            orders.set(at + O_FIRST_LINE, lineCount | ((long) (order.campaignNumber + 1) << O_CAMPAIGN_SHIFT));
            orders.set(at + O_PAYMENT, 0);
            for (int i = 0; i < order.lineCount; i++) {
                lines.set(
                        lineCount * 2,
                        ((long) order.skuIndexes[i] << LINE_SKU_SHIFT)
                                | ((long) order.merchantRow(i) << LINE_MERCHANT_SHIFT)
                                | order.quantities[i]);
                lines.set(lineCount * 2 + 1, order.unitPricesMinor[i] | eligibleBit(order, i));
                lineCount++;
            }
            orderCount++;
        } else if (order.orderId < 1 || order.orderId > orderCount) {
            throw new IllegalStateException("order ids must be dense: wrote " + order.orderId + " with " + orderCount);
        } else {
            // The link to the user's previous order never changes.
            stateLines |= orders.get(at + O_STATE_LINES) & -(1L << O_PREVIOUS_SHIFT);
        }
        // After creation the state and times change, a line's refunded units (while PARTLY_REFUNDED),
        // and the payment once; the lines' SKUs, units and prices, the amount and the user never do.
        orders.set(at + O_STATE_LINES, stateLines);
        if (order.state() == OrderState.PARTLY_REFUNDED) {
            long first = orders.get(at + O_FIRST_LINE) & O_FIRST_LINE_MASK;
            for (int i = 0; i < order.lineCount; i++) {
                lines.set(
                        (first + i) * 2 + 1,
                        order.unitPricesMinor[i]
                                | ((long) order.refundedQuantities[i] << PRICE_BITS)
                                | eligibleBit(order, i));
            }
        }
        orders.set(at + O_EXPIRES, order.expiresAtEpochMillis);
        orders.set(at + O_UPDATED, order.updatedAtEpochMillis);
        // A payment is recorded once and then kept, whatever later writes of the order carry.
        if (order.hasPayment() && orders.get(at + O_PAYMENT) == 0) {
            orders.set(at + O_PAYMENT, recordPayment(order) + 1L);
        }
    }

    private static long eligibleBit(OrderRecord order, int line) {
        return order.campaignNumber >= 0 && order.isEligible(line) ? LINE_ELIGIBLE : 0;
    }

    private int recordPayment(OrderRecord order) {
        if (paymentCount >= paymentCapacity) {
            throw new IllegalStateException("payment table full: the engine checks room before writing");
        }
        if (paymentOrder(order.paymentProvider, order.paymentId) != 0) {
            throw new IllegalStateException("payment " + order.paymentProvider + "/" + order.paymentId
                    + " already paid another order than " + order.orderId);
        }
        int row = paymentCount++;
        paymentProviderAt.set(row, paymentProviders.append(order.paymentProvider));
        paymentIdAt.set(row, paymentIds.append(order.paymentId));
        paymentOrderId.set(row, order.orderId);
        paymentPaidAt.set(row, order.paidAtEpochMillis);
        paymentRows.add(order.paymentId, row);
        return row;
    }

    // ---- payments ------------------------------------------------------------------------------

    @Override
    public long paymentOrder(IdBuffer provider, IdBuffer paymentId) {
        probedProvider = provider;
        int row = paymentRows.get(paymentId);
        probedProvider = null;
        return row == NONE ? 0 : paymentOrderId.get(row);
    }

    @Override
    public long paymentCount() {
        return paymentCount;
    }

    @Override
    public long paymentCapacity() {
        return paymentCapacity;
    }

    // ---- prefetching ----------------------------------------------------------------------------

    @Override
    public void prefetch(IdBuffer requestId, IdBuffer userId) {
        long touched = 0;
        if (requestId != null && requestId.length() > 0) {
            touched += outcomeRows.touch(requestId);
        }
        if (userId != null && userId.length() > 0) {
            touched += userNumbers.touch(userId);
        }
        prefetched += touched;
    }

    @Override
    public void prefetchOrder(long orderId) {
        if (orderId >= 1 && orderId <= orderCount) {
            prefetched += orders.get((orderId - 1) * ORDER_WORDS + O_STATE_LINES);
        }
    }

    /** Reads the order's row (best loaded earlier by {@link #prefetchOrder}), then touches its user and first line. */
    @Override
    public void prefetchOrderParts(long orderId) {
        if (orderId >= 1 && orderId <= orderCount) {
            long at = (orderId - 1) * ORDER_WORDS;
            int number = (int) (orders.get(at + O_USER_CURRENCY) >>> 32);
            long touched = firstSkuUnits.get(firstSkuRow(number) + F_UNITS);
            touched += userIds.touch(userIdAt.get(number));
            touched += lines.get((orders.get(at + O_FIRST_LINE) & O_FIRST_LINE_MASK) * 2);
            prefetched += touched;
        }
    }

    // ---- remembered answers --------------------------------------------------------------------

    @Override
    public boolean readOutcome(IdBuffer requestId, Outcome into) {
        int slot = outcomeRows.get(requestId);
        if (slot == NONE) {
            return false;
        }
        readOutcomeAt(slot, into);
        return true;
    }

    private void readOutcomeAt(int slot, Outcome into) {
        byte state = outcomeOrderState.get(slot);
        into.set(
                CommandType.fromCode(outcomeCommand.get(slot)),
                ResultCode.fromCode(outcomeResult.get(slot)),
                outcomeOrderId.get(slot),
                state == 0 ? null : OrderState.fromCode(state),
                outcomeFailedLine.get(slot),
                outcomeAt.get(slot),
                outcomeOrderUpdated.get(slot));
    }

    @Override
    public void writeOutcome(IdBuffer requestId, Outcome outcome) {
        int slot = outcomeRows.get(requestId);
        if (slot == NONE) {
            if (outcomeTail - outcomeHead >= outcomeRing) {
                throw new IllegalStateException("outcome table full: the engine checks room before writing");
            }
            slot = (int) (outcomeTail++ % outcomeRing);
            outcomeIdAt.set(slot, outcomeIds.append(requestId));
            outcomeRows.add(requestId, slot);
        }
        outcomeCommand.set(slot, (byte) outcome.commandType.code());
        outcomeResult.set(slot, outcome.result.code());
        outcomeOrderId.set(slot, outcome.orderId);
        outcomeOrderState.set(slot, outcome.orderState == null ? 0 : (byte) outcome.orderState.code());
        outcomeFailedLine.set(slot, outcome.failedLine);
        outcomeAt.set(slot, outcome.atEpochMillis);
        outcomeOrderUpdated.set(slot, outcome.orderUpdatedAtEpochMillis);
    }

    @Override
    public long outcomeCount() {
        return outcomeTail - outcomeHead;
    }

    @Override
    public long outcomeCapacity() {
        return outcomeCapacity;
    }

    /** Exact: every answer given before the cutoff goes, oldest first, and no other. */
    @Override
    public void forgetOutcomesBefore(long cutoffEpochMillis, long nowMillis) {
        while (outcomeHead < outcomeTail) {
            int slot = (int) (outcomeHead % outcomeRing);
            if (outcomeAt.get(slot) >= cutoffEpochMillis) {
                return;
            }
            long idAt = outcomeIdAt.get(slot);
            if (!outcomeRows.removeRow(outcomeIds.hash(idAt), slot)) {
                throw new IllegalStateException("remembered answer " + outcomeHead + " is not in its index");
            }
            outcomeHead++;
            outcomeIds.releaseBefore(
                    outcomeHead < outcomeTail ? outcomeIdAt.get((int) (outcomeHead % outcomeRing)) : outcomeIds.end());
        }
    }

    /** Oldest answer first. */
    @Override
    public void forEachOutcome(OutcomeVisitor visitor) {
        Outcome outcome = new Outcome();
        IdBuffer requestId = new IdBuffer();
        for (long position = outcomeHead; position < outcomeTail; position++) {
            int slot = (int) (position % outcomeRing);
            outcomeIds.read(outcomeIdAt.get(slot), requestId);
            readOutcomeAt(slot, outcome);
            visitor.visit(requestId, outcome);
        }
    }
}
