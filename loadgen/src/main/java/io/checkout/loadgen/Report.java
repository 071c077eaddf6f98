package io.checkout.loadgen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The figures of a run, one object that the human summary, the {@code --json} file and the HTML
 * report are all written from, so they cannot disagree. Latencies are milliseconds.
 */
record Report(
        String scenario,
        String model,
        String api,
        String target,
        String runId,
        int channels,
        int concurrency,
        double ratePerSecond,
        int maxInFlight,
        double durationSeconds,
        double warmupSeconds,
        double rampSeconds,
        double measuredSeconds,
        long measuredFromEpochMillis,
        long operationsSent,
        double operationsPerSecond,
        double reservesPerSecond,
        Map<String, Latency> latency,
        Map<String, Long> reserveResults,
        Map<String, Long> grpcErrors,
        long followUpsDropped,
        long lateSends,
        boolean coordinatedOmissionCorrected,
        Latency reserveFromSend,
        Latency sendLag,
        AuditReport audit,
        String primaryOperation,
        List<Measurements.Interval> primaryIntervals,
        List<PercentilePoint> primaryDistribution,
        String clientLimit,
        Crowd crowd,
        List<Timeline.Second> timeline,
        BookedSlots booking,
        AbuseSummary abuse,
        CouponSummary coupon) {

    /**
     * {@code coupon}: the run's campaign, and what the reserves naming it and those that did not
     * were answered, over the whole run, warm-up included (the audit's figures); null in the other
     * scenarios.
     *
     * @param kind amount-off, percent-off or spend-and-save
     * @param partitions partitions holding the campaign, each with its own budget and per-user limit
     * @param orderGrossMinor what every order of the run costs
     * @param discountPerOrderMinor what the terms take off such an order; 0: it does not qualify
     * @param named the reserves that named the campaign; {@code notNamed} those that did not
     * @param discountGivenMinor the discounts of every RESERVED answer naming the campaign
     * @param cancelsSent cancels the run sent of orders that redeemed the campaign
     * @param peakHeld the most redemptions the run saw held at once on one partition (RESERVED
     *     answers so far less the cancels sent and the reservations sent a TTL or more ago)
     * @param redeemed GetCampaign's redeemed at the audit, summed over the partitions; -1 if not read
     * @param redeemingUsers GetCampaign's redeeming_users at the audit, summed; -1 if not read
     * @param afterwards what the run did to the campaign after the audit
     */
    record CouponSummary(
            String campaignId,
            String kind,
            String terms,
            long amountOffMinor,
            int percentOffBps,
            long minSpendMinor,
            long budget,
            long perUserLimit,
            double share,
            int partitions,
            long orderGrossMinor,
            long discountPerOrderMinor,
            Counts named,
            Counts notNamed,
            long discountGivenMinor,
            long cancelsSent,
            long peakHeld,
            long redeemed,
            long redeemingUsers,
            String afterwards) {

        /**
         * What the reserves naming the campaign, or those that did not, were answered.
         *
         * @param other another outcome of their own: SOLD_OUT, LIMIT_EXCEEDED, ...
         * @param failed no outcome of their own: REJECTED, or the call failed
         */
        record Counts(
                String name,
                long sent,
                long reserved,
                long budgetExhausted,
                long userLimitReached,
                long notApplicable,
                long unknown,
                long notActive,
                long other,
                long failed) {

            static Counts of(String name, CouponTally tally, boolean named) {
                return new Counts(
                        name,
                        tally.count(named, CouponTally.Count.SENT),
                        tally.count(named, CouponTally.Count.RESERVED),
                        tally.count(named, CouponTally.Count.CAMPAIGN_BUDGET_EXHAUSTED),
                        tally.count(named, CouponTally.Count.CAMPAIGN_USER_LIMIT_REACHED),
                        tally.count(named, CouponTally.Count.CAMPAIGN_NOT_APPLICABLE),
                        tally.count(named, CouponTally.Count.CAMPAIGN_UNKNOWN),
                        tally.count(named, CouponTally.Count.CAMPAIGN_NOT_ACTIVE),
                        tally.count(named, CouponTally.Count.OTHER),
                        tally.count(named, CouponTally.Count.FAILED));
            }
        }

        static CouponSummary of(CouponTally tally) {
            Coupon coupon = tally.coupon();
            long peak = 0;
            for (int partition : tally.defined().keySet()) {
                peak = Math.max(peak, tally.peakHeld(partition));
            }
            return new CouponSummary(
                    tally.campaignId(),
                    coupon.kind().label(),
                    coupon.terms(),
                    coupon.amountOffMinor(),
                    coupon.percentOffBps(),
                    coupon.minSpendMinor(),
                    coupon.budget(),
                    coupon.perUserLimit(),
                    coupon.share(),
                    Math.max(1, tally.defined().size()),
                    tally.orderGrossMinor(),
                    tally.expectedDiscountMinor(),
                    Counts.of("with coupon", tally, true),
                    Counts.of("without", tally, false),
                    tally.discountGivenMinor(),
                    tally.cancelsSent(),
                    peak,
                    tally.redeemedAtAudit(),
                    tally.redeemingUsersAtAudit(),
                    tally.afterwards());
        }
    }

    /**
     * {@code abuse}: the attempt limit and what each class of user sent and was answered, over the
     * whole run, warm-up included (the audit's figures); null in the other scenarios.
     *
     * @param windowsSpanned attempt-limit windows from the run's first send to its last answer, on
     *     loadgen's clock
     * @param countedBound the most counted answers a user may get over the run ({@link Abuse#countedBound})
     * @param classes normal, hammer and blocked users, in that order
     * @param hammerUsers every hammer user (at most {@link Abuse#HAMMER_USERS_MAX})
     * @param blockedUsers every blocked user (at most {@link Abuse#BLOCKED_USERS_MAX})
     * @param afterwards what the run did to the server's risk rules after the audit
     */
    record AbuseSummary(
            int maxAttempts,
            long windowMillis,
            int partitions,
            long windowsSpanned,
            long countedBound,
            List<Counts> classes,
            List<Counts> hammerUsers,
            List<Counts> blockedUsers,
            String afterwards) {

        /**
         * What one class of user, or one user, sent and was answered.
         *
         * @param name the class (normal, hammer, blocked) or the user id
         * @param users how many users the class has; 1 for one user
         * @param share the share of the reserves the class was meant to send; for one user, its class's
         * @param counted RESERVED plus refused: the answers the attempt limit counts
         * @param refused answered with another outcome of its own (SOLD_OUT, LIMIT_EXCEEDED, ...)
         * @param failed no outcome of its own: REJECTED, or the call failed
         */
        record Counts(
                String name,
                long users,
                double share,
                long sent,
                long counted,
                long reserved,
                long refused,
                long rateLimited,
                long blocked,
                long failed) {}

        static AbuseSummary of(RunSettings settings, AbuseTally tally) {
            Abuse abuse = tally.abuse();
            List<Counts> classes = new ArrayList<>();
            for (Abuse.UserClass userClass : Abuse.UserClass.values()) {
                long users;
                double share;
                switch (userClass) {
                    case HAMMER -> {
                        users = abuse.hammerUsers();
                        share = abuse.hammerShare();
                    }
                    case BLOCKED -> {
                        users = abuse.blockedUsers();
                        share = abuse.blockedShare();
                    }
                    default -> {
                        users = settings.users();
                        share = 1 - abuse.hammerShare() - abuse.blockedShare();
                    }
                }
                classes.add(new Counts(
                        userClass.label(),
                        users,
                        share,
                        tally.count(userClass, AbuseTally.Count.SENT),
                        tally.count(userClass, AbuseTally.Count.RESERVED)
                                + tally.count(userClass, AbuseTally.Count.REFUSED),
                        tally.count(userClass, AbuseTally.Count.RESERVED),
                        tally.count(userClass, AbuseTally.Count.REFUSED),
                        tally.count(userClass, AbuseTally.Count.RATE_LIMITED),
                        tally.count(userClass, AbuseTally.Count.BLOCKED),
                        tally.count(userClass, AbuseTally.Count.FAILED)));
            }
            return new AbuseSummary(
                    abuse.maxAttempts(),
                    abuse.windowMillis(),
                    tally.partitions(),
                    tally.windowsSpanned(),
                    tally.countedBound(),
                    List.copyOf(classes),
                    users(tally, tally.hammerUserIds(), abuse.hammerShare()),
                    users(tally, tally.blockedUserIds(), abuse.blockedShare()),
                    tally.afterwards());
        }

        private static List<Counts> users(AbuseTally tally, List<String> userIds, double share) {
            List<Counts> users = new ArrayList<>(userIds.size());
            for (String userId : userIds) {
                users.add(new Counts(
                        userId,
                        1,
                        share,
                        tally.count(userId, AbuseTally.Count.SENT),
                        tally.counted(userId),
                        tally.count(userId, AbuseTally.Count.RESERVED),
                        tally.count(userId, AbuseTally.Count.REFUSED),
                        tally.count(userId, AbuseTally.Count.RATE_LIMITED),
                        tally.count(userId, AbuseTally.Count.BLOCKED),
                        tally.count(userId, AbuseTally.Count.FAILED)));
            }
            return List.copyOf(users);
        }
    }

    /** The crowd as it was asked for, and what came of it; null in a run without one. */
    record Crowd(
            double ratePerSecond,
            double atSeconds,
            double rampSeconds,
            double holdSeconds,
            double deadlineMillis,
            double sendTickMillis,
            Timeline.CrowdSummary result) {}

    /**
     * {@code booking}: how its slots stood at the audit; null in the other scenarios. A slot is
     * fully booked when none of its places is available: each paid, or held by a reservation.
     *
     * @param eveningSlots slots from 17:00 to 21:59, the most wanted
     * @param firstStoreFullyBooked fully booked slots of store 0, the most popular
     * @param lastStoreFullyBooked fully booked slots of the last store, the least popular
     * @param setupSeconds with --setup, how long after the windows opened the run began (the setup's
     *     time, taken from the first windows); -1 without
     */
    record BookedSlots(
            int stores,
            int slotsPerStore,
            int fullyBooked,
            int withFreeCapacity,
            long placesBooked,
            long places,
            int eveningSlots,
            int eveningFullyBooked,
            int firstStoreFullyBooked,
            int lastStoreFullyBooked,
            double setupSeconds) {

        /** The run's slots as the audit read them ({@code skus} by id), after a setup of {@code setupSeconds}. */
        static BookedSlots of(RunSettings settings, Map<String, Sku> skus, double setupSeconds) {
            Booking booking = settings.booking();
            int full = 0;
            int free = 0;
            long booked = 0;
            long places = 0;
            int evening = 0;
            int eveningFull = 0;
            int firstStoreFull = 0;
            int lastStoreFull = 0;
            for (int index = 0; index < booking.skus(); index++) {
                Sku sku = skus.get(settings.skuId(index));
                if (sku == null) {
                    continue;
                }
                boolean isFull = sku.getAvailable() == 0;
                boolean isEvening = booking.evening(booking.slotOf(index));
                full += isFull ? 1 : 0;
                free += isFull ? 0 : 1;
                booked += sku.getSold() + sku.getReserved();
                places += sku.getTotalStock();
                evening += isEvening ? 1 : 0;
                eveningFull += isEvening && isFull ? 1 : 0;
                firstStoreFull += isFull && booking.storeOf(index) == 0 ? 1 : 0;
                lastStoreFull += isFull && booking.storeOf(index) == booking.stores() - 1 ? 1 : 0;
            }
            return new BookedSlots(
                    booking.stores(),
                    booking.slotsPerStore(),
                    full,
                    free,
                    booked,
                    places,
                    evening,
                    eveningFull,
                    firstStoreFull,
                    lastStoreFull,
                    settings.setup() ? setupSeconds : -1);
        }
    }

    record Latency(
            long count,
            double meanMillis,
            double p50Millis,
            double p90Millis,
            double p99Millis,
            double p999Millis,
            double p9999Millis,
            double maxMillis) {

        static Latency of(Histogram histogram) {
            return new Latency(
                    histogram.getTotalCount(),
                    histogram.getMean() / 1e6,
                    Measurements.millis(histogram.getValueAtPercentile(50)),
                    Measurements.millis(histogram.getValueAtPercentile(90)),
                    Measurements.millis(histogram.getValueAtPercentile(99)),
                    Measurements.millis(histogram.getValueAtPercentile(99.9)),
                    Measurements.millis(histogram.getValueAtPercentile(99.99)),
                    Measurements.millis(histogram.getMaxValue()));
        }
    }

    record AuditReport(boolean passed, long ordersChecked, long skusChecked, List<Audit.Check> checks) {}

    /** One point of the percentile distribution: the latency below which {@code percentile}% of calls fell. */
    record PercentilePoint(double percentile, double millis) {}

    /** Percentiles of the distribution chart: ever closer to 100, as HdrHistogram's plots have them. */
    private static final double[] DISTRIBUTION_PERCENTILES = {
        0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96.25, 97.5, 98.125, 98.75, 99, 99.375, 99.5, 99.6875,
        99.8, 99.9, 99.95, 99.99, 99.995, 99.999, 100
    };

    /** abuse: hammer users listed one by one in the summary; the JSON has them all. */
    private static final int HAMMER_LINES_MAX = 10;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Report of(RunResult result, String target) {
        RunSettings settings = result.settings();
        Measurements measurements = result.measurements();
        Map<String, Latency> latency = new LinkedHashMap<>();
        long operations = 0;
        long reserves = 0;
        Histogram primaryHistogram = null;
        for (OpKind kind : OpKind.values()) {
            Histogram histogram = measurements.total(kind);
            operations += histogram.getTotalCount();
            if (kind == OpKind.RESERVE) {
                reserves = histogram.getTotalCount();
            }
            if (kind == measurements.primary()) {
                primaryHistogram = histogram;
            }
            if (histogram.getTotalCount() > 0) {
                latency.put(kind.label(), Latency.of(histogram));
            }
        }
        Map<String, Long> results = new LinkedHashMap<>();
        boolean abuse = settings.abuse() != null;
        boolean coupon = settings.coupon() != null;
        for (ReserveResult value : ReserveResult.values()) {
            // abuse: BLOCKED and RATE_LIMITED are what the run is about, so they show even when none came;
            // coupon: the five CAMPAIGN_* results.
            boolean shown = (abuse && (value == ReserveResult.BLOCKED || value == ReserveResult.RATE_LIMITED))
                    || (coupon && value.name().startsWith("CAMPAIGN_"));
            if (value != ReserveResult.UNRECOGNIZED && (measurements.reserveResult(value) > 0 || shown)) {
                results.put(value.name(), measurements.reserveResult(value));
            }
        }
        Map<String, Long> errors = new LinkedHashMap<>();
        for (Status.Code code : Status.Code.values()) {
            if (measurements.errors(code) > 0) {
                errors.put(code.name(), measurements.errors(code));
            }
        }
        List<PercentilePoint> distribution = new ArrayList<>();
        if (primaryHistogram != null && primaryHistogram.getTotalCount() > 0) {
            for (double percentile : DISTRIBUTION_PERCENTILES) {
                distribution.add(new PercentilePoint(
                        percentile, Measurements.millis(primaryHistogram.getValueAtPercentile(percentile))));
            }
        }
        Audit audit = result.audit();
        boolean open = settings.model() == RunSettings.Model.OPEN;
        return new Report(
                settings.scenario().label(),
                settings.model().name().toLowerCase(Locale.ROOT),
                settings.api().label(),
                target,
                result.runId(),
                settings.channels(),
                open ? 0 : settings.concurrency(),
                open ? settings.ratePerSecond() : 0,
                settings.inFlightMax(),
                result.sendingSeconds(),
                settings.warmup().toNanos() / 1e9,
                settings.ramp().toNanos() / 1e9,
                result.measuredSeconds(),
                measurements.startEpochMillis(),
                result.operationsSent(),
                operations / result.measuredSeconds(),
                reserves / result.measuredSeconds(),
                latency,
                results,
                errors,
                measurements.followUpsDropped(),
                measurements.lateSends(),
                open,
                open ? latencyOrNull(measurements.reserveFromSendTotal()) : null,
                open ? latencyOrNull(measurements.sendLagTotal()) : null,
                new AuditReport(audit.passed(), audit.ordersChecked(), audit.skusChecked(), audit.checks()),
                measurements.primary().label(),
                measurements.intervals(measurements.primary()),
                distribution,
                settings.clientLimit().label(),
                settings.crowd() == null
                        ? null
                        : new Crowd(
                                settings.crowd().rate(),
                                settings.crowd().at().toNanos() / 1e9,
                                settings.crowd().ramp().toNanos() / 1e9,
                                settings.crowd().hold().toNanos() / 1e9,
                                settings.deadline().toNanos() / 1e6,
                                settings.sendTick().toNanos() / 1e6,
                                result.timeline().crowdSummary(settings)),
                open && settings.scenario() != Scenario.Kind.EMPTY_CALL
                        ? result.timeline().seconds()
                        : List.of(),
                settings.booking() == null ? null : BookedSlots.of(settings, audit.skus(), result.setupSeconds()),
                result.abuse() == null ? null : AbuseSummary.of(settings, result.abuse()),
                result.coupon() == null ? null : CouponSummary.of(result.coupon()));
    }

    String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("report could not be written as JSON", e);
        }
    }

    static Report fromJson(String json) throws JsonProcessingException {
        return JSON.readValue(json, Report.class);
    }

    /** The human summary printed at the end of a run. */
    String summary() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%n%s, %s model (%s), %s API, %d channel(s), target %s%n",
                scenario,
                model,
                model.equals("open")
                        ? String.format(Locale.ROOT, "%.0f/s, at most %d in flight", ratePerSecond, maxInFlight)
                        : concurrency + " in flight",
                api,
                channels,
                target));
        out.append(String.format(
                Locale.ROOT,
                "sent %,d operations in %.1f s; measured %.1f s after %.1f s warm-up%n",
                operationsSent,
                durationSeconds,
                measuredSeconds,
                warmupSeconds));
        out.append(String.format(
                Locale.ROOT, "throughput: %,.0f ops/s, %,.0f reserves/s%n", operationsPerSecond, reservesPerSecond));
        out.append(String.format(
                Locale.ROOT, "latency (ms%s):%n", coordinatedOmissionCorrected ? ", from the intended send time" : ""));
        out.append(String.format(
                Locale.ROOT,
                "  %-10s %10s %8s %8s %8s %8s %8s %8s%n",
                "",
                "count",
                "p50",
                "p90",
                "p99",
                "p99.9",
                "p99.99",
                "max"));
        for (Map.Entry<String, Latency> entry : latency.entrySet()) {
            appendLatencyRow(out, entry.getKey(), entry.getValue(), "");
        }
        out.append("reserve results:");
        reserveResults.forEach((name, count) -> out.append(String.format(Locale.ROOT, " %s %,d", name, count)));
        out.append(String.format(Locale.ROOT, "%ngRPC errors:%s%n", grpcErrors.isEmpty() ? " none" : ""));
        grpcErrors.forEach((name, count) -> out.append(String.format(Locale.ROOT, "  %-20s %,d%n", name, count)));
        if (followUpsDropped > 0) {
            out.append(String.format(Locale.ROOT, "follow-ups dropped (queue full): %,d%n", followUpsDropped));
        }
        if (reserveFromSend != null) {
            appendLatencyRow(
                    out, "sent", reserveFromSend, "  (reserve from the actual send, without the sender's lag)");
        }
        if (sendLag != null) {
            appendLatencyRow(out, "lag", sendLag, "  (how late the sender was against its schedule, every operation)");
        }
        out.append(perSecondP99(primaryOperation, primaryIntervals));
        if (coordinatedOmissionCorrected) {
            out.append(String.format(Locale.ROOT, "sends that waited for an in-flight slot: %,d%n", lateSends));
        }
        if (crowd != null) {
            appendCrowd(out);
        }
        if (booking != null) {
            appendBooking(out);
        }
        if (abuse != null) {
            appendAbuse(out);
        }
        if (coupon != null) {
            appendCoupon(out);
        }
        out.append(String.format(
                Locale.ROOT, "audit (%,d orders, %,d SKUs read back):%n", audit.ordersChecked(), audit.skusChecked()));
        for (Audit.Check check : audit.checks()) {
            out.append(String.format(Locale.ROOT, "  [%-7s] %s: %s%n", check.verdict(), check.name(), check.detail()));
        }
        out.append(audit.passed() ? "AUDIT: PASS" : "AUDIT: FAIL").append(System.lineSeparator());
        return out.toString();
    }

    /** The per-second table of a crowd run and its summary against the targets' terms. */
    private void appendCrowd(StringBuilder out) {
        out.append(String.format(
                Locale.ROOT,
                "flash crowd: %.0f/s from %.1f s (ramp %.1f s, held %.1f s), normal %.0f/s, deadline %.0f ms,"
                        + " client limit %s, send tick %.0f ms%n",
                crowd.ratePerSecond(),
                crowd.atSeconds(),
                crowd.rampSeconds(),
                crowd.holdSeconds(),
                ratePerSecond,
                crowd.deadlineMillis(),
                clientLimit,
                crowd.sendTickMillis()));
        out.append(String.format(
                Locale.ROOT,
                "  %4s %9s %9s %9s %9s %9s %7s %9s %10s %10s %8s %13s %9s%n",
                "s",
                "offered",
                "admitted",
                "refused",
                "(client)",
                "expired",
                "failed",
                "goodput",
                "p99 adm ms",
                "max adm ms",
                "lag ms",
                "client limit",
                "in flight"));
        for (Timeline.Second second : timeline) {
            out.append(String.format(
                    Locale.ROOT,
                    "  %4d %,9d %,9d %,9d %,9d %,9d %,7d %,9d %10s %10s %8.0f %13s %9s%n",
                    second.second(),
                    second.offered(),
                    second.admitted(),
                    second.refusedByClient() + second.refusedByServer(),
                    second.refusedByClient(),
                    second.expired(),
                    second.failed(),
                    second.reservedAnswered(),
                    millisOrDash(second.admittedP99Millis()),
                    millisOrDash(second.admittedMaxMillis()),
                    second.sendLagMaxMillis(),
                    second.clientLimitMin() < 0
                            ? "-"
                            : String.format(Locale.ROOT, "%,d-%,d", second.clientLimitMin(), second.clientLimitMax()),
                    second.clientInFlightMax() < 0
                            ? "-"
                            : String.format(Locale.ROOT, "%,d", second.clientInFlightMax())));
        }
        out.append(
                        "  (offered, admitted, refused, expired: by the second a reserve was due; goodput (RESERVED), p99 and"
                                + " longest (max) of admitted: by the second of the answer; lag: the most a send was behind its schedule;"
                                + " client limit: the SDK's adaptive limit, least-most, and the most calls it held in flight,"
                                + " sampled every " + Timeline.LIMIT_SAMPLE_MILLIS + " ms over all channels)")
                .append(System.lineSeparator());
        Timeline.CrowdSummary r = crowd.result();
        out.append(String.format(
                Locale.ROOT,
                "  before the crowd: offered %,.0f/s, goodput %,.0f reserves/s, p99 of admitted %s ms%n",
                r.normalOfferedPerSecond(),
                r.normalGoodputPerSecond(),
                millisOrDash(r.normalAdmittedP99Millis())));
        out.append(String.format(
                Locale.ROOT,
                "  while it held:    offered %,.0f/s, goodput %,.0f reserves/s, p99 of admitted %s ms (%s ms from the"
                        + " actual send, without the sender's lag)%n",
                r.crowdOfferedPerSecond(),
                r.crowdGoodputPerSecond(),
                millisOrDash(r.crowdAdmittedP99Millis()),
                millisOrDash(r.crowdAdmittedP99FromSendMillis())));
        out.append(String.format(
                Locale.ROOT,
                "  of all reserves offered: %.2f%% expired (DEADLINE_EXCEEDED), %.2f%% refused; latency back to normal"
                        + " %s after the crowd left%n",
                100 * r.expiredFraction(),
                100 * r.refusedFraction(),
                r.recoverySeconds() < 0 ? "never in the run" : r.recoverySeconds() + " s"));
    }

    private static void appendLatencyRow(StringBuilder out, String label, Latency l, String note) {
        out.append(String.format(
                Locale.ROOT,
                "  %-10s %,10d %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f%s%n",
                label,
                l.count(),
                l.p50Millis(),
                l.p90Millis(),
                l.p99Millis(),
                l.p999Millis(),
                l.p9999Millis(),
                l.maxMillis(),
                note));
    }

    /**
     * The spread of the primary operation's p99 over the measured run's seconds: their median and
     * the largest, so that a steady tail and a few bad seconds (a warm-up's end, a pause) read apart
     * where the run's one p99 mixes them. Only measured intervals of at least half a second count
     * (the progress ticker's last one is shorter). Empty when there is none.
     */
    static String perSecondP99(String operation, List<Measurements.Interval> intervals) {
        if (intervals == null) {
            return "";
        }
        double[] p99 = intervals.stream()
                .filter(interval ->
                        interval.startSeconds() >= 0 && interval.lengthSeconds() >= 0.5 && interval.count() > 0)
                .mapToDouble(Measurements.Interval::p99Millis)
                .sorted()
                .toArray();
        if (p99.length == 0) {
            return "";
        }
        double median = p99.length % 2 == 1 ? p99[p99.length / 2] : (p99[p99.length / 2 - 1] + p99[p99.length / 2]) / 2;
        return String.format(
                Locale.ROOT,
                "per second: %s p99 median %.3f ms, max %.3f ms over %d second%s%n",
                operation,
                median,
                p99[p99.length - 1],
                p99.length,
                p99.length == 1 ? "" : "s");
    }

    private static Latency latencyOrNull(Histogram histogram) {
        return histogram.getTotalCount() == 0 ? null : Latency.of(histogram);
    }

    /** booking: the slots fully booked and those with places left, and where the demand went. */
    private void appendBooking(StringBuilder out) {
        BookedSlots b = booking;
        out.append(String.format(
                Locale.ROOT,
                "booking: %,d of %,d slots fully booked, %,d with free capacity; %,d of %,d places booked (paid or"
                        + " held)%n",
                b.fullyBooked(),
                b.fullyBooked() + b.withFreeCapacity(),
                b.withFreeCapacity(),
                b.placesBooked(),
                b.places()));
        out.append(String.format(
                Locale.ROOT,
                "  fully booked: %,d of %,d evening slots (17:00-21:59), %,d of %,d others; %d of %d slots of store 0"
                        + " (the most popular), %d of %d of store %d (the least)%n",
                b.eveningFullyBooked(),
                b.eveningSlots(),
                b.fullyBooked() - b.eveningFullyBooked(),
                b.fullyBooked() + b.withFreeCapacity() - b.eveningSlots(),
                b.firstStoreFullyBooked(),
                b.slotsPerStore(),
                b.lastStoreFullyBooked(),
                b.slotsPerStore(),
                b.stores() - 1));
        if (b.setupSeconds() >= 0) {
            out.append(String.format(
                    Locale.ROOT,
                    "  the windows opened at setup, %.2f s before the run began, which sent until the last closed%n",
                    b.setupSeconds()));
        }
    }

    /** abuse: the attempt limit, and per class of user what it sent and was answered. */
    private void appendAbuse(StringBuilder out) {
        AbuseSummary a = abuse;
        out.append(String.format(
                Locale.ROOT,
                "abuse: attempt limit %d per %d ms window per user%s; the whole run, warm-up included, first"
                        + " sends only:%n",
                a.maxAttempts(),
                a.windowMillis(),
                a.partitions() > 1 ? " on each of " + a.partitions() + " partitions" : ""));
        out.append(String.format(
                Locale.ROOT,
                "  %-8s %7s %6s %10s %10s %10s %12s %10s %8s%n",
                "users",
                "count",
                "share",
                "sent",
                "RESERVED",
                "refused",
                "RATE_LIMITED",
                "BLOCKED",
                "failed"));
        for (AbuseSummary.Counts c : a.classes()) {
            out.append(String.format(
                    Locale.ROOT,
                    "  %-8s %,7d %5.0f%% %,10d %,10d %,10d %,12d %,10d %,8d%n",
                    c.name(),
                    c.users(),
                    100 * c.share(),
                    c.sent(),
                    c.reserved(),
                    c.refused(),
                    c.rateLimited(),
                    c.blocked(),
                    c.failed()));
        }
        out.append(String.format(
                Locale.ROOT,
                "  (refused: other outcomes of their own, SOLD_OUT, LIMIT_EXCEEDED, ..., counted by the limit as"
                        + " RESERVED is; failed: REJECTED or no answer)%n"));
        if (!a.hammerUsers().isEmpty()) {
            out.append(String.format(
                    Locale.ROOT,
                    "  hammer users, at most %,d counted answers each over the run's %d window(s) (+1 for clock"
                            + " skew):%n",
                    a.countedBound(),
                    a.windowsSpanned()));
            for (int i = 0; i < Math.min(HAMMER_LINES_MAX, a.hammerUsers().size()); i++) {
                AbuseSummary.Counts c = a.hammerUsers().get(i);
                out.append(String.format(
                        Locale.ROOT,
                        "    %s sent %,d: counted %,d (RESERVED %,d), RATE_LIMITED %,d, failed %,d%n",
                        c.name(),
                        c.sent(),
                        c.counted(),
                        c.reserved(),
                        c.rateLimited(),
                        c.failed()));
            }
            if (a.hammerUsers().size() > HAMMER_LINES_MAX) {
                out.append(String.format(
                        Locale.ROOT,
                        "    ... and %d more (--json has them all)%n",
                        a.hammerUsers().size() - HAMMER_LINES_MAX));
            }
        }
        if (!a.afterwards().isEmpty()) {
            out.append("  ").append(a.afterwards()).append(System.lineSeparator());
        }
    }

    /** coupon: the campaign, the answers with and without it, and its redemptions. */
    private void appendCoupon(StringBuilder out) {
        CouponSummary c = coupon;
        out.append(String.format(
                Locale.ROOT,
                "coupon: campaign %s, %s, budget %,d, %,d per user%s; %.0f%% of reserves named it; the whole run,"
                        + " warm-up included, first sends only:%n",
                c.campaignId(),
                c.terms(),
                c.budget(),
                c.perUserLimit(),
                c.partitions() > 1 ? " on each of " + c.partitions() + " partitions" : "",
                100 * c.share()));
        out.append(String.format(
                Locale.ROOT,
                "  %-11s %9s %9s %9s %9s %9s %9s %9s %9s %7s%n",
                "reserves",
                "sent",
                "RESERVED",
                "BUDGET_EX",
                "USER_LIM",
                "NOT_APPL",
                "UNKNOWN",
                "NOT_ACTV",
                "other",
                "failed"));
        for (CouponSummary.Counts row : List.of(c.named(), c.notNamed())) {
            out.append(String.format(
                    Locale.ROOT,
                    "  %-11s %,9d %,9d %,9d %,9d %,9d %,9d %,9d %,9d %,7d%n",
                    row.name(),
                    row.sent(),
                    row.reserved(),
                    row.budgetExhausted(),
                    row.userLimitReached(),
                    row.notApplicable(),
                    row.unknown(),
                    row.notActive(),
                    row.other(),
                    row.failed()));
        }
        out.append(String.format(
                Locale.ROOT,
                "  (CAMPAIGN_BUDGET_EXHAUSTED, _USER_LIMIT_REACHED, _NOT_APPLICABLE, _UNKNOWN, _NOT_ACTIVE; other:"
                        + " SOLD_OUT, LIMIT_EXCEEDED, ...; failed: REJECTED or no answer)%n"));
        out.append(String.format(
                Locale.ROOT,
                "  an order of %,d minor got %,d off; %,d minor given in all; %,d cancels of redeeming orders"
                        + " sent; redemptions held as the run saw them peaked at %,d of %,d%n",
                c.orderGrossMinor(),
                c.discountPerOrderMinor(),
                c.discountGivenMinor(),
                c.cancelsSent(),
                c.peakHeld(),
                c.budget()));
        if (c.redeemed() >= 0) {
            out.append(String.format(
                    Locale.ROOT,
                    "  at the audit: GetCampaign redeemed %,d by %,d user(s)%n",
                    c.redeemed(),
                    c.redeemingUsers()));
        }
        if (!c.afterwards().isEmpty()) {
            out.append("  ").append(c.afterwards()).append(System.lineSeparator());
        }
    }

    private static String millisOrDash(double millis) {
        return millis < 0 ? "-" : String.format(Locale.ROOT, "%.1f", millis);
    }
}
