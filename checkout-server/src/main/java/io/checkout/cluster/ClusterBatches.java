package io.checkout.cluster;

import io.checkout.engine.Command;
import io.checkout.engine.OrderState;
import io.checkout.engine.ResultCode;
import io.checkout.journal.CommandCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The messages between the gateway and the clustered service: a batch of commands in one ingress
 * message, its answers in one egress message, matched by the batch id the gateway chose.
 *
 * <pre>
 *  ingress: batch id long, count int, then per command: length int, CommandCodec payload
 *  egress:  batch id long, count int (-1: the whole batch was refused as malformed), then per
 *           command: result code int, order id long, order state byte (0: none), failed line int
 * </pre>
 *
 * All little-endian. A batch is applied whole or, if any part of it cannot be decoded, not at all.
 */
public final class ClusterBatches {
    /** The most commands one ingress message may carry. */
    public static final int COMMANDS_PER_BATCH_MAX = 1_024;
    /** The count an egress message carries when its batch could not be decoded. */
    public static final int REFUSED = -1;

    static final int HEADER_BYTES = Long.BYTES + Integer.BYTES;
    static final int REPLY_BYTES = Integer.BYTES + Long.BYTES + 1 + Integer.BYTES;

    private ClusterBatches() {}

    /** An answer as the egress carries it. */
    public record Reply(ResultCode result, long orderId, OrderState orderState, int failedLine) {}

    /**
     * Writes {@code count} commands as one ingress message at the start of {@code into}, through
     * {@code scratch} (at least {@link CommandCodec#PAYLOAD_BYTES_MAX} bytes).
     *
     * @return the message's length in bytes
     */
    public static int encodeBatch(
            long batchId, Command[] commands, int count, MutableDirectBuffer into, ByteBuffer scratch) {
        if (count < 1 || count > COMMANDS_PER_BATCH_MAX) {
            throw new IllegalArgumentException("count must be 1.." + COMMANDS_PER_BATCH_MAX + ", got " + count);
        }
        into.putLong(0, batchId, ByteOrder.LITTLE_ENDIAN);
        into.putInt(Long.BYTES, count, ByteOrder.LITTLE_ENDIAN);
        int position = HEADER_BYTES;
        for (int i = 0; i < count; i++) {
            scratch.clear();
            CommandCodec.encode(commands[i], scratch);
            scratch.flip();
            int payloadLength = scratch.remaining();
            into.putInt(position, payloadLength, ByteOrder.LITTLE_ENDIAN);
            into.putBytes(position + Integer.BYTES, scratch, payloadLength);
            position += Integer.BYTES + payloadLength;
        }
        return position;
    }

    /** The batch id of an ingress or egress message, or -1 if it is too short to hold one. */
    static long batchId(DirectBuffer buffer, int offset, int length) {
        return length < HEADER_BYTES ? -1 : buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Decodes an ingress message into {@code into} (at least {@link #COMMANDS_PER_BATCH_MAX}
     * commands), through {@code scratch} (at least {@link CommandCodec#PAYLOAD_BYTES_MAX} bytes).
     *
     * @return how many commands it holds, or {@link #REFUSED} if any part of it is malformed
     */
    static int decodeBatch(DirectBuffer buffer, int offset, int length, Command[] into, ByteBuffer scratch) {
        if (length < HEADER_BYTES) {
            return REFUSED;
        }
        int count = buffer.getInt(offset + Long.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (count < 1 || count > COMMANDS_PER_BATCH_MAX || count > into.length) {
            return REFUSED;
        }
        int position = offset + HEADER_BYTES;
        int end = offset + length;
        try {
            for (int i = 0; i < count; i++) {
                if (end - position < Integer.BYTES) {
                    return REFUSED;
                }
                int payloadLength = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
                position += Integer.BYTES;
                if (payloadLength < 1 || payloadLength > scratch.capacity() || payloadLength > end - position) {
                    return REFUSED;
                }
                scratch.clear();
                buffer.getBytes(position, scratch, payloadLength);
                scratch.flip();
                CommandCodec.decode(scratch, into[i]);
                if (!into[i].type.isMutating()) {
                    return REFUSED;
                }
                position += payloadLength;
            }
        } catch (RuntimeException malformed) {
            return REFUSED;
        }
        return position == end ? count : REFUSED;
    }

    /**
     * Writes the answers of the first {@code count} commands (or, with {@link #REFUSED}, the
     * refusal of the whole batch) as one egress message.
     *
     * @return the message's length in bytes
     */
    static int encodeReplies(long batchId, Command[] commands, int count, MutableDirectBuffer into) {
        into.putLong(0, batchId, ByteOrder.LITTLE_ENDIAN);
        into.putInt(Long.BYTES, count, ByteOrder.LITTLE_ENDIAN);
        int position = HEADER_BYTES;
        for (int i = 0; i < count; i++) { // none for REFUSED
            Command command = commands[i];
            boolean hasOrder = command.result == ResultCode.SUCCESS && command.order.state != null;
            into.putInt(position, command.result.code(), ByteOrder.LITTLE_ENDIAN);
            into.putLong(position + Integer.BYTES, hasOrder ? command.order.orderId : 0, ByteOrder.LITTLE_ENDIAN);
            into.putByte(position + Integer.BYTES + Long.BYTES, hasOrder ? (byte) command.order.state.code() : 0);
            into.putInt(position + Integer.BYTES + Long.BYTES + 1, command.failedLine, ByteOrder.LITTLE_ENDIAN);
            position += REPLY_BYTES;
        }
        return position;
    }

    /** The answers an egress message carries; null if it refused its whole batch. */
    public static Reply[] decodeReplies(DirectBuffer buffer, int offset, int length) {
        int count = buffer.getInt(offset + Long.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (count == REFUSED) {
            return null;
        }
        if (count < 0 || length != HEADER_BYTES + count * REPLY_BYTES) {
            throw new IllegalArgumentException("malformed egress message of " + length + " bytes, count " + count);
        }
        Reply[] replies = new Reply[count];
        int position = offset + HEADER_BYTES;
        for (int i = 0; i < count; i++) {
            byte state = buffer.getByte(position + Integer.BYTES + Long.BYTES);
            replies[i] = new Reply(
                    ResultCode.fromCode(buffer.getInt(position, ByteOrder.LITTLE_ENDIAN)),
                    buffer.getLong(position + Integer.BYTES, ByteOrder.LITTLE_ENDIAN),
                    state == 0 ? null : OrderState.fromCode(state),
                    buffer.getInt(position + Integer.BYTES + Long.BYTES + 1, ByteOrder.LITTLE_ENDIAN));
            position += REPLY_BYTES;
        }
        return replies;
    }

    /** The batch id an egress message answers. */
    public static long repliedBatchId(DirectBuffer buffer, int offset) {
        return buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }
}
