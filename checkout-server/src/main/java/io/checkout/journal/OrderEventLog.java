package io.checkout.journal;

import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.MerchantTable;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.SkuRecord;
import io.checkout.engine.SkuTable;
import java.nio.ByteBuffer;

/**
 * Writes the order event log: one record per order or stock change, numbered by a gap-free event
 * sequence, each naming the journal sequence of the command that caused it. It runs on the engine's
 * thread as its {@link NumberedEvents}; the pipeline commits it at the end of every batch.
 *
 * <p>The event log is derived from the journal: the same commands give the same events with the
 * same numbers. After a crash, recovery replays the journal and this log skips the events it
 * already holds ({@link #skipThrough}), so a subscriber resuming from a sequence never sees a gap
 * or a repeat.
 *
 * <pre>
 *  payload: format version byte, kind byte, journal sequence long, at epoch millis long, then
 *   ORDER  order id long, user id text, state byte, previous state byte (0 none), amount long,
 *          currency int, created long, expires long, line count byte, (SKU id text, quantity int,
 *          unit price long)*, then in format 2: payment provider text, payment id text, paid at long;
 *          in format 3 (a refund): payment flag byte (and the payment as in format 2), each line's
 *          refunded units int, reason text; in format 4 (a refund, or an order with a merchant or a
 *          store on a line): as format 3, then each line's merchant text, store text, commission
 *          bps int and units refunded by this event int; in format 5 (an order with a campaign): as
 *          format 4, then the campaign id text, the discount long and the lines sharing it long
 *          (bit per line)
 *   SKU    SKU id text, stock delta long, upserted byte, total long, available long, reserved long,
 *          sold long, price long, currency int, per-user limit long, sale start long, sale end long,
 *          reservation TTL long, and in format 4 (a SKU with a merchant or a store): merchant
 *          text, store text
 *  format 1 is every event but that of an order with a payment recorded (format 2), a refund's or
 *  one with merchants or stores (format 4), and one of an order with a campaign (format 5); format
 *  3 (a refund's, before merchants) is no longer written; a reader takes all five
 * </pre>
 */
public final class OrderEventLog implements NumberedEvents, AutoCloseable {
    public static final byte KIND_ORDER = 1;
    public static final byte KIND_SKU = 2;
    static final byte FORMAT_VERSION = 1;
    /** Format 1 plus an order's payment. */
    static final byte FORMAT_VERSION_PAYMENT = 2;
    /** Format 1 plus the payment flag, each line's refunded units and the refund's reason. */
    static final byte FORMAT_VERSION_REFUND = 3;
    /**
     * Format 3 plus each line's merchant, store, rate and units refunded by the event; or a SKU's
     * merchant and store.
     */
    static final byte FORMAT_VERSION_PARTIES = 4;
    /** Format 4 plus an order's campaign id, discount and the lines sharing it; orders only. */
    static final byte FORMAT_VERSION_CAMPAIGN = 5;

    private final RecordLogWriter writer;
    private final CheckoutState state;
    private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX * 2);
    /** The stores of the order being written, by line, as its SKUs were read for their ids. */
    private final String[] lineStoreIds = new String[EngineLimits.LINES_PER_ORDER_MAX];

    private long journalSequence;
    /** Events up to this sequence are in the log already (recovery); they are counted, not written. */
    private long skipThrough;

    private long nextEventSequence;

    public OrderEventLog(RecordLogWriter writer, CheckoutState state) {
        this.writer = writer;
        this.state = state;
        this.nextEventSequence = writer.nextSequence();
        this.skipThrough = nextEventSequence - 1;
    }

    /**
     * Sets where event numbering stands (from a snapshot) when replay starts from there: events
     * numbered up to the log's last record are recomputed but not written again.
     */
    public void restoreNextEventSequence(long next) {
        if (next > writer.nextSequence()) {
            throw new JournalCorruptException("the snapshot counts events up to " + (next - 1)
                    + " but the event log ends at " + (writer.nextSequence() - 1));
        }
        this.skipThrough = writer.nextSequence() - 1;
        this.nextEventSequence = next;
    }

    @Override
    public void journalSequence(long sequence) {
        this.journalSequence = sequence;
    }

    @Override
    public long nextEventSequence() {
        return nextEventSequence;
    }

    @Override
    public void onOrderChanged(OrderRecord order, OrderState previous) {
        writeOrder(order, previous, null, null);
    }

    @Override
    public void onOrderRefunded(OrderRecord order, OrderState previous, String reason, int[] refundedNow) {
        writeOrder(order, previous, reason, refundedNow);
    }

    /** {@code refundedNow}: a refund's units per line; null for any other change. */
    private void writeOrder(OrderRecord order, OrderState previous, String reason, int[] refundedNow) {
        if (skip()) {
            return;
        }
        ByteBuffer out = header(
                KIND_ORDER, order.updatedAtEpochMillis, order.hasPayment() ? FORMAT_VERSION_PAYMENT : FORMAT_VERSION);
        out.putLong(order.orderId);
        CommandCodec.putId(out, order.userId);
        out.put((byte) order.state().code());
        out.put(previous == null ? 0 : (byte) previous.code());
        out.putLong(order.amountMinor);
        out.putInt(order.currency);
        out.putLong(order.createdAtEpochMillis);
        out.putLong(order.expiresAtEpochMillis);
        out.put((byte) order.lineCount);
        boolean campaign = order.campaignNumber >= 0;
        boolean parties = refundedNow != null || campaign;
        SkuTable skus = state.skus();
        for (int i = 0; i < order.lineCount; i++) {
            // The SKU id as putText writes text, from the table's bytes: an id is ASCII, never
            // longer than TEXT_CHARS_MAX, so never wide and never cut. Its length goes in front
            // once the bytes are written (the table finds it by scanning them).
            int sku = order.skuIndexes[i];
            int lengthAt = out.position();
            out.position(lengthAt + 2);
            out.putShort(lengthAt, (short) skus.copyIdTo(sku, out));
            out.putInt(order.quantities[i]);
            out.putLong(order.unitPricesMinor[i]);
            lineStoreIds[i] = skus.storeId(sku);
            parties |= order.merchantRow(i) != 0 || lineStoreIds[i] != null;
        }
        if (parties) {
            // The superset formats: their layout follows the refund's, whatever the event.
            out.put(0, campaign ? FORMAT_VERSION_CAMPAIGN : FORMAT_VERSION_PARTIES);
            out.put(order.hasPayment() ? (byte) 1 : 0);
        }
        if (order.hasPayment()) {
            CommandCodec.putId(out, order.paymentProvider);
            CommandCodec.putId(out, order.paymentId);
            out.putLong(order.paidAtEpochMillis);
        }
        if (parties) {
            for (int i = 0; i < order.lineCount; i++) {
                out.putInt(order.refundedQuantity(i));
            }
            CommandCodec.putText(out, reason);
            MerchantTable merchants = state.merchants();
            for (int i = 0; i < order.lineCount; i++) {
                int row = order.merchantRow(i) - 1;
                CommandCodec.putText(out, row < 0 ? null : merchants.merchantId(merchants.rowMerchant(row)));
                CommandCodec.putText(out, lineStoreIds[i]);
                out.putInt(row < 0 ? 0 : merchants.rowCommissionBps(row));
                out.putInt(refundedNow == null ? 0 : refundedNow[i]);
            }
        }
        if (campaign) {
            CommandCodec.putText(out, state.campaigns().campaignId(order.campaignNumber));
            out.putLong(order.discountMinor);
            out.putLong(order.eligibleLines);
        }
        append(out);
    }

    @Override
    public void onSkuChanged(SkuRecord sku, long stockDelta, boolean upserted, long atEpochMillis) {
        if (skip()) {
            return;
        }
        boolean parties = sku.merchantId != null || sku.storeId != null;
        ByteBuffer out = header(KIND_SKU, atEpochMillis, parties ? FORMAT_VERSION_PARTIES : FORMAT_VERSION);
        CommandCodec.putText(out, sku.skuId);
        out.putLong(stockDelta);
        out.put(upserted ? (byte) 1 : 0);
        out.putLong(sku.totalStock);
        out.putLong(sku.available);
        out.putLong(sku.reserved);
        out.putLong(sku.sold);
        out.putLong(sku.priceMinor);
        out.putInt(sku.currency);
        out.putLong(sku.perUserLimit);
        out.putLong(sku.saleStartEpochMillis);
        out.putLong(sku.saleEndEpochMillis);
        out.putLong(sku.reservationTtlMillis);
        if (parties) {
            CommandCodec.putText(out, sku.merchantId);
            CommandCodec.putText(out, sku.storeId);
        }
        append(out);
    }

    private boolean skip() {
        if (nextEventSequence <= skipThrough) {
            nextEventSequence++;
            return true;
        }
        return false;
    }

    private ByteBuffer header(byte kind, long atEpochMillis, byte version) {
        ByteBuffer out = scratch.clear();
        out.put(version).put(kind).putLong(journalSequence).putLong(atEpochMillis);
        return out;
    }

    private void append(ByteBuffer out) {
        long sequence = writer.append(out.flip());
        if (sequence != nextEventSequence) {
            throw new IllegalStateException("event numbered " + sequence + " where " + nextEventSequence + " was due");
        }
        nextEventSequence++;
    }

    /** Writes the batch's events out (and syncs them under the fsync policy). */
    @Override
    public void commit() {
        writer.commit();
    }

    @Override
    public void close() {
        writer.close();
    }

    /** The journal sequence an event record was caused by, read without decoding the rest. */
    public static long journalSequenceOf(ByteBuffer payload) {
        return payload.getLong(payload.position() + 2);
    }
}
