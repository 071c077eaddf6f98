package io.checkout.journal;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import java.nio.ByteBuffer;

/**
 * The journal's record payload: a mutating command's input fields, enough for the engine to apply
 * it again and reach the same state and the same answer. Output fields are not journalled: replay
 * recomputes them. Queries are never journalled, but the cluster's log carries them in the same
 * form, so a read answered there sees every write acknowledged before it.
 *
 * <pre>
 *  format version byte, command type byte, timestamp long, then by type:
 *   RESERVE                  request id, user id, line count byte, (SKU id, quantity int)*
 *   CONFIRM, CANCEL, REFUND  request id, order id long
 *   UPSERT_SKU               request id, SKU id, price long, currency, total long, per-user limit long,
 *                            sale start long, sale end long, reservation TTL long
 *   ADJUST_STOCK             request id, SKU id, delta long
 *   TICK                     nothing more
 *   GET_ORDER                order id long
 *   GET_SKU                  SKU id
 *   LIST_SKUS                page size int, page token
 *  text: a short, -1 for null, else the length (bit 15 set when chars are two bytes), then the chars
 * </pre>
 *
 * Text longer than {@link #TEXT_CHARS_MAX} is cut to that length. Every id the engine accepts is at
 * most {@link EngineLimits#ID_LENGTH_MAX} long, so a cut value was invalid before and stays invalid
 * for the same reason after: replay answers it the same way, and a record's size stays bounded.
 */
public final class CommandCodec {
    public static final int TEXT_CHARS_MAX = EngineLimits.ID_LENGTH_MAX + 1;
    /** The largest payload: a reserve with every line at the longest text. */
    public static final int PAYLOAD_BYTES_MAX = 2
            + 8
            + 2 * (2 + 2 * TEXT_CHARS_MAX)
            + 1
            + EngineLimits.LINES_PER_ORDER_MAX * (2 + 2 * TEXT_CHARS_MAX + 4)
            + 128;

    static final byte FORMAT_VERSION = 1;
    private static final int WIDE = 0x8000;

    private CommandCodec() {}

    /** Encodes {@code command} into {@code into} (from its position); the caller flips it. */
    public static void encode(Command command, ByteBuffer into) {
        into.put(FORMAT_VERSION);
        into.put((byte) command.type.code());
        into.putLong(command.timestampMillis);
        switch (command.type) {
            case RESERVE -> {
                putText(into, command.requestId);
                putText(into, command.userId);
                into.put((byte) command.lineCount);
                for (int i = 0; i < command.lineCount; i++) {
                    putText(into, command.lineSkuIds[i]);
                    into.putInt(command.lineQuantities[i]);
                }
            }
            case CONFIRM, CANCEL, REFUND -> {
                putText(into, command.requestId);
                into.putLong(command.orderId);
            }
            case UPSERT_SKU -> {
                putText(into, command.requestId);
                putText(into, command.skuId);
                into.putLong(command.priceMinor);
                putText(into, command.currency);
                into.putLong(command.totalStock);
                into.putLong(command.perUserLimit);
                into.putLong(command.saleStartEpochMillis);
                into.putLong(command.saleEndEpochMillis);
                into.putLong(command.reservationTtlMillis);
            }
            case ADJUST_STOCK -> {
                putText(into, command.requestId);
                putText(into, command.skuId);
                into.putLong(command.delta);
            }
            case TICK -> {}
            case GET_ORDER -> into.putLong(command.orderId);
            case GET_SKU -> putText(into, command.skuId);
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
        if (version != FORMAT_VERSION) {
            throw new JournalCorruptException("unsupported command format version " + version);
        }
        into.type = CommandType.fromCode(from.get());
        into.timestampMillis = from.getLong();
        switch (into.type) {
            case RESERVE -> {
                into.requestId = getText(from);
                into.userId = getText(from);
                int lines = from.get();
                if (lines < 0 || lines > EngineLimits.LINES_PER_ORDER_MAX) {
                    throw new JournalCorruptException("line count " + lines + " out of bounds");
                }
                for (int i = 0; i < lines; i++) {
                    String skuId = getText(from);
                    into.addLine(skuId, from.getInt());
                }
            }
            case CONFIRM, CANCEL, REFUND -> {
                into.requestId = getText(from);
                into.orderId = from.getLong();
            }
            case UPSERT_SKU -> {
                into.requestId = getText(from);
                into.skuId = getText(from);
                into.priceMinor = from.getLong();
                into.currency = getText(from);
                into.totalStock = from.getLong();
                into.perUserLimit = from.getLong();
                into.saleStartEpochMillis = from.getLong();
                into.saleEndEpochMillis = from.getLong();
                into.reservationTtlMillis = from.getLong();
            }
            case ADJUST_STOCK -> {
                into.requestId = getText(from);
                into.skuId = getText(from);
                into.delta = from.getLong();
            }
            case TICK -> {}
            case GET_ORDER -> into.orderId = from.getLong();
            case GET_SKU -> into.skuId = getText(from);
            case LIST_SKUS -> {
                into.pageSize = from.getInt();
                into.pageToken = getText(from);
            }
        }
        if (from.hasRemaining()) {
            throw new JournalCorruptException(from.remaining() + " unexpected bytes after a " + into.type);
        }
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
