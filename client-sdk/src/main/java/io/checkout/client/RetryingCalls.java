package io.checkout.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
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
    private final Channel channel;
    private final long deadlineNanos;
    private final RetryPolicy retryPolicy;
    private final ScheduledThreadPoolExecutor retryScheduler;
    private final AtomicBoolean closed = new AtomicBoolean();

    RetryingCalls(Channel channel, long deadlineNanos, RetryPolicy retryPolicy) {
        this.channel = channel;
        this.deadlineNanos = deadlineNanos;
        this.retryPolicy = retryPolicy;
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
        return true;
    }

    private CallOptions callOptions(CallCredentials credentials) {
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS);
        return credentials == null ? options : options.withCallCredentials(credentials);
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

    /** Starts a call; its future fails with the last attempt's status once no retry is left. */
    <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, CallCredentials credentials) {
        AsyncUnaryCall<Q, R> call = new AsyncUnaryCall<>(method, request, credentials);
        call.attempt(1);
        return call.result;
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
        private volatile ClientCall<Q, R> current;
        private volatile ScheduledFuture<?> pendingRetry;

        AsyncUnaryCall(MethodDescriptor<Q, R> method, Q request, CallCredentials credentials) {
            this.method = method;
            this.request = request;
            this.credentials = credentials;
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
            if (result.isDone()) {
                return;
            }
            ClientCall<Q, R> call = channel.newCall(method, callOptions(credentials));
            current = call;
            try {
                ClientCalls.asyncUnaryCall(call, request, new StreamObserver<R>() {
                    private R value;

                    @Override
                    public void onNext(R next) {
                        value = next;
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed(attempt, t);
                    }

                    @Override
                    public void onCompleted() {
                        if (value == null) {
                            // A unary call that ends without a reply is a broken server, not an answer.
                            result.completeExceptionally(Status.INTERNAL
                                    .withDescription("no reply message for " + method.getFullMethodName())
                                    .asRuntimeException());
                        } else {
                            result.complete(value);
                        }
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            if (result.isCancelled()) {
                call.cancel("cancelled by caller", null);
            }
        }

        private void failed(int attempt, Throwable error) {
            if (result.isDone()) {
                return;
            }
            if (closed.get() || !retryPolicy.mayRetryAfter(attempt, Status.fromThrowable(error))) {
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
                        retryPolicy.backoffNanosAfter(attempt),
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(error);
            }
        }
    }
}
