package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.OrderState;
import io.checkout.engine.ResultCode;
import io.checkout.journal.CommandCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

class ClusterBatchesTest {
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);
    private final Command[] decoded = commands(ClusterBatches.COMMANDS_PER_BATCH_MAX);
    private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);

    @Test
    void decodeShouldGiveBackEveryCommandOfTheBatchInOrder() {
        int length = ClusterBatches.encodeBatch(7, sample(), 2, buffer, scratch);

        assertThat(ClusterBatches.batchId(buffer, 0, length)).isEqualTo(7);
        assertThat(ClusterBatches.decodeBatch(buffer, 0, length, decoded, scratch))
                .isEqualTo(2);
        assertThat(decoded[0].requestId.asString()).isEqualTo("r-1");
        assertThat(decoded[0].lineSkuId(0).asString()).isEqualTo("SKU-1");
        assertThat(decoded[1].type()).isEqualTo(CommandType.CONFIRM);
        assertThat(decoded[1].orderId).isEqualTo(42);
    }

    @Test
    void decodeShouldRefuseTheWholeBatchWhenAnyPartIsMalformed() {
        int length = ClusterBatches.encodeBatch(7, sample(), 2, buffer, scratch);

        assertThat(ClusterBatches.decodeBatch(buffer, 0, length - 1, decoded, scratch))
                .as("cut short")
                .isEqualTo(ClusterBatches.REFUSED);
        assertThat(ClusterBatches.decodeBatch(buffer, 0, 5, decoded, scratch))
                .as("no header")
                .isEqualTo(ClusterBatches.REFUSED);
        buffer.putInt(Long.BYTES, 3, ByteOrder.LITTLE_ENDIAN);
        assertThat(ClusterBatches.decodeBatch(buffer, 0, length, decoded, scratch))
                .as("a count the payload does not hold")
                .isEqualTo(ClusterBatches.REFUSED);
        buffer.putInt(Long.BYTES, 0, ByteOrder.LITTLE_ENDIAN);
        assertThat(ClusterBatches.decodeBatch(buffer, 0, length, decoded, scratch))
                .as("an empty batch")
                .isEqualTo(ClusterBatches.REFUSED);
        buffer.putInt(Long.BYTES, 2, ByteOrder.LITTLE_ENDIAN);
        buffer.putByte(ClusterBatches.HEADER_BYTES + Integer.BYTES, (byte) 99);
        assertThat(ClusterBatches.decodeBatch(buffer, 0, length, decoded, scratch))
                .as("an unknown format version")
                .isEqualTo(ClusterBatches.REFUSED);
    }

    @Test
    void onlyABatchThatAsksShouldBeAnsweredOnEgress() {
        int length = ClusterBatches.encodeBatch(7, sample(), 2, buffer, scratch);
        assertThat(ClusterBatches.wantsEgressReply(buffer, 0, length)).isTrue();

        int position = ClusterBatches.startBatch(buffer, 8, 0);
        position = ClusterBatches.appendCommand(buffer, position, sample()[0], scratch);
        ClusterBatches.finishBatch(buffer, 1);
        assertThat(ClusterBatches.wantsEgressReply(buffer, 0, position))
                .as("a gateway's batch")
                .isFalse();
        assertThat(ClusterBatches.decodeBatch(buffer, 0, position, decoded, scratch))
                .isEqualTo(1);
        assertThat(ClusterBatches.wantsEgressReply(buffer, 0, 5))
                .as("a malformed batch gets its refusal")
                .isTrue();
    }

    @Test
    void repliesShouldCarryEachResultAndTheRefusalOfAWholeBatch() {
        Command[] answered = sample();
        answered[0].result(ResultCode.SUCCESS);
        answered[0].order.orderId = 5;
        answered[0].order.state(OrderState.RESERVED);
        answered[1].result(ResultCode.ORDER_NOT_FOUND);
        int length = ClusterBatches.encodeReplies(9, answered, 2, buffer);

        assertThat(ClusterBatches.repliedBatchId(buffer, 0)).isEqualTo(9);
        assertThat(ClusterBatches.decodeReplies(buffer, 0, length))
                .containsExactly(
                        new ClusterBatches.Reply(ResultCode.SUCCESS, 5, OrderState.RESERVED, -1),
                        new ClusterBatches.Reply(ResultCode.ORDER_NOT_FOUND, 0, null, -1));

        int refusal = ClusterBatches.encodeReplies(10, answered, ClusterBatches.REFUSED, buffer);
        assertThat(ClusterBatches.decodeReplies(buffer, 0, refusal)).isNull();
    }

    private static Command[] sample() {
        return new Command[] {
            Command.reserve(1_000, "r-1", "buyer-1", "SKU-1", 2),
            Command.orderCommand(CommandType.CONFIRM, 1_000, "c-1", 42)
        };
    }

    private static Command[] commands(int count) {
        Command[] commands = new Command[count];
        for (int i = 0; i < count; i++) {
            commands[i] = new Command();
        }
        return commands;
    }
}
