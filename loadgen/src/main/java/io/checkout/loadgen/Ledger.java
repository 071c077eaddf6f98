package io.checkout.loadgen;

import io.checkout.proto.v1.OrderState;
import java.nio.charset.StandardCharsets;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the server told this run: every acknowledged order, the state it was last told, and
 * anything the run cannot vouch for (calls whose outcome is unknown, answers that contradict
 * earlier ones). The audit checks the server against it. Bounded: past {@code ordersMax} orders it
 * stops remembering and says so, and the audit fails as incomplete rather than pass on a part.
 *
 * <p>Packed: the orders live in primitive columns (an order id's row in {@link OrderRows}, pages
 * indexed by the id, the fields in chunked arrays, the user and SKU ids as UTF-8 in byte
 * chunks), not as an object per order. A run remembers every order it was told of, so as objects
 * (an order, its boxed key and map node, its two id strings: about 200 bytes in six objects) they
 * were most of what loadgen's young collections copied from survivor space to survivor space, and
 * those pauses were a large part of the tail loadgen measured. Reply threads lock one of
 * {@link #STRIPES} stripes, chosen by the order id. {@link Ack} is a snapshot, made when read.
 */
final class Ledger {

    /** An id longer than this in UTF-8 is not remembered: its length is kept in two bytes. */
    static final int ID_BYTES_MAX = 0xFFFF;

    /** Recently acknowledged order ids that read-back operations choose from. */
    private static final int RECENT_ORDERS = 65_536;

    /** Stripes of the orders, each with its own lock; a power of two. */
    private static final int STRIPES = 16;

    /** The low bits of an order id that choose its stripe. */
    private static final int STRIPE_BITS = Integer.numberOfTrailingZeros(STRIPES);

    private static final OrderState[] STATES = OrderState.values();

    /** One acknowledged order as the ledger had it when read. */
    static final class Ack {
        final long orderId;
        final String userId;
        final String skuId;
        final int quantity;
        final long expiresAtEpochMillis;
        /** The state last told: changes only on an acknowledged confirm or cancel. */
        final OrderState told;
        /** A confirm or cancel of it failed without an answer, so it may have happened. */
        final boolean changeUnknown;

        Ack(
                long orderId,
                String userId,
                String skuId,
                int quantity,
                long expiresAtEpochMillis,
                OrderState told,
                boolean changeUnknown) {
            this.orderId = orderId;
            this.userId = userId;
            this.skuId = skuId;
            this.quantity = quantity;
            this.expiresAtEpochMillis = expiresAtEpochMillis;
            this.told = told;
            this.changeUnknown = changeUnknown;
        }
    }

    private final int ordersMax;
    private final Stripe[] stripes = new Stripe[STRIPES];
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong untracked = new AtomicLong();
    private final AtomicLong duplicateOrderIds = new AtomicLong();
    private final AtomicLong ambiguousReserves = new AtomicLong();
    private final AtomicLong ambiguousChanges = new AtomicLong();
    private final AtomicLong repeatMismatches = new AtomicLong();
    private final AtomicLong readBackMismatches = new AtomicLong();
    private final AtomicLongArray recent = new AtomicLongArray(RECENT_ORDERS);
    private final AtomicLong recentWritten = new AtomicLong();

    Ledger(int ordersMax) {
        if (ordersMax < 0) {
            throw new IllegalArgumentException("ordersMax must be >= 0, got " + ordersMax);
        }
        this.ordersMax = ordersMax;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** Records an acknowledged RESERVED answer. */
    void reserved(long orderId, String userId, String skuId, int quantity, long expiresAtEpochMillis) {
        if (size.incrementAndGet() > ordersMax) {
            size.decrementAndGet();
            untracked.incrementAndGet();
            return;
        }
        Stripe stripe = stripe(orderId);
        int added;
        synchronized (stripe) {
            added = stripe.add(orderId, userId, skuId, quantity, expiresAtEpochMillis);
        }
        if (added == Stripe.DUPLICATE) {
            // Two different reserves told the same order id: the server broke its contract.
            size.decrementAndGet();
            duplicateOrderIds.incrementAndGet();
            return;
        }
        if (added == Stripe.NOT_KEPT) {
            size.decrementAndGet();
            untracked.incrementAndGet();
            return;
        }
        recent.set((int) (recentWritten.getAndIncrement() % RECENT_ORDERS), orderId);
    }

    /** Records an acknowledged confirm or cancel: the order's state as the server answered it. */
    void changed(long orderId, OrderState state) {
        Stripe stripe = stripe(orderId);
        synchronized (stripe) {
            stripe.told(orderId, state);
        }
    }

    /** A confirm or cancel failed without a clear refusal: the change may or may not have happened. */
    void changeUnknown(long orderId) {
        ambiguousChanges.incrementAndGet();
        Stripe stripe = stripe(orderId);
        synchronized (stripe) {
            stripe.changeUnknown(orderId);
        }
    }

    /** A reserve failed without a clear refusal: the server may hold units the run never heard of. */
    void reserveUnknown() {
        ambiguousReserves.incrementAndGet();
    }

    /** A reserve sent again with the same request id got a different answer than the first time. */
    void repeatMismatch() {
        repeatMismatches.incrementAndGet();
    }

    /** A read-back of an order during the run contradicted what the run was told. */
    void readBackMismatch() {
        readBackMismatches.incrementAndGet();
    }

    /** A recently acknowledged order id, or 0 when none was acknowledged yet. */
    long recentOrderId(int draw) {
        long written = recentWritten.get();
        if (written == 0) {
            return 0;
        }
        int filled = (int) Math.min(written, RECENT_ORDERS);
        return recent.get(draw % filled);
    }

    /** The order as the ledger has it now, or null when it was not told of (or not remembered). */
    Ack get(long orderId) {
        Stripe stripe = stripe(orderId);
        synchronized (stripe) {
            int row = stripe.rowOf(orderId);
            return row < 0 ? null : stripe.ack(row);
        }
    }

    /**
     * The remembered orders, read a stripe at a time: each stripe's orders are copied as
     * {@link Ack}s under its lock when the iteration reaches it, so at most one stripe's worth is
     * held at once.
     */
    Collection<Ack> orders() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<Ack> iterator() {
                return new StripeIterator();
            }

            @Override
            public int size() {
                long rows = 0;
                for (Stripe stripe : stripes) {
                    synchronized (stripe) {
                        rows += stripe.rows;
                    }
                }
                return (int) rows;
            }
        };
    }

    int ordersMax() {
        return ordersMax;
    }

    long untracked() {
        return untracked.get();
    }

    long duplicateOrderIds() {
        return duplicateOrderIds.get();
    }

    long ambiguousReserves() {
        return ambiguousReserves.get();
    }

    long ambiguousChanges() {
        return ambiguousChanges.get();
    }

    long repeatMismatches() {
        return repeatMismatches.get();
    }

    long readBackMismatches() {
        return readBackMismatches.get();
    }

    private Stripe stripe(long orderId) {
        // Chosen by the id's lowest bits: a partition's ids count up there (the partition is in the
        // high bits), so consecutive orders spread over the stripes, and each stripe's ids stay
        // consecutive in the bits above, which its OrderRows indexes directly.
        return stripes[(int) orderId & (STRIPES - 1)];
    }

    private final class StripeIterator implements Iterator<Ack> {
        private int nextStripe;
        private Iterator<Ack> current = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && nextStripe < STRIPES) {
                Stripe stripe = stripes[nextStripe++];
                List<Ack> acks;
                synchronized (stripe) {
                    acks = new ArrayList<>(stripe.rows);
                    for (int row = 0; row < stripe.rows; row++) {
                        acks.add(stripe.ack(row));
                    }
                }
                current = acks.iterator();
            }
            return current.hasNext();
        }

        @Override
        public Ack next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /**
     * One stripe's orders: a row per order, appended, never moved. The columns grow by chunks of
     * {@link #CHUNK_ROWS} rows (a new chunk, no copy of the old ones); the ids are kept in byte
     * chunks of {@link #ID_CHUNK_BYTES}, each id as two bytes of length then its UTF-8. Not
     * thread-safe: the ledger locks the stripe around every call.
     */
    static final class Stripe {
        static final int ADDED = 0;
        static final int DUPLICATE = 1;
        /** An id too long to keep, or the stripe's id bytes full: the order is not remembered. */
        static final int NOT_KEPT = 2;

        private static final int CHUNK_SHIFT = 14;
        private static final int CHUNK_ROWS = 1 << CHUNK_SHIFT;
        private static final int ID_CHUNK_SHIFT = 18;
        private static final int ID_CHUNK_BYTES = 1 << ID_CHUNK_SHIFT;
        /** An id's position is an int: chunk << ID_CHUNK_SHIFT | offset. */
        private static final int ID_CHUNKS_MAX = 1 << (31 - ID_CHUNK_SHIFT);

        private static final byte CHANGE_UNKNOWN = 1;

        private final OrderRows rowByOrderId = new OrderRows(STRIPE_BITS);
        private Chunk[] chunks = new Chunk[1];
        private int rows;

        private byte[][] idChunks = new byte[1][];
        private int idChunk = -1;
        private int idOffset = ID_CHUNK_BYTES;

        int add(long orderId, String userId, String skuId, int quantity, long expiresAtEpochMillis) {
            if (rowByOrderId.get(orderId) != OrderRows.NONE) {
                return DUPLICATE;
            }
            int idMark = idChunk;
            int offsetMark = idOffset;
            int userAt = putId(userId);
            int skuAt = userAt < 0 ? -1 : putId(skuId);
            if (skuAt < 0) {
                // Give back what the user id took, so a refused order leaves nothing behind.
                idChunk = idMark;
                idOffset = offsetMark;
                return NOT_KEPT;
            }
            int row = rows;
            int index = row >>> CHUNK_SHIFT;
            if (index == chunks.length) {
                chunks = Arrays.copyOf(chunks, index * 2);
            }
            if (chunks[index] == null) {
                chunks[index] = new Chunk();
            }
            Chunk chunk = chunks[index];
            int at = row & (CHUNK_ROWS - 1);
            chunk.orderIds[at] = orderId;
            chunk.expires[at] = expiresAtEpochMillis;
            chunk.quantities[at] = quantity;
            chunk.userIdAt[at] = userAt;
            chunk.skuIdAt[at] = skuAt;
            chunk.states[at] = (byte) OrderState.ORDER_STATE_RESERVED.ordinal();
            rowByOrderId.put(orderId, row);
            rows = row + 1;
            return ADDED;
        }

        int rowOf(long orderId) {
            return rowByOrderId.get(orderId);
        }

        void told(long orderId, OrderState state) {
            int row = rowOf(orderId);
            if (row >= 0) {
                chunks[row >>> CHUNK_SHIFT].states[row & (CHUNK_ROWS - 1)] = (byte) state.ordinal();
            }
        }

        void changeUnknown(long orderId) {
            int row = rowOf(orderId);
            if (row >= 0) {
                chunks[row >>> CHUNK_SHIFT].flags[row & (CHUNK_ROWS - 1)] |= CHANGE_UNKNOWN;
            }
        }

        Ack ack(int row) {
            Chunk chunk = chunks[row >>> CHUNK_SHIFT];
            int at = row & (CHUNK_ROWS - 1);
            return new Ack(
                    chunk.orderIds[at],
                    id(chunk.userIdAt[at]),
                    id(chunk.skuIdAt[at]),
                    chunk.quantities[at],
                    chunk.expires[at],
                    STATES[chunk.states[at]],
                    (chunk.flags[at] & CHANGE_UNKNOWN) != 0);
        }

        /** Appends an id; its position, or -1 when it cannot be kept. */
        private int putId(String id) {
            int length = asciiLength(id);
            byte[] utf8 = null;
            if (length < 0) {
                utf8 = id.getBytes(StandardCharsets.UTF_8);
                length = utf8.length;
            }
            if (length > ID_BYTES_MAX) {
                return -1;
            }
            if (idOffset + 2 + length > ID_CHUNK_BYTES) {
                if (idChunk + 1 == ID_CHUNKS_MAX) {
                    return -1;
                }
                idChunk++;
                if (idChunk == idChunks.length) {
                    idChunks = Arrays.copyOf(idChunks, idChunks.length * 2);
                }
                if (idChunks[idChunk] == null) {
                    idChunks[idChunk] = new byte[ID_CHUNK_BYTES];
                }
                idOffset = 0;
            }
            byte[] bytes = idChunks[idChunk];
            int at = idOffset;
            bytes[at] = (byte) (length >>> 8);
            bytes[at + 1] = (byte) length;
            if (utf8 != null) {
                System.arraycopy(utf8, 0, bytes, at + 2, length);
            } else {
                for (int i = 0; i < length; i++) {
                    bytes[at + 2 + i] = (byte) id.charAt(i);
                }
            }
            idOffset = at + 2 + length;
            return idChunk << ID_CHUNK_SHIFT | at;
        }

        private String id(int position) {
            byte[] bytes = idChunks[position >>> ID_CHUNK_SHIFT];
            int at = position & (ID_CHUNK_BYTES - 1);
            int length = (bytes[at] & 0xFF) << 8 | (bytes[at + 1] & 0xFF);
            return new String(bytes, at + 2, length, StandardCharsets.UTF_8);
        }

        /** {@link #CHUNK_ROWS} rows' columns, allocated together when the first of them is added. */
        private static final class Chunk {
            final long[] orderIds = new long[CHUNK_ROWS];
            final long[] expires = new long[CHUNK_ROWS];
            final int[] quantities = new int[CHUNK_ROWS];
            final int[] userIdAt = new int[CHUNK_ROWS];
            final int[] skuIdAt = new int[CHUNK_ROWS];
            final byte[] states = new byte[CHUNK_ROWS];
            final byte[] flags = new byte[CHUNK_ROWS];
        }

        /** The id's length when every char is ASCII (one UTF-8 byte each), else -1. */
        private static int asciiLength(String id) {
            int length = id.length();
            if (length > ID_BYTES_MAX) {
                return length;
            }
            for (int i = 0; i < length; i++) {
                if (id.charAt(i) >= 0x80) {
                    return -1;
                }
            }
            return length;
        }
    }
}
