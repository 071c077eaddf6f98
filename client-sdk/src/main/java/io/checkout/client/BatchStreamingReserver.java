package io.checkout.client;

import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
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
 * Reserves over one {@code ReserveBatchStream} call: many reserves per message, the way a Redis
 * client pipelines commands. For callers that reserve at the highest rates, where the per-message
 * gRPC and HTTP/2 work of {@link StreamingReserver} is what limits them.
 *
 * <p>Each {@link #submit(List)} sends its requests as one batch message and returns one future per
 * request, completed by the reply carrying the same request id; replies come back grouped as the
 * server has them ready, in any order. At most {@code maxInFlight} requests are queued or awaiting
 * a reply at once: a batch that does not fit fails at once, every one of its futures with
 * RESOURCE_EXHAUSTED, rather than buffering or blocking. Batches are written only while gRPC
 * reports the stream ready, so the window is held here and not in transport buffers.
 *
 * <p>A batch holds 1..{@code maxBatchSize} requests; the server accepts up to its
 * {@code stream-batch-max} setting (256 by default) and answers every request of a larger batch
 * REJECTED (INVALID_ARGUMENT, field {@code requests}), so {@code maxBatchSize} should not exceed it.
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
public final class BatchStreamingReserver implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BatchStreamingReserver.class.getName());

    /** Reply messages the server may send ahead of the ones processed; more would only fill memory. */
    private static final int MAX_REPLY_WINDOW = 1024;

    private final int maxInFlight;
    private final int maxBatchSize;
    private final RequestIds requestIds;
    private final long closeTimeoutNanos;
    private final CountDownLatch ended = new CountDownLatch(1);

    private final Object lock = new Object();
    /** Queued and sent requests awaiting a reply, by request id. Guarded by {@link #lock}. */
    private final Map<String, CompletableFuture<ReserveReply>> pending = new HashMap<>();
    /** Batches not yet written because the stream was not ready. Guarded by {@link #lock}. */
    private final ArrayDeque<ReserveBatch> unsent = new ArrayDeque<>();
    /** Guarded by {@link #lock}; writing to it as well, since onNext must not run concurrently. */
    private ClientCallStreamObserver<ReserveBatch> requestStream;
    /** Why the stream ended, once it has. Guarded by {@link #lock}. */
    private Status failure;
    /** Guarded by {@link #lock}. */
    private boolean closing;
    /** Guarded by {@link #lock}. */
    private boolean halfClosed;

    private BatchStreamingReserver(int maxInFlight, int maxBatchSize, RequestIds requestIds, long closeTimeoutNanos) {
        this.maxInFlight = maxInFlight;
        this.maxBatchSize = maxBatchSize;
        this.requestIds = requestIds;
        this.closeTimeoutNanos = closeTimeoutNanos;
    }

    /** Opens the stream; the reserver is fully built before gRPC can call back into it. */
    static BatchStreamingReserver open(Channel channel, int maxInFlight, int maxBatchSize, RequestIds requestIds,
            long closeTimeoutNanos) {
        BatchStreamingReserver reserver = new BatchStreamingReserver(maxInFlight, maxBatchSize, requestIds,
                closeTimeoutNanos);
        CheckoutGrpc.newStub(channel).reserveBatchStream(reserver.new ReplyObserver());
        return reserver;
    }

    /**
     * Sends reserves as one batch on the stream. Never blocks.
     *
     * @param requests 1..{@code maxBatchSize} reserves; an empty {@code request_id} is replaced by a
     *     generated one
     * @return one future per request, in the order of {@code requests}, of the reply with that
     *     request's id; a REJECTED reply completes it normally (see the reply's {@code error}). They
     *     fail with {@link StatusRuntimeException}: all of them RESOURCE_EXHAUSTED at once when the
     *     batch does not fit in {@code maxInFlight} with the requests already pending, CANCELLED
     *     once the reserver is closed, or with the stream's status when the stream has failed or
     *     fails later; one of them INVALID_ARGUMENT at once when its request id is already pending
     *     or appears earlier in the batch (that request is not sent, the others are)
     * @throws NullPointerException if {@code requests} or one of them is null
     * @throws IllegalArgumentException if there are no requests or more than {@code maxBatchSize},
     *     or a non-empty {@code request_id} is not 1..64 printable ASCII characters
     */
    public List<CompletableFuture<ReserveReply>> submit(List<ReserveRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        int count = requests.size();
        if (count < 1 || count > maxBatchSize) {
            throw new IllegalArgumentException("a batch holds 1.." + maxBatchSize + " requests, got " + count);
        }
        List<ReserveRequest> toSend = new ArrayList<>(count);
        for (ReserveRequest request : requests) {
            Objects.requireNonNull(request, "request");
            ReserveRequest withId = request.getRequestId().isEmpty()
                    ? request.toBuilder().setRequestId(requestIds.next()).build()
                    : request;
            RequestIds.requireValid(withId.getRequestId());
            toSend.add(withId);
        }
        List<CompletableFuture<ReserveReply>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(new CompletableFuture<>());
        }
        Status refusal;
        List<Integer> duplicates = null;
        synchronized (lock) {
            refusal = refusalLocked(count);
            if (refusal == null) {
                ReserveBatch.Builder batch = ReserveBatch.newBuilder();
                for (int i = 0; i < count; i++) {
                    ReserveRequest request = toSend.get(i);
                    // Replies are matched by id, so a second pending request with the same id could
                    // never be told apart from the first.
                    if (pending.putIfAbsent(request.getRequestId(), futures.get(i)) != null) {
                        if (duplicates == null) {
                            duplicates = new ArrayList<>();
                        }
                        duplicates.add(i);
                    } else {
                        batch.addRequests(request);
                    }
                }
                if (batch.getRequestsCount() > 0) {
                    unsent.add(batch.build());
                    sendWhileReadyLocked();
                }
            }
        }
        if (refusal != null) {
            StatusRuntimeException error = refusal.asRuntimeException();
            for (CompletableFuture<ReserveReply> future : futures) {
                future.completeExceptionally(error);
            }
        } else if (duplicates != null) {
            for (int index : duplicates) {
                futures.get(index).completeExceptionally(Status.INVALID_ARGUMENT.withDescription("request_id "
                        + toSend.get(index).getRequestId() + " is already pending on this reserve stream")
                        .asRuntimeException());
            }
        }
        return futures;
    }

    private Status refusalLocked(int count) {
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

    /** The number of requests submitted and not yet answered, queued or sent. Never more than {@code maxInFlight}. */
    public int inFlight() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** The most requests one {@link #submit(List)} takes. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** The number of submitted batches still waiting for the stream to accept them. */
    int queuedBatches() {
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

    /** Writes queued batches while the transport takes them; half-closes once closing and drained. */
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

    private final class ReplyObserver implements ClientResponseObserver<ReserveBatch, ReserveBatchReply> {

        @Override
        public void beforeStart(ClientCallStreamObserver<ReserveBatch> stream) {
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
        public void onNext(ReserveBatchReply replies) {
            int count = replies.getRepliesCount();
            List<CompletableFuture<ReserveReply>> futures = new ArrayList<>(count);
            ClientCallStreamObserver<ReserveBatch> stream;
            synchronized (lock) {
                for (int i = 0; i < count; i++) {
                    futures.add(pending.remove(replies.getReplies(i).getRequestId()));
                }
                stream = requestStream;
            }
            for (int i = 0; i < count; i++) {
                CompletableFuture<ReserveReply> future = futures.get(i);
                ReserveReply reply = replies.getReplies(i);
                if (future == null) {
                    LOG.log(System.Logger.Level.WARNING,
                            "Ignoring a reserve batch stream reply for request_id \"{0}\", which is not pending",
                            reply.getRequestId());
                } else {
                    future.complete(reply);
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
            failAll(Status.UNAVAILABLE.withDescription("the server ended the reserve stream"));
        }
    }
}
