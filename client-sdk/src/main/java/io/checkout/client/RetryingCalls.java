package io.checkout.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The SDK's one path for unary calls, asynchronous at heart: each call is a chain of attempts of
 * the same request (so a retried mutation keeps its request id), each with its own deadline, and
 * the back-offs between them are timers on one scheduler thread, so no thread waits while a retry
 * is pending. A blocking method waits for the same chain ({@link #join}).
 */
final class RetryingCalls {
    /** A retry is not started unless at least this much of the call's deadline is left after its back-off. */
    static final long ATTEMPT_NANOS_MIN = TimeUnit.MILLISECONDS.toNanos(1);

    /** The {@code ErrorInfo} reason of a call refused by the client's own concurrency limit. */
    static final String CLIENT_LIMIT_REASON = "CLIENT_CONCURRENCY_LIMIT";

    /**
     * The failure of an attempt that the client's own concurrency limit did not let out. One
     * shared instance: in a flash crowd most calls end here, so the refusal must cost next to
     * nothing (no stack trace to fill, no trailers to build or parse per call).
     */
    static final StatusRuntimeException LIMIT_REACHED =
            StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                    .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                    .setMessage("client-side concurrency limit reached; the call was not sent")
                    .addDetails(Any.pack(ErrorInfo.newBuilder()
                            .setReason(CLIENT_LIMIT_REASON)
                            .setDomain("checkout.v1.client")
                            .build()))
                    .build());

    /** The method {@link ReserveBatcher} may carry. */
    private static final MethodDescriptor<ReserveRequest, ReserveReply> RESERVE = CheckoutGrpc.getReserveMethod();

    /** The longest budget an auto-batched reserve carries: a client without a deadline gets this. */
    private static final long BUDGET_MILLIS_MAX = CheckoutClient.STREAM_REQUEST_BUDGET_MAX.toMillis();

    private final Channel channel;
    private final long deadlineNanos;
    private final long attemptDeadlineNanos;
    private final RetryPolicy retryPolicy;
    private final SimpleLimiter<Void> limiter;
    private final ScheduledThreadPoolExecutor retryScheduler;
    /** Sends each Reserve attempt in a batch on a stream; null: every call is a unary RPC. */
    private final ReserveBatcher batcher;

    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param deadlineNanos the whole call's budget, retries and back-offs included
     * @param attemptDeadlineNanos the most one attempt may take of what is left ({@code Long.MAX_VALUE}: all of it)
     * @param limit the adaptive concurrency limit on attempts in flight, or null for none
     * @param batcher sends Reserve attempts in batches on streams, or null to send each as a unary
     *     call; closed by {@link #close()}
     */
    RetryingCalls(
            Channel channel,
            long deadlineNanos,
            long attemptDeadlineNanos,
            RetryPolicy retryPolicy,
            AdaptiveLimit limit,
            ReserveBatcher batcher) {
        this.batcher = batcher;
        this.channel = channel;
        this.deadlineNanos = deadlineNanos;
        this.attemptDeadlineNanos = attemptDeadlineNanos;
        this.retryPolicy = retryPolicy;
        this.limiter = limit == null
                ? null
                : SimpleLimiter.newBuilder().limit(limit.newLimit()).build();
        this.retryScheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "checkout-client-retry");
            thread.setDaemon(true);
            return thread;
        });
        // Cancelled back-offs should not pile up in the queue of a long-lived client.
        retryScheduler.setRemoveOnCancelPolicy(true);
    }

    boolean isClosed() {
        return closed.get();
    }

    /**
     * Stops retrying: back-offs still queued run, see the close and fail their calls with their
     * last failure rather than leave them incomplete.
     *
     * @return false if it was closed already
     */
    boolean close() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        retryScheduler.shutdown();
        if (batcher != null) {
            batcher.close();
        }
        return true;
    }

    /** The adaptive limit's current value, or 0 if the client has none. */
    int concurrencyLimit() {
        return limiter == null ? 0 : limiter.getLimit();
    }

    /**
     * Whether a call started now would be refused by the adaptive limit without being sent: the
     * limit is full and the client makes one attempt per call, so there is no retry to wait for.
     */
    boolean refusesAtOnce() {
        return limiter != null && retryPolicy.maxAttempts() == 1 && limiter.getInflight() >= limiter.getLimit();
    }

    /** Attempts holding a permit of the adaptive limit now, or 0 if the client has none. */
    int limitedCallsInFlight() {
        return limiter == null ? 0 : limiter.getInflight();
    }

    /**
     * Waits on the calling thread for a call made by {@link #call}, so that blocking and
     * asynchronous methods share one retry path, and reports its failure the way blocking methods
     * promise to.
     */
    static <R> R join(CompletableFuture<R> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            // The caller no longer waits for the answer: stop the attempt in flight and any retry.
            call.cancel(false);
            Thread.currentThread().interrupt();
            throw Status.CANCELLED
                    .withDescription("interrupted while waiting for the reply")
                    .withCause(e)
                    .asRuntimeException();
        } catch (ExecutionException e) {
            throw failureOfBlockingCall(e.getCause());
        }
    }

    /**
     * What a blocking method throws for the failure of its asynchronous call. A status failure is
     * thrown anew with the same status and trailers, so that its stack trace shows the caller rather
     * than the gRPC or retry thread that completed the call.
     */
    private static RuntimeException failureOfBlockingCall(Throwable failure) {
        if (failure instanceof StatusRuntimeException e) {
            return new StatusRuntimeException(e.getStatus(), e.getTrailers());
        }
        if (failure instanceof RuntimeException e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return Status.fromThrowable(failure).asRuntimeException(Status.trailersFromThrowable(failure));
    }

    /**
     * Starts a call; its future fails with the last attempt's status once no retry is left. The
     * call ends by the client's deadline, or by the deadline of the caller's gRPC {@link Context}
     * if that comes sooner (a service calling us inside its own call passes its caller's budget on).
     */
    <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, CallCredentials credentials) {
        if (refusesAtOnce()) {
            // Refused with no retry to wait for: the cheapest answer there is, for a caller in a crowd.
            // (A permit freed just now makes this a refusal at the moment the limit was full; a call
            // let through here still takes its permit below, or is refused there.)
            return CompletableFuture.failedFuture(LIMIT_REACHED);
        }
        long now = System.nanoTime();
        long budget = deadlineNanos;
        Deadline contextDeadline = Context.current().getDeadline();
        if (contextDeadline != null) {
            budget = Math.min(budget, contextDeadline.timeRemaining(TimeUnit.NANOSECONDS));
        }
        long deadlineAt = budget > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + budget;
        AsyncUnaryCall<Q, R> call = new AsyncUnaryCall<>(method, request, credentials, deadlineAt);
        call.attempt(1);
        return call.result;
    }

    /**
     * The server's retry-after hint ({@code google.rpc.RetryInfo} in the status details) of a
     * failure, in nanoseconds, capped at a minute; 0 if it gave none.
     */
    static long retryAfterNanos(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return 0;
        }
        for (Any detail : status.getDetailsList()) {
            if (detail.is(RetryInfo.class)) {
                try {
                    com.google.protobuf.Duration delay =
                            detail.unpack(RetryInfo.class).getRetryDelay();
                    if (delay.getSeconds() < 0 || delay.getNanos() < 0) {
                        return 0;
                    }
                    return delay.getSeconds() >= 60
                            ? TimeUnit.MINUTES.toNanos(1)
                            : TimeUnit.SECONDS.toNanos(delay.getSeconds()) + delay.getNanos();
                } catch (InvalidProtocolBufferException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /**
     * Whether {@code failure} is the client's own refusal: the shared instance, or a copy of its
     * status and trailers (a blocking call rethrows one with the caller's stack).
     */
    static boolean isClientLimitRefusal(Throwable failure) {
        return failure == LIMIT_REACHED || CLIENT_LIMIT_REASON.equals(errorReason(failure));
    }

    /**
     * Whether {@code failure} is a server table full ({@code RESOURCE_EXHAUSTED}, reason
     * {@code *_TABLE_FULL}): not load that passes in a moment but capacity used up for the sale, so
     * a retry would only fail again and add load. It is returned to the caller at once.
     */
    static boolean isTableFull(Throwable failure) {
        String reason = errorReason(failure);
        return reason != null && reason.endsWith("_TABLE_FULL");
    }

    /** The reason of the {@code ErrorInfo} in a failure's status details; null if it has none. */
    static String errorReason(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return null;
        }
        for (Any detail : status.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    return detail.unpack(ErrorInfo.class).getReason();
                } catch (InvalidProtocolBufferException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * Tells the limiter how an attempt ended: an answer, or an error the server chose, is a sample
     * of a healthy round trip; a refusal for load or an expired deadline is a drop; anything else
     * (the transport failed, the caller cancelled) says nothing about the server's load.
     */
    private static void release(Limiter.Listener permit, Status status) {
        if (permit == null) {
            return;
        }
        switch (status.getCode()) {
            case OK,
                    INVALID_ARGUMENT,
                    NOT_FOUND,
                    ALREADY_EXISTS,
                    FAILED_PRECONDITION,
                    OUT_OF_RANGE,
                    PERMISSION_DENIED,
                    UNAUTHENTICATED -> permit.onSuccess();
            case RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED -> permit.onDropped();
            default -> permit.onIgnore();
        }
    }

    /**
     * One logical asynchronous call: a chain of attempts that ends in {@link #result}. Back-offs
     * are timers on the retry scheduler, so no thread waits while a retry is pending.
     */
    private final class AsyncUnaryCall<Q, R> {
        final CompletableFuture<R> result = new CompletableFuture<>();
        private final MethodDescriptor<Q, R> method;
        private final Q request;
        private final CallCredentials credentials;
        private final long deadlineAt;
        private volatile ClientCall<Q, R> current;
        private volatile ScheduledFuture<?> pendingRetry;

        AsyncUnaryCall(MethodDescriptor<Q, R> method, Q request, CallCredentials credentials, long deadlineAt) {
            this.method = method;
            this.request = request;
            this.credentials = credentials;
            this.deadlineAt = deadlineAt;
            // A caller that cancels the future no longer wants the answer; stop the RPC and the
            // back-off timer too.
            result.whenComplete((value, error) -> {
                if (!result.isCancelled()) {
                    return;
                }
                ClientCall<Q, R> call = current;
                if (call != null) {
                    call.cancel("cancelled by caller", null);
                }
                ScheduledFuture<?> retry = pendingRetry;
                if (retry != null) {
                    retry.cancel(false);
                }
            });
        }

        void attempt(int attempt) {
            attempt(attempt, true);
        }

        /** @param mayBatch false to send this attempt as a unary call even with auto-batching */
        private void attempt(int attempt, boolean mayBatch) {
            if (result.isDone()) {
                return;
            }
            long remaining = deadlineAt - System.nanoTime();
            if (remaining <= 0) {
                result.completeExceptionally(Status.DEADLINE_EXCEEDED
                        .withDescription("the call's deadline passed before attempt " + attempt)
                        .asRuntimeException());
                return;
            }
            Limiter.Listener permit = null;
            if (limiter != null) {
                Optional<Limiter.Listener> acquired = limiter.acquire(null);
                if (acquired.isEmpty()) {
                    failed(attempt, LIMIT_REACHED, false);
                    return;
                }
                permit = acquired.get();
            }
            if (mayBatch && batcher != null && (Object) method == RESERVE && batcher.available()) {
                attemptInBatch(attempt, permit, remaining);
                return;
            }
            boolean ownDeadline = attemptDeadlineNanos < remaining;
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(
                    ownDeadline ? attemptDeadlineNanos : remaining, TimeUnit.NANOSECONDS);
            if (credentials != null) {
                options = options.withCallCredentials(credentials);
            }
            ClientCall<Q, R> call = channel.newCall(method, options);
            current = call;
            Limiter.Listener heldPermit = permit;
            try {
                ClientCalls.asyncUnaryCall(call, request, new StreamObserver<R>() {
                    private R value;

                    @Override
                    public void onNext(R next) {
                        value = next;
                    }

                    @Override
                    public void onError(Throwable t) {
                        release(heldPermit, Status.fromThrowable(t));
                        failed(attempt, t, ownDeadline);
                    }

                    @Override
                    public void onCompleted() {
                        if (value == null) {
                            release(heldPermit, Status.INTERNAL);
                            // A unary call that ends without a reply is a broken server, not an answer.
                            result.completeExceptionally(Status.INTERNAL
                                    .withDescription("no reply message for " + method.getFullMethodName())
                                    .asRuntimeException());
                        } else {
                            release(heldPermit, Status.OK);
                            result.complete(value);
                        }
                    }
                });
            } catch (RuntimeException e) {
                release(heldPermit, Status.INTERNAL);
                result.completeExceptionally(e);
                return;
            }
            if (result.isCancelled()) {
                call.cancel("cancelled by caller", null);
            }
        }

        /**
         * An attempt of a Reserve sent through the {@link ReserveBatcher}: the request goes with a
         * budget of the time left (the server skips it unanswered-for once that passes, as a unary
         * call's deadline makes it do), a timer ends the attempt at the call's deadline if no reply
         * came, and the reply becomes what a unary call would have ended with: a REJECTED reply is
         * the error status it carries. The attempt has all the time left, not an attempt deadline
         * of its own: a request on a stream cannot be withdrawn, so it is not retried while it may
         * still be answered. A reserve whose id is already pending on the stream (the caller sent
         * the same id again meanwhile) goes as a unary call, where the server answers it with the
         * first answer, as unary does; so does every reserve once a stream ended UNIMPLEMENTED.
         */
        private void attemptInBatch(int attempt, Limiter.Listener permit, long remaining) {
            ReserveRequest reserve = (ReserveRequest) request;
            long budgetMillis = Math.max(1, Math.min(BUDGET_MILLIS_MAX, TimeUnit.NANOSECONDS.toMillis(remaining)));
            // budget_millis is a uint32: a caller's budget of 2^31 ms or more reads as a negative int.
            long callerBudget = Integer.toUnsignedLong(reserve.getBudgetMillis());
            if (callerBudget == 0 || callerBudget > budgetMillis) {
                reserve =
                        reserve.toBuilder().setBudgetMillis((int) budgetMillis).build();
            }
            CompletableFuture<ReserveReply> reply = new CompletableFuture<>();
            ScheduledFuture<?> timeout;
            try {
                timeout = retryScheduler.schedule(
                        () -> reply.completeExceptionally(Status.DEADLINE_EXCEEDED
                                .withDescription("no reply within the call's deadline (auto-batched reserve, attempt "
                                        + attempt + ")")
                                .asRuntimeException()),
                        remaining,
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                release(permit, Status.CANCELLED);
                result.completeExceptionally(
                        Status.CANCELLED.withDescription("the client is closed").asRuntimeException());
                return;
            }
            reply.whenComplete((answer, failure) -> {
                timeout.cancel(false);
                if (failure != null) {
                    if (ReserveWindow.isAlreadyPending(failure) || batcher.lacksBatchStream(failure)) {
                        // Not sent: this attempt goes again, as a unary call.
                        release(permit, Status.CANCELLED);
                        attempt(attempt, false);
                        return;
                    }
                    release(permit, Status.fromThrowable(failure));
                    failed(attempt, failure, false);
                } else if (answer.getResult() == ReserveResult.REJECTED) {
                    StatusRuntimeException error = StatusProto.toStatusRuntimeException(answer.getError());
                    release(permit, error.getStatus());
                    failed(attempt, error, false);
                } else {
                    release(permit, Status.OK);
                    @SuppressWarnings("unchecked")
                    R value = (R) answer;
                    result.complete(value);
                }
            });
            batcher.submit(reserve, reply);
        }

        /**
         * Retries after a back-off if the policy allows it and the back-off, honouring the server's
         * retry-after hint, still leaves time for an attempt before the call's deadline; otherwise
         * ends the call with this failure at once, so a refused caller learns of it while it can
         * still do something else. An attempt that ran out of its own {@code attemptDeadline}
         * (not the call's) is retried too: the request id makes that safe.
         *
         * @param attemptTimedOutAlone whether the attempt had a deadline shorter than the call's
         */
        private void failed(int attempt, Throwable error, boolean attemptTimedOutAlone) {
            if (result.isDone()) {
                return;
            }
            Status status = Status.fromThrowable(error);
            boolean retryable = (retryPolicy.mayRetryAfter(attempt, status) && !isTableFull(error))
                    || (attemptTimedOutAlone
                            && status.getCode() == Status.Code.DEADLINE_EXCEEDED
                            && attempt < retryPolicy.maxAttempts());
            if (closed.get() || !retryable) {
                result.completeExceptionally(error);
                return;
            }
            long backoffNanos =
                    retryPolicy.backoffNanosAfter(attempt, error == LIMIT_REACHED ? 0 : retryAfterNanos(error));
            if (deadlineAt - System.nanoTime() - ATTEMPT_NANOS_MIN < backoffNanos) {
                result.completeExceptionally(error);
                return;
            }
            try {
                pendingRetry = retryScheduler.schedule(
                        () -> {
                            if (closed.get()) {
                                result.completeExceptionally(error);
                            } else {
                                attempt(attempt + 1);
                            }
                        },
                        backoffNanos,
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(error);
            }
        }
    }
}
