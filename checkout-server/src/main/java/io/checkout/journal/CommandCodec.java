package io.checkout.journal;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import java.nio.ByteBuffer;

/**
 * The journal's record payload: a mutating command's input fields, enough for the engine to apply
 * it again and reach the same state and the same answer. Output fields are not journalled: replay
 * recomputes them. Queries are never journalled, but the cluster's log carries them in the same
 * form, so a read answered there sees every write acknowledged before it.
 *
 * <pre>
 *  format version byte, command type byte, timestamp long, then by type:
 *   RESERVE                  request id, user id, line count byte, (SKU id, quantity int)*, and in
 *                            format 6 only: campaign id
 *   CONFIRM, CANCEL, REFUND  request id, order id long
 *                            and, CONFIRM in format 2 only: payment provider, payment id, amount long,
 *                            currency int (packed); REFUND in format 3 only: line count byte,
 *                            (SKU id, quantity int)*, reason text, not-resellable byte
 *   UPSERT_SKU               request id, SKU id, price long, currency, total long, per-user limit long,
 *                            sale start long, sale end long, reservation TTL long, and in format 4
 *                            only: merchant id, store id; in format 5 only: merchant id, store id,
 *                            group id
 *   UPSERT_MERCHANT          request id, merchant id, commission bps int
 *   UPSERT_SKU_GROUP         request id, group id, per-user limit long, and in format 7 only: max
 *                            attempts int, window millis long (the group's attempt limit)
 *   GET_SKU_GROUP            group id
 *   UPSERT_CAMPAIGN          request id, then the terms ({@link #putCampaignTerms}): campaign id text,
 *                            kind byte (0: none), currency int (packed), amount off long, percent off
 *                            bps int, percent cap long, min spend long, SKU count byte, SKU id text*,
 *                            merchant id text, starts at long, ends at long, budget long, per-user
 *                            limit long
 *   GET_CAMPAIGN             campaign id
 *   GET_MERCHANT             merchant id
 *   LIST_USER_ORDERS         user id, page size int, after order id long
 *   SET_USER_BLOCKED         request id, user id, blocked byte
 *   GET_USER_RISK            user id
 *   SET_RISK_RULES           request id, max attempts int, window millis long
 *   GET_RISK_RULES           nothing more
 *   ADJUST_STOCK             request id, SKU id, delta long
 *   TICK                     nothing more
 *   GET_ORDER                order id long
 *   GET_SKU                  SKU id
 *   LIST_SKUS                page size int, page token
 *  format 1 is every record but a confirm with a payment (format 2), a refund with lines, a reason
 *  or not resellable (format 3), a SKU upsert with a merchant or a store (format 4), a SKU
 *  upsert with a group (format 5), a reserve with a campaign (format 6) and a SKU group upsert with
 *  an attempt limit, valid or not (format 7); a reader takes all seven
 *  text: a short, -1 for null, else the length (bit 15 set when chars are two bytes), then the chars
 * </pre>
 *
 * Text longer than {@link #TEXT_CHARS_MAX} is cut to that length. Every id the engine accepts is at
 * most {@link EngineLimits#ID_LENGTH_MAX} long, so a cut value was invalid before and stays invalid
 * for the same reason after: replay answers it the same way, and a record's size stays bounded.
 * A campaign's SKU list is cut the same way, to {@link #CAMPAIGN_SKUS_MAX}: one more than a campaign
 * may list, so a list too long stays too long.
 */
public final class CommandCodec {
    public static final int TEXT_CHARS_MAX = EngineLimits.ID_LENGTH_MAX + 1;
    /** The most SKU ids a campaign record carries: one past {@link CampaignTerms#SKUS_MAX}, see above. */
    public static final int CAMPAIGN_SKUS_MAX = CampaignTerms.SKUS_MAX + 1;
    /** The most bytes of one text (or id) as {@link #putText} writes it: the length, two bytes a char. */
    public static final int TEXT_BYTES_MAX = 2 + 2 * TEXT_CHARS_MAX;
    /** The largest reserve: every line at the longest text, and a campaign. */
    public static final int RESERVE_BYTES_MAX =
            2 + 8 + 3 * TEXT_BYTES_MAX + 1 + EngineLimits.LINES_PER_ORDER_MAX * (TEXT_BYTES_MAX + 4) + 128;
    /**
     * The largest campaign terms ({@link #putCampaignTerms}): the campaign id, the kind, currency,
     * four amounts, the SKU list at its longest, the merchant id, then four longs.
     */
    public static final int CAMPAIGN_TERMS_BYTES_MAX =
            TEXT_BYTES_MAX + 1 + 4 + 8 + 4 + 8 + 8 + 1 + CAMPAIGN_SKUS_MAX * TEXT_BYTES_MAX + TEXT_BYTES_MAX + 4 * 8;
    /** The largest payload: a reserve with every line at the longest text, or a campaign upsert. */
    public static final int PAYLOAD_BYTES_MAX =
            Math.max(RESERVE_BYTES_MAX, 2 + 8 + TEXT_BYTES_MAX + CAMPAIGN_TERMS_BYTES_MAX + 128);

    static final byte FORMAT_VERSION = 1;
    /** Format 1 plus a confirm's payment. */
    static final byte FORMAT_VERSION_PAYMENT = 2;
    /** Format 1 plus a refund's lines, reason and resellability. */
    static final byte FORMAT_VERSION_REFUND = 3;
    /** Format 1 plus a SKU's merchant and store. */
    static final byte FORMAT_VERSION_MERCHANT = 4;
    /** Format 4 plus a SKU's group. */
    static final byte FORMAT_VERSION_GROUP = 5;
    /** Format 1 plus a reserve's campaign. */
    static final byte FORMAT_VERSION_CAMPAIGN = 6;
    /** Format 1 plus a SKU group's attempt limit. */
    static final byte FORMAT_VERSION_GROUP_ATTEMPTS = 7;

    private static final int WIDE = 0x8000;

    private CommandCodec() {}

    /** Encodes {@code command} into {@code into} (from its position); the caller flips it. */
    public static void encode(Command command, ByteBuffer into) {
        boolean payment = command.type() == CommandType.CONFIRM && command.hasPayment;
        boolean refund = command.type() == CommandType.REFUND
                && (command.lineCount > 0 || command.refundReason != null || command.notResellable);
        boolean grouped =
                command.type() == CommandType.UPSERT_SKU && command.groupId().length() > 0;
        boolean parties = command.type() == CommandType.UPSERT_SKU
                && (command.merchantId().length() > 0 || command.storeId().length() > 0 || grouped);
        // A reserve without a campaign keeps format 1, byte for byte as before campaigns.
        boolean campaign = command.type() == CommandType.RESERVE && command.campaignId.length() > 0;
        // A group upsert without an attempt limit (0/0) keeps format 1, byte for byte as before; one
        // with any other pair, valid or not, carries it so that replay gives the same answer.
        boolean groupAttempts = command.type() == CommandType.UPSERT_SKU_GROUP
                && (command.maxAttempts() != 0 || command.windowMillis() != 0);
        into.put(
                payment
                        ? FORMAT_VERSION_PAYMENT
                        : refund
                                ? FORMAT_VERSION_REFUND
                                : grouped
                                        ? FORMAT_VERSION_GROUP
                                        : parties
                                                ? FORMAT_VERSION_MERCHANT
                                                : campaign
                                                        ? FORMAT_VERSION_CAMPAIGN
                                                        : groupAttempts
                                                                ? FORMAT_VERSION_GROUP_ATTEMPTS
                                                                : FORMAT_VERSION);
        into.put((byte) command.type().code());
        into.putLong(command.timestampMillis);
        switch (command.type()) {
            case RESERVE -> {
                putId(into, command.requestId);
                putId(into, command.userId);
                into.put((byte) command.lineCount);
                for (int i = 0; i < command.lineCount; i++) {
                    putId(into, command.lineSkuId(i));
                    into.putInt(command.lineQuantities[i]);
                }
                if (campaign) {
                    putId(into, command.campaignId);
                }
            }
            case CONFIRM, CANCEL, REFUND -> {
                putId(into, command.requestId);
                into.putLong(command.orderId);
                if (payment) {
                    putId(into, command.paymentProvider);
                    putId(into, command.paymentId);
                    into.putLong(command.paymentAmountMinor);
                    into.putInt(command.paymentCurrency);
                }
                if (refund) {
                    into.put((byte) command.lineCount);
                    for (int i = 0; i < command.lineCount; i++) {
                        putId(into, command.lineSkuId(i));
                        into.putInt(command.lineQuantities[i]);
                    }
                    putText(into, command.refundReason);
                    into.put(command.notResellable ? (byte) 1 : 0);
                }
            }
            case UPSERT_SKU -> {
                putId(into, command.requestId);
                putId(into, command.skuId);
                into.putLong(command.priceMinor);
                putText(into, command.currency);
                into.putLong(command.totalStock);
                into.putLong(command.perUserLimit);
                into.putLong(command.saleStartEpochMillis);
                into.putLong(command.saleEndEpochMillis);
                into.putLong(command.reservationTtlMillis);
                if (parties) {
                    putId(into, command.merchantId());
                    putId(into, command.storeId());
                }
                if (grouped) {
                    putId(into, command.groupId());
                }
            }
            case UPSERT_SKU_GROUP -> {
                putId(into, command.requestId);
                putId(into, command.groupId());
                into.putLong(command.perUserLimit);
                if (groupAttempts) {
                    into.putInt(command.maxAttempts());
                    into.putLong(command.windowMillis());
                }
            }
            case GET_SKU_GROUP -> putId(into, command.groupId());
            case UPSERT_CAMPAIGN -> {
                putId(into, command.requestId);
                putCampaignTerms(into, command.campaignTerms());
            }
            case GET_CAMPAIGN -> putId(into, command.campaignId);
            case UPSERT_MERCHANT -> {
                putId(into, command.requestId);
                putId(into, command.merchantId());
                into.putInt(command.commissionBps());
            }
            case GET_MERCHANT -> putId(into, command.merchantId());
            case LIST_USER_ORDERS -> {
                putId(into, command.userId);
                into.putInt(command.pageSize);
                into.putLong(command.orderId);
            }
            case SET_USER_BLOCKED -> {
                putId(into, command.requestId);
                putId(into, command.userId);
                into.put(command.blocked() ? (byte) 1 : 0);
            }
            case GET_USER_RISK -> putId(into, command.userId);
            case SET_RISK_RULES -> {
                putId(into, command.requestId);
                into.putInt(command.maxAttempts());
                into.putLong(command.windowMillis());
            }
            case GET_RISK_RULES -> {}
            case ADJUST_STOCK -> {
                putId(into, command.requestId);
                putId(into, command.skuId);
                into.putLong(command.delta);
            }
            case TICK -> {}
            case GET_ORDER -> into.putLong(command.orderId);
            case GET_SKU -> putId(into, command.skuId);
            case LIST_SKUS -> {
                into.putInt(command.pageSize);
                putText(into, command.pageToken);
            }
        }
    }

    /**
     * Encodes {@code command} into {@code scratch} (at least {@link #PAYLOAD_BYTES_MAX} bytes) and
     * appends it to {@code journal} as the next record.
     *
     * @return the record's sequence
     */
    public static long append(Journal journal, ByteBuffer scratch, Command command) {
        scratch.clear();
        encode(command, scratch);
        return journal.append(scratch.flip());
    }

    /** Decodes a payload into {@code into}, which is cleared first. */
    public static void decode(ByteBuffer from, Command into) {
        into.clear();
        byte version = from.get();
        if (version != FORMAT_VERSION
                && version != FORMAT_VERSION_PAYMENT
                && version != FORMAT_VERSION_REFUND
                && version != FORMAT_VERSION_MERCHANT
                && version != FORMAT_VERSION_GROUP
                && version != FORMAT_VERSION_CAMPAIGN
                && version != FORMAT_VERSION_GROUP_ATTEMPTS) {
            throw new JournalCorruptException("unsupported command format version " + version);
        }
        into.type(CommandType.fromCode(from.get()));
        if (version == FORMAT_VERSION_PAYMENT && into.type() != CommandType.CONFIRM) {
            throw new JournalCorruptException("format " + version + " holds only confirms, not " + into.type());
        }
        if (version == FORMAT_VERSION_REFUND && into.type() != CommandType.REFUND) {
            throw new JournalCorruptException("format " + version + " holds only refunds, not " + into.type());
        }
        if ((version == FORMAT_VERSION_MERCHANT || version == FORMAT_VERSION_GROUP)
                && into.type() != CommandType.UPSERT_SKU) {
            throw new JournalCorruptException("format " + version + " holds only SKU upserts, not " + into.type());
        }
        if (version == FORMAT_VERSION_CAMPAIGN && into.type() != CommandType.RESERVE) {
            throw new JournalCorruptException("format " + version + " holds only reserves, not " + into.type());
        }
        if (version == FORMAT_VERSION_GROUP_ATTEMPTS && into.type() != CommandType.UPSERT_SKU_GROUP) {
            throw new JournalCorruptException(
                    "format " + version + " holds only SKU group upserts, not " + into.type());
        }
        into.timestampMillis = from.getLong();
        switch (into.type()) {
            case RESERVE -> {
                getId(from, into.requestId);
                getId(from, into.userId);
                getLines(from, into);
                if (version == FORMAT_VERSION_CAMPAIGN) {
                    getId(from, into.campaignId);
                }
            }
            case CONFIRM, CANCEL, REFUND -> {
                getId(from, into.requestId);
                into.orderId = from.getLong();
                if (version == FORMAT_VERSION_PAYMENT) {
                    into.hasPayment = true;
                    getId(from, into.paymentProvider);
                    getId(from, into.paymentId);
                    into.paymentAmountMinor = from.getLong();
                    into.paymentCurrency = from.getInt();
                }
                if (version == FORMAT_VERSION_REFUND) {
                    getLines(from, into);
                    into.refundReason = getText(from);
                    into.notResellable = from.get() != 0;
                }
            }
            case UPSERT_SKU -> {
                getId(from, into.requestId);
                getId(from, into.skuId);
                into.priceMinor = from.getLong();
                into.currency = getText(from);
                into.totalStock = from.getLong();
                into.perUserLimit = from.getLong();
                into.saleStartEpochMillis = from.getLong();
                into.saleEndEpochMillis = from.getLong();
                into.reservationTtlMillis = from.getLong();
                if (version == FORMAT_VERSION_MERCHANT || version == FORMAT_VERSION_GROUP) {
                    getId(from, into.merchantId());
                    getId(from, into.storeId());
                }
                if (version == FORMAT_VERSION_GROUP) {
                    getId(from, into.groupId());
                }
            }
            case UPSERT_SKU_GROUP -> {
                getId(from, into.requestId);
                getId(from, into.groupId());
                into.perUserLimit = from.getLong();
                if (version == FORMAT_VERSION_GROUP_ATTEMPTS) {
                    int maxAttempts = from.getInt();
                    into.attemptLimit(maxAttempts, from.getLong());
                }
            }
            case GET_SKU_GROUP -> getId(from, into.groupId());
            case UPSERT_CAMPAIGN -> {
                getId(from, into.requestId);
                getCampaignTerms(from, into.campaignTerms());
            }
            case GET_CAMPAIGN -> getId(from, into.campaignId);
            case UPSERT_MERCHANT -> {
                getId(from, into.requestId);
                getId(from, into.merchantId());
                into.commissionBps(from.getInt());
            }
            case GET_MERCHANT -> getId(from, into.merchantId());
            case LIST_USER_ORDERS -> {
                getId(from, into.userId);
                into.pageSize = from.getInt();
                into.orderId = from.getLong();
            }
            case SET_USER_BLOCKED -> {
                getId(from, into.requestId);
                getId(from, into.userId);
                into.blocked(from.get() != 0);
            }
            case GET_USER_RISK -> getId(from, into.userId);
            case SET_RISK_RULES -> {
                getId(from, into.requestId);
                int maxAttempts = from.getInt();
                into.attemptLimit(maxAttempts, from.getLong());
            }
            case GET_RISK_RULES -> {}
            case ADJUST_STOCK -> {
                getId(from, into.requestId);
                getId(from, into.skuId);
                into.delta = from.getLong();
            }
            case TICK -> {}
            case GET_ORDER -> into.orderId = from.getLong();
            case GET_SKU -> getId(from, into.skuId);
            case LIST_SKUS -> {
                into.pageSize = from.getInt();
                into.pageToken = getText(from);
            }
        }
        if (from.hasRemaining()) {
            throw new JournalCorruptException(from.remaining() + " unexpected bytes after a " + into.type());
        }
    }

    private static void getLines(ByteBuffer from, Command into) {
        int lines = from.get();
        if (lines < 0 || lines > EngineLimits.LINES_PER_ORDER_MAX) {
            throw new JournalCorruptException("line count " + lines + " out of bounds");
        }
        for (int i = 0; i < lines; i++) {
            IdBuffer skuId = into.addLine(0);
            getId(from, skuId);
            into.lineQuantities[i] = from.getInt();
        }
    }

    /**
     * Writes a campaign's terms (not its redemptions), as UPSERT_CAMPAIGN records and the cluster's
     * snapshot carry them: at most {@link #CAMPAIGN_TERMS_BYTES_MAX} bytes. A list of more than
     * {@link #CAMPAIGN_SKUS_MAX} SKU ids is cut to that many (see the class comment).
     */
    public static void putCampaignTerms(ByteBuffer into, CampaignTerms terms) {
        putText(into, terms.campaignId);
        into.put(terms.kind == null ? 0 : (byte) terms.kind.code());
        into.putInt(terms.currency);
        into.putLong(terms.amountOffMinor);
        into.putInt(terms.percentOffBps);
        into.putLong(terms.percentCapMinor);
        into.putLong(terms.minSpendMinor);
        int skus = Math.min(terms.skuIds.size(), CAMPAIGN_SKUS_MAX);
        into.put((byte) skus);
        for (int i = 0; i < skus; i++) {
            putText(into, terms.skuIds.get(i));
        }
        putText(into, terms.merchantId);
        into.putLong(terms.startsAtEpochMillis);
        into.putLong(terms.endsAtEpochMillis);
        into.putLong(terms.budget);
        into.putLong(terms.perUserLimit);
    }

    /**
     * Reads what {@link #putCampaignTerms} wrote into {@code into}, which it clears first. An
     * unknown kind or a SKU count past {@link #CAMPAIGN_SKUS_MAX} is corrupt; the terms are not
     * checked otherwise (the engine does, as it did when they were written).
     */
    public static void getCampaignTerms(ByteBuffer from, CampaignTerms into) {
        into.clear();
        into.campaignId = getText(from);
        int kindCode = from.get();
        into.kind = kindCode == 0 ? null : CampaignKind.fromCode(kindCode);
        if (kindCode != 0 && into.kind == null) {
            throw new JournalCorruptException("unknown campaign kind " + kindCode);
        }
        into.currency = from.getInt();
        into.amountOffMinor = from.getLong();
        into.percentOffBps = from.getInt();
        into.percentCapMinor = from.getLong();
        into.minSpendMinor = from.getLong();
        int skus = from.get();
        if (skus < 0 || skus > CAMPAIGN_SKUS_MAX) {
            throw new JournalCorruptException("campaign SKU count " + skus + " out of bounds");
        }
        for (int i = 0; i < skus; i++) {
            into.skuIds.add(getText(from));
        }
        into.merchantId = getText(from);
        into.startsAtEpochMillis = from.getLong();
        into.endsAtEpochMillis = from.getLong();
        into.budget = from.getLong();
        into.perUserLimit = from.getLong();
    }

    /**
     * Writes {@code id} as {@link #putText} writes text: an id's bytes are ASCII (what is not
     * became {@link IdBuffer#NOT_ASCII}), so never wide, and at most {@link #TEXT_CHARS_MAX}.
     */
    public static void putId(ByteBuffer into, IdBuffer id) {
        if (id.isAbsent()) {
            into.putShort((short) -1);
            return;
        }
        into.putShort((short) id.length());
        id.copyTo(into);
    }

    /**
     * Reads what {@link #putId} or {@link #putText} wrote into {@code into}, without a {@code
     * String}. Wide text (from a journal written before ids were bytes) is taken as its characters,
     * those outside ASCII becoming {@link IdBuffer#NOT_ASCII}: such an id was invalid and stays so.
     */
    public static void getId(ByteBuffer from, IdBuffer into) {
        short header = from.getShort();
        if (header == -1) {
            into.clear();
            return;
        }
        int length = header & ~WIDE & 0xFFFF;
        if (length > TEXT_CHARS_MAX) {
            throw new JournalCorruptException("text of " + length + " chars exceeds " + TEXT_CHARS_MAX);
        }
        if ((header & WIDE) == 0) {
            into.set(from, length);
            return;
        }
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = from.getChar();
        }
        into.set(new String(chars));
    }

    /** Writes {@code text} (or null) with a length prefix, as journal records carry ids. */
    public static void putText(ByteBuffer into, String text) {
        if (text == null) {
            into.putShort((short) -1);
            return;
        }
        int length = Math.min(text.length(), TEXT_CHARS_MAX);
        boolean wide = false;
        for (int i = 0; i < length; i++) {
            if (text.charAt(i) > 0x7F) {
                wide = true;
                break;
            }
        }
        into.putShort((short) (wide ? length | WIDE : length));
        for (int i = 0; i < length; i++) {
            if (wide) {
                into.putChar(text.charAt(i));
            } else {
                into.put((byte) text.charAt(i));
            }
        }
    }

    /** Reads what {@link #putText} wrote. */
    public static String getText(ByteBuffer from) {
        short header = from.getShort();
        if (header == -1) {
            return null;
        }
        boolean wide = (header & WIDE) != 0;
        int length = header & ~WIDE & 0xFFFF;
        if (length > TEXT_CHARS_MAX) {
            throw new JournalCorruptException("text of " + length + " chars exceeds " + TEXT_CHARS_MAX);
        }
        if (!wide && from.hasArray()) {
            // One copy, straight into the String's Latin-1 bytes.
            int start = from.arrayOffset() + from.position();
            from.position(from.position() + length);
            return new String(from.array(), start, length, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = wide ? from.getChar() : (char) (from.get() & 0xFF);
        }
        return new String(chars);
    }
}
