package io.checkout.engine;

import java.util.Arrays;

/**
 * Campaigns and their redemptions. A campaign is numbered densely as it is first defined and never
 * removed; its terms may change at any time (an order keeps the discount it was given, and which of
 * its lines shared it). Each campaign keeps the indexes of the SKUs it lists (sorted) and the
 * merchant it names, resolved when it is defined, so a reserve checks a line with a few reads.
 *
 * <p>Redemptions: the budget counts the redemptions held now (a reservation or a paid order,
 * refunded ones included), each user's the same for that user. A reserve takes one, a cancel or an
 * expiry gives it back. The counters are not part of any snapshot: they are a function of the
 * orders, and the engine recounts them from the orders when it starts ({@link #clearRedemptions},
 * then {@link #redeem} per holding order), so they can never disagree with the orders they count.
 *
 * <p>Each (user, campaign) with redemptions takes a row of the redemption table, bounded by its
 * capacity over all campaigns; a user's row goes when the user holds none. One thread uses a table.
 */
public final class CampaignTable {
    /** The most campaigns: an order row keeps its campaign's number + 1 in 16 bits. */
    public static final int CAPACITY_MAX = (1 << 16) - 1;
    /** The most (user, campaign) rows the redemption table may be given. */
    public static final int REDEMPTION_CAPACITY_MAX = 1 << 24;

    private static final int INITIAL = 16;
    private static final int[] NO_SKUS = new int[0];

    private final int capacity;
    private final int redemptionCapacity;
    private final IdNumbers ids = new IdNumbers();

    private CampaignTerms[] terms = new CampaignTerms[INITIAL];
    /** By number: the listed SKUs' indexes, sorted; empty for a merchant's or every SKU. */
    private int[][] skuIndexes = new int[INITIAL][];
    /** By number: the merchant's number, or -1. */
    private int[] merchantNumbers = new int[INITIAL];

    private long[] redeemed = new long[INITIAL];
    /** By number: the users holding redemptions (null until the first), and how many each holds. */
    private UserIdRows[] redeemers = new UserIdRows[INITIAL];

    private int[][] userRedemptions = new int[INITIAL][];
    /** Rows of every campaign's redeemers together. */
    private long redeemerRows;
    /**
     * What {@link #refusal} found, for the {@link #redeem} that follows it on the same reserve: the
     * campaign and the user's row in it (-1: none), so that the redeem does not probe again; -1: nothing.
     */
    private int probedCampaign = -1;

    private int probedRow;
    /** The hash of the user {@link #refusal} probed for: a redeem for another user probes afresh. */
    private int probedHash;

    public CampaignTable(int capacity, int redemptionCapacity) {
        if (capacity < 1 || capacity > CAPACITY_MAX) {
            throw new IllegalArgumentException("capacity must be 1.." + CAPACITY_MAX + ": " + capacity);
        }
        if (redemptionCapacity < 1 || redemptionCapacity > REDEMPTION_CAPACITY_MAX) {
            throw new IllegalArgumentException(
                    "redemptionCapacity must be 1.." + REDEMPTION_CAPACITY_MAX + ": " + redemptionCapacity);
        }
        this.capacity = capacity;
        this.redemptionCapacity = redemptionCapacity;
    }

    public int size() {
        return ids.size();
    }

    public int capacity() {
        return capacity;
    }

    /** (user, campaign) rows held now, over every campaign. */
    public long redemptionRows() {
        return redeemerRows;
    }

    public int redemptionCapacity() {
        return redemptionCapacity;
    }

    /** The campaign's number, or -1 if it was never defined. */
    public int numberOf(IdBuffer campaignId) {
        return ids.numberOf(campaignId);
    }

    /** Like {@link #numberOf(IdBuffer)}, for tests and cold paths (allocates). */
    public int numberOf(String campaignId) {
        return numberOf(IdBuffer.of(campaignId));
    }

    public String campaignId(int number) {
        return ids.id(number);
    }

    /** The campaign's terms, as the table keeps them: read, never change. */
    public CampaignTerms terms(int number) {
        return terms[number];
    }

    /**
     * Defines the campaign {@code t.campaignId} or replaces its terms. The caller has checked the
     * terms, room for a new campaign, and resolved the merchant ({@code merchantNumber}, -1: none)
     * and the listed SKUs ({@code listed}, in {@code t.skuIds}' order).
     *
     * @return the campaign's number
     */
    public int upsert(CampaignTerms t, int merchantNumber, int[] listed) {
        IdBuffer id = IdBuffer.of(t.campaignId);
        int number = ids.numberOf(id);
        if (number < 0) {
            if (!id.isSkuId(EngineLimits.ID_LENGTH_MAX)) {
                throw new IllegalArgumentException("not a campaign id: " + t.campaignId);
            }
            if (ids.size() >= capacity) {
                throw new IllegalStateException("the campaign table holds " + capacity + " campaigns at most");
            }
            number = ids.add(t.campaignId, id);
            if (number == terms.length) {
                int grown = number * 2;
                terms = Arrays.copyOf(terms, grown);
                skuIndexes = Arrays.copyOf(skuIndexes, grown);
                merchantNumbers = Arrays.copyOf(merchantNumbers, grown);
                redeemed = Arrays.copyOf(redeemed, grown);
                redeemers = Arrays.copyOf(redeemers, grown);
                userRedemptions = Arrays.copyOf(userRedemptions, grown);
            }
            terms[number] = new CampaignTerms();
        }
        CampaignTerms kept = terms[number];
        kept.copyFrom(t);
        kept.campaignId = ids.id(number);
        kept.redeemed = 0;
        kept.redeemingUsers = 0;
        int[] sorted = listed.length == 0 ? NO_SKUS : listed.clone();
        Arrays.sort(sorted);
        skuIndexes[number] = sorted;
        merchantNumbers[number] = merchantNumber;
        return number;
    }

    /**
     * Whether campaign {@code number} applies to a line of SKU {@code skuIndex} sold by merchant
     * {@code merchantNumber} (-1: none).
     */
    public boolean appliesTo(int number, int skuIndex, int merchantNumber) {
        int[] listed = skuIndexes[number];
        if (listed.length > 0) {
            return Arrays.binarySearch(listed, skuIndex) >= 0;
        }
        int merchant = merchantNumbers[number];
        return merchant < 0 || merchant == merchantNumber;
    }

    // ---- redemptions ----------------------------------------------------------------------------

    public long redeemed(int number) {
        return redeemed[number];
    }

    /** Users holding redemptions of campaign {@code number}. */
    public int redeemingUsers(int number) {
        return redeemers[number] == null ? 0 : redeemers[number].size();
    }

    /** The redemptions of campaign {@code number} that {@code userId} holds. */
    public int redemptionsOf(int number, IdBuffer userId) {
        UserIdRows users = redeemers[number];
        int row = users == null ? -1 : users.rowOf(userId);
        return row < 0 ? 0 : userRedemptions[number][row];
    }

    /**
     * Why {@code userId} may not redeem campaign {@code number} now ({@link
     * ResultCode#CAMPAIGN_BUDGET_EXHAUSTED}, {@link ResultCode#CAMPAIGN_USER_LIMIT_REACHED}), or null.
     */
    public ResultCode refusal(int number, IdBuffer userId) {
        CampaignTerms t = terms[number];
        if (redeemed[number] >= t.budget) {
            return ResultCode.CAMPAIGN_BUDGET_EXHAUSTED;
        }
        UserIdRows users = redeemers[number];
        int row = users == null ? -1 : users.rowOf(userId);
        if (row >= 0 && userRedemptions[number][row] >= t.perUserLimit) {
            return ResultCode.CAMPAIGN_USER_LIMIT_REACHED;
        }
        probedCampaign = number;
        probedRow = row;
        probedHash = userId.hash();
        return null;
    }

    /** Whether {@link #redeem} has room: the user has a row for the campaign, or the table has one free. */
    public boolean hasRoom(int number, IdBuffer userId) {
        if (redeemerRows < redemptionCapacity) {
            return true;
        }
        return probedCampaign == number && probedHash == userId.hash()
                ? probedRow >= 0
                : redemptionsOf(number, userId) > 0;
    }

    /**
     * Counts one redemption of campaign {@code number} by {@code userId}. The engine checked {@link
     * #refusal} and {@link #hasRoom}; recounting from the orders does not, since what the orders hold
     * was allowed when it was taken.
     */
    public void redeem(int number, IdBuffer userId) {
        UserIdRows users = redeemers[number];
        if (users == null) {
            users = redeemers[number] = new UserIdRows(REDEMPTION_CAPACITY_MAX);
            userRedemptions[number] = new int[INITIAL];
        }
        // The row refusal() has just found for this user, if it was asked (the reserve path); else a probe.
        boolean probed = probedCampaign == number
                && probedHash == userId.hash()
                && (probedRow < 0 || users.holds(probedRow, userId));
        int row = probed ? probedRow : users.rowOf(userId);
        probedCampaign = -1;
        if (row < 0) {
            row = users.add(userId);
            redeemerRows++;
            if (row == userRedemptions[number].length) {
                userRedemptions[number] = Arrays.copyOf(userRedemptions[number], row * 2);
            }
            userRedemptions[number][row] = 0;
        }
        userRedemptions[number][row]++;
        redeemed[number]++;
    }

    /** Gives back one redemption of campaign {@code number} held by {@code userId} (a cancel or an expiry). */
    public void giveBack(int number, IdBuffer userId) {
        probedCampaign = -1;
        UserIdRows users = redeemers[number];
        int row = users == null ? -1 : users.rowOf(userId);
        if (row < 0 || redeemed[number] <= 0) {
            throw new IllegalStateException(
                    "campaign " + ids.id(number) + " has no redemption of user " + userId + " to give back");
        }
        int[] counts = userRedemptions[number];
        redeemed[number]--;
        if (--counts[row] == 0) {
            int last = users.size() - 1;
            users.remove(userId);
            // The last row moved into the freed one; its count moves with it.
            counts[row] = counts[last];
            redeemerRows--;
        }
    }

    /** Forgets every redemption (before the engine recounts them from the orders). */
    public void clearRedemptions() {
        probedCampaign = -1;
        for (int number = 0; number < ids.size(); number++) {
            redeemed[number] = 0;
            if (redeemers[number] != null) {
                redeemers[number].clear();
            }
        }
        redeemerRows = 0;
    }

    /** The campaign's terms with its redemptions now, into {@code into}: an answer. */
    public void read(int number, CampaignTerms into) {
        into.copyFrom(terms[number]);
        into.redeemed = redeemed[number];
        into.redeemingUsers = redeemingUsers(number);
    }
}
