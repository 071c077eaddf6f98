package io.checkout.client;

import io.checkout.proto.v1.ReserveReply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The flow-controlled window of one reserve stream call, shared by {@link StreamingReserver}
 * (messages of one reserve) and {@link BatchStreamingReserver} (messages of many): the requests
 * pending a reply by request id, the messages the transport was not yet ready for, the reply side
 * of the call, and how the stream ends.
 *
 * <p>At most {@code maxInFlight} requests are pending at once. Messages are written only while
 * gRPC reports the stream ready, and the next reply message is asked for only once one is handled,
 * so neither side's backlog sits in transport buffers.
 *
 * <p>A reserver checks and adds under {@link #lock} ({@code ...Locked} methods), and completes
 * futures outside it.
 *
 * @param <M> the request message
 * @param <R> the reply message, holding one or more replies
 */
final class ReserveWindow<M, R> implements ClientResponseObserver<M, R> {

    private static final System.Logger LOG = System.getLogger(ReserveWindow.class.getName());

    /**
     * The cause of every already-pending refusal, so the client can tell its own refusal from a
     * server's INVALID_ARGUMENT. Never thrown; no stack trace.
     */
    private static final Throwable ALREADY_PENDING = new Throwable("request id already pending", null, false, false) {};

    /** Reply messages the server may send ahead of the ones handled; more would only fill memory. */
    private static final int REPLY_WINDOW_MAX = 1024;

    /** Reads the replies out of a reply message. */
    interface Replies<R> {
        int count(R message);

        ReserveReply get(R message, int index);
    }

    final Object lock = new Object();

    private final String streamName;
    private final int maxInFlight;
    private final long closeTimeoutNanos;
    private final Replies<R> replies;
    private final CountDownLatch ended = new CountDownLatch(1);

    /** Queued and sent requests awaiting a reply, by request id. Guarded by {@link #lock}. */
    private final Map<String, CompletableFuture<ReserveReply>> pending = new HashMap<>();
    /** Messages not yet written because the stream was not ready. Guarded by {@link #lock}. */
    private final ArrayDeque<M> unsent = new ArrayDeque<>();
    /** Guarded by {@link #lock}; writing to it as well, since onNext must not run concurrently. */
    private ClientCallStreamObserver<M> requestStream;
    /** Why the stream ended, once it has. Guarded by {@link #lock}. */
    private Status failure;
    /** Guarded by {@link #lock}. */
    private boolean closing;
    /** Guarded by {@link #lock}. */
    private boolean halfClosed;

    /**
     * @param streamName how log lines name the stream, e.g. "reserve stream"
     * @param maxInFlight the most requests pending at once
     * @param closeTimeoutNanos how long {@link #close()} waits for the last replies
     */
    ReserveWindow(String streamName, int maxInFlight, long closeTimeoutNanos, Replies<R> replies) {
        this.streamName = streamName;
        this.maxInFlight = maxInFlight;
        this.closeTimeoutNanos = closeTimeoutNanos;
        this.replies = replies;
    }

    /**
     * Why {@code count} more requests may not be sent now: the reserver is closed, the stream has
     * failed, or the window has no room for them; null if they may.
     */
    Status refusalLocked(int count) {
        if (closing) {
            return Status.CANCELLED.withDescription("reserve stream is closed");
        }
        if (failure != null) {
            return failure;
        }
        if (pending.size() + count > maxInFlight) {
            return Status.RESOURCE_EXHAUSTED.withDescription("reserve stream window full (" + pending.size()
                    + " requests pending, " + count + " more would exceed " + maxInFlight + ")");
        }
        return null;
    }

    /**
     * Adds a request awaiting its reply, unless one with the same id is already pending: replies are
     * matched by id, so a second pending request with the same id could never be told apart from the
     * first.
     *
     * @return false, with nothing added, if the id is already pending
     */
    boolean addPendingLocked(String requestId, CompletableFuture<ReserveReply> future) {
        return pending.putIfAbsent(requestId, future) == null;
    }

    /** The refusal of a request whose id is already pending. */
    static Status alreadyPending(String requestId) {
        return Status.INVALID_ARGUMENT
                .withDescription("request_id " + requestId + " is already pending on this reserve stream")
                .withCause(ALREADY_PENDING);
    }

    /** Whether {@code failure} is this client's refusal of a request whose id was already pending. */
    static boolean isAlreadyPending(Throwable failure) {
        return Status.fromThrowable(failure).getCause() == ALREADY_PENDING;
    }

    /** Whether the stream has ended or is closing: nothing more can be sent on it. */
    boolean hasEnded() {
        synchronized (lock) {
            return failure != null || closing;
        }
    }

    /** Queues a message of requests already added as pending, and writes what the transport takes. */
    void sendLocked(M message) {
        unsent.add(message);
        sendWhileReadyLocked();
    }

    /** The requests submitted and not yet answered, queued or sent. Never more than {@code maxInFlight}. */
    int inFlight() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** The messages still waiting for the stream to accept them. */
    int queuedMessages() {
        synchronized (lock) {
            return unsent.size();
        }
    }

    /**
     * Stops accepting requests, sends what is queued, half-closes the stream and waits up to
     * {@code closeTimeoutNanos} for the server to answer everything and end the stream. Requests
     * still unanswered after that fail with CANCELLED and the call is cancelled. Calling this again
     * only waits again.
     */
    void close() {
        synchronized (lock) {
            if (!closing) {
                closing = true;
                if (failure == null) {
                    sendWhileReadyLocked();
                }
            }
        }
        boolean interrupted = false;
        boolean endedInTime;
        try {
            endedInTime = ended.await(closeTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            endedInTime = false;
        }
        if (!endedInTime) {
            Status gaveUp = Status.CANCELLED.withDescription("reserve stream closed before all replies arrived");
            failAll(gaveUp);
            synchronized (lock) {
                requestStream.cancel(gaveUp.getDescription(), null);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes queued messages while the transport takes them; half-closes once closing and drained. */
    private void sendWhileReadyLocked() {
        if (failure != null) {
            return;
        }
        while (!unsent.isEmpty() && requestStream.isReady()) {
            requestStream.onNext(unsent.poll());
        }
        if (closing && unsent.isEmpty() && !halfClosed) {
            halfClosed = true;
            requestStream.onCompleted();
        }
    }

    /** Ends the stream for good: records why and fails every pending future with that status. */
    private void failAll(Status status) {
        List<CompletableFuture<ReserveReply>> orphans;
        synchronized (lock) {
            if (failure == null) {
                failure = status;
            }
            orphans = new ArrayList<>(pending.values());
            pending.clear();
            unsent.clear();
        }
        if (!orphans.isEmpty()) {
            // One exception for all: a stream failing with a full window would otherwise build
            // up to maxInFlight identical stack traces.
            StatusRuntimeException error = status.asRuntimeException();
            for (CompletableFuture<ReserveReply> orphan : orphans) {
                orphan.completeExceptionally(error);
            }
        }
        ended.countDown();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<M> stream) {
        synchronized (lock) {
            requestStream = stream;
        }
        stream.disableAutoRequestWithInitial(Math.min(maxInFlight, REPLY_WINDOW_MAX));
        stream.setOnReadyHandler(this::onReady);
    }

    private void onReady() {
        synchronized (lock) {
            sendWhileReadyLocked();
        }
    }

    @Override
    public void onNext(R message) {
        int count = replies.count(message);
        @SuppressWarnings("unchecked")
        CompletableFuture<ReserveReply>[] futures = new CompletableFuture[count];
        ClientCallStreamObserver<M> stream;
        synchronized (lock) {
            for (int i = 0; i < count; i++) {
                futures[i] = pending.remove(replies.get(message, i).getRequestId());
            }
            stream = requestStream;
        }
        for (int i = 0; i < count; i++) {
            ReserveReply reply = replies.get(message, i);
            if (futures[i] == null) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "Ignoring a {0} reply for request_id \"{1}\", which is not pending",
                        streamName,
                        reply.getRequestId());
            } else {
                futures[i].complete(reply);
            }
        }
        // Asking for the next reply only after this one is handled lets slow callers hold the
        // server back instead of piling replies up here.
        stream.request(1);
    }

    @Override
    public void onError(Throwable t) {
        failAll(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        failAll(Status.UNAVAILABLE.withDescription("the server ended the " + streamName));
    }
}
