package io.checkout.loadgen;

import io.checkout.contract.ContractLimits;
import java.time.Duration;
import java.util.List;

/**
 * One run's settings, checked once before anything is sent. Every bound is named here, so a run
 * can neither queue nor remember without limit.
 *
 * @param scenario which workload to generate
 * @param model closed (fixed concurrency) or open (fixed arrival rate)
 * @param concurrency closed model: calls in flight at once
 * @param ratePerSecond open model: intended operations per second
 * @param maxInFlight open model: most calls in flight; when reached, sending waits, and the wait
 *     counts in the latency because latency is measured from the intended send time
 * @param duration how long to send, warm-up included
 * @param warmup the first part of the run, excluded from latency and counts (not from the audit)
 * @param ramp how long the rate (open) or concurrency (closed) takes to climb to its target
 * @param requestsMax stop after this many operations even if time is left; 0 for no such stop
 * @param api unary Reserve, ReserveStream, or ReserveBatchStream
 * @param batchSize stream-batch and unary-batched: most reserves in one batch message (a partial batch goes out
 *     whenever the sender would otherwise wait)
 * @param channels how many gRPC channels (connections) to spread calls over
 * @param deadline per-call deadline
 * @param skus how many SKUs the scenario uses
 * @param skuPrefix SKU ids are the prefix followed by 0..skus-1
 * @param stock units per SKU when the run creates its SKUs
 * @param users distinct buyers
 * @param perUserLimit per-user limit when the run creates its SKUs; 0 for none
 * @param quantity units per reserve
 * @param zipfExponent catalog: popularity skew of SKUs
 * @param confirmRatio fraction of reserved orders the run then confirms
 * @param cancelRatio fraction of reserved orders the run then cancels
 * @param repeatRatio fraction of reserves sent a second time with the same request id
 * @param getRatio fraction of operations that read back an acknowledged order
 * @param setup create the SKUs through the Inventory admin API before the run
 * @param reservationTtl when the run creates its SKUs: how long a reservation holds
 * @param ordersTrackedMax most acknowledged orders remembered for the audit
 * @param seed seed of the run's random choices
 * @param crowd open model: a flash crowd on top of the normal rate, or null for none
 * @param clientLimit the SDK's adaptive concurrency limit on each channel's client
 * @param clientLimitMax the most calls in flight that limit may allow on one channel
 * @param sendTick open model: the least the sender sleeps when it is ahead of its schedule, so
 *     that a send due sooner than that goes out up to this late, with the others due by then; 0 for
 *     a sleep until each send is due (see {@link #SEND_TICK_MAX})
 * @param partitionKeys --partitioned with --setup: one partition key per partition, so the run's
 *     SKUs spread evenly (SKU i is {@code key[i % n]:<prefix>i}); empty otherwise, and unused by
 *     {@code booking}, whose store is its SKUs' partition key
 * @param booking {@code booking}: the stores and slots the SKUs are; null for the other scenarios
 * @param abuse {@code abuse}: the attempt limit and the hammer and blocked users; null for the
 *     other scenarios
 * @param coupon {@code coupon}: the campaign setup defines and the share of reserves naming it;
 *     null for the other scenarios
 */
record RunSettings(
        Scenario.Kind scenario,
        Model model,
        int concurrency,
        double ratePerSecond,
        int maxInFlight,
        Duration duration,
        Duration warmup,
        Duration ramp,
        long requestsMax,
        Api api,
        int batchSize,
        int channels,
        Duration deadline,
        int skus,
        String skuPrefix,
        long stock,
        int users,
        long perUserLimit,
        int quantity,
        double zipfExponent,
        double confirmRatio,
        double cancelRatio,
        double repeatRatio,
        double getRatio,
        boolean setup,
        Duration reservationTtl,
        int ordersTrackedMax,
        long seed,
        Crowd crowd,
        ClientLimit clientLimit,
        int clientLimitMax,
        Duration sendTick,
        List<String> partitionKeys,
        Booking booking,
        Abuse abuse,
        Coupon coupon) {

    /**
     * A flash crowd: from {@code at} the rate climbs linearly from the normal rate to {@code rate}
     * within {@code ramp}, holds for {@code hold}, then drops back to normal at once.
     */
    record Crowd(double rate, Duration at, Duration ramp, Duration hold) {
        /** When the crowd has left: the end of its hold. */
        Duration end() {
            return at.plus(ramp).plus(hold);
        }
    }

    enum ClientLimit {
        NONE("none"),
        AIMD("aimd"),
        GRADIENT("gradient");

        private final String label;

        ClientLimit(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        static ClientLimit parse(String text) {
            for (ClientLimit limit : values()) {
                if (limit.label.equals(text)) {
                    return limit;
                }
            }
            throw new IllegalArgumentException("--client-limit must be none, aimd or gradient, got " + text);
        }
    }

    enum Model {
        CLOSED,
        OPEN
    }

    enum Api {
        UNARY("unary"),
        /** Unary calls through the SDK's auto-batching: plain reserves carried in batch messages. */
        UNARY_BATCHED("unary-batched"),
        STREAM("stream"),
        STREAM_BATCH("stream-batch");

        private final String label;

        Api(String label) {
            this.label = label;
        }

        /** The name --api takes and the reports print. */
        String label() {
            return label;
        }
    }

    static final int CONCURRENCY_MAX = 100_000;
    static final double RATE_MAX = 10_000_000;
    static final int CHANNELS_MAX = 64;
    /** The largest batch the server's stream-batch-max can allow. */
    static final int BATCH_SIZE_MAX = ContractLimits.STREAM_BATCH_SIZE_MAX;

    static final int SKUS_MAX = 1_000_000;
    static final int USERS_MAX = 100_000_000;
    static final int ORDERS_TRACKED_MAX = 20_000_000;
    static final Duration DURATION_MAX = Duration.ofHours(24);
    /**
     * The longest {@code --send-tick}: a send may leave that much behind its schedule, which counts
     * in the latency from the intended time (not in the one from the send).
     */
    static final Duration SEND_TICK_MAX = Duration.ofMillis(10);
    /** How long the crowd in a warm-up holds ({@link #forPrewarm}). */
    static final Duration PREWARM_CROWD_HOLD = Duration.ofSeconds(2);
    /** How long before a warm-up's end its crowd leaves, so that the servers drain it first. */
    static final Duration PREWARM_CROWD_CALM = Duration.ofSeconds(3);
    /** The shortest warm-up that gets a crowd: half of it at the normal rate before the crowd. */
    static final Duration PREWARM_CROWD_LENGTH_MIN = Duration.ofSeconds(10);
    /** Follow-ups (confirm, cancel, repeat) waiting for a send slot; more are dropped and counted. */
    static final int FOLLOW_UPS_QUEUED_MAX = 65_536;

    /**
     * Checks every setting.
     *
     * @throws IllegalArgumentException naming the first option that is out of range
     */
    RunSettings {
        require(
                model != Model.CLOSED || (concurrency >= 1 && concurrency <= CONCURRENCY_MAX),
                "--concurrency must be 1.." + CONCURRENCY_MAX + ", got " + concurrency);
        require(
                model != Model.OPEN || (ratePerSecond > 0 && ratePerSecond <= RATE_MAX),
                "--rate must be > 0 and <= " + (long) RATE_MAX + ", got " + ratePerSecond);
        require(
                maxInFlight >= 1 && maxInFlight <= CONCURRENCY_MAX,
                "--max-in-flight must be 1.." + CONCURRENCY_MAX + ", got " + maxInFlight);
        require(
                !duration.isNegative() && !duration.isZero() && duration.compareTo(DURATION_MAX) <= 0,
                "--duration must be positive and at most " + DURATION_MAX + ", got " + duration);
        require(
                !warmup.isNegative() && warmup.compareTo(duration) < 0,
                "--warmup must be >= 0 and shorter than --duration, got " + warmup);
        require(
                !ramp.isNegative() && ramp.compareTo(duration) <= 0,
                "--ramp must be >= 0 and at most --duration, got " + ramp);
        require(requestsMax >= 0, "--requests must be >= 0, got " + requestsMax);
        require(
                batchSize >= 1 && batchSize <= BATCH_SIZE_MAX,
                "--batch-size must be 1.." + BATCH_SIZE_MAX + ", got " + batchSize);
        require(
                channels >= 1 && channels <= CHANNELS_MAX,
                "--channels must be 1.." + CHANNELS_MAX + ", got " + channels);
        require(!deadline.isNegative() && !deadline.isZero(), "--deadline must be positive, got " + deadline);
        require(skus >= 1 && skus <= SKUS_MAX, "--skus must be 1.." + SKUS_MAX + ", got " + skus);
        require(
                skuPrefix != null && skuPrefix.matches("[A-Za-z0-9._:-]{1,40}"),
                "--sku-prefix must be 1..40 characters from [A-Za-z0-9._:-], got " + skuPrefix);
        require(
                stock >= 0 && stock <= ContractLimits.TOTAL_STOCK_MAX,
                "--stock must be 0.." + ContractLimits.TOTAL_STOCK_MAX + ", got " + stock);
        require(users >= 1 && users <= USERS_MAX, "--users must be 1.." + USERS_MAX + ", got " + users);
        require(perUserLimit >= 0, "--limit must be >= 0, got " + perUserLimit);
        require(
                quantity >= 1 && quantity <= ContractLimits.QUANTITY_PER_LINE_MAX,
                "--quantity must be 1.." + ContractLimits.QUANTITY_PER_LINE_MAX + ", got " + quantity);
        require(zipfExponent > 0 && zipfExponent <= 10, "--zipf must be > 0 and <= 10, got " + zipfExponent);
        requireFraction("--confirm-ratio", confirmRatio);
        requireFraction("--cancel-ratio", cancelRatio);
        requireFraction("--repeat-ratio", repeatRatio);
        requireFraction("--get-ratio", getRatio);
        require(
                confirmRatio + cancelRatio <= 1.0,
                "--confirm-ratio + --cancel-ratio must be at most 1, got " + (confirmRatio + cancelRatio));
        require(getRatio < 1.0, "--get-ratio must be below 1 (some operations must reserve), got " + getRatio);
        require(
                reservationTtl.toMillis() >= ContractLimits.RESERVATION_TTL_MILLIS_MIN
                        && reservationTtl.toMillis() <= ContractLimits.RESERVATION_TTL_MILLIS_MAX,
                "--reservation-ttl must be " + Duration.ofMillis(ContractLimits.RESERVATION_TTL_MILLIS_MIN) + ".."
                        + Duration.ofMillis(ContractLimits.RESERVATION_TTL_MILLIS_MAX) + ", got " + reservationTtl);
        if (crowd != null) {
            require(model == Model.OPEN, "--crowd-rate needs the open model (--rate)");
            require(
                    crowd.rate() > 0 && crowd.rate() <= RATE_MAX,
                    "--crowd-rate must be > 0 and <= " + (long) RATE_MAX + ", got " + crowd.rate());
            require(!crowd.at().isNegative(), "--crowd-at must be >= 0, got " + crowd.at());
            require(!crowd.ramp().isNegative(), "--crowd-ramp must be >= 0, got " + crowd.ramp());
            require(
                    !crowd.hold().isNegative() && !crowd.hold().isZero(),
                    "--crowd-hold must be positive, got " + crowd.hold());
            require(
                    crowd.end().compareTo(duration) <= 0,
                    "--crowd-at + --crowd-ramp + --crowd-hold must end within --duration, got " + crowd.end() + " > "
                            + duration);
        }
        require(
                clientLimitMax >= 1 && clientLimitMax <= CONCURRENCY_MAX,
                "--client-limit-max must be 1.." + CONCURRENCY_MAX + ", got " + clientLimitMax);
        require(
                !sendTick.isNegative() && sendTick.compareTo(SEND_TICK_MAX) <= 0,
                "--send-tick must be 0.." + SEND_TICK_MAX.toMillis() + "ms, got " + sendTick);
        require(
                (scenario == Scenario.Kind.BOOKING) == (booking != null),
                "--stores, --slots-per-store and --late-ratio are for --scenario booking");
        if (booking != null) {
            require(skus == booking.skus(), "booking: --skus is --stores x --slots-per-store, got " + skus);
            require(
                    skuPrefix.indexOf(':') < 0,
                    "--sku-prefix may not contain ':' with --scenario booking (the store, before the first ':',"
                            + " is the partition key), got " + skuPrefix);
        }
        require(
                (scenario == Scenario.Kind.ABUSE) == (abuse != null),
                "--max-attempts, --attempt-window, --hammer-users, --hammer-share, --blocked-users and"
                        + " --blocked-share are for --scenario abuse");
        require(
                abuse == null || setup,
                "--scenario abuse needs --setup: the run sets the attempt limit and blocks its users before the load");
        require(
                (scenario == Scenario.Kind.COUPON) == (coupon != null),
                "--coupon-kind, --coupon-budget, --coupon-per-user, --coupon-amount-off, --coupon-percent-bps,"
                        + " --coupon-min-spend and --coupon-share are for --scenario coupon");
        require(
                coupon == null || setup,
                "--scenario coupon needs --setup: the run defines its campaign before the load");
        require(
                ordersTrackedMax >= 1 && ordersTrackedMax <= ORDERS_TRACKED_MAX,
                "--audit-orders-max must be 1.." + ORDERS_TRACKED_MAX + ", got " + ordersTrackedMax);
    }

    /**
     * The open model's intended rate, operations per second, {@code seconds} after the start: the
     * normal rate (climbing linearly during {@code --ramp}), or the crowd's while it is there.
     */
    double rateAt(double seconds) {
        return rateCurve().rateAt(seconds);
    }

    /** {@link #rateAt}'s curve with its times in seconds, worked out once: the sender asks it for every send. */
    RateCurve rateCurve() {
        double noCrowd = Double.POSITIVE_INFINITY;
        return new RateCurve(
                ratePerSecond,
                ramp.toNanos() / 1e9,
                crowd == null ? 0 : crowd.rate(),
                crowd == null ? noCrowd : crowd.at().toNanos() / 1e9,
                crowd == null ? 0 : crowd.ramp().toNanos() / 1e9,
                crowd == null ? noCrowd : crowd.end().toNanos() / 1e9);
    }

    /** The open model's rate along a run; see {@link #rateAt}. */
    record RateCurve(
            double ratePerSecond,
            double rampSeconds,
            double crowdRate,
            double crowdAtSeconds,
            double crowdRampSeconds,
            double crowdEndSeconds) {
        double rateAt(double seconds) {
            double normal =
                    seconds < rampSeconds ? ratePerSecond * Math.max(seconds, 1e-3) / rampSeconds : ratePerSecond;
            if (seconds < crowdAtSeconds || seconds >= crowdEndSeconds) {
                return normal;
            }
            if (seconds < crowdAtSeconds + crowdRampSeconds) {
                return normal + (crowdRate - normal) * (seconds - crowdAtSeconds) / crowdRampSeconds;
            }
            return crowdRate;
        }
    }

    /** The calls in flight the run allows at most, in either model. */
    int inFlightMax() {
        return model == Model.CLOSED ? concurrency : maxInFlight;
    }

    String skuId(int index) {
        if (booking != null) {
            return booking.skuId(skuPrefix, index);
        }
        return partitionKeys.isEmpty()
                ? skuPrefix + index
                : partitionKeys.get(index % partitionKeys.size()) + ":" + skuPrefix + index;
    }

    /**
     * With --setup: the end of SKU {@code index}'s sale for a setup at {@code setupEpochMillis}:
     * {@code booking}, its slot's booking window ({@link Booking#saleEndEpochMillis}); otherwise 0, no end.
     */
    long saleEndEpochMillis(int index, long setupEpochMillis) {
        return booking == null ? 0 : booking.saleEndEpochMillis(index, setupEpochMillis, duration);
    }

    /**
     * With --setup: SKU {@code index}'s store ({@code UpsertSkuRequest.store_id}): in {@code booking}
     * the slot's store, {@code <prefix>store-007} (also its partition key); otherwise empty, none.
     */
    String storeId(int index) {
        if (booking == null) {
            return "";
        }
        String skuId = skuId(index);
        return skuId.substring(0, skuId.indexOf(':'));
    }

    /** The same settings with SKU ids spread over partitions by {@code keys} (one per partition). */
    RunSettings withPartitionKeys(List<String> keys) {
        return copy(duration, warmup, ramp, requestsMax, skuPrefix, seed, crowd, List.copyOf(keys));
    }

    /**
     * The warm-up before the run ({@code --prewarm}): the same scenario, API, load and client limit
     * for {@code length}, on SKUs of its own ({@code <prefix>warm-}), so both JVMs compile the paths
     * the run takes without touching the run's stock. A run with a crowd gets a short one in its
     * warm-up too ({@link #PREWARM_CROWD_HOLD} at the crowd's rate, ending {@link
     * #PREWARM_CROWD_CALM} before the warm-up does) if the warm-up is long enough: a crowd's
     * refusals take paths the normal rate never does, and loadgen's compiler was seen working on
     * them inside a measured crowd (2026-12-05). A 10x crowd's slow first seconds did not go away
     * with it, so they have another cause (benchmarks/README, 2026-12-05 06:00).
     */
    RunSettings forPrewarm(Duration length) {
        Crowd warmCrowd = null;
        if (crowd != null && length.compareTo(PREWARM_CROWD_LENGTH_MIN) >= 0) {
            warmCrowd = new Crowd(
                    crowd.rate(),
                    length.minus(PREWARM_CROWD_HOLD).minus(PREWARM_CROWD_CALM),
                    Duration.ZERO,
                    PREWARM_CROWD_HOLD);
        }
        return copy(
                length,
                Duration.ZERO,
                ramp.compareTo(length) < 0 ? ramp : length,
                0,
                skuPrefix + "warm-",
                seed + 1,
                warmCrowd,
                partitionKeys);
    }

    private RunSettings copy(
            Duration newDuration,
            Duration newWarmup,
            Duration newRamp,
            long newRequestsMax,
            String newSkuPrefix,
            long newSeed,
            Crowd newCrowd,
            List<String> newPartitionKeys) {
        return new RunSettings(
                scenario,
                model,
                concurrency,
                ratePerSecond,
                maxInFlight,
                newDuration,
                newWarmup,
                newRamp,
                newRequestsMax,
                api,
                batchSize,
                channels,
                deadline,
                skus,
                newSkuPrefix,
                stock,
                users,
                perUserLimit,
                quantity,
                zipfExponent,
                confirmRatio,
                cancelRatio,
                repeatRatio,
                getRatio,
                setup,
                reservationTtl,
                ordersTrackedMax,
                newSeed,
                newCrowd,
                clientLimit,
                clientLimitMax,
                sendTick,
                newPartitionKeys,
                booking,
                abuse,
                coupon);
    }

    private static void requireFraction(String option, double value) {
        require(value >= 0 && value <= 1, option + " must be 0..1, got " + value);
    }

    private static void require(boolean holds, String message) {
        if (!holds) {
            throw new IllegalArgumentException(message);
        }
    }
}
