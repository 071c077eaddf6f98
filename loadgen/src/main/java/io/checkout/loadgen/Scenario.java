package io.checkout.loadgen;

import java.util.Arrays;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.DiscreteSampler;
import org.apache.commons.rng.sampling.distribution.RejectionInversionZipfSampler;

/**
 * Which SKU and which buyer the next reserve is for. Called only by the sending thread, so its
 * random source needs no locking and a seed repeats the same sequence of choices.
 *
 * <p>{@code flash-sale}: a few hot SKUs chosen uniformly. {@code catalog}: many SKUs with Zipf
 * popularity, SKU 0 the most popular. {@code booking}: (store, time slot) SKUs ({@link Booking}),
 * the store by Zipf popularity (store 0 the most popular, the catalog's sampler over stores), the
 * slot by the demand of its hour of day ({@link Booking#slotWeight}) among the slots whose booking
 * window is still open, or among all with {@code --late-ratio}; which slots are open depends on the
 * time of the draw, so there a seed repeats the choices for the same timing only. All draw
 * buyers uniformly from a crowd of distinct users, so a buyer who comes back meets the per-user
 * limit. {@code abuse}: the flash-sale's SKUs; the buyer is a hammer user, a blocked user or a
 * normal one by the shares of {@link Abuse}. {@code coupon}: the flash sale, a share of its reserves
 * naming the run's campaign ({@link Coupon}). {@code empty-call} sends health checks only.
 */
final class Scenario {

    enum Kind {
        FLASH_SALE("flash-sale"),
        CATALOG("catalog"),
        /**
         * Reserves only, SKUs drawn uniformly, in the open model at a normal rate with a flash crowd
         * on top ({@link RunSettings.Crowd}); reported second by second.
         */
        FLASH_CROWD("flash-crowd"),
        /**
         * O2O booking: SKUs are (store, time slot) pairs, stock the slot's capacity, sale window the
         * slot's booking window; the windows close one after another along the run ({@link Booking}).
         */
        BOOKING("booking"),
        /**
         * The flash-sale's SKUs under risk rules: an attempt limit per user, a few hammer users
         * sending a large share of the reserves and a few blocked users a share ({@link Abuse}).
         */
        ABUSE("abuse"),
        /**
         * The flash-sale's SKUs and buyers, a share of the reserves naming a coupon campaign whose
         * budget is smaller than the crowd ({@link Coupon}).
         */
        COUPON("coupon"),
        /**
         * Not a sale: every operation is a {@code grpc.health.v1.Health/Check} on the same server,
         * the cheapest call it serves (no pipeline, no state), to measure the transport's limit.
         */
        EMPTY_CALL("empty-call");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.label.equals(text)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(
                    "--scenario must be flash-sale, catalog, flash-crowd, booking, abuse, coupon or empty-call, got "
                            + text);
        }
    }

    private final RunSettings settings;
    private final UniformRandomProvider random;
    /** Draws the next SKU's index, 0..skus-1. */
    private final IntSupplier skuIndex;

    private final String userPrefix;
    /** abuse: the hammer users' ids, and the blocked users'; empty in the other scenarios. */
    private final String[] hammerUserIds;

    private final String[] blockedUserIds;
    /** booking: milliseconds since the booking windows opened, or negative when not known. */
    private final LongSupplier sinceWindowsOpened;
    /** booking: {@code [k]} is the total weight of slots 0..k-1; one more entry than slots. */
    private final double[] slotWeightsBelow;

    /** A scenario whose booking windows, if any, are not known: every slot may be drawn. */
    Scenario(RunSettings settings, UniformRandomProvider random, String runId) {
        this(settings, random, runId, () -> -1);
    }

    /**
     * @param sinceWindowsOpened booking: milliseconds since the booking windows opened (the setup),
     *     negative when not known (the run did not create the SKUs)
     */
    Scenario(RunSettings settings, UniformRandomProvider random, String runId, LongSupplier sinceWindowsOpened) {
        this.settings = settings;
        this.random = random;
        this.sinceWindowsOpened = sinceWindowsOpened;
        this.slotWeightsBelow = settings.booking() == null
                ? null
                : cumulative(settings.booking().slotWeights());
        this.skuIndex = switch (settings.scenario()) {
            case CATALOG -> zipfIndex(random, settings.skus(), settings.zipfExponent());
            case BOOKING -> bookingIndex(zipfIndex(random, settings.booking().stores(), settings.zipfExponent()));
            default -> () -> random.nextInt(settings.skus());
        };
        this.userPrefix = "u-" + runId + "-";
        Abuse abuse = settings.abuse();
        this.hammerUserIds = new String[abuse == null ? 0 : abuse.hammerUsers()];
        for (int index = 0; index < hammerUserIds.length; index++) {
            hammerUserIds[index] = Abuse.hammerUserId(runId, index);
        }
        this.blockedUserIds = new String[abuse == null ? 0 : abuse.blockedUsers()];
        for (int index = 0; index < blockedUserIds.length; index++) {
            blockedUserIds[index] = Abuse.blockedUserId(runId, index);
        }
    }

    private static double[] cumulative(double[] weights) {
        double[] below = new double[weights.length + 1];
        for (int i = 0; i < weights.length; i++) {
            below[i + 1] = below[i] + weights[i];
        }
        return below;
    }

    /** Index 0..n-1 with Zipf popularity, 0 the most popular. */
    private static IntSupplier zipfIndex(UniformRandomProvider random, int n, double exponent) {
        // The Zipf sampler draws 1..n; rank 1 is the most popular.
        DiscreteSampler sampler = RejectionInversionZipfSampler.of(random, n, exponent);
        return () -> sampler.sample() - 1;
    }

    /**
     * A (store, slot) SKU's index: the store by Zipf popularity, the slot by its hour's demand among
     * the slots still open (all of them for a late booking, when the windows are not known, or once
     * every window has closed).
     */
    private IntSupplier bookingIndex(IntSupplier store) {
        Booking booking = settings.booking();
        return () -> {
            int storeIndex = store.getAsInt();
            boolean late = random.nextDouble() < booking.lateRatio();
            long elapsed = sinceWindowsOpened.getAsLong();
            int firstOpen = elapsed < 0 ? 0 : booking.firstOpenSlot(elapsed, settings.duration());
            return booking.index(storeIndex, slotFrom(late || firstOpen >= booking.slotsPerStore() ? 0 : firstOpen));
        };
    }

    /** A slot from {@code first} on, each as likely as its weight. */
    private int slotFrom(int first) {
        int slots = slotWeightsBelow.length - 1;
        double from = slotWeightsBelow[first];
        double point = from + random.nextDouble() * (slotWeightsBelow[slots] - from);
        int found = Arrays.binarySearch(slotWeightsBelow, point);
        // An exact hit on a boundary is the slot that starts there; otherwise the one the point falls in.
        int slot = found >= 0 ? found : -found - 2;
        return Math.max(first, Math.min(slots - 1, slot));
    }

    /** The index of the next reserve's SKU, 0..skus-1. */
    int nextSkuIndex() {
        return skuIndex.getAsInt();
    }

    String nextSkuId() {
        return settings.skuId(nextSkuIndex());
    }

    /**
     * The next reserve's buyer: uniformly one of the normal users; in {@code abuse}, with
     * probability {@code --hammer-share} one of the hammer users and with {@code --blocked-share}
     * one of the blocked users instead, each uniformly.
     */
    String nextUserId() {
        Abuse abuse = settings.abuse();
        if (abuse != null) {
            double draw = random.nextDouble();
            if (draw < abuse.hammerShare()) {
                return hammerUserIds[random.nextInt(hammerUserIds.length)];
            }
            if (draw < abuse.hammerShare() + abuse.blockedShare()) {
                return blockedUserIds[random.nextInt(blockedUserIds.length)];
            }
        }
        return userPrefix + random.nextInt(settings.users());
    }

    /** {@code coupon}: whether the next reserve names the campaign, with probability {@code --coupon-share}. */
    boolean nextNamesCampaign() {
        Coupon coupon = settings.coupon();
        return coupon != null && random.nextDouble() < coupon.share();
    }

    /** What the run does with a reserve once it is answered; drawn when the reserve is sent. */
    FollowUp nextFollowUp() {
        double draw = random.nextDouble();
        if (draw < settings.confirmRatio()) {
            return FollowUp.CONFIRM;
        }
        if (draw < settings.confirmRatio() + settings.cancelRatio()) {
            return FollowUp.CANCEL;
        }
        return FollowUp.NONE;
    }

    boolean nextRepeats() {
        return settings.repeatRatio() > 0 && random.nextDouble() < settings.repeatRatio();
    }

    boolean nextIsGet() {
        return settings.getRatio() > 0 && random.nextDouble() < settings.getRatio();
    }

    int nextIndex(int bound) {
        return random.nextInt(bound);
    }

    enum FollowUp {
        NONE,
        CONFIRM,
        CANCEL
    }
}
