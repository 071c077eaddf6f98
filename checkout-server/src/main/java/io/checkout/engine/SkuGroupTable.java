package io.checkout.engine;

import java.util.Arrays;

/**
 * SKU groups: SKUs sold under one per-user limit, as a sale's SKUs are. A group is numbered densely
 * as it is first defined and never removed; its limit may change. Each group keeps the indexes of
 * its SKUs (at most {@link #SKUS_MAX}), so the units a user holds in the group are the sum of the
 * per-(user, SKU) counters the engine keeps anyway: a group needs no counters of its own, and every
 * path that gives units back (cancel, expiry, refund) is right for groups without knowing of them.
 *
 * <p>Admin calls change groups; reserves only read them. One thread uses a table.
 */
public final class SkuGroupTable {
    /** The most SKUs in one group: a reserve in a group reads one counter per SKU of it. */
    public static final int SKUS_MAX = 64;
    /** The most units a group's limit may be. */
    public static final long PER_USER_LIMIT_MAX = EngineLimits.TOTAL_STOCK_MAX;

    private static final int INITIAL = 16;

    private final int capacity;
    /** Group ids by number. */
    private final IdNumbers ids = new IdNumbers();

    private long[] limits = new long[INITIAL];
    private int[][] members = new int[INITIAL][];
    private int[] memberCounts = new int[INITIAL];

    public SkuGroupTable(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
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
}
