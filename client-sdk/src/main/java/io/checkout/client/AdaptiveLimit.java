package io.checkout.client;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A client-side limit on unary calls in flight that adapts to what the server can take, in the
 * manner of TCP congestion control; given to {@link CheckoutClientBuilder#adaptiveConcurrencyLimit}.
 * A call that finds the limit reached fails at once with {@code RESOURCE_EXHAUSTED} (and is retried
 * like a server refusal, within the call's deadline), so in a flash crowd the excess waits in the
 * caller, where giving up costs nothing, instead of in the network and the server's queues.
 *
 * <p>Built on Netflix's <a href="https://github.com/Netflix/concurrency-limits">concurrency-limits</a>:
 * each attempt takes a permit; an answer (an error the server chose, too) is a success sample, a
 * {@code RESOURCE_EXHAUSTED} refusal or an expired deadline is a drop, and a transport failure is
 * ignored.
 */
public final class AdaptiveLimit {
    /** The largest limit either algorithm may reach. */
    public static final int LIMIT_MAX = 100_000;

    private final String algorithm;
    private final int minLimit;
    private final int maxLimit;
    private final long slowCallNanos;

    private AdaptiveLimit(String algorithm, int minLimit, int maxLimit, long slowCallNanos) {
        if (minLimit < 1 || minLimit > maxLimit || maxLimit > LIMIT_MAX) {
            throw new IllegalArgumentException("adaptiveConcurrencyLimit: minLimit and maxLimit must satisfy 1 <= "
                    + "minLimit <= maxLimit <= " + LIMIT_MAX + ", got " + minLimit + " and " + maxLimit);
        }
        this.algorithm = algorithm;
        this.minLimit = minLimit;
        this.maxLimit = maxLimit;
        this.slowCallNanos = slowCallNanos;
    }

    /**
     * Additive increase, multiplicative decrease: the limit grows by one per answered call while at
     * least half of it is in use, and shrinks to 90% on each refusal, expired deadline or call
     * slower than {@code slowCall}. Reacts to the server's explicit refusals; the choice when the
     * server sheds load by queueing delay (as this one does).
     *
     * @param minLimit the limit it starts at and never goes below, at least 1
     * @param maxLimit the limit it never exceeds, at most {@link #LIMIT_MAX}
     * @param slowCall an answer that took longer counts as a drop; positive
     */
    public static AdaptiveLimit aimd(int minLimit, int maxLimit, Duration slowCall) {
        if (slowCall == null || slowCall.isNegative() || slowCall.isZero()) {
            throw new IllegalArgumentException("adaptiveConcurrencyLimit: slowCall must be positive, got " + slowCall);
        }
        return new AdaptiveLimit("aimd", minLimit, maxLimit, RetryPolicy.saturatedNanos(slowCall));
    }

    /**
     * Gradient: compares the recent round-trip time with a long-term baseline and shrinks the limit
     * as queueing makes calls slower, before anything is refused. Reacts to latency alone.
     *
     * @param minLimit the limit it never goes below, at least 1 (it starts at 20, or within the bounds)
     * @param maxLimit the limit it never exceeds, at most {@link #LIMIT_MAX}
     */
    public static AdaptiveLimit gradient(int minLimit, int maxLimit) {
        return new AdaptiveLimit("gradient", minLimit, maxLimit, 0);
    }

    Limit newLimit() {
        int initial = Math.max(minLimit, Math.min(20, maxLimit));
        if (algorithm.equals("aimd")) {
            return AIMDLimit.newBuilder()
                    .initialLimit(minLimit)
                    .minLimit(minLimit)
                    .maxLimit(maxLimit)
                    .timeout(slowCallNanos, TimeUnit.NANOSECONDS)
                    .build();
        }
        return Gradient2Limit.newBuilder()
                .initialLimit(initial)
                .minLimit(minLimit)
                .maxConcurrency(maxLimit)
                .build();
    }

    @Override
    public String toString() {
        return algorithm + "(" + minLimit + ".." + maxLimit
                + (slowCallNanos > 0 ? ", slow call " + Duration.ofNanos(slowCallNanos) : "") + ")";
    }
}
