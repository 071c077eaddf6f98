package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
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
}
