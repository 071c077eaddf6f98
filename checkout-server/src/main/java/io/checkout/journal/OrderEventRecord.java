package io.checkout.journal;

import io.checkout.engine.EngineLimits;
import io.checkout.engine.LineParties;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.SkuRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** One event of the {@link OrderEventLog}, decoded. Reusable: {@link #decode} overwrites it. */
public final class OrderEventRecord {
    public long eventSequence;
    public long journalSequence;
    public long atEpochMillis;
    public byte kind;
    /** ORDER events: the order as it now stands (SKU ids in {@link #lineSkuIds}). */
    public final OrderRecord order = new OrderRecord();

    public OrderState previousState;
    public final String[] lineSkuIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    /**
     * ORDER events: each line's merchant, rate and store (none in formats before 4), and the id of
     * the campaign the order redeemed (null: none; format 5). The order's {@code campaignNumber}
     * stays -1: a reader has no campaign table; its discount and the lines sharing it are set.
     */
    public final LineParties lineParties = new LineParties();
    /** SKU events: the SKU as it now stands. */
    public final SkuRecord sku = new SkuRecord();

    /**
     * ORDER events: each line's units refunded by this event (0 for any event but a refund's). A
     * refund written in format 3 did not say; it is taken as refunding every unit refunded so far,
     * which is exact for an order's first refund.
     */
    public final int[] refundedNow = new int[EngineLimits.LINES_PER_ORDER_MAX];

    /** ORDER events of a refund: the reason the refund gave, or null. */
    public String refundReason;

    public long stockDelta;
    public boolean upserted;

    public boolean isOrder() {
        return kind == OrderEventLog.KIND_ORDER;
    }

    public void decode(long sequence, ByteBuffer payload) {
        eventSequence = sequence;
        byte version = payload.get();
        if (version != OrderEventLog.FORMAT_VERSION
                && version != OrderEventLog.FORMAT_VERSION_PAYMENT
                && version != OrderEventLog.FORMAT_VERSION_REFUND
                && version != OrderEventLog.FORMAT_VERSION_PARTIES
                && version != OrderEventLog.FORMAT_VERSION_CAMPAIGN) {
            throw new JournalCorruptException("unsupported event format version " + version);
        }
        kind = payload.get();
        journalSequence = payload.getLong();
        atEpochMillis = payload.getLong();
        if (kind == OrderEventLog.KIND_ORDER) {
            order.clear();
            order.orderId = payload.getLong();
            CommandCodec.getId(payload, order.userId);
            order.state(OrderState.fromCode(payload.get()));
            byte previous = payload.get();
            previousState = previous == 0 ? null : OrderState.fromCode(previous);
            order.amountMinor = payload.getLong();
            order.currency = payload.getInt();
            order.createdAtEpochMillis = payload.getLong();
            order.expiresAtEpochMillis = payload.getLong();
            order.updatedAtEpochMillis = atEpochMillis;
            order.lineCount = payload.get();
            for (int i = 0; i < order.lineCount; i++) {
                lineSkuIds[i] = CommandCodec.getText(payload);
                order.quantities[i] = payload.getInt();
                order.unitPricesMinor[i] = payload.getLong();
            }
            boolean campaign = version == OrderEventLog.FORMAT_VERSION_CAMPAIGN;
            boolean parties = version == OrderEventLog.FORMAT_VERSION_PARTIES || campaign;
            boolean refund = version == OrderEventLog.FORMAT_VERSION_REFUND || parties;
            if (version == OrderEventLog.FORMAT_VERSION_PAYMENT || (refund && payload.get() != 0)) {
                CommandCodec.getId(payload, order.paymentProvider);
                CommandCodec.getId(payload, order.paymentId);
                order.paymentRead(payload.getLong());
            }
            for (int i = 0; refund && i < order.lineCount; i++) {
                order.refundedQuantities[i] = payload.getInt();
            }
            refundReason = refund ? CommandCodec.getText(payload) : null;
            lineParties.clear();
            Arrays.fill(refundedNow, 0, order.lineCount, 0);
            for (int i = 0; parties && i < order.lineCount; i++) {
                String merchantId = CommandCodec.getText(payload);
                String storeId = CommandCodec.getText(payload);
                lineParties.set(i, merchantId, storeId, payload.getInt());
                refundedNow[i] = payload.getInt();
            }
            if (campaign) {
                lineParties.campaignId = CommandCodec.getText(payload);
                order.discountMinor = payload.getLong();
                order.eligibleLines = payload.getLong();
            }
            if (!parties && refund) {
                // Format 3, before the events said: the order's first refund refunded everything so far.
                for (int i = 0; i < order.lineCount; i++) {
                    refundedNow[i] = order.refundedQuantity(i);
                }
            }
        } else if (kind == OrderEventLog.KIND_SKU) {
            if (version == OrderEventLog.FORMAT_VERSION_CAMPAIGN) {
                throw new JournalCorruptException(
                        "format " + version + " holds only order events, at event " + sequence);
            }
            sku.clear();
            sku.skuId = CommandCodec.getText(payload);
            stockDelta = payload.getLong();
            upserted = payload.get() != 0;
            sku.totalStock = payload.getLong();
            sku.available = payload.getLong();
            sku.reserved = payload.getLong();
            sku.sold = payload.getLong();
            sku.priceMinor = payload.getLong();
            sku.currency = payload.getInt();
            sku.perUserLimit = payload.getLong();
            sku.saleStartEpochMillis = payload.getLong();
            sku.saleEndEpochMillis = payload.getLong();
            sku.reservationTtlMillis = payload.getLong();
            if (version == OrderEventLog.FORMAT_VERSION_PARTIES) {
                sku.merchantId = CommandCodec.getText(payload);
                sku.storeId = CommandCodec.getText(payload);
            }
        } else {
            throw new JournalCorruptException("unknown event kind " + kind + " at event " + sequence);
        }
    }
}
