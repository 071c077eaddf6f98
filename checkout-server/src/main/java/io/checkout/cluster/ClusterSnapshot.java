package io.checkout.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.CommandType;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import io.checkout.journal.CommandCodec;
import io.checkout.state.SnapshotCodec;
import io.checkout.state.SnapshotSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The clustered service's snapshot: {@link SnapshotCodec}'s stream of records between a header
 * (format, engine time, event numbering) and an end record that counts what came before it, so a
 * load knows it read the whole snapshot and nothing else. Records travel packed into messages of
 * up to {@link #CHUNK_BYTES} (length int, then the record, repeated): one Aeron message per record
 * made a snapshot of a million orders take three million offers, and ingress waits for all of it.
 */
final class ClusterSnapshot {
    /**
     * Format 9: a SKU group's attempt limit after its per-user limit (max attempts int, window
     * millis long; 0/0: none), then, after every group, a record for each user a limited group
     * counts (group number, counted window, user, attempts), and the end record counts those too.
     * Format 8: campaigns (their terms, after the SKUs, before the orders), an order's campaign
     * number after its lines' merchant rows (-1: none; else its discount and the lines sharing it
     * follow), and the end record counts campaigns too. Format 7: SKU groups (after the merchant
     * rows, before the SKUs), a SKU's group after its store, and the end record counts groups too.
     * Format 6: the risk rules after the answers (the attempt limit, each blocked user, each user's
     * attempts in the counted window), and the end record counts blocked users and counts too.
     * 5 (merchant rows before the SKUs, a SKU's merchant and store, each order line's merchant row
     * + 1 after the refunded units; the end record counts merchant rows), 4 (an order's payment, a
     * flag byte after its lines, then each line's refunded units), 3 (payments, no refunded units)
     * and 2 (neither) are read too.
     */
    private static final byte FORMAT_VERSION = 9;

    private static final byte FORMAT_VERSION_CAMPAIGNS = 8;

    private static final byte FORMAT_VERSION_GROUPS = 7;

    private static final byte FORMAT_VERSION_RISK = 6;

    private static final byte FORMAT_VERSION_MERCHANTS = 5;

    private static final byte FORMAT_VERSION_REFUNDS = 4;

    private static final byte FORMAT_VERSION_PAYMENTS = 3;
    private static final byte FORMAT_VERSION_NO_PAYMENTS = 2;
    /** The most bytes of records in one snapshot message; well under an eighth of a 1 MiB term. */
    private static final int CHUNK_BYTES = 60 * 1024;

    private static final byte HEADER = 1;
    private static final byte SKU = 2;
    private static final byte ORDER = 3;
    private static final byte USER_UNITS = 4;
    private static final byte OUTCOME = 5;
    private static final byte END = 6;
    private static final byte MERCHANT = 7;
    private static final byte RISK_RULE = 8;
    private static final byte BLOCKED_USER = 9;
    private static final byte ATTEMPTS = 10;
    private static final byte GROUP = 11;
    private static final byte CAMPAIGN = 12;
    private static final byte GROUP_ATTEMPTS = 13;
    /**
     * The kinds the end record counts, in its order: format 9's; each older format counts a prefix
     * of them (before format 5, without the merchant rows).
     */
    private static final byte[] END_COUNTS = {
        MERCHANT, SKU, ORDER, USER_UNITS, OUTCOME, BLOCKED_USER, ATTEMPTS, GROUP, CAMPAIGN, GROUP_ATTEMPTS
    };
    /** Where the answers are in {@link #END_COUNTS}: formats 2 to 5 count up to them. */
    private static final int OUTCOME_COUNT = 4;

    private static final int FRAGMENTS_PER_POLL = 64;

    private ClusterSnapshot() {}

    /** Engine time and event numbering as the snapshot recorded them. */
    record Loaded(long nowMillis, long nextEventSequence) {}

    /** Where a snapshot's messages go: the snapshot publication, or a test's list. */
    interface Messages {
        /** The longest message {@link #offer} takes. */
        int maxMessageLength();

        /** Offers one message; a negative result is {@link Publication#offer}'s back pressure or refusal. */
        long offer(DirectBuffer buffer, int offset, int length);
    }

    /**
     * Writes {@code state} to {@code publication}, waiting through back pressure with {@code idle}.
     *
     * @return a CRC-32C of every record written: members that applied the same log to the same
     *     position write the same snapshot, so equal digests are the check that they agree
     */
    static long write(
            CheckoutState state,
            long nowMillis,
            long nextEventSequence,
            ExclusivePublication publication,
            IdleStrategy idle) {
        return write(
                state,
                nowMillis,
                nextEventSequence,
                new Messages() {
                    @Override
                    public int maxMessageLength() {
                        return publication.maxMessageLength();
                    }

                    @Override
                    public long offer(DirectBuffer buffer, int offset, int length) {
                        return publication.offer(buffer, offset, length);
                    }
                },
                idle);
    }

    /** Like {@link #write(CheckoutState, long, long, ExclusivePublication, IdleStrategy)}, to any messages. */
    static long write(CheckoutState state, long nowMillis, long nextEventSequence, Messages out, IdleStrategy idle) {
        Writer writer = new Writer(out, idle);
        writer.start(HEADER).put(FORMAT_VERSION).putLong(nowMillis).putLong(nextEventSequence);
        writer.send();
        SnapshotCodec.write(state, writer);
        ByteBuffer end = writer.start(END);
        for (byte kind : END_COUNTS) {
            end.putLong(writer.counts[kind]);
        }
        writer.send();
        writer.flush();
        return writer.digest.getValue();
    }

    /** Reads a snapshot from {@code image} into {@code into}, which must be empty. */
    static Loaded load(Image image, CheckoutState into, IdleStrategy idle) {
        Reader reader = new Reader(SnapshotCodec.loaderInto(into));
        FragmentAssembler assembler =
                new FragmentAssembler((buffer, offset, length, header) -> reader.onChunk(buffer, offset, length));
        while (!reader.ended()) {
            int fragments = image.poll(assembler, FRAGMENTS_PER_POLL);
            if (fragments == 0) {
                if (image.isClosed() || image.isEndOfStream()) {
                    throw new IllegalStateException("the snapshot ended before its end record");
                }
                idle.idle(0);
            }
        }
        return reader.loaded();
    }

    private static final class Writer implements SnapshotSink {
        private final Messages publication;
        private final IdleStrategy idle;
        private final ByteBuffer record =
                ByteBuffer.allocate(64 + 2 * CommandCodec.PAYLOAD_BYTES_MAX).order(ByteOrder.LITTLE_ENDIAN);
        private final UnsafeBuffer chunk = new UnsafeBuffer(new byte[CHUNK_BYTES]);
        private final long[] counts = new long[GROUP_ATTEMPTS + 1];
        private final CRC32C digest = new CRC32C();
        /** A chunk is one message: at most an eighth of the publication's term (small test terms). */
        private final int chunkBytesMax;

        private int chunkLength;

        Writer(Messages publication, IdleStrategy idle) {
            this.publication = publication;
            this.idle = idle;
            this.chunkBytesMax = Math.min(CHUNK_BYTES, publication.maxMessageLength());
        }

        ByteBuffer start(byte type) {
            counts[type]++;
            return record.clear().put(type);
        }

        /** Adds the record to the chunk, first sending the chunk if the record would not fit. */
        void send() {
            int length = record.position();
            digest.update(record.array(), 0, length);
            if (Integer.BYTES + length > chunkBytesMax) {
                throw new IllegalStateException("a snapshot record of " + length + " bytes does not fit the"
                        + " snapshot publication's messages (" + chunkBytesMax
                        + " bytes at most): its term is too short");
            }
            if (chunkLength + Integer.BYTES + length > chunkBytesMax) {
                flush();
            }
            chunk.putInt(chunkLength, length, ByteOrder.LITTLE_ENDIAN);
            chunk.putBytes(chunkLength + Integer.BYTES, record.array(), 0, length);
            chunkLength += Integer.BYTES + length;
        }

        /** Sends the records gathered so far as one message. */
        void flush() {
            if (chunkLength == 0) {
                return;
            }
            long result;
            while ((result = publication.offer(chunk, 0, chunkLength)) < 0) {
                if (result == Publication.CLOSED
                        || result == Publication.NOT_CONNECTED
                        || result == Publication.MAX_POSITION_EXCEEDED) {
                    throw new IllegalStateException("snapshot publication refused a record: " + result);
                }
                idle.idle();
            }
            idle.reset();
            chunkLength = 0;
        }

        @Override
        public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
            ByteBuffer out = start(MERCHANT).putInt(row);
            CommandCodec.putText(out, merchantId);
            out.putInt(commissionBps).putLong(sinceEpochMillis);
            send();
        }

        @Override
        public void sku(SkuRecord sku) {
            ByteBuffer out = start(SKU).putInt(sku.index);
            CommandCodec.putText(out, sku.skuId);
            out.putLong(sku.priceMinor)
                    .putInt(sku.currency)
                    .putLong(sku.totalStock)
                    .putLong(sku.available)
                    .putLong(sku.reserved)
                    .putLong(sku.sold)
                    .putLong(sku.perUserLimit)
                    .putLong(sku.saleStartEpochMillis)
                    .putLong(sku.saleEndEpochMillis)
                    .putLong(sku.reservationTtlMillis);
            CommandCodec.putText(out, sku.merchantId);
            CommandCodec.putText(out, sku.storeId);
            CommandCodec.putText(out, sku.groupId);
            send();
        }

        @Override
        public void order(OrderRecord order) {
            ByteBuffer out = start(ORDER).putLong(order.orderId);
            CommandCodec.putId(out, order.userId);
            out.put((byte) order.state().code())
                    .putInt(order.currency)
                    .putLong(order.amountMinor)
                    .putLong(order.createdAtEpochMillis)
                    .putLong(order.expiresAtEpochMillis)
                    .putLong(order.updatedAtEpochMillis)
                    .put((byte) order.lineCount);
            for (int i = 0; i < order.lineCount; i++) {
                out.putInt(order.skuIndexes[i]).putInt(order.quantities[i]).putLong(order.unitPricesMinor[i]);
            }
            out.put(order.hasPayment() ? (byte) 1 : 0);
            if (order.hasPayment()) {
                CommandCodec.putId(out, order.paymentProvider);
                CommandCodec.putId(out, order.paymentId);
                out.putLong(order.paidAtEpochMillis);
            }
            for (int i = 0; i < order.lineCount; i++) {
                out.putInt(order.refundedQuantity(i));
            }
            for (int i = 0; i < order.lineCount; i++) {
                out.putInt(order.merchantRow(i));
            }
            out.putInt(order.campaignNumber);
            if (order.campaignNumber >= 0) {
                out.putLong(order.discountMinor).putLong(order.eligibleLines);
            }
            send();
        }

        @Override
        public void campaign(int number, CampaignTerms terms) {
            CommandCodec.putCampaignTerms(start(CAMPAIGN).putInt(number), terms);
            send();
        }

        @Override
        public void userUnits(IdBuffer userId, int skuIndex, long units) {
            ByteBuffer out = start(USER_UNITS);
            CommandCodec.putId(out, userId);
            out.putInt(skuIndex).putLong(units);
            send();
        }

        @Override
        public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
            ByteBuffer out = start(GROUP).putInt(number);
            CommandCodec.putText(out, groupId);
            out.putLong(perUserLimit).putInt(maxAttempts).putLong(windowMillis);
            send();
        }

        @Override
        public void groupAttempts(int number, long countedWindow, String userId, int count) {
            ByteBuffer out = start(GROUP_ATTEMPTS).putInt(number).putLong(countedWindow);
            CommandCodec.putText(out, userId);
            out.putInt(count);
            send();
        }

        @Override
        public void riskRule(int maxAttempts, long windowMillis, long countedWindow) {
            start(RISK_RULE).putInt(maxAttempts).putLong(windowMillis).putLong(countedWindow);
            send();
        }

        @Override
        public void blockedUser(String userId) {
            CommandCodec.putText(start(BLOCKED_USER), userId);
            send();
        }

        @Override
        public void attempts(String userId, int count) {
            ByteBuffer out = start(ATTEMPTS);
            CommandCodec.putText(out, userId);
            out.putInt(count);
            send();
        }

        @Override
        public void outcome(IdBuffer requestId, Outcome outcome) {
            ByteBuffer out = start(OUTCOME);
            CommandCodec.putId(out, requestId);
            out.put((byte) outcome.commandType.code())
                    .putInt(outcome.result.code())
                    .putLong(outcome.orderId)
                    .put(outcome.orderState == null ? 0 : (byte) outcome.orderState.code())
                    .putInt(outcome.failedLine)
                    .putLong(outcome.atEpochMillis)
                    .putLong(outcome.orderUpdatedAtEpochMillis);
            send();
        }
    }

    /** Reads a snapshot's messages, in order, into a sink; {@link #load} feeds it from the image. */
    static final class Reader {
        private final SnapshotSink into;
        private final ByteBuffer record =
                ByteBuffer.allocate(64 + 2 * CommandCodec.PAYLOAD_BYTES_MAX).order(ByteOrder.LITTLE_ENDIAN);
        private final SkuRecord sku = new SkuRecord();
        private final OrderRecord order = new OrderRecord();
        private final Outcome outcome = new Outcome();
        /** A user or request id being read, lent to the sink. */
        private final IdBuffer id = new IdBuffer();

        private final CampaignTerms terms = new CampaignTerms();
        private final long[] counts = new long[GROUP_ATTEMPTS + 1];
        private boolean started;
        private byte formatVersion;
        private boolean ended;
        private long nowMillis;
        private long nextEventSequence;

        Reader(SnapshotSink into) {
            this.into = into;
        }

        /** Whether the end record came: the snapshot was read whole. */
        boolean ended() {
            return ended;
        }

        Loaded loaded() {
            return new Loaded(nowMillis, nextEventSequence);
        }

        /** One snapshot message: records, each after its length. */
        void onChunk(DirectBuffer buffer, int offset, int length) {
            int position = offset;
            int end = offset + length;
            while (position < end) {
                if (end - position < Integer.BYTES) {
                    throw new IllegalStateException("snapshot message ends inside a record's length");
                }
                int recordLength = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
                position += Integer.BYTES;
                if (recordLength < 1 || recordLength > end - position) {
                    throw new IllegalStateException(
                            "snapshot record of " + recordLength + " bytes does not fit its message");
                }
                onRecord(buffer, position, recordLength);
                position += recordLength;
            }
        }

        private void onRecord(DirectBuffer buffer, int offset, int length) {
            if (ended) {
                throw new IllegalStateException("snapshot record after the end record");
            }
            if (length > record.capacity()) {
                throw new IllegalStateException("snapshot record of " + length + " bytes is too long");
            }
            record.clear();
            buffer.getBytes(offset, record, length);
            record.flip();
            byte type = record.get();
            if (type < HEADER
                    || type > GROUP_ATTEMPTS
                    || (type == MERCHANT && formatVersion < FORMAT_VERSION_MERCHANTS)
                    || (type >= RISK_RULE && type <= ATTEMPTS && formatVersion < FORMAT_VERSION_RISK)
                    || (type == GROUP && formatVersion < FORMAT_VERSION_GROUPS)
                    || (type == CAMPAIGN && formatVersion < FORMAT_VERSION_CAMPAIGNS)
                    || (type == GROUP_ATTEMPTS && formatVersion < FORMAT_VERSION)
                    || (type == HEADER) == started) {
                throw new IllegalStateException("unexpected snapshot record type " + type);
            }
            counts[type]++;
            switch (type) {
                case HEADER -> header();
                case SKU -> sku();
                case ORDER -> order();
                case USER_UNITS -> userUnits();
                case OUTCOME -> outcome();
                case MERCHANT ->
                    into.merchantRow(record.getInt(), CommandCodec.getText(record), record.getInt(), record.getLong());
                case RISK_RULE -> into.riskRule(record.getInt(), record.getLong(), record.getLong());
                case BLOCKED_USER -> into.blockedUser(CommandCodec.getText(record));
                case ATTEMPTS -> into.attempts(CommandCodec.getText(record), record.getInt());
                case GROUP -> group();
                case GROUP_ATTEMPTS ->
                    into.groupAttempts(
                            record.getInt(), record.getLong(), CommandCodec.getText(record), record.getInt());
                case CAMPAIGN -> campaign();
                default -> end();
            }
            if (record.hasRemaining()) {
                throw new IllegalStateException(record.remaining() + " unexpected bytes in snapshot record " + type);
            }
        }

        private void header() {
            byte version = record.get();
            if (version != FORMAT_VERSION
                    && version != FORMAT_VERSION_CAMPAIGNS
                    && version != FORMAT_VERSION_GROUPS
                    && version != FORMAT_VERSION_RISK
                    && version != FORMAT_VERSION_MERCHANTS
                    && version != FORMAT_VERSION_REFUNDS
                    && version != FORMAT_VERSION_PAYMENTS
                    && version != FORMAT_VERSION_NO_PAYMENTS) {
                throw new IllegalStateException("unknown cluster snapshot format version " + version);
            }
            formatVersion = version;
            nowMillis = record.getLong();
            nextEventSequence = record.getLong();
            started = true;
        }

        private void sku() {
            sku.index = record.getInt();
            sku.skuId = CommandCodec.getText(record);
            sku.priceMinor = record.getLong();
            sku.currency = record.getInt();
            sku.totalStock = record.getLong();
            sku.available = record.getLong();
            sku.reserved = record.getLong();
            sku.sold = record.getLong();
            sku.perUserLimit = record.getLong();
            sku.saleStartEpochMillis = record.getLong();
            sku.saleEndEpochMillis = record.getLong();
            sku.reservationTtlMillis = record.getLong();
            sku.merchantId = null;
            sku.storeId = null;
            if (formatVersion >= FORMAT_VERSION_MERCHANTS) {
                sku.merchantId = CommandCodec.getText(record);
                sku.storeId = CommandCodec.getText(record);
            }
            sku.groupId = formatVersion >= FORMAT_VERSION_GROUPS ? CommandCodec.getText(record) : null;
            sku.groupNumber = -1;
            into.sku(sku);
        }

        private void order() {
            order.orderId = record.getLong();
            CommandCodec.getId(record, order.userId);
            order.state(OrderState.fromCode(record.get()));
            order.currency = record.getInt();
            order.amountMinor = record.getLong();
            order.createdAtEpochMillis = record.getLong();
            order.expiresAtEpochMillis = record.getLong();
            order.updatedAtEpochMillis = record.getLong();
            int lines = record.get();
            if (lines < 0 || lines > order.skuIndexes.length) {
                throw new IllegalStateException("snapshot order " + order.orderId + " has " + lines + " lines");
            }
            order.lineCount = lines;
            order.clearMerchantRows();
            for (int i = 0; i < lines; i++) {
                order.skuIndexes[i] = record.getInt();
                order.quantities[i] = record.getInt();
                order.unitPricesMinor[i] = record.getLong();
            }
            order.clearPayment();
            if (formatVersion >= FORMAT_VERSION_PAYMENTS && record.get() != 0) {
                CommandCodec.getId(record, order.paymentProvider);
                CommandCodec.getId(record, order.paymentId);
                order.paymentRead(record.getLong());
            }
            for (int i = 0; formatVersion >= FORMAT_VERSION_REFUNDS && i < lines; i++) {
                order.refundedQuantities[i] = record.getInt();
            }
            for (int i = 0; formatVersion >= FORMAT_VERSION_MERCHANTS && i < lines; i++) {
                order.setMerchantRow(i, record.getInt());
            }
            order.campaignNumber = formatVersion >= FORMAT_VERSION_CAMPAIGNS ? record.getInt() : -1;
            order.discountMinor = 0;
            order.eligibleLines = 0;
            if (order.campaignNumber >= 0) {
                order.discountMinor = record.getLong();
                order.eligibleLines = record.getLong();
            }
            into.order(order);
        }

        /** A group: its attempt limit from format 9 on, none before. */
        private void group() {
            int number = record.getInt();
            String groupId = CommandCodec.getText(record);
            long perUserLimit = record.getLong();
            int maxAttempts = 0;
            long windowMillis = 0;
            if (formatVersion >= FORMAT_VERSION) {
                maxAttempts = record.getInt();
                windowMillis = record.getLong();
            }
            into.skuGroup(number, groupId, perUserLimit, maxAttempts, windowMillis);
        }

        private void campaign() {
            int number = record.getInt();
            CommandCodec.getCampaignTerms(record, terms);
            into.campaign(number, terms);
        }

        private void userUnits() {
            CommandCodec.getId(record, id);
            into.userUnits(id, record.getInt(), record.getLong());
        }

        private void outcome() {
            CommandCodec.getId(record, id);
            CommandType type = CommandType.fromCode(record.get());
            ResultCode result = ResultCode.fromCode(record.getInt());
            long orderId = record.getLong();
            byte state = record.get();
            outcome.set(
                    type,
                    result,
                    orderId,
                    state == 0 ? null : OrderState.fromCode(state),
                    record.getInt(),
                    record.getLong(),
                    record.getLong());
            into.outcome(id, outcome);
        }

        private void end() {
            // Each format counts the kinds of the one before it, then its own.
            int from = formatVersion >= FORMAT_VERSION_MERCHANTS ? 0 : 1;
            int to = formatVersion >= FORMAT_VERSION
                    ? END_COUNTS.length
                    : formatVersion >= FORMAT_VERSION_CAMPAIGNS
                            ? END_COUNTS.length - 1
                            : formatVersion >= FORMAT_VERSION_GROUPS
                                    ? END_COUNTS.length - 2
                                    : formatVersion >= FORMAT_VERSION_RISK ? END_COUNTS.length - 3 : OUTCOME_COUNT + 1;
            for (int i = from; i < to; i++) {
                byte kind = END_COUNTS[i];
                long expected = record.getLong();
                if (expected != counts[kind]) {
                    throw new IllegalStateException("snapshot end record counts " + expected + " records of kind "
                            + kind + " but " + counts[kind] + " came");
                }
            }
            ended = true;
        }
    }
}
