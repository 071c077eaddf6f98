package io.checkout.client;

import java.time.Duration;

/**
 * How an {@link OrderEventSubscription} paces its resubscriptions and how far it reads ahead of its
 * handler, given to {@link CheckoutClient#subscribeOrderEvents(long, OrderEventHandler,
 * OrderEventSubscriptionOptions)}.
 *
 * <p>After a failure that can heal, the subscription waits before it subscribes again: the first
 * wait is drawn from the upper half of {@code initialBackoff}, and the ceiling doubles with every
 * further failure in a row up to {@code maxBackoff} (never sooner than a retry-after hint of the
 * server's), so consumers that lost the same server do not come back together. An event handed
 * out resets it to {@code initialBackoff}.
 */
public final class OrderEventSubscriptionOptions {

    /** The shortest {@code initialBackoff}. */
    public static final Duration INITIAL_BACKOFF_MIN = Duration.ofMillis(1);
    /** The longest {@code maxBackoff}. */
    public static final Duration MAX_BACKOFF_MAX = Duration.ofMinutes(10);
    /** The largest {@code readAhead}. */
    public static final int READ_AHEAD_MAX = 1_024;

    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int readAhead;

    private OrderEventSubscriptionOptions(Duration initialBackoff, Duration maxBackoff, int readAhead) {
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.readAhead = readAhead;
    }

    /** Back-off from 100 ms doubling up to 5 s; 32 events read ahead of the handler. */
    public static OrderEventSubscriptionOptions defaults() {
        return of(Duration.ofMillis(100), Duration.ofSeconds(5), 32);
    }

    /**
     * @param initialBackoff the back-off ceiling after the first failure in a row, 1 ms..10 min and
     *     at most {@code maxBackoff}
     * @param maxBackoff the longest back-off, {@code initialBackoff}..10 min
     * @param readAhead the most events requested from the server and not yet handed out, 1..1,024:
     *     what the client may hold while the handler is busy
     * @return the options
     * @throws IllegalArgumentException naming the parameter out of range
     */
    public static OrderEventSubscriptionOptions of(Duration initialBackoff, Duration maxBackoff, int readAhead) {
        if (initialBackoff == null
                || initialBackoff.compareTo(INITIAL_BACKOFF_MIN) < 0
                || initialBackoff.compareTo(MAX_BACKOFF_MAX) > 0) {
            throw new IllegalArgumentException("orderEvents: initialBackoff must be " + INITIAL_BACKOFF_MIN.toMillis()
                    + " ms.." + MAX_BACKOFF_MAX.toMinutes() + " min, got " + initialBackoff);
        }
        if (maxBackoff == null
                || maxBackoff.compareTo(initialBackoff) < 0
                || maxBackoff.compareTo(MAX_BACKOFF_MAX) > 0) {
            throw new IllegalArgumentException("orderEvents: maxBackoff must be initialBackoff (" + initialBackoff
                    + ").." + MAX_BACKOFF_MAX.toMinutes() + " min, got " + maxBackoff);
        }
        if (readAhead < 1 || readAhead > READ_AHEAD_MAX) {
            throw new IllegalArgumentException(
                    "orderEvents: readAhead must be 1.." + READ_AHEAD_MAX + ", got " + readAhead);
        }
        return new OrderEventSubscriptionOptions(initialBackoff, maxBackoff, readAhead);
    }

    Duration initialBackoff() {
        return initialBackoff;
    }

    Duration maxBackoff() {
        return maxBackoff;
    }

    int readAhead() {
        return readAhead;
    }

    @Override
    public String toString() {
        return "orderEvents(back-off " + initialBackoff + ".." + maxBackoff + ", read-ahead " + readAhead + ")";
    }
}
