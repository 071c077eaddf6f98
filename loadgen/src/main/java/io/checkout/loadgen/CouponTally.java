package io.checkout.loadgen;

import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code coupon}: what the run sent and was answered, for the reserves that named the run's
 * campaign and for those that did not, over the whole run, warm-up included (the audit holds the
 * server to every answer); and every redemption the run was told of (a RESERVED answer to a reserve
 * naming the campaign), with when it was answered and when the run sent its cancel, so the audit
 * can count the redemptions held as the run saw them. Only the first send of a request id counts.
 *
 * <p>Bounded: at most {@code redemptionsMax} redemptions are remembered (the run's {@code
 * --audit-orders-max}); past that the audit's exact checks are skipped as incomplete. Reply threads
 * record without locking.
 */
final class CouponTally {

    /** What became of a reserve. */
    enum Count {
        /** Sent, with a new request id. */
        SENT,
        RESERVED,
        CAMPAIGN_UNKNOWN,
        CAMPAIGN_NOT_ACTIVE,
        CAMPAIGN_NOT_APPLICABLE,
        CAMPAIGN_BUDGET_EXHAUSTED,
        CAMPAIGN_USER_LIMIT_REACHED,
        /** Another outcome of its own: SOLD_OUT, LIMIT_EXCEEDED, ... */
        OTHER,
        /** No outcome of its own: REJECTED on a stream, or the call failed. */
        FAILED
    }

    /** Reply mismatches named in the audit's detail; the count covers the rest. */
    static final int EXAMPLES_MAX = 3;
    /**
     * The clock difference allowed between loadgen and the server when judging whether a
     * reservation may have expired (as the usual audit allows).
     */
    static final long EXPIRY_SLACK_MILLIS = 5_000;

    private static final int COUNTS = Count.values().length;

    /**
     * A redemption the run was told of: the RESERVED answer to a reserve naming the campaign.
     * {@code cancelSentAtMillis} is 0 until the run sends a cancel of the order.
     */
    static final class Redemption {
        final long orderId;
        final String userId;
        final int partition;
        final long discountMinor;
        final long amountMinor;
        /** When the reserve was sent and its answer came, on loadgen's wall clock. */
        final long sentAtMillis;

        final long answeredAtMillis;

        volatile long cancelSentAtMillis;

        Redemption(
                long orderId,
                String userId,
                int partition,
                long discountMinor,
                long amountMinor,
                long sentAtMillis,
                long answeredAtMillis) {
            this.orderId = orderId;
            this.userId = userId;
            this.partition = partition;
            this.discountMinor = discountMinor;
            this.amountMinor = amountMinor;
            this.sentAtMillis = sentAtMillis;
            this.answeredAtMillis = answeredAtMillis;
        }
    }

    private final Coupon coupon;
    private final String campaignId;
    private final int partitions;
    /** What every order of the run costs: quantity x the price setup gave its SKUs. */
    private final long orderGrossMinor;
    /** The discount the terms give such an order; 0: it does not qualify. */
    private final long expectedDiscountMinor;

    /** How long the run's SKUs hold a reservation (setup set it): a redemption's latest release by expiry. */
    private final long reservationTtlMillis;

    private final int redemptionsMax;
    /** {@code [named ? 0 : 1][count]}, flattened. */
    private final AtomicLongArray counts = new AtomicLongArray(2 * COUNTS);

    private final ConcurrentHashMap<Long, Redemption> redemptions;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong untracked = new AtomicLong();
    private final LongAdder discountGivenMinor = new LongAdder();
    private final LongAdder cancelsSent = new LongAdder();
    private final AtomicLong replyMismatches = new AtomicLong();
    private final List<String> replyExamples = Collections.synchronizedList(new ArrayList<>());
    /** The campaign as setup defined it, by partition. */
    private final Map<Integer, Campaign> defined = Collections.synchronizedMap(new TreeMap<>());
    /** The campaign as the audit read it, by partition; empty before. */
    private final Map<Integer, Campaign> atAudit = Collections.synchronizedMap(new TreeMap<>());
    /** What the run did to the campaign after the audit, for the report. */
    private volatile String afterwards = "";

    /**
     * @param partitions how many partitions answer the run's reserves, each holding its own copy of
     *     the campaign and counting its own redemptions
     * @param orderGrossMinor what every order of the run costs
     * @param reservationTtlMillis how long the run's SKUs hold a reservation
     * @param redemptionsMax most redemptions remembered
     */
    CouponTally(
            Coupon coupon,
            String runId,
            int partitions,
            long orderGrossMinor,
            long reservationTtlMillis,
            int redemptionsMax) {
        this.coupon = coupon;
        this.reservationTtlMillis = reservationTtlMillis;
        this.campaignId = Coupon.campaignId(runId);
        this.partitions = partitions;
        this.orderGrossMinor = orderGrossMinor;
        this.expectedDiscountMinor = coupon.discountMinor(orderGrossMinor);
        this.redemptionsMax = redemptionsMax;
        this.redemptions = new ConcurrentHashMap<>(Math.min(redemptionsMax, 1 << 12));
    }

    Coupon coupon() {
        return coupon;
    }

    String campaignId() {
        return campaignId;
    }

    int partitions() {
        return partitions;
    }

    long orderGrossMinor() {
        return orderGrossMinor;
    }

    long expectedDiscountMinor() {
        return expectedDiscountMinor;
    }

    /** A reserve with a new request id is sent, naming the campaign or not. */
    void sent(boolean named) {
        add(named, Count.SENT);
    }

    static Count countOf(ReserveResult result) {
        return switch (result) {
            case RESERVED -> Count.RESERVED;
            case CAMPAIGN_UNKNOWN -> Count.CAMPAIGN_UNKNOWN;
            case CAMPAIGN_NOT_ACTIVE -> Count.CAMPAIGN_NOT_ACTIVE;
            case CAMPAIGN_NOT_APPLICABLE -> Count.CAMPAIGN_NOT_APPLICABLE;
            case CAMPAIGN_BUDGET_EXHAUSTED -> Count.CAMPAIGN_BUDGET_EXHAUSTED;
            case CAMPAIGN_USER_LIMIT_REACHED -> Count.CAMPAIGN_USER_LIMIT_REACHED;
            case REJECTED -> Count.FAILED;
            default -> Count.OTHER;
        };
    }

    /** {@link #answered(boolean, String, int, ReserveReply, long, long)} of a reserve sent as it was answered. */
    void answered(boolean named, String userId, int partition, ReserveReply reply, long nowMillis) {
        answered(named, userId, partition, reply, nowMillis, nowMillis);
    }

    /**
     * The first answer to a reserve of {@code userId} sent at {@code sentAtMillis}, at {@code
     * nowMillis}: counted; a RESERVED answer naming the campaign is remembered as a redemption held
     * on {@code partition}. The answer's figures are held to the terms: named and RESERVED, the
     * discount is what the terms give an order of {@link #orderGrossMinor} and the amount that less
     * the discount; not named, no discount and no campaign refusal.
     */
    void answered(boolean named, String userId, int partition, ReserveReply reply, long sentAtMillis, long nowMillis) {
        Count count = countOf(reply.getResult());
        add(named, count);
        if (!named) {
            if (count == Count.RESERVED && reply.getDiscountMinor() != 0) {
                mismatch("order " + reply.getOrderId() + " named no campaign but was given a discount of "
                        + reply.getDiscountMinor());
            } else if (count.name().startsWith("CAMPAIGN_")) {
                mismatch("a reserve naming no campaign was answered " + reply.getResult());
            }
            return;
        }
        if (count != Count.RESERVED) {
            return;
        }
        discountGivenMinor.add(reply.getDiscountMinor());
        if (reply.getDiscountMinor() != expectedDiscountMinor
                || reply.getAmountMinor() != orderGrossMinor - reply.getDiscountMinor()) {
            mismatch(String.format(
                    java.util.Locale.ROOT,
                    "order %d answered discount %d, amount %d; the terms give %d off %d, so %d",
                    reply.getOrderId(),
                    reply.getDiscountMinor(),
                    reply.getAmountMinor(),
                    expectedDiscountMinor,
                    orderGrossMinor,
                    orderGrossMinor - expectedDiscountMinor));
        }
        if (size.incrementAndGet() > redemptionsMax) {
            size.decrementAndGet();
            untracked.incrementAndGet();
            return;
        }
        Redemption previous = redemptions.putIfAbsent(
                reply.getOrderId(),
                new Redemption(
                        reply.getOrderId(),
                        userId,
                        partition,
                        reply.getDiscountMinor(),
                        reply.getAmountMinor(),
                        sentAtMillis,
                        nowMillis));
        if (previous != null) {
            // The usual audit fails on an order id told twice; counted once here.
            size.decrementAndGet();
        }
    }

    /** A reserve failed without an answer. */
    void failed(boolean named) {
        add(named, Count.FAILED);
    }

    /** The run sends a cancel of {@code orderId} at {@code nowMillis}; remembered if it is a redemption. */
    void cancelSent(long orderId, long nowMillis) {
        Redemption redemption = redemptions.get(orderId);
        if (redemption != null && redemption.cancelSentAtMillis == 0) {
            redemption.cancelSentAtMillis = nowMillis;
            cancelsSent.increment();
        }
    }

    private void add(boolean named, Count count) {
        counts.incrementAndGet((named ? 0 : COUNTS) + count.ordinal());
    }

    private void mismatch(String what) {
        replyMismatches.incrementAndGet();
        if (replyExamples.size() < EXAMPLES_MAX) {
            replyExamples.add(what);
        }
    }

    long count(boolean named, Count count) {
        return counts.get((named ? 0 : COUNTS) + count.ordinal());
    }

    /** The redemptions remembered, in no order. */
    Collection<Redemption> redemptions() {
        return Collections.unmodifiableCollection(redemptions.values());
    }

    Redemption redemption(long orderId) {
        return redemptions.get(orderId);
    }

    /** Redemptions told past {@code redemptionsMax}, not remembered. */
    long untracked() {
        return untracked.get();
    }

    /** The discounts of every RESERVED answer naming the campaign. */
    long discountGivenMinor() {
        return discountGivenMinor.sum();
    }

    /** Cancels sent of orders that redeemed the campaign. */
    long cancelsSent() {
        return cancelsSent.sum();
    }

    long replyMismatches() {
        return replyMismatches.get();
    }

    List<String> replyExamples() {
        synchronized (replyExamples) {
            return List.copyOf(replyExamples);
        }
    }

    void defined(int partition, Campaign campaign) {
        defined.put(partition, campaign);
    }

    /** The campaign as setup defined it, by partition: the partitions holding it. */
    Map<Integer, Campaign> defined() {
        synchronized (defined) {
            return Collections.unmodifiableMap(new TreeMap<>(defined));
        }
    }

    void readAtAudit(int partition, Campaign campaign) {
        atAudit.put(partition, campaign);
    }

    /** The campaign as the audit read it, by partition; empty if it was not read. */
    Map<Integer, Campaign> atAudit() {
        synchronized (atAudit) {
            return Collections.unmodifiableMap(new TreeMap<>(atAudit));
        }
    }

    /** {@code redeemed} summed over the partitions as the audit read them; -1 if not read. */
    long redeemedAtAudit() {
        Map<Integer, Campaign> read = atAudit();
        return read.isEmpty()
                ? -1
                : read.values().stream().mapToLong(Campaign::getRedeemed).sum();
    }

    /** {@code redeeming_users} summed over the partitions as the audit read them; -1 if not read. */
    long redeemingUsersAtAudit() {
        Map<Integer, Campaign> read = atAudit();
        return read.isEmpty()
                ? -1
                : read.values().stream().mapToLong(Campaign::getRedeemingUsers).sum();
    }

    String afterwards() {
        return afterwards;
    }

    void afterwards(String note) {
        this.afterwards = note;
    }

    /**
     * The most redemptions of {@code partition} the run saw held at once: the highest, at any
     * RESERVED answer naming the campaign, of the answers so far less the redemptions that may have
     * been given back by then ({@link #peakHeld(Collection, long)}).
     */
    long peakHeld(int partition) {
        List<Redemption> own = new ArrayList<>();
        for (Redemption redemption : redemptions.values()) {
            if (redemption.partition == partition) {
                own.add(redemption);
            }
        }
        return peakHeld(own, reservationTtlMillis);
    }

    /**
     * A lower bound of the most redemptions the server held at once, from what the run saw, on
     * loadgen's clock. At the moment the run has the answers of a set S of redemptions, the server
     * held all of S together just after the last of them was taken, less those given back before: a
     * cancel the run had sent by then, or an expiry due by then. The server took a redemption after
     * the run sent its reserve and expires it {@code reservationTtlMillis} later (its expires_at is
     * its own clock at the reserve plus the TTL), so none expires before its send + the TTL on
     * loadgen's clock, whatever the difference between the clocks. So the count of RESERVED answers
     * so far, less the cancels sent so far and the reservations sent a TTL or more ago, never exceeds
     * the budget if the server kept it, however answers and cancels overtook each other on the way.
     * Evaluated at every answer; a give-back at the same millisecond as an answer counts before it.
     */
    static long peakHeld(Collection<Redemption> redemptions, long reservationTtlMillis) {
        long[] events = new long[2 * redemptions.size()];
        int n = 0;
        for (Redemption redemption : redemptions) {
            long answered = redemption.answeredAtMillis;
            long release = redemption.sentAtMillis + reservationTtlMillis;
            if (redemption.cancelSentAtMillis != 0) {
                release = Math.min(release, redemption.cancelSentAtMillis);
            }
            if (release <= answered) {
                // Perhaps given back before the run heard of it: it counts for nothing.
                continue;
            }
            // Sorted by time, then give-backs (0) before answers (1) at the same millisecond.
            events[n++] = answered * 2 + 1;
            events[n++] = release * 2;
        }
        long[] sorted = java.util.Arrays.copyOf(events, n);
        java.util.Arrays.sort(sorted);
        long held = 0;
        long peak = 0;
        for (long event : sorted) {
            if ((event & 1) == 1) {
                held++;
                peak = Math.max(peak, held);
            } else {
                held--;
            }
        }
        return peak;
    }
}
