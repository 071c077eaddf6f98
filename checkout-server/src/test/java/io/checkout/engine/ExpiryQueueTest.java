package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExpiryQueueTest {
    /**
     * Mostly in-order adds (one TTL) with some out of order (shorter and longer TTLs, equal
     * expiries), interleaved with polls: the queue gives exactly a single priority queue's order.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 99})
    void shouldPollInTheOrderOfOnePriorityQueue(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ExpiryQueue queue = new ExpiryQueue(4);
        PriorityQueue<long[]> model =
                new PriorityQueue<>(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        long now = 1_000;
        long orderId = 0;
        for (int step = 0; step < 300_000; step++) {
            now += random.nextInt(3);
            if (random.nextInt(10) < 6) {
                int kind = random.nextInt(20);
                long ttl = kind == 0 ? random.nextInt(50) : kind == 1 ? 500 + random.nextInt(500) : 300;
                long expiresAt = now + ttl;
                orderId++;
                queue.add(expiresAt, orderId);
                model.add(new long[] {expiresAt, orderId});
            } else {
                int polls = random.nextInt(4);
                for (int i = 0; i < polls && !model.isEmpty(); i++) {
                    assertThat(queue.peekExpiresAt()).isEqualTo(model.peek()[0]);
                    assertThat(queue.poll()).as("seed %d step %d", seed, step).isEqualTo(model.poll()[1]);
                }
            }
            assertThat(queue.size()).isEqualTo(model.size());
            assertThat(queue.isEmpty()).isEqualTo(model.isEmpty());
        }
        while (!model.isEmpty()) {
            assertThat(queue.poll()).isEqualTo(model.poll()[1]);
        }
        assertThat(queue.isEmpty()).isTrue();
    }

    /** Past its first chunk the FIFO takes new ones, and the ring of them doubles; nothing is lost or reordered. */
    @Test
    void theFifoShouldGrowChunkByChunk() {
        ExpiryQueue queue = new ExpiryQueue(0);
        assertThat(queue.fifoChunks()).isEqualTo(1);
        int entries = 10 * ExpiryQueue.CHUNK_ENTRIES + 7;
        for (int i = 1; i <= entries; i++) {
            queue.add(1_000 + i, i);
        }
        assertThat(queue.fifoChunks()).isEqualTo(11);
        assertThat(queue.size()).isEqualTo(entries);
        for (int i = 1; i <= entries; i++) {
            assertThat(queue.fifoOrderIdAhead(0)).isEqualTo(i);
            assertThat(queue.peekExpiresAt()).isEqualTo(1_000 + i);
            assertThat(queue.poll()).isEqualTo(i);
        }
        assertThat(queue.isEmpty()).isTrue();
    }

    /** A window of reservations sliding through: the chunks the head has passed are used again, none more are made. */
    @Test
    void chunksShouldBeUsedAgainOnceTheHeadHasPassedThem() {
        ExpiryQueue queue = new ExpiryQueue(0);
        int window = 2 * ExpiryQueue.CHUNK_ENTRIES + 100;
        long added = 0;
        long polled = 0;
        while (added < window) {
            added++;
            queue.add(added, added);
        }
        int chunks = 0;
        for (int slide = 0; slide < 2; slide++) {
            for (int step = 0; step < 25 * ExpiryQueue.CHUNK_ENTRIES; step++) {
                added++;
                queue.add(added, added);
                polled++;
                assertThat(queue.poll()).isEqualTo(polled);
            }
            if (slide == 0) {
                chunks = queue.fifoChunks(); // a window of just over two chunks spans at most four
            }
        }
        assertThat(queue.fifoChunks()).isEqualTo(chunks).isLessThanOrEqualTo(4);
        assertThat(queue.fifoOrderIdAhead(window - 1)).isEqualTo(added);
        assertThat(queue.fifoOrderIdAhead(window)).isZero();
    }

    /** The ring doubles while its head is in the middle of it: the chunks in use keep their order. */
    @Test
    void theRingShouldDoubleWithItsHeadAnywhere() {
        ExpiryQueue queue = new ExpiryQueue(4 * ExpiryQueue.CHUNK_ENTRIES);
        long added = 0;
        long polled = 0;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 3 * ExpiryQueue.CHUNK_ENTRIES + 11 + round * ExpiryQueue.CHUNK_ENTRIES; i++) {
                added++;
                queue.add(added, added);
            }
            for (int i = 0; i < 2 * ExpiryQueue.CHUNK_ENTRIES + 5; i++) {
                polled++;
                assertThat(queue.poll()).isEqualTo(polled);
            }
        }
        while (!queue.isEmpty()) {
            polled++;
            assertThat(queue.poll()).isEqualTo(polled);
        }
        assertThat(polled).isEqualTo(added);
    }
}
