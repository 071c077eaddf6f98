package io.checkout.client;

import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A subscription to the server's {@code OrderEvents} change feed, opened by {@link
 * CheckoutClient#subscribeOrderEvents}, that hands every event to its {@link OrderEventHandler}
 * exactly once, in sequence order, across lost connections and server restarts.
 *
 * <p>The handler runs on the subscription's own thread, one event at a time. The subscription asks
 * the server for {@code readAhead} events and for one more each time the handler returns (gRPC's
 * manual flow control), so at most {@code readAhead} events wait in the client however slow the
 * handler is; the server then waits too.
 *
 * <p>The subscription remembers the last sequence it handed out ({@link #lastSequence()}: the
 * handler returned normally for it). When the stream fails in a way that can heal ({@code
 * UNAVAILABLE}, {@code RESOURCE_EXHAUSTED}, {@code DEADLINE_EXCEEDED}, {@code INTERNAL}, {@code
 * UNKNOWN}, {@code ABORTED}, {@code CANCELLED} by anyone but this client, or the server ending the
 * stream), it subscribes again after that sequence after a jittered exponential back-off ({@link
 * OrderEventSubscriptionOptions}). Events it has handed out already (a server that starts earlier
 * than asked) are skipped silently; an event whose sequence is not the next one is a gap, which
 * stops the subscription with {@code DATA_LOSS}. Any other status stops it as well ({@code
 * OUT_OF_RANGE}: the server no longer keeps the events after the last sequence; {@code
 * PERMISSION_DENIED}, {@code UNAUTHENTICATED}, {@code INVALID_ARGUMENT}, {@code UNIMPLEMENTED},
 * ...), as does a failure once the channel is shut down and the handler throwing. A subscription
 * that stops by itself tells its handler once ({@link OrderEventHandler#onError}) and is not
 * retried.
 *
 * <p>To resume later, e.g. after a restart of the consumer, store {@link #lastSequence()} once the
 * subscription has terminated (or with each event's own work) and subscribe again from it: the next
 * event handed out is the one after it.
 *
 * <p>Thread-safe.
 */
public final class OrderEventSubscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OrderEventSubscription.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ManagedChannel channel;
    private final OrderEventHandler handler;
    private final int readAhead;
    private final RetryPolicy backoff;
    /** Told once when the subscription has terminated, e.g. to forget it. */
    private final Consumer<OrderEventSubscription> onTerminated;
    /**
     * The subscription's one thread: runs the gRPC callbacks of its calls (so the handler), the
     * back-off timers and the resubscriptions, so everything below marked as such needs no lock.
     */
    private final ScheduledThreadPoolExecutor executor;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile long lastSequence;
    private volatile long reconnects;
    private volatile Throwable failure;
    /** The call in progress, for {@link #close()} to cancel from any thread; null between calls. */
    private volatile ClientCallStreamObserver<SubscribeRequest> currentCall;

    // Used on the subscription's thread only.
    /** The call whose end has not been delivered yet; null between calls. */
    private EventStream activeStream;
    /** Set once the subscription stopped by itself (its failure reported). */
    private boolean stopped;
    /** Failures since the last event handed out: the back-off's exponent. */
    private int failuresInRow;

    private ScheduledFuture<?> pendingResubscribe;

    private OrderEventSubscription(
            ManagedChannel channel,
            long afterSequence,
            OrderEventHandler handler,
            OrderEventSubscriptionOptions options,
            Consumer<OrderEventSubscription> onTerminated) {
        this.channel = channel;
        this.lastSequence = afterSequence;
        this.handler = handler;
        this.readAhead = options.readAhead();
        this.backoff = new RetryPolicy(Integer.MAX_VALUE, options.initialBackoff(), options.maxBackoff());
        this.onTerminated = onTerminated;
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "checkout-order-events-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // A cancelled back-off leaves the queue at once, and none outlives the subscription.
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Starts a subscription; its first call is made on its own thread, so it does not inherit the
     * caller's gRPC context (a subscription opened inside a call outlives that call).
     */
    static OrderEventSubscription open(
            ManagedChannel channel,
            long afterSequence,
            OrderEventHandler handler,
            OrderEventSubscriptionOptions options,
            Consumer<OrderEventSubscription> onTerminated) {
        OrderEventSubscription subscription =
                new OrderEventSubscription(channel, afterSequence, handler, options, onTerminated);
        subscription.executor.execute(subscription::subscribe);
        return subscription;
    }

    /**
     * The sequence of the last event handed out (the handler returned normally for it), or the
     * sequence the subscription started after if none was yet. Subscribing again from it resumes
     * exactly where this subscription stopped.
     *
     * @return the last sequence handed out
     */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * How many times the subscription has subscribed again after a failure.
     *
     * @return the count of resubscriptions
     */
    public long reconnects() {
        return reconnects;
    }

    /**
     * What stopped the subscription by itself, as given to {@link OrderEventHandler#onError}; null
     * while it runs, and if it was closed before anything stopped it.
     *
     * @return the failure, or null
     */
    public Throwable failure() {
        return failure;
    }

    /**
     * Whether the subscription has terminated: closed or stopped by itself, its call ended and no
     * handler call running or to come.
     *
     * @return true once terminated
     */
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Waits until the subscription has terminated ({@link #isTerminated()}) and its thread has
     * ended.
     *
     * @param timeout the longest wait
     * @return true if it terminated within {@code timeout}
     * @throws InterruptedException if the thread is interrupted while it waits
     * @throws NullPointerException if {@code timeout} is null
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + RetryPolicy.saturatedNanos(timeout);
        if (!terminated.await(RetryPolicy.saturatedNanos(timeout), TimeUnit.NANOSECONDS)) {
            return false;
        }
        return executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the subscription: cancels its call and any pending resubscription. No handler call
     * starts after this returns; one already running (this may be called from the handler itself)
     * finishes, and counts as handed out if it returns normally. Does not wait: see {@link
     * #awaitTermination}. Does not call {@link OrderEventHandler#onError}. Calling this again has
     * no effect.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ClientCallStreamObserver<SubscribeRequest> call = currentCall;
        if (call != null) {
            // At once, not after a handler call that may be slow: the server stops sending now.
            call.cancel("subscription closed by the caller", null);
        }
        try {
            executor.execute(this::closeOnThread);
        } catch (RejectedExecutionException e) {
            // It has terminated already.
        }
    }

    @Override
    public String toString() {
        return "OrderEventSubscription(last sequence " + lastSequence + ", " + reconnects + " reconnects"
                + (isTerminated() ? ", terminated" : "") + ")";
    }

    /** Subscribes after the last sequence handed out. On the subscription's thread. */
    private void subscribe() {
        pendingResubscribe = null;
        if (stopped || closed.get()) {
            finishIfIdle();
            return;
        }
        EventStream stream = new EventStream();
        activeStream = stream;
        SubscribeRequest request =
                SubscribeRequest.newBuilder().setFromSequence(lastSequence).build();
        try {
            // The call's callbacks run on this subscription's thread, one at a time.
            OrderEventsGrpc.newStub(channel).withExecutor(executor).subscribe(request, stream);
        } catch (RuntimeException e) {
            activeStream = null;
            currentCall = null;
            stop(null, e);
            return;
        }
        if (closed.get()) {
            // Closed while the call started: close() may not have seen it.
            stream.call.cancel("subscription closed by the caller", null);
        }
    }

    private void resubscribe() {
        reconnects++;
        subscribe();
    }

    /** An event of {@code stream} arrived. On the subscription's thread. */
    private void onEvent(EventStream stream, OrderEvent event) {
        if (stream != activeStream || stopped || closed.get()) {
            return;
        }
        long sequence = event.getSequence();
        long last = lastSequence;
        if (sequence >= 1 && sequence <= last) {
            // Handed out already: the server started earlier than asked.
            stream.call.request(1);
            return;
        }
        // After 0 the server starts at the first event it keeps, whatever its sequence.
        if (last == 0 ? sequence < 1 : sequence != last + 1) {
            stream.call.cancel("event sequence gap", null);
            stop(
                    stream,
                    Status.DATA_LOSS
                            .withDescription("order event gap: expected sequence " + (last + 1) + " after " + last
                                    + ", the server sent " + Long.toUnsignedString(sequence))
                            .asRuntimeException());
            return;
        }
        try {
            handler.onEvent(event);
        } catch (Throwable t) {
            stream.call.cancel("the order event handler failed", null);
            stop(stream, t);
            return;
        }
        lastSequence = sequence;
        failuresInRow = 0;
        if (!closed.get()) {
            stream.call.request(1);
        }
    }

    /**
     * {@code stream} ended: with {@code error}, or with none when the server completed it. On the
     * subscription's thread.
     */
    private void onStreamEnd(EventStream stream, Throwable error) {
        if (stream != activeStream) {
            return;
        }
        activeStream = null;
        currentCall = null;
        if (stopped || closed.get()) {
            finishIfIdle();
            return;
        }
        Status status = error == null ? Status.OK : Status.fromThrowable(error);
        if (!canHeal(status.getCode()) || channel.isShutdown()) {
            stop(null, terminalFailure(status, error));
            return;
        }
        failuresInRow = Math.min(failuresInRow + 1, 63);
        long backoffNanos =
                backoff.backoffNanosAfter(failuresInRow, error == null ? 0 : RetryingCalls.retryAfterNanos(error));
        pendingResubscribe = executor.schedule(this::resubscribe, backoffNanos, TimeUnit.NANOSECONDS);
    }

    /** Whether a stream that ended with {@code code} may be subscribed again. */
    static boolean canHeal(Status.Code code) {
        return switch (code) {
            case OK, // the server ended the stream, e.g. shutting down
                    UNAVAILABLE,
                    RESOURCE_EXHAUSTED, // too many subscribers for now
                    DEADLINE_EXCEEDED,
                    INTERNAL,
                    UNKNOWN,
                    ABORTED,
                    CANCELLED -> true; // not by us: onStreamEnd ignores our own cancellations
            default -> false;
        };
    }

    private Throwable terminalFailure(Status status, Throwable error) {
        if (status.getCode() == Status.Code.OUT_OF_RANGE) {
            return Status.OUT_OF_RANGE
                    .withDescription("the server no longer keeps the order events after sequence " + lastSequence
                            + ", so they cannot be delivered and subscribing from it again fails again"
                            + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")"))
                    .withCause(error)
                    .asRuntimeException(Status.trailersFromThrowable(error));
        }
        if (error instanceof StatusRuntimeException) {
            return error;
        }
        return status.asRuntimeException(error == null ? null : Status.trailersFromThrowable(error));
    }

    /**
     * Stops for good and tells the handler, once; the subscription terminates when {@code stream}
     * (if any, cancelled by the caller) has ended. On the subscription's thread.
     */
    private void stop(EventStream stream, Throwable error) {
        if (stopped) {
            return;
        }
        stopped = true;
        cancelPendingResubscribe();
        if (!closed.get()) {
            failure = error;
            try {
                handler.onError(error);
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.WARNING, "the order event handler's onError failed", t);
            }
        }
        finishIfIdle();
    }

    /** Acts on {@link #close()}. On the subscription's thread. */
    private void closeOnThread() {
        cancelPendingResubscribe();
        EventStream stream = activeStream;
        if (stream != null) {
            stream.call.cancel("subscription closed by the caller", null);
        }
        finishIfIdle();
    }

    private void cancelPendingResubscribe() {
        if (pendingResubscribe != null) {
            pendingResubscribe.cancel(false);
            pendingResubscribe = null;
        }
    }

    /**
     * Terminates once stopped or closed and no call is left to end; gRPC delivers nothing more
     * after a call's end, so no callback can find the thread gone. On the subscription's thread.
     */
    private void finishIfIdle() {
        if ((!stopped && !closed.get()) || activeStream != null || terminated.getCount() == 0) {
            return;
        }
        executor.shutdown();
        try {
            onTerminated.accept(this);
        } finally {
            terminated.countDown();
        }
    }

    /** One {@code Subscribe} call; its callbacks run on the subscription's thread. */
    private final class EventStream implements ClientResponseObserver<SubscribeRequest, OrderEvent> {
        private ClientCallStreamObserver<SubscribeRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(readAhead);
            currentCall = requestStream;
        }

        @Override
        public void onNext(OrderEvent event) {
            onEvent(this, event);
        }

        @Override
        public void onError(Throwable error) {
            onStreamEnd(this, error);
        }

        @Override
        public void onCompleted() {
            onStreamEnd(this, null);
        }
    }
}
