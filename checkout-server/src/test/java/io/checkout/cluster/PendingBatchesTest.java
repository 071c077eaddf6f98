package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.lmax.disruptor.BlockingWaitStrategy;
import io.checkout.engine.Command;
import io.checkout.engine.ResultCode;
import io.checkout.pipeline.CommandRing;
import io.checkout.pipeline.RingConsumer;
import org.junit.jupiter.api.Test;

/** The hand-off of a batch's answers from the service thread to the gateway, in the orders it can happen. */
class PendingBatchesTest {
    private final RingConsumer ring =
            CommandRing.multiProducer(8, () -> 0, new BlockingWaitStrategy()).consumer();
    private final PendingBatches pending = new PendingBatches(8);

    @Test
    void answersThatArriveBeforeTheOfferReturnedShouldBeKept() {
        // The gateway records the batch, then offers it; the service applies it at once.
        pending.offered(0, 2, 1);
        assertThat(pending.deliver(0, applied(2), 2, ring)).isTrue();
        // ... and only now does the gateway's offer() return: the answers are waiting for it.
        assertThat(pending.state(0)).isEqualTo(PendingBatches.APPLIED);
        assertThat(ring.command(0).result()).isEqualTo(ResultCode.SUCCESS);
        assertThat(pending.tryAbandon(0)).as("an applied batch is not given up").isFalse();
    }

    @Test
    void aWithdrawnBatchShouldBeFreeAndOfferableAgainWithMoreCommands() {
        pending.offered(0, 2, 1);
        pending.withdraw(0); // the offer was back-pressured
        assertThat(pending.state(0)).isEqualTo(PendingBatches.FREE);
        assertThat(pending.deliver(0, applied(2), 2, ring))
                .as("not in the log, never delivered")
                .isFalse();

        pending.offered(0, 3, 2);
        assertThat(pending.deliver(0, applied(2), 2, ring))
                .as("an answer for a different batch at the same slot")
                .isFalse();
        assertThat(pending.deliver(0, applied(3), 3, ring)).isTrue();
    }

    @Test
    void withdrawingABatchTheServiceClaimedShouldFailLoudly() {
        pending.offered(0, 1, 1);
        pending.deliver(0, applied(1), 1, ring);
        assertThatThrownBy(() -> pending.withdraw(0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("batch 0 withdrawn");
    }

    @Test
    void aBatchGivenUpShouldNotTakeALateAnswer() {
        pending.offered(4, 1, 1);
        assertThat(pending.tryAbandon(4)).isTrue();
        assertThat(pending.deliver(4, applied(1), 1, ring)).isFalse();
    }

    private static Command[] applied(int count) {
        Command[] commands = new Command[count];
        for (int i = 0; i < count; i++) {
            commands[i] = new Command();
            commands[i].result(ResultCode.SUCCESS);
        }
        return commands;
    }
}
