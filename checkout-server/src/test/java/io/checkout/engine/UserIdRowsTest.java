package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UserIdRowsTest {
    @Test
    void shouldAgreeWithASetThroughAddsRemovesClearsAndPreallocation() {
        SplittableRandom random = new SplittableRandom(20L);
        UserIdRows rows = new UserIdRows(500);
        Set<String> model = new HashSet<>();
        for (int step = 0; step < 50_000; step++) {
            String user = "user-" + random.nextInt(700);
            IdBuffer id = IdBuffer.of(user);
            int roll = random.nextInt(100);
            if (roll < 55) {
                if (!model.contains(user) && model.size() < 500) {
                    rows.add(id);
                    model.add(user);
                }
            } else if (roll < 95) {
                assertThat(rows.remove(id) >= 0).isEqualTo(model.remove(user));
            } else if (roll < 97) {
                rows.preallocate();
            } else if (roll == 97) {
                rows.clear();
                model.clear();
            }
            assertThat(rows.size()).isEqualTo(model.size());
            assertThat(rows.rowOf(id) >= 0).isEqualTo(model.contains(user));
        }
        List<String> held = new ArrayList<>();
        for (int row = 0; row < rows.size(); row++) {
            held.add(rows.userId(row));
            assertThat(rows.rowOf(IdBuffer.of(rows.userId(row)))).isEqualTo(row);
        }
        assertThat(held).containsExactlyInAnyOrderElementsOf(model);
    }

    @Test
    void shouldRefuseBeyondItsCapacityAndIdsThatAreNotIds() {
        UserIdRows rows = new UserIdRows(2);
        rows.add(IdBuffer.of("a"));
        rows.add(IdBuffer.of("b"));
        assertThatThrownBy(() -> rows.add(IdBuffer.of("c"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new UserIdRows(2).add(IdBuffer.of(""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UserIdRows(2).add(IdBuffer.of("x".repeat(EngineLimits.ID_LENGTH_MAX + 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
