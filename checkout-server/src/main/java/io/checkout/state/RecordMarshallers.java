package io.checkout.state;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.BytesReader;
import net.openhft.chronicle.hash.serialization.BytesWriter;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * Binary layouts of the engine's records in Chronicle Map. Each starts with a format version byte
 * so that a future layout can read an old file, and refuses a version it does not know rather than
 * guess. Strings are ASCII (the engine validates ids), written with a length prefix.
 */
final class RecordMarshallers {
    /** {@link #readAscii(Bytes, IdBuffer)}'s copy of the id's bytes, one per reading thread. */
    private static final ThreadLocal<byte[]> ID_SCRATCH =
            ThreadLocal.withInitial(() -> new byte[EngineLimits.ID_LENGTH_MAX]);

    private static final byte FORMAT_V1 = 1;
    /** An order with a payment: format 1, then the payment's provider, id and time. */
    private static final byte FORMAT_V2_ORDER_PAID = 2;
    /**
     * A PARTLY_REFUNDED order: format 1, then a payment flag byte (and the payment as in format 2),
     * then each line's refunded units.
     */
    private static final byte FORMAT_V3_ORDER_REFUNDED_IN_PART = 3;
    /**
     * An order with a merchant on a line: format 3's layout (whatever its state), then each line's
     * merchant row + 1.
     */
    private static final byte FORMAT_V4_ORDER_MERCHANTS = 4;
    /**
     * An order with a campaign: format 4's layout (each line's merchant row + 1 whether it has one or
     * not), then the campaign's number, the discount and the lines sharing it (a bit a line).
     */
    private static final byte FORMAT_V5_ORDER_CAMPAIGN = 5;
    /** A SKU with a merchant or a store: format 1, then the merchant id and the store id (empty: none). */
    private static final byte FORMAT_V2_SKU_PARTIES = 2;
    /** V2 plus the SKU's group. */
    private static final byte FORMAT_V3_SKU_GROUP = 3;

    private RecordMarshallers() {}

    static void checkVersion(byte version, String record) {
        if (version != FORMAT_V1) {
            throw new IllegalStateException(record + " record has unknown format version " + version);
        }
    }

    static void writeAscii(Bytes<?> out, String text) {
        out.writeUnsignedByte(text.length());
        // A byte a character, copied in bulk (the engine's ids are ASCII).
        out.append8bit(text);
    }

    static void writeAscii(Bytes<?> out, IdBuffer id) {
        int length = id.length();
        out.writeUnsignedByte(length);
        for (int i = 0; i < length; i++) {
            out.writeByte(id.byteAt(i));
        }
    }

    /** Reads what {@link #writeAscii} wrote into {@code into}. */
    static void readAscii(Bytes<?> in, IdBuffer into) {
        int length = in.readUnsignedByte();
        if (length > EngineLimits.ID_LENGTH_MAX) {
            throw new IllegalStateException("stored id longer than " + EngineLimits.ID_LENGTH_MAX + ": " + length);
        }
        // Every order's user, user's units and remembered answer of a snapshot load comes through
        // here: the bytes go through a scratch array of the reading thread's, not a fresh one per id.
        byte[] ascii = ID_SCRATCH.get();
        int read = in.read(ascii, 0, length);
        if (read != length && length > 0) {
            throw new IllegalStateException("stored id cut short: " + Math.max(read, 0) + " of " + length + " bytes");
        }
        into.set(ascii, 0, length);
    }

    static String readAscii(Bytes<?> in) {
        int length = in.readUnsignedByte();
        if (length > EngineLimits.ID_LENGTH_MAX) {
            throw new IllegalStateException("stored id longer than " + EngineLimits.ID_LENGTH_MAX + ": " + length);
        }
        byte[] ascii = new byte[length];
        in.read(ascii);
        return new String(ascii, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** SKU: index, id, price, currency, stock levels, limit, sale window, TTL. */
    static final class SkuMarshaller
            implements BytesReader<SkuRecord>, BytesWriter<SkuRecord>, EnumMarshallable<SkuMarshaller> {
        static final SkuMarshaller INSTANCE = new SkuMarshaller();

        private SkuMarshaller() {}

        @Override
        public SkuRecord read(Bytes<?> in, SkuRecord using) {
            SkuRecord sku = using == null ? new SkuRecord() : using;
            byte version = in.readByte();
            if (version != FORMAT_V2_SKU_PARTIES && version != FORMAT_V3_SKU_GROUP) {
                checkVersion(version, "SKU");
            }
            sku.index = in.readInt();
            sku.skuId = readAscii(in);
            sku.priceMinor = in.readLong();
            sku.currency = in.readInt();
            sku.totalStock = in.readLong();
            sku.available = in.readLong();
            sku.reserved = in.readLong();
            sku.sold = in.readLong();
            sku.perUserLimit = in.readLong();
            sku.saleStartEpochMillis = in.readLong();
            sku.saleEndEpochMillis = in.readLong();
            sku.reservationTtlMillis = in.readLong();
            sku.merchantNumber = -1;
            sku.merchantId = null;
            sku.storeId = null;
            sku.groupNumber = -1;
            sku.groupId = null;
            if (version >= FORMAT_V2_SKU_PARTIES) {
                String merchantId = readAscii(in);
                String storeId = readAscii(in);
                sku.merchantId = merchantId.isEmpty() ? null : merchantId;
                sku.storeId = storeId.isEmpty() ? null : storeId;
            }
            if (version == FORMAT_V3_SKU_GROUP) {
                sku.groupId = readAscii(in);
            }
            return sku;
        }

        @Override
        public void write(Bytes<?> out, SkuRecord sku) {
            boolean grouped = sku.groupId != null;
            boolean parties = sku.merchantId != null || sku.storeId != null || grouped;
            out.writeByte(grouped ? FORMAT_V3_SKU_GROUP : parties ? FORMAT_V2_SKU_PARTIES : FORMAT_V1);
            out.writeInt(sku.index);
            writeAscii(out, sku.skuId);
            out.writeLong(sku.priceMinor);
            out.writeInt(sku.currency);
            out.writeLong(sku.totalStock);
            out.writeLong(sku.available);
            out.writeLong(sku.reserved);
            out.writeLong(sku.sold);
            out.writeLong(sku.perUserLimit);
            out.writeLong(sku.saleStartEpochMillis);
            out.writeLong(sku.saleEndEpochMillis);
            out.writeLong(sku.reservationTtlMillis);
            if (parties) {
                writeAscii(out, sku.merchantId == null ? "" : sku.merchantId);
                writeAscii(out, sku.storeId == null ? "" : sku.storeId);
            }
            if (grouped) {
                writeAscii(out, sku.groupId);
            }
        }

        @Override
        public SkuMarshaller readResolve() {
            return INSTANCE;
        }
    }

    /** A row of the merchant table: the merchant's id, the rate, since when. */
    static final class MerchantRow {
        String merchantId;
        int commissionBps;
        long sinceEpochMillis;

        MerchantRow set(String id, int bps, long since) {
            merchantId = id;
            commissionBps = bps;
            sinceEpochMillis = since;
            return this;
        }
    }

    static final class MerchantRowMarshaller
            implements BytesReader<MerchantRow>, BytesWriter<MerchantRow>, EnumMarshallable<MerchantRowMarshaller> {
        static final MerchantRowMarshaller INSTANCE = new MerchantRowMarshaller();

        private MerchantRowMarshaller() {}

        @Override
        public MerchantRow read(Bytes<?> in, MerchantRow using) {
            MerchantRow row = using == null ? new MerchantRow() : using;
            checkVersion(in.readByte(), "merchant row");
            return row.set(readAscii(in), in.readInt(), in.readLong());
        }

        @Override
        public void write(Bytes<?> out, MerchantRow row) {
            out.writeByte(FORMAT_V1);
            writeAscii(out, row.merchantId);
            out.writeInt(row.commissionBps);
            out.writeLong(row.sinceEpochMillis);
        }

        @Override
        public MerchantRowMarshaller readResolve() {
            return INSTANCE;
        }
    }

    /** Order: id, user, state, currency, amount, times, then the lines. */
    static final class OrderMarshaller
            implements BytesReader<OrderRecord>, BytesWriter<OrderRecord>, EnumMarshallable<OrderMarshaller> {
        static final OrderMarshaller INSTANCE = new OrderMarshaller();

        private OrderMarshaller() {}

        @Override
        public OrderRecord read(Bytes<?> in, OrderRecord using) {
            OrderRecord order = using == null ? new OrderRecord() : using;
            byte version = in.readByte();
            if (version != FORMAT_V2_ORDER_PAID
                    && version != FORMAT_V3_ORDER_REFUNDED_IN_PART
                    && version != FORMAT_V4_ORDER_MERCHANTS
                    && version != FORMAT_V5_ORDER_CAMPAIGN) {
                checkVersion(version, "order");
            }
            boolean merchantLayout = version == FORMAT_V4_ORDER_MERCHANTS || version == FORMAT_V5_ORDER_CAMPAIGN;
            boolean refundLayout = version == FORMAT_V3_ORDER_REFUNDED_IN_PART || merchantLayout;
            order.orderId = in.readLong();
            readAscii(in, order.userId);
            order.state(OrderState.fromCode(in.readUnsignedByte()));
            order.currency = in.readInt();
            order.amountMinor = in.readLong();
            order.createdAtEpochMillis = in.readLong();
            order.expiresAtEpochMillis = in.readLong();
            order.updatedAtEpochMillis = in.readLong();
            int lineCount = in.readUnsignedByte();
            if (lineCount > EngineLimits.LINES_PER_ORDER_MAX) {
                throw new IllegalStateException("order " + order.orderId + " has " + lineCount + " lines");
            }
            order.lineCount = lineCount;
            order.clearMerchantRows();
            for (int i = 0; i < lineCount; i++) {
                order.skuIndexes[i] = in.readInt();
                order.quantities[i] = in.readInt();
                order.unitPricesMinor[i] = in.readLong();
            }
            order.clearPayment();
            boolean paid = version == FORMAT_V2_ORDER_PAID || (refundLayout && in.readUnsignedByte() != 0);
            if (paid) {
                readAscii(in, order.paymentProvider);
                readAscii(in, order.paymentId);
                order.paymentRead(in.readLong());
            }
            if (refundLayout) {
                for (int i = 0; i < lineCount; i++) {
                    order.refundedQuantities[i] = in.readInt();
                }
            }
            if (merchantLayout) {
                for (int i = 0; i < lineCount; i++) {
                    order.setMerchantRow(i, in.readInt());
                }
            }
            // Orders written before campaigns, or without one, have none.
            order.campaignNumber = -1;
            order.discountMinor = 0;
            order.eligibleLines = 0;
            if (version == FORMAT_V5_ORDER_CAMPAIGN) {
                order.campaignNumber = in.readInt();
                order.discountMinor = in.readLong();
                order.eligibleLines = in.readLong();
                if (order.campaignNumber < 0) {
                    throw new IllegalStateException(
                            "order " + order.orderId + " has campaign number " + order.campaignNumber);
                }
            }
            return order;
        }

        @Override
        public void write(Bytes<?> out, OrderRecord order) {
            boolean merchants = false;
            for (int i = 0; i < order.lineCount; i++) {
                merchants |= order.merchantRow(i) != 0;
            }
            boolean campaign = order.campaignNumber >= 0;
            merchants |= campaign;
            boolean inPart = order.state() == OrderState.PARTLY_REFUNDED || merchants;
            out.writeByte(
                    campaign
                            ? FORMAT_V5_ORDER_CAMPAIGN
                            : merchants
                                    ? FORMAT_V4_ORDER_MERCHANTS
                                    : inPart
                                            ? FORMAT_V3_ORDER_REFUNDED_IN_PART
                                            : order.hasPayment() ? FORMAT_V2_ORDER_PAID : FORMAT_V1);
            out.writeLong(order.orderId);
            writeAscii(out, order.userId);
            out.writeUnsignedByte(order.state().code());
            out.writeInt(order.currency);
            out.writeLong(order.amountMinor);
            out.writeLong(order.createdAtEpochMillis);
            out.writeLong(order.expiresAtEpochMillis);
            out.writeLong(order.updatedAtEpochMillis);
            out.writeUnsignedByte(order.lineCount);
            for (int i = 0; i < order.lineCount; i++) {
                out.writeInt(order.skuIndexes[i]);
                out.writeInt(order.quantities[i]);
                out.writeLong(order.unitPricesMinor[i]);
            }
            if (inPart) {
                out.writeUnsignedByte(order.hasPayment() ? 1 : 0);
            }
            if (order.hasPayment()) {
                writeAscii(out, order.paymentProvider);
                writeAscii(out, order.paymentId);
                out.writeLong(order.paidAtEpochMillis);
            }
            if (inPart) {
                for (int i = 0; i < order.lineCount; i++) {
                    out.writeInt(order.refundedQuantity(i));
                }
            }
            if (merchants) {
                for (int i = 0; i < order.lineCount; i++) {
                    out.writeInt(order.merchantRow(i));
                }
            }
            if (campaign) {
                out.writeInt(order.campaignNumber);
                out.writeLong(order.discountMinor);
                out.writeLong(order.eligibleLines);
            }
        }

        @Override
        public OrderMarshaller readResolve() {
            return INSTANCE;
        }
    }

    /**
     * A campaign's terms: id, kind code, currency, amount off, percent off, cap, min spend, the SKU
     * ids (a count byte, then each), the merchant id (empty: none), the window, budget and per-user
     * limit. Redemptions are not stored: the engine counts them from the orders.
     */
    static final class CampaignMarshaller
            implements BytesReader<CampaignTerms>, BytesWriter<CampaignTerms>, EnumMarshallable<CampaignMarshaller> {
        static final CampaignMarshaller INSTANCE = new CampaignMarshaller();

        private CampaignMarshaller() {}

        /** The bytes {@link #write} takes for {@code terms}. */
        static long sizeOf(CampaignTerms terms) {
            long size = 1 + (1 + terms.campaignId.length()) + 1 + 4 + 8 + 4 + 8 + 8 + 1 + 4 * 8;
            size += 1 + terms.merchantId.length();
            for (String skuId : terms.skuIds) {
                size += 1 + skuId.length();
            }
            return size;
        }

        @Override
        public CampaignTerms read(Bytes<?> in, CampaignTerms using) {
            CampaignTerms terms = using == null ? new CampaignTerms() : using;
            checkVersion(in.readByte(), "campaign");
            terms.clear();
            terms.campaignId = readAscii(in);
            int kindCode = in.readUnsignedByte();
            terms.kind = CampaignKind.fromCode(kindCode);
            if (terms.kind == null) {
                throw new IllegalStateException("campaign " + terms.campaignId + " has unknown kind " + kindCode);
            }
            terms.currency = in.readInt();
            terms.amountOffMinor = in.readLong();
            terms.percentOffBps = in.readInt();
            terms.percentCapMinor = in.readLong();
            terms.minSpendMinor = in.readLong();
            int skus = in.readUnsignedByte();
            if (skus > CampaignTerms.SKUS_MAX) {
                throw new IllegalStateException("campaign " + terms.campaignId + " lists " + skus + " SKUs");
            }
            for (int i = 0; i < skus; i++) {
                terms.skuIds.add(readAscii(in));
            }
            terms.merchantId = readAscii(in);
            terms.startsAtEpochMillis = in.readLong();
            terms.endsAtEpochMillis = in.readLong();
            terms.budget = in.readLong();
            terms.perUserLimit = in.readLong();
            return terms;
        }

        @Override
        public void write(Bytes<?> out, CampaignTerms terms) {
            out.writeByte(FORMAT_V1);
            writeAscii(out, terms.campaignId);
            out.writeUnsignedByte(terms.kind.code());
            out.writeInt(terms.currency);
            out.writeLong(terms.amountOffMinor);
            out.writeInt(terms.percentOffBps);
            out.writeLong(terms.percentCapMinor);
            out.writeLong(terms.minSpendMinor);
            out.writeUnsignedByte(terms.skuIds.size());
            for (String skuId : terms.skuIds) {
                writeAscii(out, skuId);
            }
            writeAscii(out, terms.merchantId);
            out.writeLong(terms.startsAtEpochMillis);
            out.writeLong(terms.endsAtEpochMillis);
            out.writeLong(terms.budget);
            out.writeLong(terms.perUserLimit);
        }

        @Override
        public CampaignMarshaller readResolve() {
            return INSTANCE;
        }
    }

    /** Outcome: fixed 30 bytes. */
    static final class OutcomeMarshaller
            implements SizedReader<Outcome>, SizedWriter<Outcome>, EnumMarshallable<OutcomeMarshaller> {
        static final OutcomeMarshaller INSTANCE = new OutcomeMarshaller();
        static final int SIZE = 1 + 1 + 2 + 1 + 1 + 8 + 8 + 8;

        private OutcomeMarshaller() {}

        @Override
        public Outcome read(Bytes<?> in, long size, Outcome using) {
            Outcome outcome = using == null ? new Outcome() : using;
            checkVersion(in.readByte(), "outcome");
            CommandType type = CommandType.fromCode(in.readUnsignedByte());
            ResultCode result = ResultCode.fromCode(in.readUnsignedShort());
            int stateCode = in.readUnsignedByte();
            int failedLine = in.readByte();
            long orderId = in.readLong();
            long at = in.readLong();
            long orderUpdatedAt = in.readLong();
            outcome.set(
                    type,
                    result,
                    orderId,
                    stateCode == 0 ? null : OrderState.fromCode(stateCode),
                    failedLine,
                    at,
                    orderUpdatedAt);
            return outcome;
        }

        @Override
        public long size(Outcome toWrite) {
            return SIZE;
        }

        @Override
        public void write(Bytes<?> out, long size, Outcome outcome) {
            out.writeByte(FORMAT_V1);
            out.writeUnsignedByte(outcome.commandType.code());
            out.writeUnsignedShort(outcome.result.code());
            out.writeUnsignedByte(outcome.orderState == null ? 0 : outcome.orderState.code());
            out.writeByte((byte) outcome.failedLine);
            out.writeLong(outcome.orderId);
            out.writeLong(outcome.atEpochMillis);
            out.writeLong(outcome.orderUpdatedAtEpochMillis);
        }

        @Override
        public OutcomeMarshaller readResolve() {
            return INSTANCE;
        }
    }
}
