package io.checkout.engine;

import java.util.Arrays;

/**
 * SKU groups: SKUs sold under one per-user limit, as a sale's SKUs are. A group is numbered densely
 * as it is first defined and never removed; its limit may change. Each group keeps the indexes of
 * its SKUs (at most {@link #SKUS_MAX}), so the units a user holds in the group are the sum of the
 * per-(user, SKU) counters the engine keeps anyway: a group needs no counters of its own, and every
 * path that gives units back (cancel, expiry, refund) is right for groups without knowing of them.
 *
 * <p>A group may also carry an attempt limit of its own (at most {@code maxAttempts} reserves per
 * user in each window of {@code windowMillis}, as the global limit of {@link RiskTable} but counting
 * only reserves with a line in the group): a sale's limit. Each limited group counts in an {@link
 * AttemptWindow}; the users they count together are bounded by one capacity.
 *
 * <p>Admin calls change groups; reserves read them, and count attempts. One thread uses a table.
 */
public final class SkuGroupTable {
    /** The most SKUs in one group: a reserve in a group reads one counter per SKU of it. */
    public static final int SKUS_MAX = 64;
    /** The most units a group's limit may be. */
    public static final long PER_USER_LIMIT_MAX = EngineLimits.TOTAL_STOCK_MAX;

    private static final int INITIAL = 16;

    private final int capacity;
    /** The most (user, group) attempt counters all limited groups hold together. */
    private final int attemptCounterCapacity;
    /** Group ids by number. */
    private final IdNumbers ids = new IdNumbers();

    private long[] limits = new long[INITIAL];
    private int[][] members = new int[INITIAL][];
    private int[] memberCounts = new int[INITIAL];
    /** By number: the group's attempt counters, or null while it has no attempt limit. */
    private AttemptWindow[] attemptWindows = new AttemptWindow[INITIAL];
    /** Groups with an attempt limit, and the users all of them count now. */
    private int limitedGroups;

    private long attemptRows;

    /** A table whose groups' attempt counters may hold 2^20 users together. */
    public SkuGroupTable(int capacity) {
        this(capacity, 1 << 20);
    }

    public SkuGroupTable(int capacity, int attemptCounterCapacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (attemptCounterCapacity < 1 || attemptCounterCapacity > RiskTable.CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "attemptCounterCapacity must be 1.." + RiskTable.CAPACITY_MAX + ": " + attemptCounterCapacity);
        }
        this.capacity = capacity;
        this.attemptCounterCapacity = attemptCounterCapacity;
    }

    public int size() {
        return ids.size();
    }

    /** The most groups the table may hold. */
    public int capacity() {
        return capacity;
    }

    /** The group's number, or -1 if it was never defined. */
    public int numberOf(IdBuffer groupId) {
        return ids.numberOf(groupId);
    }

    /** Like {@link #numberOf(IdBuffer)}, for tests and cold paths (allocates). */
    public int numberOf(String groupId) {
        return numberOf(IdBuffer.of(groupId));
    }

    public String groupId(int number) {
        return ids.id(number);
    }

    public long perUserLimit(int number) {
        return limits[number];
    }

    public int skuCount(int number) {
        return memberCounts[number];
    }

    /** The index of the group's {@code i}-th SKU (0 <= i < skuCount), in index order (the order SKUs were created). */
    public int skuIndex(int number, int i) {
        return members[number][i];
    }

    /** Whether a SKU may join group {@code number}: it holds fewer than {@link #SKUS_MAX}. */
    public boolean hasRoom(int number) {
        return memberCounts[number] < SKUS_MAX;
    }

    /**
     * Defines {@code groupId} with {@code perUserLimit}, or changes the limit of the group of that
     * id. The caller has checked the id, the limit, and room against its capacity for a new group.
     *
     * @return the group's number
     */
    public int upsert(String groupId, long perUserLimit) {
        if (perUserLimit < 1 || perUserLimit > PER_USER_LIMIT_MAX) {
            throw new IllegalArgumentException(
                    "a group's limit must be 1.." + PER_USER_LIMIT_MAX + ": " + perUserLimit);
        }
        IdBuffer id = IdBuffer.of(groupId);
        int number = ids.numberOf(id);
        if (number < 0) {
            if (!id.isSkuId(EngineLimits.ID_LENGTH_MAX)) {
                throw new IllegalArgumentException("not a group id: " + groupId);
            }
            if (ids.size() >= capacity) {
                throw new IllegalStateException("the group table holds " + capacity + " groups at most");
            }
            number = ids.add(groupId, id);
            if (number == limits.length) {
                limits = Arrays.copyOf(limits, number * 2);
                members = Arrays.copyOf(members, number * 2);
                memberCounts = Arrays.copyOf(memberCounts, number * 2);
                attemptWindows = Arrays.copyOf(attemptWindows, number * 2);
            }
            members[number] = new int[4];
        }
        limits[number] = perUserLimit;
        return number;
    }

    /** Adds SKU {@code skuIndex} to group {@code number}; the caller checked {@link #hasRoom}. */
    public void join(int number, int skuIndex) {
        int count = memberCounts[number];
        if (count >= SKUS_MAX) {
            throw new IllegalStateException("group " + ids.id(number) + " holds " + SKUS_MAX + " SKUs already");
        }
        if (count == members[number].length) {
            members[number] = Arrays.copyOf(members[number], Math.min(SKUS_MAX, count * 2));
        }
        int[] list = members[number];
        int at = count;
        while (at > 0 && list[at - 1] > skuIndex) {
            at--;
        }
        System.arraycopy(list, at, list, at + 1, count - at);
        list[at] = skuIndex;
        memberCounts[number] = count + 1;
    }

    /** Removes SKU {@code skuIndex} from group {@code number}. */
    public void leave(int number, int skuIndex) {
        int[] list = members[number];
        int count = memberCounts[number];
        for (int i = 0; i < count; i++) {
            if (list[i] == skuIndex) {
                System.arraycopy(list, i + 1, list, i, count - i - 1);
                memberCounts[number] = count - 1;
                return;
            }
        }
        throw new IllegalStateException("SKU " + skuIndex + " is not in group " + ids.id(number));
    }

    // ---- attempt limits ---------------------------------------------------------------------------

    /** Whether any group has an attempt limit: when none does, a reserve skips the group checks. */
    public boolean attemptLimitsActive() {
        return limitedGroups > 0;
    }

    public boolean hasAttemptLimit(int number) {
        return attemptWindows[number] != null && attemptWindows[number].maxAttempts() > 0;
    }

    public int maxAttempts(int number) {
        return attemptWindows[number] == null ? 0 : attemptWindows[number].maxAttempts();
    }

    public long attemptWindowMillis(int number) {
        return attemptWindows[number] == null ? 0 : attemptWindows[number].windowMillis();
    }

    /** (user, group) attempt counters held now, over every group. */
    public long attemptRows() {
        return attemptRows;
    }

    public int attemptCounterCapacity() {
        return attemptCounterCapacity;
    }

    /**
     * Sets group {@code number}'s attempt limit (0 attempts: none; checked by the caller with {@link
     * RiskTable#invalidRule}). A limit that changes starts the group's counts afresh; the same limit
     * keeps them.
     */
    public void setAttemptLimit(int number, int maxAttempts, long windowMillis) {
        if (RiskTable.invalidRule(maxAttempts, windowMillis) != null) {
            throw new IllegalArgumentException("invalid attempt limit " + maxAttempts + " per " + windowMillis + " ms");
        }
        AttemptWindow counters = attemptWindows[number];
        if (counters == null) {
            if (maxAttempts == 0) {
                return;
            }
            counters = attemptWindows[number] = new AttemptWindow(attemptCounterCapacity);
        }
        if (counters.maxAttempts() == maxAttempts && counters.windowMillis() == windowMillis) {
            return;
        }
        limitedGroups += (maxAttempts > 0 ? 1 : 0) - (counters.maxAttempts() > 0 ? 1 : 0);
        attemptRows -= counters.size();
        counters.setRule(maxAttempts, windowMillis);
    }

    /**
     * What group {@code number}'s attempt limit says to a reserve by {@code userId} at {@code
     * nowMillis}, when {@code newRowsBefore} users new in their groups' windows were admitted for
     * the same reserve already: null to go on, {@link ResultCode#RATE_LIMITED}, or {@link
     * ResultCode#ATTEMPT_COUNTER_TABLE_FULL}. Changes nothing but a window's turn. The group has a
     * limit.
     */
    public ResultCode attemptVerdict(int number, IdBuffer userId, long nowMillis, int newRowsBefore) {
        AttemptWindow counters = attemptWindows[number];
        attemptRows -= counters.turn(nowMillis);
        if (counters.exceeded(userId)) {
            return ResultCode.RATE_LIMITED;
        }
        return counters.admittedIsNew() && attemptRows + newRowsBefore >= attemptCounterCapacity
                ? ResultCode.ATTEMPT_COUNTER_TABLE_FULL
                : null;
    }

    /** Whether the user {@link #attemptVerdict} has just admitted to group {@code number} is new in its window. */
    public boolean admittedIsNew(int number) {
        return attemptWindows[number].admittedIsNew();
    }

    /** Counts the attempt {@link #attemptVerdict} has just admitted to group {@code number}. */
    public void countAttempt(int number, IdBuffer userId) {
        AttemptWindow counters = attemptWindows[number];
        if (counters.admittedIsNew()) {
            attemptRows++;
        }
        counters.countAdmitted(userId);
    }

    /** {@code userId}'s attempts in group {@code number}'s window holding {@code nowMillis} (0 without a limit). */
    public int attemptsAt(int number, IdBuffer userId, long nowMillis) {
        return hasAttemptLimit(number) ? attemptWindows[number].attemptsAt(userId, nowMillis) : 0;
    }

    // ---- attempt counters, for snapshots ----------------------------------------------------------

    /** The window group {@code number}'s counters hold, or Long.MIN_VALUE for none. */
    public long countedWindow(int number) {
        return attemptWindows[number] == null ? AttemptWindow.NO_WINDOW : attemptWindows[number].window();
    }

    /** Users group {@code number} counts now. */
    public int countedCount(int number) {
        return attemptWindows[number] == null ? 0 : attemptWindows[number].size();
    }

    public String countedUser(int number, int row) {
        return attemptWindows[number].user(row);
    }

    public int countedAttempts(int number, int row) {
        return attemptWindows[number].attempts(row);
    }

    /**
     * Restores group {@code number}'s counters of window {@code countedWindow} from a snapshot:
     * {@code userId} had made {@code count} attempts. The group's limit must be set first.
     */
    public void restoreAttempts(int number, long countedWindow, String userId, int count) {
        AttemptWindow counters = attemptWindows[number];
        if (counters == null || attemptRows >= attemptCounterCapacity) {
            throw new IllegalStateException("snapshot counts attempts of " + userId + " in group " + ids.id(number)
                    + ", which has no attempt limit or no room");
        }
        counters.restore(countedWindow, userId, count, "group " + ids.id(number) + "'s attempt limit");
        attemptRows++;
    }
}
