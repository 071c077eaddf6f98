package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.EventCounter;
import io.checkout.journal.JournalCorruptException;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Replay through the read-ahead thread: every record of the range applied in order, damage stops the start. */
class RecoveryTest {
    private static final int BUYERS = 30_000;
    private static final long SEGMENT_BYTES = 256 * 1024;
    private static final JournalConfig CONFIG = JournalConfig.defaults(false);

    @TempDir
    Path data;

    private StateCapacities capacities() {
        return capacities(false);
    }

    private StateCapacities capacities(boolean preallocated) {
        return new StateCapacities(16, BUYERS + 1, BUYERS + 1, 2L * BUYERS + 10, preallocated);
    }

    /** A SKU, then per buyer a reserve, and a confirm for every third; spread over many segments. */
    private void writeJournal() {
        Path directory = Recovery.Layout.under(data).journal();
        ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        try (RecordLogWriter journal = RecordLogWriter.open(
                directory,
                RecordLogReader.scan(directory, 1, (s, p) -> {}),
                1,
                SEGMENT_BYTES,
                false,
                CONFIG.batchBytes())) {
            long now = 1_000_000;
            CommandCodec.append(
                    journal,
                    scratch,
                    Command.upsertSku(now, "sku-setup", "SKU", 250, "EUR", 1_000_000, 1, 0, 0, 3_600_000));
            for (int buyer = 1; buyer <= BUYERS; buyer++) {
                now++;
                CommandCodec.append(journal, scratch, Command.reserve(now, "r-" + buyer, "user-" + buyer, "SKU", 1));
                if (buyer % 3 == 0) {
                    CommandCodec.append(
                            journal,
                            scratch,
                            Command.orderCommand(io.checkout.engine.CommandType.CONFIRM, now, "c-" + buyer, buyer));
                }
                if (buyer % 1_000 == 0) {
                    journal.commit();
                }
            }
        }
    }

    @Test
    void replayerShouldApplyExactlyTheRangeAskedFor() {
        writeJournal();
        CheckoutBook book = new CheckoutBook(PackedCheckoutState.of(capacities()), EngineLimits.defaults());
        EventCounter events = new EventCounter(1);

        long replayed =
                JournalReplayer.replay(Recovery.Layout.under(data).journal(), 1, 1_001, book, events, () -> false);

        // The SKU, then 750 buyers' reserves and 250 confirms.
        assertThat(replayed).isEqualTo(1_001);
        assertThat(book.state().orderCount()).isEqualTo(750);
        assertThat(events.nextEventSequence())
                .as("one SKU event, 750 reserves, 250 confirms")
                .isEqualTo(1 + 1 + 750 + 250);
    }

    @Test
    void replayerShouldRefuseARangePastTheJournalsEnd() {
        writeJournal();
        long last = 1 + BUYERS + BUYERS / 3;
        CheckoutBook book = new CheckoutBook(PackedCheckoutState.of(capacities()), EngineLimits.defaults());

        assertThatThrownBy(() -> JournalReplayer.replay(
                        Recovery.Layout.under(data).journal(), 1, last + 5, book, new EventCounter(1), () -> false))
                .isInstanceOf(JournalCorruptException.class);
    }

    /** With {@code state-memory=preallocate} too: the recovered state is the same. */
    @ParameterizedTest(name = "preallocated {0}")
    @ValueSource(booleans = {false, true})
    void replayShouldApplyEveryRecordInOrder(boolean preallocated) {
        writeJournal();
        assertThat(RecordLog.segments(Recovery.Layout.under(data).journal())).hasSizeGreaterThan(3);
        Recovery.Recovered recovered =
                Recovery.recover(data, capacities(preallocated), EngineLimits.defaults(), CONFIG);
        try {
            assertThat(recovered.state().preallocated()).isEqualTo(preallocated);
            assertThat(recovered.replayedCommands()).isEqualTo(1 + BUYERS + BUYERS / 3);
            assertThat(recovered.state().orderCount()).isEqualTo(BUYERS);
            OrderRecord order = new OrderRecord();
            for (long orderId = 1; orderId <= BUYERS; orderId++) {
                assertThat(recovered.state().readOrder(orderId, order)).isTrue();
                assertThat(order.userId.asString()).isEqualTo("user-" + orderId);
                assertThat(order.state()).isEqualTo(orderId % 3 == 0 ? OrderState.PAID : OrderState.RESERVED);
            }
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    @Test
    void damageBeforeTheLastSegmentShouldStopRecovery() throws IOException {
        writeJournal();
        List<RecordLog.Segment> segments =
                RecordLog.segments(Recovery.Layout.under(data).journal());
        try (RandomAccessFile file = new RandomAccessFile(segments.get(1).path().toFile(), "rw")) {
            long at = file.length() / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x40);
        }
        assertThatThrownBy(() -> Recovery.recover(data, capacities(), EngineLimits.defaults(), CONFIG))
                .isInstanceOf(JournalCorruptException.class);
    }
}
