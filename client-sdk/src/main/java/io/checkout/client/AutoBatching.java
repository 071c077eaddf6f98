package io.checkout.client;

import java.time.Duration;

/**
 * How a {@link CheckoutClient} coalesces concurrent {@code reserve()} and {@code reserveAsync()}
 * calls into {@code ReserveBatchStream} messages, given to {@link
 * CheckoutClientBuilder#autoBatching}: what auto-pipelining clients (Lettuce, ioredis) do for
 * Redis, here giving callers of the plain call the batch stream's throughput.
 *
 * <p>One sender thread per client takes the reserves callers have queued, as many as are there up
 * to {@code maxBatchSize} (natural batching: under light load a batch is one reserve and waits for
 * nothing), optionally waits up to {@code linger} for more while the batch is not full, and sends
 * the batch on the next of {@code streams} streams. Every call keeps the semantics of a unary one:
 * its deadline (carried to the server as the request's budget), its retries with the same request
 * id, its errors (a reserve the server refuses fails with the status a unary call would have
 * ended with).
 */
public final class AutoBatching {

    /** The largest {@code maxBatchSize}: the server's default {@code stream-batch-max}. */
    public static final int BATCH_SIZE_MAX = 256;
    /** The longest {@code linger}: longer would add more latency than any batch saves. */
    public static final Duration LINGER_MAX = Duration.ofMillis(10);
    /** The most streams one client opens for its batches. */
    public static final int STREAMS_MAX = 16;
    /** The largest window per stream (reserves sent and unanswered). */
    public static final int IN_FLIGHT_MAX = CheckoutClient.STREAM_IN_FLIGHT_MAX;

    private final int maxBatchSize;
    private final long lingerNanos;
    private final int streams;
    private final int maxInFlightPerStream;

    private AutoBatching(int maxBatchSize, long lingerNanos, int streams, int maxInFlightPerStream) {
        this.maxBatchSize = maxBatchSize;
        this.lingerNanos = lingerNanos;
        this.streams = streams;
        this.maxInFlightPerStream = maxInFlightPerStream;
    }

    /**
     * Batches of up to 64 reserves, no linger (a batch is what queued while the previous one was
     * sent), on 2 streams of up to 4,096 reserves in flight each.
     */
    public static AutoBatching defaults() {
        return of(64, Duration.ZERO, 2, 4_096);
    }

    /**
     * @param maxBatchSize the most reserves in one message, 1..256 (the server refuses batches over
     *     its {@code stream-batch-max}, 256 by default)
     * @param linger how long a batch that is not full waits for more reserves, 0..10 ms
     * @param streams how many {@code ReserveBatchStream} calls to spread batches over, 1..16
     * @param maxInFlightPerStream the most reserves sent and unanswered on one stream, at least
     *     {@code maxBatchSize} and at most 100,000; a reserve that finds every stream full is
     *     refused with {@code RESOURCE_EXHAUSTED} and retried like a server refusal
     * @throws IllegalArgumentException naming the parameter out of range
     */
    public static AutoBatching of(int maxBatchSize, Duration linger, int streams, int maxInFlightPerStream) {
        if (maxBatchSize < 1 || maxBatchSize > BATCH_SIZE_MAX) {
            throw new IllegalArgumentException(
                    "autoBatching: maxBatchSize must be 1.." + BATCH_SIZE_MAX + ", got " + maxBatchSize);
        }
        if (linger == null || linger.isNegative() || linger.compareTo(LINGER_MAX) > 0) {
            throw new IllegalArgumentException(
                    "autoBatching: linger must be 0.." + LINGER_MAX.toMillis() + " ms, got " + linger);
        }
        if (streams < 1 || streams > STREAMS_MAX) {
            throw new IllegalArgumentException("autoBatching: streams must be 1.." + STREAMS_MAX + ", got " + streams);
        }
        if (maxInFlightPerStream < maxBatchSize || maxInFlightPerStream > IN_FLIGHT_MAX) {
            throw new IllegalArgumentException("autoBatching: maxInFlightPerStream must be maxBatchSize ("
                    + maxBatchSize + ").." + IN_FLIGHT_MAX + ", got " + maxInFlightPerStream);
        }
        return new AutoBatching(maxBatchSize, linger.toNanos(), streams, maxInFlightPerStream);
    }

    int maxBatchSize() {
        return maxBatchSize;
    }

    long lingerNanos() {
        return lingerNanos;
    }

    int streams() {
        return streams;
    }

    int maxInFlightPerStream() {
        return maxInFlightPerStream;
    }

    /** Reserves queued for the sender at most: every stream's window once over. */
    int queuedMax() {
        return streams * maxInFlightPerStream;
    }

    @Override
    public String toString() {
        return "autoBatching(batch " + maxBatchSize + ", linger " + Duration.ofNanos(lingerNanos) + ", " + streams
                + " streams of " + maxInFlightPerStream + ")";
    }
}
