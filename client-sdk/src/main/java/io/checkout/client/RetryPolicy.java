package io.checkout.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which failures are retried and how long to wait before each retry. A retry happens only within
 * the call's deadline (the caller decides that in {@link RetryingCalls}).
 *
 * <p>Only {@code UNAVAILABLE} and {@code RESOURCE_EXHAUSTED} are retried: the contract promises
 * that a request with the same request_id may be repeated after them. A {@code RESOURCE_EXHAUSTED}
 * for a full table (reason {@code *_TABLE_FULL}) is not: the capacity is used up for the sale, not
 * busy for a moment ({@link RetryingCalls#isTableFull}). {@code DEADLINE_EXCEEDED}
 * is not retried because the caller's time budget, not the server, decided the outcome, and a
 * caller that wants to go on can repeat the call with the same id itself.
 */
final class RetryPolicy {

    private final int maxAttempts;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;

    RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        this.maxAttempts = maxAttempts;
        this.initialBackoffNanos = saturatedNanos(initialBackoff);
        this.maxBackoffNanos = saturatedNanos(maxBackoff);
    }

    /** {@code duration} in nanoseconds, or {@code Long.MAX_VALUE} for durations beyond 292 years. */
    static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    int maxAttempts() {
        return maxAttempts;
    }

    /** Whether a call that failed with {@code status} may be repeated with the same request. */
    static boolean isRetryable(Status status) {
        Status.Code code = status.getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
    }

    /** Whether another attempt may follow attempt number {@code attempt} (1-based). */
    boolean mayRetryAfter(int attempt, Status status) {
        return attempt < maxAttempts && isRetryable(status);
    }

    /**
     * The pause before the attempt that follows attempt number {@code attempt} (1-based).
     *
     * <p>The ceiling doubles with every attempt up to the maximum back-off; the pause is drawn
     * uniformly from its upper half, so clients that failed together spread out while each still
     * backs off at least half the ceiling.
     */
    long backoffNanosAfter(int attempt) {
        return backoffNanosAfter(attempt, 0);
    }

    /**
     * As {@link #backoffNanosAfter(int)}, but never shorter than the server's retry-after hint,
     * which is stretched by a random 0–50% so that callers refused together do not come back
     * together.
     *
     * @param retryAfterNanos the server's hint, 0 for none
     */
    long backoffNanosAfter(int attempt, long retryAfterNanos) {
        long backoff = exponentialBackoffNanos(attempt);
        if (retryAfterNanos <= 0) {
            return backoff;
        }
        long hinted = retryAfterNanos + ThreadLocalRandom.current().nextLong(retryAfterNanos / 2 + 1);
        return Math.max(backoff, hinted);
    }

    private long exponentialBackoffNanos(int attempt) {
        int doublings = Math.min(attempt - 1, 62);
        long ceiling = initialBackoffNanos;
        for (int i = 0; i < doublings && ceiling < maxBackoffNanos; i++) {
            ceiling = ceiling > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : ceiling * 2;
        }
        ceiling = Math.min(ceiling, maxBackoffNanos);
        long floor = ceiling / 2;
        return floor + ThreadLocalRandom.current().nextLong(ceiling - floor + 1);
    }
}
