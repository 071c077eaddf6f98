package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.IdBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-(user, SKU) counters of {@link PackedCheckoutState}: a user's first SKU is counted in a
 * slot next to the user, every other SKU in a map. Whatever the order of writes, the state must
 * answer, count and visit exactly the pairs a plain map holds.
 */
class PackedUserUnitsTest {
    private static final int SKUS = 6;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 7, 99})
    void countersShouldAgreeWithAPlainMap(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        PackedCheckoutState state = new PackedCheckoutState(SKUS, 1_000, 10_000, 1_000);
        Map<String, Long> model = new HashMap<>();
        for (int step = 0; step < 50_000; step++) {
            // Few users and SKUs, so that each user's first slot and the map both see raises, drops
            // to zero and raises again, for the slot's SKU and for others.
            String user = "user-" + random.nextInt(200);
            int sku = random.nextInt(SKUS);
            String key = user + "/" + sku;
            // A fresh String at times, so that lookups do not always hit by identity.
            String asked = random.nextBoolean() ? user : new String(user);
            if (random.nextInt(3) == 0) {
                long held = model.getOrDefault(key, 0L);
                long units = held == 0 || random.nextBoolean() ? held + 1 + random.nextInt(3) : 0;
                state.writeUserUnits(IdBuffer.of(asked), sku, units);
                if (units == 0) {
                    model.remove(key);
                } else {
                    model.put(key, units);
                }
            }
            assertThat(state.userUnits(IdBuffer.of(asked), sku))
                    .as("units of %s at step %d", key, step)
                    .isEqualTo(model.getOrDefault(key, 0L));
            if (step % 5_000 == 0) {
                assertSameContents(state, model);
            }
        }
        assertSameContents(state, model);
    }

    @Test
    void aZeroForAnUnknownUserShouldCreateNothing() {
        PackedCheckoutState state = new PackedCheckoutState(SKUS, 10, 10, 10);
        state.writeUserUnits(IdBuffer.of("nobody"), 2, 0);
        assertThat(state.userCounterCount()).isZero();
        assertThat(state.userUnits(IdBuffer.of("nobody"), 2)).isZero();
        Map<String, Long> visited = new HashMap<>();
        state.forEachUserUnits((user, sku, units) -> visited.put(user + "/" + sku, units));
        assertThat(visited).isEmpty();
    }

    @Test
    void aUsersSecondSkuShouldBeCountedApartFromItsFirst() {
        PackedCheckoutState state = new PackedCheckoutState(SKUS, 10, 10, 10);
        state.writeUserUnits(IdBuffer.of("ann"), 3, 2);
        state.writeUserUnits(IdBuffer.of("ann"), 1, 5);
        state.writeUserUnits(IdBuffer.of("ann"), 3, 0);
        assertThat(state.userUnits(IdBuffer.of("ann"), 3)).isZero();
        assertThat(state.userUnits(IdBuffer.of("ann"), 1)).isEqualTo(5);
        assertThat(state.userCounterCount()).isEqualTo(1);
        // The first slot keeps SKU 3: raising it again must not disturb SKU 1's counter.
        state.writeUserUnits(IdBuffer.of("ann"), 3, 1);
        assertThat(state.userUnits(IdBuffer.of("ann"), 3)).isEqualTo(1);
        assertThat(state.userUnits(IdBuffer.of("ann"), 1)).isEqualTo(5);
        assertThat(state.userCounterCount()).isEqualTo(2);
    }

    private static void assertSameContents(PackedCheckoutState state, Map<String, Long> model) {
        Map<String, Long> visited = new HashMap<>();
        state.forEachUserUnits((user, sku, units) -> {
            Long before = visited.put(user + "/" + sku, units);
            assertThat(before).as("pair %s/%d visited twice", user, sku).isNull();
        });
        assertThat(visited).isEqualTo(model);
        assertThat(state.userCounterCount()).isEqualTo(model.size());
    }
}
