package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ArrayStockTest {
    private static final long ROOM = Long.MAX_VALUE;

    /** Waits (bounded) until the stock's thread has filled it. */
    private static void awaitFull(ArrayStock stock) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (stock.ready() < ArrayStock.depth()) {
            assertThat(System.nanoTime()).as("the stock filled within 30 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static boolean stockThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("state-array-stock") && t.isAlive());
    }

    @Test
    void stoppedItShouldAllocateEveryArrayWhereItIsAsked() {
        ArrayStock stock = new ArrayStock();
        assertThat(stock.running()).isFalse();
        assertThat(stock.longs(Columns.CHUNK_ROWS_MAX)).hasSize(Columns.CHUNK_ROWS_MAX);
        assertThat(stock.ints(17)).hasSize(17);
        assertThat(stock.idBytes()).hasSize(IdBytes.CHUNK_BYTES);
        assertThat(stock.ready()).isZero();
        assertThat(stock.takenReady()).isZero();
        assertThat(stock.allocatedInline()).isZero();
    }

    @Test
    void itShouldNotStartWithoutRoomToSpareInTheHeap() {
        ArrayStock stock = new ArrayStock();
        assertThat(stock.start(ArrayStock.FREE_HEAP_FACTOR * ArrayStock.STOCK_BYTES - 1))
                .isFalse();
        assertThat(stock.running()).isFalse();
        assertThat(stockThreadAlive()).isFalse();
    }

    /** Full-size chunks come zeroed from the stock; other sizes are allocated inline and not counted. */
    @Test
    void startedItShouldHandOutZeroedChunksAndRefillThem() throws InterruptedException {
        ArrayStock stock = new ArrayStock();
        assertThat(stock.start(ROOM)).isTrue();
        try {
            for (int round = 0; round < 3; round++) {
                awaitFull(stock);
                for (int i = 0; i < ArrayStock.LONGS_DEPTH; i++) {
                    long[] longs = stock.longs(Columns.CHUNK_ROWS_MAX);
                    assertThat(longs).hasSize(Columns.CHUNK_ROWS_MAX);
                    assertThat(longs[0] | longs[longs.length / 2] | longs[longs.length - 1])
                            .isZero();
                    longs[0] = 1; // the state writes into what it takes
                }
                assertThat(stock.ints(Columns.CHUNK_ROWS_MAX)).hasSize(Columns.CHUNK_ROWS_MAX);
                for (int i = 0; i < ArrayStock.ID_BYTES_DEPTH; i++) {
                    assertThat(stock.idBytes()).hasSize(IdBytes.CHUNK_BYTES);
                }
                assertThat(stock.longs(Columns.FIRST_CHUNK_ROWS)).hasSize(Columns.FIRST_CHUNK_ROWS);
            }
            assertThat(stock.takenReady()).isEqualTo(3L * ArrayStock.depth());
            assertThat(stock.allocatedInline()).isZero();

            // Taking faster than the thread refills falls back to allocating inline, never waits.
            long taken = 0;
            while (stock.allocatedInline() == 0 && taken < 10_000) {
                stock.ints(Columns.CHUNK_ROWS_MAX);
                taken++;
            }
            assertThat(stock.allocatedInline()).isPositive();
        } finally {
            stock.stop();
        }
        assertThat(stock.running()).isFalse();
        assertThat(stock.ready()).isZero();
        assertThat(stockThreadAlive()).isFalse();
        long before = stock.takenReady();
        stock.longs(Columns.CHUNK_ROWS_MAX);
        assertThat(stock.takenReady()).as("stopped: inline again").isEqualTo(before);

        assertThat(stock.start(ROOM)).as("it starts again after a stop").isTrue();
        awaitFull(stock);
        stock.stop();
        assertThat(stockThreadAlive()).isFalse();
    }

    /**
     * The same commands on a state whose tables take chunks from a running stock and on one that
     * allocates inline give the same orders and answers; enough orders that the order column takes
     * full-size chunks (2M words at 8 per order).
     */
    @Test
    void aStateAllocatingAheadShouldEndExactlyLikeOneThatDoesNot() throws InterruptedException {
        int buyers = 300_000;
        StateCapacities capacities = new StateCapacities(4, buyers + 1, buyers + 1, 2L * buyers + 10);
        PackedCheckoutState ahead = PackedCheckoutState.of(capacities);
        PackedCheckoutState inline = PackedCheckoutState.of(capacities);
        CheckoutBook aheadBook = new CheckoutBook(ahead, EngineLimits.defaults());
        CheckoutBook inlineBook = new CheckoutBook(inline, EngineLimits.defaults());
        try (PackedCheckoutState.AllocationAhead allocation = ahead.allocateAhead(ROOM)) {
            assertThat(allocation.running()).isTrue();
            awaitFull(ahead.arrayStock());
            long now = 1_000_000;
            for (CheckoutBook book : new CheckoutBook[] {aheadBook, inlineBook}) {
                book.execute(Command.upsertSku(now, "sku-setup", "SKU", 250, "EUR", 1_000_000, 1, 0, 0, 3_600_000));
            }
            for (int buyer = 1; buyer <= buyers; buyer++) {
                now++;
                for (CheckoutBook book : new CheckoutBook[] {aheadBook, inlineBook}) {
                    Command reserve = Command.reserve(now, "request-" + buyer, "user-" + buyer, "SKU", 1);
                    book.execute(reserve);
                    assertThat(reserve.result()).isEqualTo(ResultCode.SUCCESS);
                    if (buyer % 3 == 0) {
                        book.execute(Command.orderCommand(CommandType.CONFIRM, now, "confirm-" + buyer, buyer));
                    }
                }
            }
            assertThat(allocation.takenReady())
                    .as("chunks taken from the stock")
                    .isPositive();
        }
        assertThat(ahead.arrayStock().running()).isFalse();
        assertThat(ahead.orderCount()).isEqualTo(inline.orderCount()).isEqualTo(buyers);
        OrderRecord a = new OrderRecord();
        OrderRecord b = new OrderRecord();
        Outcome outcomeA = new Outcome();
        Outcome outcomeB = new Outcome();
        for (long orderId = 1; orderId <= buyers; orderId++) {
            assertThat(ahead.readOrder(orderId, a)).isTrue();
            assertThat(inline.readOrder(orderId, b)).isTrue();
            if (!a.userId.contentEquals(b.userId) || a.state() != b.state() || a.lineCount != b.lineCount) {
                throw new AssertionError("order " + orderId + " differs: " + a + " / " + b);
            }
            IdBuffer request = IdBuffer.of("request-" + orderId);
            assertThat(ahead.readOutcome(request, outcomeA)).isTrue();
            assertThat(inline.readOutcome(request, outcomeB)).isTrue();
            if (outcomeA.orderId != outcomeB.orderId || outcomeA.orderId != orderId) {
                throw new AssertionError("answer to " + request + " differs");
            }
        }
    }
}
