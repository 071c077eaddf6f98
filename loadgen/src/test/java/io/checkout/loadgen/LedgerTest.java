package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.proto.v1.OrderState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LedgerTest {

    @Test
    void remembersAnOrderAndWhatItWasToldSince() {
        Ledger ledger = new Ledger(10);
        ledger.reserved(42, "u-1", "sku-7", 3, 1_000L);

        Ledger.Ack ack = ledger.get(42);
        assertThat(ack.orderId).isEqualTo(42);
        assertThat(ack.userId).isEqualTo("u-1");
        assertThat(ack.skuId).isEqualTo("sku-7");
        assertThat(ack.quantity).isEqualTo(3);
        assertThat(ack.expiresAtEpochMillis).isEqualTo(1_000L);
        assertThat(ack.told).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(ack.changeUnknown).isFalse();

        ledger.changed(42, OrderState.ORDER_STATE_PAID);
        ledger.changeUnknown(42);
        assertThat(ledger.get(42).told).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(ledger.get(42).changeUnknown).isTrue();
        assertThat(ledger.ambiguousChanges()).isEqualTo(1);
        // The snapshot read before the change keeps what it saw.
        assertThat(ack.told).isEqualTo(OrderState.ORDER_STATE_RESERVED);

        assertThat(ledger.get(43)).isNull();
        ledger.changed(43, OrderState.ORDER_STATE_CANCELLED);
        assertThat(ledger.get(43)).isNull();
        assertThat(ledger.orders()).hasSize(1);
        assertThat(ledger.recentOrderId(5)).isEqualTo(42);
    }

    @Test
    void anOrderIdToldTwiceKeepsTheFirstAndIsCounted() {
        Ledger ledger = new Ledger(10);
        ledger.reserved(0, "u-1", "sku-1", 1, 5L);
        ledger.reserved(0, "u-2", "sku-2", 2, 6L);

        assertThat(ledger.duplicateOrderIds()).isEqualTo(1);
        assertThat(ledger.orders()).hasSize(1);
        assertThat(ledger.get(0).userId).isEqualTo("u-1");
        assertThat(ledger.get(0).quantity).isEqualTo(1);
    }

    @Test
    void pastItsBoundItCountsWhatItCouldNotRemember() {
        Ledger ledger = new Ledger(2);
        ledger.reserved(1, "u", "s", 1, 0);
        ledger.reserved(2, "u", "s", 1, 0);
        ledger.reserved(3, "u", "s", 1, 0);

        assertThat(ledger.untracked()).isEqualTo(1);
        assertThat(ledger.orders()).hasSize(2);
        assertThat(ledger.get(3)).isNull();
    }

    @Test
    void idsOfAnyTextComeBackAsTheyWereGiven() {
        Ledger ledger = new Ledger(10);
        ledger.reserved(1, "käufer-ü", "sku-日本-🛒", 1, 0);
        ledger.reserved(2, "", "", 1, 0);

        assertThat(ledger.get(1).userId).isEqualTo("käufer-ü");
        assertThat(ledger.get(1).skuId).isEqualTo("sku-日本-🛒");
        assertThat(ledger.get(2).userId).isEmpty();
        assertThat(ledger.get(2).skuId).isEmpty();
    }

    @Test
    void anIdTooLongToKeepLeavesTheOrderUnrememberedAndTheRestIntact() {
        Ledger ledger = new Ledger(10);
        ledger.reserved(1, "u-1", "sku-1", 1, 0);
        ledger.reserved(2, "u-2", "x".repeat(Ledger.ID_BYTES_MAX + 1), 1, 0);
        ledger.reserved(3, "é".repeat(Ledger.ID_BYTES_MAX / 2 + 1), "sku-3", 1, 0);
        ledger.reserved(4, "u-4", "y".repeat(Ledger.ID_BYTES_MAX), 1, 0);

        assertThat(ledger.untracked()).isEqualTo(2);
        assertThat(ledger.get(2)).isNull();
        assertThat(ledger.get(3)).isNull();
        assertThat(ledger.get(1).skuId).isEqualTo("sku-1");
        assertThat(ledger.get(4).userId).isEqualTo("u-4");
        assertThat(ledger.get(4).skuId).hasSize(Ledger.ID_BYTES_MAX);
        assertThat(ledger.orders()).hasSize(2);
    }

    @Test
    void manyOrdersAcrossChunksAllComeBackOnce() {
        int orders = 300_000;
        Ledger ledger = new Ledger(orders);
        for (int i = 0; i < orders; i++) {
            long orderId = (long) i << 20 | 7;
            ledger.reserved(orderId, "u-run-" + (i % 9_973), "sku-prefix-" + i, 1 + i % 5, i);
            if (i % 3 == 0) {
                ledger.changed(orderId, OrderState.ORDER_STATE_CANCELLED);
            }
        }

        Map<Long, Ledger.Ack> seen = new HashMap<>();
        for (Ledger.Ack ack : ledger.orders()) {
            assertThat(seen.put(ack.orderId, ack)).isNull();
        }
        assertThat(seen).hasSize(orders);
        assertThat(ledger.orders()).hasSize(orders);
        for (int i = 0; i < orders; i += 997) {
            Ledger.Ack ack = seen.get((long) i << 20 | 7);
            assertThat(ack.userId).isEqualTo("u-run-" + (i % 9_973));
            assertThat(ack.skuId).isEqualTo("sku-prefix-" + i);
            assertThat(ack.quantity).isEqualTo(1 + i % 5);
            assertThat(ack.expiresAtEpochMillis).isEqualTo(i);
            assertThat(ack.told)
                    .isEqualTo(i % 3 == 0 ? OrderState.ORDER_STATE_CANCELLED : OrderState.ORDER_STATE_RESERVED);
        }
        assertThat(ledger.untracked()).isZero();
    }

    @Test
    void replyThreadsWritingAtOnceLoseNothing() throws Exception {
        int threads = 4;
        int perThread = 50_000;
        Ledger ledger = new Ledger(threads * perThread);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        long orderId = (long) i * threads + thread + 1;
                        ledger.reserved(orderId, "u-" + thread, "sku-" + i, 1, 0);
                        ledger.changed(orderId, OrderState.ORDER_STATE_PAID);
                        // Another thread's order, maybe not told yet: changes nothing then.
                        ledger.changed(orderId + 1, OrderState.ORDER_STATE_PAID);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ledger.orders()).hasSize(threads * perThread);
        assertThat(ledger.untracked()).isZero();
        assertThat(ledger.duplicateOrderIds()).isZero();
        for (Ledger.Ack ack : ledger.orders()) {
            assertThat(ack.told).isEqualTo(OrderState.ORDER_STATE_PAID);
            int thread = (int) ((ack.orderId - 1) % threads);
            assertThat(ack.userId).isEqualTo("u-" + thread);
            assertThat(ack.skuId).isEqualTo("sku-" + (ack.orderId - 1) / threads);
        }
    }

    @Test
    void theIterationEndsAsIteratorsDo() {
        Ledger ledger = new Ledger(1);
        ledger.reserved(9, "u", "s", 1, 0);
        Iterator<Ledger.Ack> orders = ledger.orders().iterator();
        assertThat(orders.next().orderId).isEqualTo(9);
        assertThat(orders.hasNext()).isFalse();
        assertThatThrownBy(orders::next).isInstanceOf(NoSuchElementException.class);
        assertThat(new Ledger(0).orders()).isEmpty();
    }
}
