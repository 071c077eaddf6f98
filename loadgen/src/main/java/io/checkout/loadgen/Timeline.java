package io.checkout.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A run's reserves second by second, for overload runs: what was offered and what became of it
 * (by the second it was due to be sent), the goodput and the latency of admitted calls (by the
 * second they were answered). Reply threads record without locking; the one reporting thread
 * closes a second of latency each tick. Sized for the run, so its memory is bounded by the run's
 * length (at most {@link RunSettings#DURATION_MAX} plus the drain).
 *
 * <p>Outcomes: <b>admitted</b> calls got an answer from the server (any {@code ReserveResult});
 * <b>refused</b> ones a {@code RESOURCE_EXHAUSTED}, either the client's own adaptive limit (never
 * sent) or the server's; <b>expired</b> ones a {@code DEADLINE_EXCEEDED}; anything else is
 * <b>failed</b>.
 */
final class Timeline {
    /**
     * One second of the run. Latencies in milliseconds, the p99 and the longest of the calls
     * answered in the second (one stall shows in the longest before it moves a p99); -1 for a
     * second without admitted answers.
     * The SDK's adaptive limit (summed over the run's clients) as sampled every
     * {@link #LIMIT_SAMPLE_MILLIS} ms within the second: its least and most, and the most calls it
     * held in flight; -1 each without a limit or a sample.
     */
    record Second(
            int second,
            long offered,
            long admitted,
            long refusedByClient,
            long refusedByServer,
            long expired,
            long failed,
            long reservedAnswered,
            double admittedP99Millis,
            double admittedMaxMillis,
            double sendLagMaxMillis,
            int clientLimitMin,
            int clientLimitMax,
            int clientInFlightMax) {}

    /**
     * The crowd's figures: means over the seconds it held at its rate, against the seconds before it
     * came (after warm-up).
     *
     * @param normalAdmittedP99Millis -1 if nothing was admitted before the crowd
     * @param crowdAdmittedP99Millis -1 if nothing sent during the crowd was admitted
     * @param crowdAdmittedP99FromSendMillis as {@code crowdAdmittedP99Millis}, but from when the call
     *     was sent rather than when it was due: without the sender's own lag
     * @param recoverySeconds seconds after the crowd left until a second's p99 was back within twice
     *     the normal p99 (plus 1 ms); -1 if it never was before the run ended
     */
    record CrowdSummary(
            double normalOfferedPerSecond,
            double normalGoodputPerSecond,
            double normalAdmittedP99Millis,
            double crowdOfferedPerSecond,
            double crowdGoodputPerSecond,
            double crowdAdmittedP99Millis,
            double crowdAdmittedP99FromSendMillis,
            double expiredFraction,
            double refusedFraction,
            int recoverySeconds) {}

    /** How often {@link #sampleClientLimit} is meant to be called: often enough to see a collapse. */
    static final int LIMIT_SAMPLE_MILLIS = 20;

    private static final int SIGNIFICANT_DIGITS = 3;

    private final int seconds;
    private final AtomicLongArray offered;
    private final AtomicLongArray admitted;
    private final AtomicLongArray refusedByClient;
    private final AtomicLongArray refusedByServer;
    private final AtomicLongArray expired;
    private final AtomicLongArray failed;
    private final AtomicLongArray reservedAnswered;
    private final AtomicLongArray sendLagMaxNanos;
    private final double[] admittedP99Millis;
    private final double[] admittedMaxMillis;
    private final int[] clientLimitMin;
    private final int[] clientLimitMax;
    private final int[] clientInFlightMax;
    private final Recorder admittedLatency = new Recorder(SIGNIFICANT_DIGITS);
    private final Recorder normalAdmitted = new Recorder(SIGNIFICANT_DIGITS);
    private final Recorder crowdAdmitted = new Recorder(SIGNIFICANT_DIGITS);
    private final Recorder crowdAdmittedFromSend = new Recorder(SIGNIFICANT_DIGITS);
    private Histogram scratch;

    /** @param seconds how many seconds to keep: the run, its drain, and a margin */
    Timeline(int seconds) {
        this.seconds = seconds;
        offered = new AtomicLongArray(seconds);
        admitted = new AtomicLongArray(seconds);
        refusedByClient = new AtomicLongArray(seconds);
        refusedByServer = new AtomicLongArray(seconds);
        expired = new AtomicLongArray(seconds);
        failed = new AtomicLongArray(seconds);
        reservedAnswered = new AtomicLongArray(seconds);
        sendLagMaxNanos = new AtomicLongArray(seconds);
        admittedP99Millis = new double[seconds];
        java.util.Arrays.fill(admittedP99Millis, -1);
        admittedMaxMillis = new double[seconds];
        java.util.Arrays.fill(admittedMaxMillis, -1);
        clientLimitMin = new int[seconds];
        clientLimitMax = new int[seconds];
        clientInFlightMax = new int[seconds];
        java.util.Arrays.fill(clientLimitMin, -1);
        java.util.Arrays.fill(clientLimitMax, -1);
        java.util.Arrays.fill(clientInFlightMax, -1);
    }

    private int index(long nanosFromStart) {
        return (int) Math.max(0, Math.min(seconds - 1, nanosFromStart / 1_000_000_000L));
    }

    /**
     * A reserve due at {@code sentFromStartNanos} was sent {@code lagNanos} after that: a sender
     * that cannot keep up with the schedule shows here, and its lag counts in the latency.
     */
    void offered(long sentFromStartNanos, long lagNanos) {
        int second = index(sentFromStartNanos);
        // One writer (the sender): a plain read and a release store, no atomic update per call.
        offered.setRelease(second, offered.getPlain(second) + 1);
        if (lagNanos > sendLagMaxNanos.get(second)) {
            sendLagMaxNanos.accumulateAndGet(second, lagNanos, Math::max);
        }
    }

    /**
     * An answer from the server.
     *
     * @param latencyNanos from when the call was due
     * @param latencyFromSendNanos from when it was sent
     * @param phase -1 sent before the crowd (after warm-up), 1 sent during the crowd, 0 otherwise
     */
    void admitted(
            long sentFromStartNanos,
            long answeredFromStartNanos,
            long latencyNanos,
            long latencyFromSendNanos,
            boolean reserved,
            int phase) {
        admitted.incrementAndGet(index(sentFromStartNanos));
        if (reserved) {
            reservedAnswered.incrementAndGet(index(answeredFromStartNanos));
        }
        long latency = Math.max(0, latencyNanos);
        admittedLatency.recordValue(latency);
        if (phase < 0) {
            normalAdmitted.recordValue(latency);
        } else if (phase > 0) {
            crowdAdmitted.recordValue(latency);
            crowdAdmittedFromSend.recordValue(Math.max(0, latencyFromSendNanos));
        }
    }

    void refused(long sentFromStartNanos, boolean byClient) {
        (byClient ? refusedByClient : refusedByServer).incrementAndGet(index(sentFromStartNanos));
    }

    void expired(long sentFromStartNanos) {
        expired.incrementAndGet(index(sentFromStartNanos));
    }

    void failed(long sentFromStartNanos) {
        failed.incrementAndGet(index(sentFromStartNanos));
    }

    /** Closes the current second of admitted latency; called by the one reporting thread each second. */
    synchronized void sampleSecond(long nowFromStartNanos) {
        scratch = admittedLatency.getIntervalHistogram(scratch);
        if (scratch.getTotalCount() > 0) {
            // The second just ended.
            int second = index(Math.max(0, nowFromStartNanos - 500_000_000L));
            admittedP99Millis[second] = Measurements.millis(scratch.getValueAtPercentile(99));
            admittedMaxMillis[second] = Measurements.millis(scratch.getMaxValue());
        }
    }

    /**
     * The SDK's adaptive limit and the calls it holds in flight at {@code nowFromStartNanos}, summed
     * over the run's clients; called by the one sampling thread.
     */
    synchronized void sampleClientLimit(long nowFromStartNanos, int limit, int inFlight) {
        int second = index(nowFromStartNanos);
        clientLimitMin[second] = clientLimitMin[second] < 0 ? limit : Math.min(clientLimitMin[second], limit);
        clientLimitMax[second] = Math.max(clientLimitMax[second], limit);
        clientInFlightMax[second] = Math.max(clientInFlightMax[second], inFlight);
    }

    /** Every second up to the last one in which anything happened. */
    synchronized List<Second> seconds() {
        int last = -1;
        for (int i = 0; i < seconds; i++) {
            if (offered.get(i) + admitted.get(i) + reservedAnswered.get(i) > 0 || admittedP99Millis[i] >= 0) {
                last = i;
            }
        }
        List<Second> all = new ArrayList<>(last + 1);
        for (int i = 0; i <= last; i++) {
            all.add(new Second(
                    i,
                    offered.get(i),
                    admitted.get(i),
                    refusedByClient.get(i),
                    refusedByServer.get(i),
                    expired.get(i),
                    failed.get(i),
                    reservedAnswered.get(i),
                    admittedP99Millis[i],
                    admittedMaxMillis[i],
                    sendLagMaxNanos.get(i) / 1e6,
                    clientLimitMin[i],
                    clientLimitMax[i],
                    clientInFlightMax[i]));
        }
        return all;
    }

    /** The crowd's figures against the normal load before it; see {@link CrowdSummary}. */
    synchronized CrowdSummary crowdSummary(RunSettings settings) {
        RunSettings.Crowd crowd = settings.crowd();
        int warmupEnd = (int) Math.ceil(settings.warmup().toNanos() / 1e9);
        int crowdAt = (int) (crowd.at().toNanos() / 1_000_000_000L);
        int holdStart = (int) Math.ceil((crowd.at().toNanos() + crowd.ramp().toNanos()) / 1e9);
        int crowdEnd = (int) (crowd.end().toNanos() / 1_000_000_000L);
        List<Second> all = seconds();
        double normalOffered = mean(all, warmupEnd, crowdAt, Second::offered);
        double normalGoodput = mean(all, warmupEnd, crowdAt, Second::reservedAnswered);
        double crowdOffered = mean(all, holdStart, crowdEnd, Second::offered);
        double crowdGoodput = mean(all, holdStart, crowdEnd, Second::reservedAnswered);
        long offeredTotal = 0;
        long expiredTotal = 0;
        long refusedTotal = 0;
        for (Second second : all) {
            offeredTotal += second.offered();
            expiredTotal += second.expired();
            refusedTotal += second.refusedByClient() + second.refusedByServer();
        }
        double normalP99 = p99(normalAdmitted.getIntervalHistogram());
        double crowdP99 = p99(crowdAdmitted.getIntervalHistogram());
        double crowdP99FromSend = p99(crowdAdmittedFromSend.getIntervalHistogram());
        int recovery = -1;
        for (int i = crowdEnd; i < all.size(); i++) {
            double p99 = all.get(i).admittedP99Millis();
            if (p99 >= 0 && normalP99 >= 0 && p99 <= 2 * normalP99 + 1) {
                recovery = i - crowdEnd;
                break;
            }
        }
        return new CrowdSummary(
                normalOffered,
                normalGoodput,
                normalP99,
                crowdOffered,
                crowdGoodput,
                crowdP99,
                crowdP99FromSend,
                offeredTotal == 0 ? 0 : (double) expiredTotal / offeredTotal,
                offeredTotal == 0 ? 0 : (double) refusedTotal / offeredTotal,
                recovery);
    }

    private static double p99(Histogram histogram) {
        return histogram.getTotalCount() == 0 ? -1 : Measurements.millis(histogram.getValueAtPercentile(99));
    }

    private static double mean(List<Second> all, int from, int to, java.util.function.ToLongFunction<Second> value) {
        long sum = 0;
        int count = 0;
        for (int i = Math.max(0, from); i < Math.min(to, all.size()); i++) {
            sum += value.applyAsLong(all.get(i));
            count++;
        }
        return count == 0 ? 0 : (double) sum / count;
    }
}
