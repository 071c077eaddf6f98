package io.checkout.loadgen;

import java.time.Duration;
import java.util.Locale;

/**
 * The {@code abuse} scenario's risk setup and user mix: the flash-sale's SKUs and buyers, plus a
 * few "hammer" users who send a large share of the reserves (each with a fresh request id) and a
 * few blocked users who send a share of them too.
 *
 * <p>Setup (with {@code --setup}) sets the server's per-user attempt limit ({@code maxAttempts}
 * reserves per user per {@code attemptWindow}, windows aligned to the epoch) and blocks the blocked
 * users before the load starts; the server answers their reserves {@code BLOCKED} and the hammer
 * users' reserves past the limit {@code RATE_LIMITED}. Hammer users are {@code h-<run id>-N},
 * blocked users {@code b-<run id>-N}, both apart from the normal users' {@code u-<run id>-N}.
 *
 * <p>Bounded: at most {@link #HAMMER_USERS_MAX} hammer and {@link #BLOCKED_USERS_MAX} blocked
 * users, the only ones the run counts answers for one by one.
 *
 * @param hammerUsers how many hammer users
 * @param hammerShare fraction of the reserves sent by hammer users
 * @param blockedUsers how many users are blocked before the load
 * @param blockedShare fraction of the reserves sent by blocked users
 * @param maxAttempts the attempt limit: reserves per user per window
 * @param attemptWindow the attempt limit's window
 */
record Abuse(
        int hammerUsers,
        double hammerShare,
        int blockedUsers,
        double blockedShare,
        int maxAttempts,
        Duration attemptWindow) {

    static final int HAMMER_USERS_MAX = 1_000;
    static final int BLOCKED_USERS_MAX = 1_000;
    /** The server's largest attempt limit (SetRiskRules max_attempts). */
    static final int MAX_ATTEMPTS_MAX = 1_000_000;
    /** The server's longest window (SetRiskRules window_millis). */
    static final Duration ATTEMPT_WINDOW_MAX = Duration.ofHours(24);

    /** Who sends a reserve. */
    enum UserClass {
        NORMAL("normal"),
        HAMMER("hammer"),
        BLOCKED("blocked");

        private final String label;

        UserClass(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    Abuse {
        if (hammerUsers < 0 || hammerUsers > HAMMER_USERS_MAX) {
            throw new IllegalArgumentException(
                    "--hammer-users must be 0.." + HAMMER_USERS_MAX + ", got " + hammerUsers);
        }
        if (blockedUsers < 0 || blockedUsers > BLOCKED_USERS_MAX) {
            throw new IllegalArgumentException(
                    "--blocked-users must be 0.." + BLOCKED_USERS_MAX + ", got " + blockedUsers);
        }
        if (!(hammerShare >= 0 && hammerShare <= 1)) {
            throw new IllegalArgumentException("--hammer-share must be 0..1, got " + hammerShare);
        }
        if (!(blockedShare >= 0 && blockedShare <= 1)) {
            throw new IllegalArgumentException("--blocked-share must be 0..1, got " + blockedShare);
        }
        if (hammerShare + blockedShare > 1) {
            throw new IllegalArgumentException(
                    "--hammer-share + --blocked-share must be at most 1, got " + (hammerShare + blockedShare));
        }
        if (hammerShare > 0 && hammerUsers == 0) {
            throw new IllegalArgumentException("--hammer-share " + hammerShare + " needs --hammer-users of at least 1");
        }
        if (blockedShare > 0 && blockedUsers == 0) {
            throw new IllegalArgumentException(
                    "--blocked-share " + blockedShare + " needs --blocked-users of at least 1");
        }
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_MAX) {
            throw new IllegalArgumentException(
                    "--max-attempts must be 1.." + MAX_ATTEMPTS_MAX + ", got " + maxAttempts);
        }
        if (attemptWindow.toMillis() < 1 || attemptWindow.compareTo(ATTEMPT_WINDOW_MAX) > 0) {
            throw new IllegalArgumentException(
                    "--attempt-window must be 1ms.." + ATTEMPT_WINDOW_MAX.toHours() + "h, got " + attemptWindow);
        }
    }

    long windowMillis() {
        return attemptWindow.toMillis();
    }

    /** Hammer user {@code index} (0..hammerUsers-1) of run {@code runId}. */
    static String hammerUserId(String runId, int index) {
        return "h-" + runId + "-" + index;
    }

    /** Blocked user {@code index} (0..blockedUsers-1) of run {@code runId}. */
    static String blockedUserId(String runId, int index) {
        return "b-" + runId + "-" + index;
    }

    /**
     * The attempt-limit windows that time from {@code firstMillis} to {@code lastMillis} (epoch
     * millis, {@code firstMillis <= lastMillis}) touches: {@code floor(last / W) - floor(first / W) +
     * 1}.
     */
    long windowsSpanned(long firstMillis, long lastMillis) {
        return Math.floorDiv(lastMillis, windowMillis()) - Math.floorDiv(firstMillis, windowMillis()) + 1;
    }

    /**
     * The most reserves the server may count for one user over {@code windowsSpanned} windows of
     * loadgen's clock: {@code maxAttempts} per window, one window more for the difference between
     * loadgen's clock and the server's, on each of {@code partitions} partitions (each counts the
     * reserves it answers on its own).
     */
    long countedBound(long windowsSpanned, int partitions) {
        return (long) maxAttempts * (windowsSpanned + 1) * partitions;
    }

    /** The line printed before the run. */
    String describe(String runId, int users) {
        return String.format(
                Locale.ROOT,
                "abuse: %d hammer user(s)%s (%.0f%% of reserves, a fresh request id each), %d blocked user(s)%s"
                        + " (%.0f%%), the rest from %,d normal users; attempt limit %d per %.3f s window per user,"
                        + " set and the users blocked before the load, both put back after the audit%n",
                hammerUsers,
                hammerUsers == 0 ? "" : " " + range(hammerUserId(runId, 0), hammerUserId(runId, hammerUsers - 1)),
                100 * hammerShare,
                blockedUsers,
                blockedUsers == 0 ? "" : " " + range(blockedUserId(runId, 0), blockedUserId(runId, blockedUsers - 1)),
                100 * blockedShare,
                users,
                maxAttempts,
                windowMillis() / 1e3);
    }

    private static String range(String first, String last) {
        return first.equals(last) ? first : first + " .. " + last;
    }
}
