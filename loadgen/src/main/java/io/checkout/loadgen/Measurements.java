package io.checkout.loadgen;

import io.checkout.proto.v1.ReserveResult;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Latency and counts of the measured part of a run (after warm-up). Reply threads record into
 * HdrHistogram {@link Recorder}s without locking; one reporting thread swaps out an interval
 * histogram per operation each second, adds it to the run's total, writes it to the histogram log
 * and keeps a one-line summary of it for the report's latency-over-time chart.
 *
 * <p>What only the sender records (its lag, and the reserves the SDK's limit refused unsent) goes
 * into {@link SingleWriterRecorder}s, whose plain histograms take no atomic update per value: in a
 * crowd the sender records several hundred thousand of each a second, on a core it shares with the
 * server under test (a multi-writer {@link Recorder}'s concurrent histogram was a quarter of the
 * sender's time there, 2026-12-05).
 */
final class Measurements {

    /** Intervals kept for the over-time chart: one a second for the longest allowed run. */
    static final int INTERVALS_MAX = (int) RunSettings.DURATION_MAX.toSeconds() + 60;

    /** Latency values are nanoseconds; three significant digits keep 0.1% resolution. */
    private static final int SIGNIFICANT_DIGITS = 3;

    /** One second's figures for one operation. */
    record Interval(
            double startSeconds,
            double lengthSeconds,
            long count,
            double p50Millis,
            double p99Millis,
            double maxMillis) {}

    private final Map<OpKind, Recorder> recorders = new EnumMap<>(OpKind.class);
    private final Map<OpKind, Histogram> totals = new EnumMap<>(OpKind.class);
    private final Map<OpKind, Histogram> intervalScratch = new EnumMap<>(OpKind.class);
    private final Map<OpKind, List<Interval>> intervals = new EnumMap<>(OpKind.class);
    private final Map<ReserveResult, LongAdder> reserveResults = new EnumMap<>(ReserveResult.class);
    private final Map<Status.Code, LongAdder> errors = new EnumMap<>(Status.Code.class);
    private final Map<OpKind, LongAdder> succeeded = new EnumMap<>(OpKind.class);
    private final LongAdder followUpsDropped = new LongAdder();
    private final LongAdder lateSends = new LongAdder();
    /** Open model: reserve latency from the actual send. */
    private final Recorder reserveFromSend = new Recorder(SIGNIFICANT_DIGITS);
    /** Open model: how late each send left against its schedule; the sender's alone. */
    private final SingleWriterRecorder sendLag = new SingleWriterRecorder(SIGNIFICANT_DIGITS);
    /** Reserves the SDK's limit refused unsent, recorded by the sender; part of the reserve's figures. */
    private final SingleWriterRecorder clientRefusals = new SingleWriterRecorder(SIGNIFICANT_DIGITS);

    private Histogram clientRefusalScratch;

    private final Histogram reserveFromSendTotal = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram sendLagTotal = new Histogram(SIGNIFICANT_DIGITS);
    private final HistogramLogWriter logWriter;
    private final long startEpochMillis;
    private final OpKind primary;
    private Histogram lastPrimaryInterval = new Histogram(SIGNIFICANT_DIGITS);
    private boolean intervalsTruncated;

    /**
     * @param logWriter where interval histograms go, or null for none
     * @param startEpochMillis when the measured part began, the log's time base
     * @param primary the operation the run is about (reserve, or the empty call), shown each second
     */
    Measurements(HistogramLogWriter logWriter, long startEpochMillis, OpKind primary) {
        this.logWriter = logWriter;
        this.primary = primary;
        this.startEpochMillis = startEpochMillis;
        for (OpKind kind : OpKind.values()) {
            recorders.put(kind, new Recorder(SIGNIFICANT_DIGITS));
            totals.put(kind, new Histogram(SIGNIFICANT_DIGITS));
            intervals.put(kind, new ArrayList<>());
        }
        for (ReserveResult result : ReserveResult.values()) {
            reserveResults.put(result, new LongAdder());
        }
        for (Status.Code code : Status.Code.values()) {
            errors.put(code, new LongAdder());
        }
        for (OpKind kind : OpKind.values()) {
            succeeded.put(kind, new LongAdder());
        }
        if (logWriter != null) {
            logWriter.outputLogFormatVersion();
            logWriter.outputStartTime(startEpochMillis);
            logWriter.setBaseTime(startEpochMillis);
            logWriter.outputLegend();
        }
    }

    void recordSuccess(OpKind kind, long latencyNanos) {
        recorders.get(kind).recordValue(Math.max(0, latencyNanos));
        succeeded.get(kind).increment();
    }

    /** A failed call's latency counts too: a timeout is the worst latency there is, not a missing one. */
    void recordError(OpKind kind, Status.Code code, long latencyNanos) {
        recorders.get(kind).recordValue(Math.max(0, latencyNanos));
        errors.get(code).increment();
    }

    void recordReserveResult(ReserveResult result) {
        reserveResults.get(result).increment();
    }

    void followUpDropped() {
        followUpsDropped.increment();
    }

    /**
     * A reserve the SDK's adaptive limit refused before it was sent ({@code RESOURCE_EXHAUSTED},
     * counted as {@link #recordError} counts it); only the sender thread may call this.
     */
    void recordClientRefusal(long latencyNanos) {
        clientRefusals.recordValue(Math.max(0, latencyNanos));
        errors.get(Status.Code.RESOURCE_EXHAUSTED).increment();
    }

    void lateSend() {
        lateSends.increment();
    }

    /**
     * Open model: a reserve's latency from when it actually left, beside the one from when it was
     * due ({@link #recordSuccess}): the gap between the two is the sender's own lag, not the server's.
     */
    void recordReserveFromSend(long latencyNanos) {
        reserveFromSend.recordValue(Math.max(0, latencyNanos));
    }

    /** Open model: how long after its intended time an operation was sent; only the sender thread may call this. */
    void recordSendLag(long lagNanos) {
        sendLag.recordValue(Math.max(0, lagNanos));
    }

    /**
     * Closes the current interval of every operation; called by the one reporting thread.
     *
     * @param endEpochMillis the wall time of the interval's end
     */
    synchronized void sampleInterval(long endEpochMillis) {
        reserveFromSendTotal.add(reserveFromSend.getIntervalHistogram());
        sendLagTotal.add(sendLag.getIntervalHistogram());
        for (OpKind kind : OpKind.values()) {
            Histogram interval = recorders.get(kind).getIntervalHistogram(intervalScratch.get(kind));
            intervalScratch.put(kind, interval);
            if (kind == OpKind.RESERVE) {
                clientRefusalScratch = clientRefusals.getIntervalHistogram(clientRefusalScratch);
                interval.add(clientRefusalScratch);
            }
            totals.get(kind).add(interval);
            if (kind == primary) {
                lastPrimaryInterval = interval.copy();
            }
            long intervalStart = interval.getStartTimeStamp();
            long intervalEnd = Math.max(intervalStart, endEpochMillis);
            interval.setEndTimeStamp(intervalEnd);
            if (interval.getTotalCount() == 0) {
                continue;
            }
            interval.setTag(kind.label());
            if (logWriter != null) {
                logWriter.outputIntervalHistogram(interval);
            }
            List<Interval> kept = intervals.get(kind);
            if (kept.size() < INTERVALS_MAX) {
                kept.add(new Interval(
                        (intervalStart - startEpochMillis) / 1000.0,
                        (intervalEnd - intervalStart) / 1000.0,
                        interval.getTotalCount(),
                        millis(interval.getValueAtPercentile(50)),
                        millis(interval.getValueAtPercentile(99)),
                        millis(interval.getMaxValue())));
            } else {
                intervalsTruncated = true;
            }
        }
    }

    /** The primary operation's histogram of the interval last sampled, for the progress line. */
    synchronized Histogram lastPrimaryInterval() {
        return lastPrimaryInterval;
    }

    /** When the measured part began (wall clock, epoch milliseconds): the warm-up's end. */
    long startEpochMillis() {
        return startEpochMillis;
    }

    OpKind primary() {
        return primary;
    }

    synchronized Histogram total(OpKind kind) {
        return totals.get(kind).copy();
    }

    /** Open model: reserve latency from the actual send, over the measured part. */
    synchronized Histogram reserveFromSendTotal() {
        return reserveFromSendTotal.copy();
    }

    /** Open model: the sender's lag behind its schedule, over the measured part. */
    synchronized Histogram sendLagTotal() {
        return sendLagTotal.copy();
    }

    synchronized List<Interval> intervals(OpKind kind) {
        return List.copyOf(intervals.get(kind));
    }

    synchronized boolean intervalsTruncated() {
        return intervalsTruncated;
    }

    long reserveResult(ReserveResult result) {
        return reserveResults.get(result).sum();
    }

    long errors(Status.Code code) {
        return errors.get(code).sum();
    }

    long errorsTotal() {
        long sum = 0;
        for (LongAdder adder : errors.values()) {
            sum += adder.sum();
        }
        return sum;
    }

    long succeeded(OpKind kind) {
        return succeeded.get(kind).sum();
    }

    long followUpsDropped() {
        return followUpsDropped.sum();
    }

    long lateSends() {
        return lateSends.sum();
    }

    static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
