package io.checkout.engine;

/**
 * The risk rules a reserve passes before it touches stock, decided from engine time only so that
 * replay gives the same answers: a blocklist of users, and a per-user attempt limit of at most
 * {@code maxAttempts} reserves in each window of {@code windowMillis} (window {@code k} runs from
 * {@code k * windowMillis}, aligned to the epoch, so every user's windows turn together).
 *
 * <p>The attempt counters hold only the current window: when a reserve arrives in a later window
 * they are all forgotten at once (the index is cleared, its memory kept), so the table holds the
 * users of one window and needs no expiry. A fixed window lets a user make up to twice the limit
 * across a window's turn; that is the price of counting with one number per user.
 *
 * <p>Both tables have capacities (blocked users; users counted in one window). The engine asks
 * {@link #verdict} first, which changes nothing but a window's turn, and counts the attempt with
 * {@link #countAttempt} only once the reserve has an answer of its own, so that a reserve refused
 * for a full table changes nothing. One thread uses a table.
 */
public final class RiskTable {
    public static final int MAX_ATTEMPTS_MAX = 1_000_000;
    public static final long WINDOW_MILLIS_MAX = 86_400_000L;
    /** The most rows either table may be given. */
    public static final int CAPACITY_MAX = 1 << 24;

    private final UserIdRows blocked;
    private final AttemptWindow counted;
    private final boolean preallocated;
    private boolean active;

    public RiskTable(int blocklistCapacity, int attemptCounterCapacity) {
        this(blocklistCapacity, attemptCounterCapacity, false);
    }

    /**
     * @param preallocated whether the attempt counters take the memory for their whole capacity when
     *     a limit is first set (the server's {@code state-memory=preallocate}), so that no reserve
     *     allocates: about 80 bytes per user of capacity. Otherwise they grow as users are counted.
     */
    public RiskTable(int blocklistCapacity, int attemptCounterCapacity, boolean preallocated) {
        if (blocklistCapacity < 1 || blocklistCapacity > CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "blocklistCapacity must be 1.." + CAPACITY_MAX + ": " + blocklistCapacity);
        }
        if (attemptCounterCapacity < 1 || attemptCounterCapacity > CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "attemptCounterCapacity must be 1.." + CAPACITY_MAX + ": " + attemptCounterCapacity);
        }
        blocked = new UserIdRows(blocklistCapacity);
        counted = new AttemptWindow(attemptCounterCapacity);
        this.preallocated = preallocated;
    }

    /**
     * Whether any rule applies: when not, a reserve skips the risk checks entirely. A field kept up
     * to date by every change, so a reserve without rules reads one boolean.
     */
    public boolean active() {
        return active;
    }

    private void updateActive() {
        active = counted.maxAttempts() > 0 || blocked.size() > 0;
    }

    /**
     * Starts loading what {@link #verdict} will read for {@code userId}, so that the engine can
     * overlap the cache misses of several reserves; returns what it read, for the caller to keep.
     */
    public long touch(IdBuffer userId) {
        return blocked.touch(userId) + counted.touch(userId);
    }

    // ---- rules ---------------------------------------------------------------------------------

    public int maxAttempts() {
        return counted.maxAttempts();
    }

    public long windowMillis() {
        return counted.windowMillis();
    }

    /** Whether {@code maxAttempts} and {@code windowMillis} make a valid rule; null if so, else the field at fault. */
    public static ResultCode invalidRule(int maxAttempts, long windowMillis) {
        if (maxAttempts < 0 || maxAttempts > MAX_ATTEMPTS_MAX) {
            return ResultCode.MAX_ATTEMPTS_INVALID;
        }
        if (maxAttempts > 0 ? windowMillis < 1 || windowMillis > WINDOW_MILLIS_MAX : windowMillis != 0) {
            return ResultCode.WINDOW_MILLIS_INVALID;
        }
        return null;
    }

    /** Sets the attempt limit (0 attempts: none); every user's count starts afresh. */
    public void setRule(int maxAttempts, long windowMillis) {
        if (invalidRule(maxAttempts, windowMillis) != null) {
            throw new IllegalArgumentException("invalid attempt limit " + maxAttempts + " per " + windowMillis + " ms");
        }
        counted.setRule(maxAttempts, windowMillis);
        updateActive();
        if (preallocated && maxAttempts > 0) {
            counted.preallocate();
        }
    }

    // ---- blocklist -----------------------------------------------------------------------------

    public boolean isBlocked(IdBuffer userId) {
        return blocked.size() > 0 && blocked.rowOf(userId) >= 0;
    }

    public int blockedCount() {
        return blocked.size();
    }

    public int blocklistCapacity() {
        return blocked.capacity();
    }

    /**
     * Blocks {@code userId} (valid, checked by the caller); false, changing nothing, if the
     * blocklist is full. A user blocked already stays so.
     */
    public boolean block(IdBuffer userId) {
        if (blocked.rowOf(userId) >= 0) {
            return true;
        }
        if (blocked.size() >= blocked.capacity()) {
            return false;
        }
        blocked.add(userId);
        updateActive();
        return true;
    }

    public void unblock(IdBuffer userId) {
        blocked.remove(userId);
        updateActive();
    }

    /** The blocked user in {@code row} (0..blockedCount()-1): for snapshots. */
    public String blockedUser(int row) {
        return blocked.userId(row);
    }

    // ---- attempts ------------------------------------------------------------------------------

    /** The users counted in the current window. */
    public int countedCount() {
        return counted.size();
    }

    public int attemptCounterCapacity() {
        return counted.capacity();
    }

    /** The window the counters hold (window k runs from k * windowMillis), or Long.MIN_VALUE for none. */
    public long countedWindow() {
        return counted.window();
    }

    /** The user counted in {@code row} (0..countedCount()-1), and their attempts: for snapshots. */
    public String countedUser(int row) {
        return counted.user(row);
    }

    public int countedAttempts(int row) {
        return counted.attempts(row);
    }

    /** {@code userId}'s attempts in the window holding {@code nowMillis} (0 if the limit is off). */
    public int attemptsAt(IdBuffer userId, long nowMillis) {
        return counted.attemptsAt(userId, nowMillis);
    }

    /** When the window holding {@code nowMillis} ends (0 if the limit is off). */
    public long windowEndAt(long nowMillis) {
        return counted.windowEndAt(nowMillis);
    }

    /**
     * What the rules say to a reserve by {@code userId} at {@code nowMillis}: null to go on, or
     * {@link ResultCode#BLOCKED}, {@link ResultCode#RATE_LIMITED} or
     * {@link ResultCode#ATTEMPT_COUNTER_TABLE_FULL} (a user new in the window and no room to count
     * them). Changes nothing but forgetting the counts of a window that has ended. A reserve that
     * goes on and gets an answer of its own then calls {@link #countAttempt}, with nothing else
     * asked of the table in between.
     */
    public ResultCode verdict(IdBuffer userId, long nowMillis) {
        if (isBlocked(userId)) {
            return ResultCode.BLOCKED;
        }
        if (counted.maxAttempts() == 0) {
            return null;
        }
        counted.turn(nowMillis);
        if (counted.exceeded(userId)) {
            return ResultCode.RATE_LIMITED;
        }
        return counted.admittedIsNew() && counted.size() >= counted.capacity()
                ? ResultCode.ATTEMPT_COUNTER_TABLE_FULL
                : null;
    }

    /** Counts the attempt {@link #verdict} has just admitted for {@code userId}. */
    public void countAttempt(IdBuffer userId) {
        if (counted.maxAttempts() > 0) {
            counted.countAdmitted(userId);
        }
    }

    /**
     * Restores the counters of window {@code countedWindow} from a snapshot: {@code userId} had
     * made {@code count} attempts. The rule must be set first.
     */
    public void restoreAttempts(long countedWindow, String userId, int count) {
        counted.restore(countedWindow, userId, count, "the attempt limit");
    }
}
