package io.checkout.engine;

import java.util.Arrays;

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

    private static final long NO_WINDOW = Long.MIN_VALUE;

    private final UserIdRows blocked;
    private final UserIdRows counted;
    private final boolean preallocated;
    private int[] attempts = new int[16];
    private boolean active;
    private int maxAttempts;
    private long windowMillis;
    /** The window the counters hold, or {@link #NO_WINDOW}. */
    private long window = NO_WINDOW;
    /** Set by {@link #verdict}: the row of the user it admitted, or -1 for a user new in the window. */
    private int admittedRow;

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
        counted = new UserIdRows(attemptCounterCapacity);
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
        active = maxAttempts > 0 || blocked.size() > 0;
    }

    /**
     * Starts loading what {@link #verdict} will read for {@code userId}, so that the engine can
     * overlap the cache misses of several reserves; returns what it read, for the caller to keep.
     */
    public long touch(IdBuffer userId) {
        long touched = blocked.touch(userId);
        if (maxAttempts > 0) {
            touched += counted.touch(userId);
        }
        return touched;
    }

    // ---- rules ---------------------------------------------------------------------------------

    public int maxAttempts() {
        return maxAttempts;
    }

    public long windowMillis() {
        return windowMillis;
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
        this.maxAttempts = maxAttempts;
        this.windowMillis = windowMillis;
        counted.clear();
        window = NO_WINDOW;
        updateActive();
        if (preallocated && maxAttempts > 0) {
            counted.preallocate();
            if (attempts.length < counted.capacity()) {
                attempts = new int[counted.capacity()];
            }
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
        return window;
    }

    /** The user counted in {@code row} (0..countedCount()-1), and their attempts: for snapshots. */
    public String countedUser(int row) {
        return counted.userId(row);
    }

    public int countedAttempts(int row) {
        return attempts[row];
    }

    /** {@code userId}'s attempts in the window holding {@code nowMillis} (0 if the limit is off). */
    public int attemptsAt(IdBuffer userId, long nowMillis) {
        if (maxAttempts == 0 || Math.floorDiv(nowMillis, windowMillis) != window) {
            return 0;
        }
        int row = counted.rowOf(userId);
        return row < 0 ? 0 : attempts[row];
    }

    /** When the window holding {@code nowMillis} ends (0 if the limit is off). */
    public long windowEndAt(long nowMillis) {
        return maxAttempts == 0 ? 0 : (Math.floorDiv(nowMillis, windowMillis) + 1) * windowMillis;
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
        if (maxAttempts == 0) {
            return null;
        }
        long current = Math.floorDiv(nowMillis, windowMillis);
        if (current != window) {
            counted.clear();
            window = current;
        }
        int row = counted.rowOf(userId);
        admittedRow = row;
        if (row < 0) {
            return counted.size() >= counted.capacity() ? ResultCode.ATTEMPT_COUNTER_TABLE_FULL : null;
        }
        return attempts[row] >= maxAttempts ? ResultCode.RATE_LIMITED : null;
    }

    /** Counts the attempt {@link #verdict} has just admitted for {@code userId}. */
    public void countAttempt(IdBuffer userId) {
        if (maxAttempts == 0) {
            return;
        }
        int row = admittedRow < 0 ? addCounted(userId) : admittedRow;
        attempts[row]++;
    }

    private int addCounted(IdBuffer userId) {
        int row = counted.add(userId);
        if (row == attempts.length) {
            attempts = Arrays.copyOf(attempts, (int) Math.min(counted.capacity(), 2L * row));
        }
        attempts[row] = 0;
        return row;
    }

    /**
     * Restores the counters of window {@code countedWindow} from a snapshot: {@code userId} had
     * made {@code count} attempts. The rule must be set first.
     */
    public void restoreAttempts(long countedWindow, String userId, int count) {
        if (maxAttempts == 0 || count < 1 || count > maxAttempts) {
            throw new IllegalStateException(
                    "snapshot counts " + count + " attempts of " + userId + " under a limit of " + maxAttempts);
        }
        if (window != countedWindow) {
            if (counted.size() > 0) {
                throw new IllegalStateException("snapshot counts attempts in two windows");
            }
            window = countedWindow;
        }
        IdBuffer id = IdBuffer.of(userId);
        if (counted.rowOf(id) >= 0 || counted.size() >= counted.capacity()) {
            throw new IllegalStateException("snapshot counts " + userId + " twice, or more users than fit");
        }
        int row = addCounted(id);
        attempts[row] = count;
    }
}
