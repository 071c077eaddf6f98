package io.checkout.client;

import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reserves over one {@code ReserveStream} call, for callers that reserve at a high rate.
 *
 * <p>Each {@link #submit(ReserveRequest)} returns a future completed by the reply carrying the same
 * request id; replies may arrive in any order. At most {@code maxInFlight} requests are queued or
 * awaiting a reply at once: beyond that, {@code submit} fails at once rather than buffering or
 * blocking, so a caller outrunning the server feels it immediately. Requests are written only while
 * gRPC reports the stream ready, so the window is held here and not in transport buffers.
 *
 * <p>The stream is not retried. If it fails, every pending future fails with its status; since each
 * request carries a request id, the caller may resubmit the same requests on a new stream without
 * reserving twice.
 *
 * <p>Futures are completed on the gRPC thread that reads the stream; dependent stages that block
 * hold up every later reply of this stream, so they should run on their own executor.
 *
 * <p>Thread-safe: {@code submit} may be called from many threads.
 */
public final class StreamingReserver implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StreamingReserver.class.getName());

    /** Replies the server may send ahead of the ones processed; more would only fill memory. */
    private static final int MAX_REPLY_WINDOW = 1024;

    private final int maxInFlight;
    private final RequestIds requestIds;
    private final long closeTimeoutNanos;
    private final CountDownLatch ended = new CountDownLatch(1);

    private final Object lock = new Object();
    /** Queued and sent requests awaiting a reply, by request id. Guarded by {@link #lock}. */
    private final Map<String, CompletableFuture<ReserveReply>> pending = new HashMap<>();
    /** Requests not yet written because the stream was not ready. Guarded by {@link #lock}. */
    private final ArrayDeque<ReserveRequest> unsent = new ArrayDeque<>();
    /** Guarded by {@link #lock}; writing to it as well, since onNext must not run concurrently. */
    private ClientCallStreamObserver<ReserveRequest> requestStream;
    /** Why the stream ended, once it has. Guarded by {@link #lock}. */
    private Status failure;
    /** Guarded by {@link #lock}. */
    private boolean closing;
    /** Guarded by {@link #lock}. */
    private boolean halfClosed;

    private StreamingReserver(int maxInFlight, RequestIds requestIds, long closeTimeoutNanos) {
        this.maxInFlight = maxInFlight;
        this.requestIds = requestIds;
        this.closeTimeoutNanos = closeTimeoutNanos;
    }

    /** Opens the stream; the reserver is fully built before gRPC can call back into it. */
    static StreamingReserver open(Channel channel, int maxInFlight, RequestIds requestIds, long closeTimeoutNanos) {
        StreamingReserver reserver = new StreamingReserver(maxInFlight, requestIds, closeTimeoutNanos);
        CheckoutGrpc.newStub(channel).reserveStream(reserver.new ReplyObserver());
        return reserver;
    }

    /**
     * Sends a reserve on the stream. Never blocks.
     *
     * @param request the reserve; an empty {@code request_id} is replaced by a generated one
     * @return a future of the reply with the request's id; a REJECTED reply completes it normally
     *     (see the reply's {@code error}). It fails with {@link StatusRuntimeException}:
     *     RESOURCE_EXHAUSTED at once when {@code maxInFlight} requests are already pending,
     *     INVALID_ARGUMENT at once when a request with the same id is pending, CANCELLED once the
     *     reserver is closed, or the stream's status when the stream fails
     * @throws NullPointerException if {@code request} is null
     * @throws IllegalArgumentException if a non-empty {@code request_id} is not 1..64 printable
     *     ASCII characters
     */
    public CompletableFuture<ReserveReply> submit(ReserveRequest request) {
        Objects.requireNonNull(request, "request");
        ReserveRequest toSend = request.getRequestId().isEmpty()
                ? request.toBuilder().setRequestId(requestIds.next()).build()
                : request;
        String requestId = RequestIds.requireValid(toSend.getRequestId());
        CompletableFuture<ReserveReply> future = new CompletableFuture<>();
        Status refusal;
        synchronized (lock) {
            refusal = refusalLocked(requestId);
            if (refusal == null) {
                pending.put(requestId, future);
                unsent.add(toSend);
                sendWhileReadyLocked();
            }
        }
        if (refusal != null) {
            future.completeExceptionally(refusal.asRuntimeException());
        }
        return future;
    }

    private Status refusalLocked(String requestId) {
        if (closing) {
            return Status.CANCELLED.withDescription("reserve stream is closed");
        }
        if (failure != null) {
            return failure;
        }
        if (pending.size() >= maxInFlight) {
            return Status.RESOURCE_EXHAUSTED.withDescription(
                    "reserve stream window full (" + maxInFlight + " requests pending)");
        }
        if (pending.containsKey(requestId)) {
            // Replies are matched by id, so a second pending request with the same id could
            // never be told apart from the first.
            return Status.INVALID_ARGUMENT.withDescription(
                    "request_id " + requestId + " is already pending on this reserve stream");
        }
        return null;
    }

    /**
     * The number of requests submitted and not yet answered, queued or sent. Never more than
     * {@code maxInFlight}.
     *
     * @return the current count
     */
    public int inFlight() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** The number of submitted requests still waiting for the stream to accept them. */
    int queued() {
        synchronized (lock) {
            return unsent.size();
        }
    }

    /**
     * Stops accepting requests, sends what is queued, half-closes the stream and waits up to the
     * client's deadline for the server to answer everything and end the stream. Requests still
     * unanswered after that fail with CANCELLED and the call is cancelled. Calling this again
     * only waits again.
     */
    @Override
    public void close() {
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

    /** Writes queued requests while the transport takes them; half-closes once closing and drained. */
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

    private final class ReplyObserver implements ClientResponseObserver<ReserveRequest, ReserveReply> {

        @Override
        public void beforeStart(ClientCallStreamObserver<ReserveRequest> stream) {
            synchronized (lock) {
                requestStream = stream;
            }
            stream.disableAutoRequestWithInitial(Math.min(maxInFlight, MAX_REPLY_WINDOW));
            stream.setOnReadyHandler(this::onReady);
        }

        private void onReady() {
            synchronized (lock) {
                sendWhileReadyLocked();
            }
        }

        @Override
        public void onNext(ReserveReply reply) {
            CompletableFuture<ReserveReply> future;
            ClientCallStreamObserver<ReserveRequest> stream;
            synchronized (lock) {
                future = pending.remove(reply.getRequestId());
                stream = requestStream;
            }
            if (future == null) {
                LOG.log(System.Logger.Level.WARNING,
                        "Ignoring a reserve stream reply for request_id \"{0}\", which is not pending",
                        reply.getRequestId());
            } else {
                future.complete(reply);
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
            failAll(Status.UNAVAILABLE.withDescription("the server ended the reserve stream"));
        }
    }
}
