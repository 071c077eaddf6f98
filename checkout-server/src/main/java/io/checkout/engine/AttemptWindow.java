package io.checkout.engine;

import java.util.Arrays;

/**
 * The counters of one attempt limit: at most {@code maxAttempts} reserves per user in each window
 * of {@code windowMillis} of engine time, window {@code k} running from {@code k * windowMillis}
 * (aligned to the epoch, so every user's windows turn together). The counters hold only the
 * current window: when a reserve arrives in a later one they are all forgotten at once (their
 * memory kept), so a window needs no expiry. A fixed window lets a user make up to twice the limit
 * across a window's turn: one number per user is the price.
 *
 * <p>The caller asks {@link #turn} and {@link #exceeded} first, which change nothing but a window's
 * turn, decides whether there is room for a user new in the window ({@link #admittedIsNew}), and
 * counts with {@link #countAdmitted} only once the reserve has an answer of its own. Serves the
 * global limit ({@link RiskTable}) and each SKU group's ({@link SkuGroupTable}). One thread uses it.
 */
final class AttemptWindow {
    static final long NO_WINDOW = Long.MIN_VALUE;

    private final UserIdRows counted;
    private int[] attempts = new int[16];
    private int maxAttempts;
    private long windowMillis;
    /** The window the counters hold, or {@link #NO_WINDOW}. */
    private long window = NO_WINDOW;
    /** Set by {@link #exceeded}: the row of the user it admitted, or -1 for a user new in the window. */
    private int admittedRow = -1;

    AttemptWindow(int capacity) {
        counted = new UserIdRows(capacity);
    }

    int maxAttempts() {
        return maxAttempts;
    }

    long windowMillis() {
        return windowMillis;
    }

    /** The window the counters hold, or {@link #NO_WINDOW}. */
    long window() {
        return window;
    }

    /** Users counted in the current window. */
    int size() {
        return counted.size();
    }

    int capacity() {
        return counted.capacity();
    }

    String user(int row) {
        return counted.userId(row);
    }

    int attempts(int row) {
        return attempts[row];
    }

    /** Sets the limit (0 attempts: none; the caller checked it); every count starts afresh. */
    void setRule(int maxAttempts, long windowMillis) {
        this.maxAttempts = maxAttempts;
        this.windowMillis = windowMillis;
        counted.clear();
        window = NO_WINDOW;
    }

    /** Takes the memory for every row of the capacity now, so that counting allocates nothing later. */
    void preallocate() {
        counted.preallocate();
        if (attempts.length < counted.capacity()) {
            attempts = Arrays.copyOf(attempts, counted.capacity());
        }
    }

    /** Reads the slot where a lookup of {@code userId} starts; 0 without a limit. */
    long touch(IdBuffer userId) {
        return maxAttempts > 0 ? counted.touch(userId) : 0;
    }

    /** {@code userId}'s attempts in the window holding {@code nowMillis} (0 if the limit is off). */
    int attemptsAt(IdBuffer userId, long nowMillis) {
        if (maxAttempts == 0 || Math.floorDiv(nowMillis, windowMillis) != window) {
            return 0;
        }
        int row = counted.rowOf(userId);
        return row < 0 ? 0 : attempts[row];
    }

    /** When the window holding {@code nowMillis} ends (0 if the limit is off). */
    long windowEndAt(long nowMillis) {
        return maxAttempts == 0 ? 0 : (Math.floorDiv(nowMillis, windowMillis) + 1) * windowMillis;
    }

    /**
     * Moves the counters to the window holding {@code nowMillis}, forgetting every count if it is a
     * later one. The limit must be on.
     *
     * @return the users forgotten
     */
    int turn(long nowMillis) {
        long current = Math.floorDiv(nowMillis, windowMillis);
        if (current == window) {
            return 0;
        }
        int forgotten = counted.size();
        counted.clear();
        window = current;
        return forgotten;
    }

    /**
     * Whether {@code userId} has made {@code maxAttempts} attempts in the current window already
     * (call {@link #turn} first); remembers the user's row for {@link #countAdmitted}.
     */
    boolean exceeded(IdBuffer userId) {
        int row = counted.rowOf(userId);
        admittedRow = row;
        return row >= 0 && attempts[row] >= maxAttempts;
    }

    /** Whether the user {@link #exceeded} admitted is new in the window: counting them takes a row. */
    boolean admittedIsNew() {
        return admittedRow < 0;
    }

    /** Counts the attempt {@link #exceeded} has just admitted for {@code userId}; the caller checked room. */
    void countAdmitted(IdBuffer userId) {
        int row = admittedRow < 0 ? add(userId) : admittedRow;
        attempts[row]++;
    }

    private int add(IdBuffer userId) {
        int row = counted.add(userId);
        if (row == attempts.length) {
            attempts = Arrays.copyOf(attempts, (int) Math.min(counted.capacity(), 2L * row));
        }
        attempts[row] = 0;
        return row;
    }

    /**
     * Restores the counters of window {@code countedWindow} from a snapshot: {@code userId} had
     * made {@code count} attempts. The rule must be set first; {@code what} names the limit in errors.
     */
    void restore(long countedWindow, String userId, int count, String what) {
        if (maxAttempts == 0 || count < 1 || count > maxAttempts) {
            throw new IllegalStateException(
                    "snapshot counts " + count + " attempts of " + userId + " under " + what + " of " + maxAttempts);
        }
        if (window != countedWindow) {
            if (counted.size() > 0) {
                throw new IllegalStateException("snapshot counts attempts of " + what + " in two windows");
            }
            window = countedWindow;
        }
        IdBuffer id = IdBuffer.of(userId);
        if (counted.rowOf(id) >= 0 || counted.size() >= counted.capacity()) {
            throw new IllegalStateException(
                    "snapshot counts " + userId + " twice under " + what + ", or more users than fit");
        }
        // Two statements: add may replace the array, and "attempts[add(id)]" would store into the old one.
        int row = add(id);
        attempts[row] = count;
    }
}
