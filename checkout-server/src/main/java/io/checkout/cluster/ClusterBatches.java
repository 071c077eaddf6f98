package io.checkout.cluster;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
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
 *  ingress: batch id long, count int, flags int, then per command: length int, CommandCodec payload
 *  egress:  batch id long, count int (-1: the whole batch was refused as malformed), then per
 *           command: result code int, order id long, order state byte (0: none), failed line int
 *  flags:   {@link #REPLY_ON_EGRESS}: the leader answers the batch on egress. A member's gateway
 *           does not ask: it takes the full answers from its own member's engine, and an egress
 *           message per batch would cost the leader and the gateway's member a packet each.
 * </pre>
 *
 * All little-endian. A batch is applied whole or, if any part of it cannot be decoded, not at all.
 * It may hold queries as well as changes: a query that goes through the log sees every change
 * acknowledged before it was sent. It may not hold a TICK: only the cluster's timer moves time.
 */
public final class ClusterBatches {
    /** The most commands one ingress message may carry. */
    public static final int COMMANDS_PER_BATCH_MAX = 1_024;
    /** The count an egress message carries when its batch could not be decoded. */
    public static final int REFUSED = -1;

    /** The most bytes one command takes in an ingress message. */
    public static final int COMMAND_BYTES_MAX = Integer.BYTES + CommandCodec.PAYLOAD_BYTES_MAX;
    /**
     * The bytes a gateway packs into one ingress message at most: a log term of 1 MiB or more
     * takes a message this long (Aeron's limit is an eighth of the term) with room for the
     * cluster's session header.
     */
    public static final int BATCH_BYTES_MAX = 64 * 1024;

    /** The ingress flag asking the leader to answer the batch on egress. */
    public static final int REPLY_ON_EGRESS = 1;

    static final int HEADER_BYTES = Long.BYTES + Integer.BYTES + Integer.BYTES;
    static final int REPLIES_HEADER_BYTES = Long.BYTES + Integer.BYTES;
    static final int REPLY_BYTES = Integer.BYTES + Long.BYTES + 1 + Integer.BYTES;
    private static final int FLAGS_OFFSET = Long.BYTES + Integer.BYTES;

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
        int position = startBatch(into, batchId, REPLY_ON_EGRESS);
        for (int i = 0; i < count; i++) {
            position = appendCommand(into, position, commands[i], scratch);
        }
        finishBatch(into, count);
        return position;
    }

    /**
     * Starts an ingress message at the start of {@code into}; commands follow through
     * {@link #appendCommand}, and {@link #finishBatch} writes their count.
     *
     * @return where the first command goes
     */
    public static int startBatch(MutableDirectBuffer into, long batchId, int flags) {
        into.putLong(0, batchId, ByteOrder.LITTLE_ENDIAN);
        into.putInt(Long.BYTES, 0, ByteOrder.LITTLE_ENDIAN);
        into.putInt(FLAGS_OFFSET, flags, ByteOrder.LITTLE_ENDIAN);
        return HEADER_BYTES;
    }

    /**
     * Appends one command at {@code position} through {@code scratch} (at least
     * {@link CommandCodec#PAYLOAD_BYTES_MAX} bytes); at most {@link #COMMAND_BYTES_MAX} bytes.
     *
     * @return where the next command goes
     */
    public static int appendCommand(MutableDirectBuffer into, int position, Command command, ByteBuffer scratch) {
        scratch.clear();
        CommandCodec.encode(command, scratch);
        scratch.flip();
        int payloadLength = scratch.remaining();
        into.putInt(position, payloadLength, ByteOrder.LITTLE_ENDIAN);
        into.putBytes(position + Integer.BYTES, scratch, payloadLength);
        return position + Integer.BYTES + payloadLength;
    }

    /** Writes the number of commands appended since {@link #startBatch}. */
    public static void finishBatch(MutableDirectBuffer into, int count) {
        into.putInt(Long.BYTES, count, ByteOrder.LITTLE_ENDIAN);
    }

    /** The batch id of an ingress or egress message, or -1 if it is too short to hold one. */
    static long batchId(DirectBuffer buffer, int offset, int length) {
        return length < REPLIES_HEADER_BYTES ? -1 : buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }

    /** Whether an ingress message asks for its answers on egress (a malformed one gets its refusal). */
    static boolean wantsEgressReply(DirectBuffer buffer, int offset, int length) {
        return length < HEADER_BYTES
                || (buffer.getInt(offset + FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN) & REPLY_ON_EGRESS) != 0;
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
                if (into[i].type() == CommandType.TICK) {
                    return REFUSED; // engine time advances by the cluster's timer only
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
        int position = REPLIES_HEADER_BYTES;
        for (int i = 0; i < count; i++) { // none for REFUSED
            Command command = commands[i];
            boolean hasOrder = command.result() == ResultCode.SUCCESS && command.order.state() != null;
            into.putInt(position, command.result().code(), ByteOrder.LITTLE_ENDIAN);
            into.putLong(position + Integer.BYTES, hasOrder ? command.order.orderId : 0, ByteOrder.LITTLE_ENDIAN);
            into.putByte(
                    position + Integer.BYTES + Long.BYTES,
                    hasOrder ? (byte) command.order.state().code() : 0);
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
        if (count < 0 || length != REPLIES_HEADER_BYTES + count * REPLY_BYTES) {
            throw new IllegalArgumentException("malformed egress message of " + length + " bytes, count " + count);
        }
        Reply[] replies = new Reply[count];
        int position = offset + REPLIES_HEADER_BYTES;
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
