package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The attempt limit's counters through a snapshot's restore: every counted user comes back with
 * their count, past the counters' first array (16 rows), for the global limit and a group's.
 */
class RiskTableTest {
    private static final long WINDOW_MILLIS = 60_000;
    private static final long NOW = 10 * WINDOW_MILLIS + 5;
    private static final int USERS = 100;

    @Test
    void restoredAttemptCountsShouldEqualTheCountsTheyWereTakenFrom() {
        RiskTable live = new RiskTable(16, 1_000);
        live.setRule(5, WINDOW_MILLIS);
        for (int user = 0; user < USERS; user++) {
            for (int attempt = 0; attempt <= user % 5; attempt++) {
                assertThat(live.verdict(IdBuffer.of("user-" + user), NOW)).isNull();
                live.countAttempt(IdBuffer.of("user-" + user));
            }
        }

        RiskTable restored = new RiskTable(16, 1_000);
        restored.setRule(5, WINDOW_MILLIS);
        for (int row = 0; row < live.countedCount(); row++) {
            restored.restoreAttempts(live.countedWindow(), live.countedUser(row), live.countedAttempts(row));
        }

        assertThat(restored.countedCount()).isEqualTo(USERS);
        assertThat(restored.countedWindow()).isEqualTo(live.countedWindow());
        for (int user = 0; user < USERS; user++) {
            IdBuffer id = IdBuffer.of("user-" + user);
            assertThat(restored.attemptsAt(id, NOW)).as("user-%d", user).isEqualTo(user % 5 + 1);
        }
        assertThat(restored.verdict(IdBuffer.of("user-4"), NOW)).isEqualTo(ResultCode.RATE_LIMITED);
        assertThat(restored.verdict(IdBuffer.of("user-3"), NOW)).isNull();
    }

    @Test
    void aGroupsRestoredAttemptCountsShouldEqualTheCountsTheyWereTakenFrom() {
        SkuGroupTable groups = new SkuGroupTable(4, 1_000);
        int group = groups.upsert("group-1", 10);
        groups.setAttemptLimit(group, 3, WINDOW_MILLIS);
        for (int user = 0; user < USERS; user++) {
            groups.restoreAttempts(group, 10, "user-" + user, user % 3 + 1);
        }

        assertThat(groups.countedCount(group)).isEqualTo(USERS);
        for (int row = 0; row < USERS; row++) {
            assertThat(groups.countedAttempts(group, row)).isEqualTo(row % 3 + 1);
        }
        assertThatThrownBy(() -> groups.restoreAttempts(group, 10, "user-0", 1)).hasMessageContaining("user-0 twice");
    }
}
