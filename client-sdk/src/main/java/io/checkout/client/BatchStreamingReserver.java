package io.checkout.client;

import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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

    /** A reply message holds the replies of one or more requests. */
    private static final ReserveWindow.Replies<ReserveBatchReply> BATCH_REPLIES = new ReserveWindow.Replies<>() {
        @Override
        public int count(ReserveBatchReply message) {
            return message.getRepliesCount();
        }

        @Override
        public ReserveReply get(ReserveBatchReply message, int index) {
            return message.getReplies(index);
        }
    };

    private final int maxBatchSize;
    private final RequestIds requestIds;
    /** Given to each request without a budget of its own; 0: none. */
    private final int budgetMillis;

    private final ReserveWindow<ReserveBatch, ReserveBatchReply> window;

    private BatchStreamingReserver(
            int maxInFlight, int maxBatchSize, RequestIds requestIds, long closeTimeoutNanos, int budgetMillis) {
        this.maxBatchSize = maxBatchSize;
        this.requestIds = requestIds;
        this.budgetMillis = budgetMillis;
        this.window = new ReserveWindow<>("reserve batch stream", maxInFlight, closeTimeoutNanos, BATCH_REPLIES);
    }

    /** Opens the stream; the reserver is fully built before gRPC can call back into it. */
    static BatchStreamingReserver open(
            Channel channel,
            int maxInFlight,
            int maxBatchSize,
            RequestIds requestIds,
            long closeTimeoutNanos,
            int budgetMillis) {
        BatchStreamingReserver reserver =
                new BatchStreamingReserver(maxInFlight, maxBatchSize, requestIds, closeTimeoutNanos, budgetMillis);
        CheckoutGrpc.newStub(channel).reserveBatchStream(reserver.window);
        return reserver;
    }

    /**
     * Sends reserves as one batch on the stream. Never blocks.
     *
     * @param requests 1..{@code maxBatchSize} reserves; an empty {@code request_id} is replaced by a
     *     generated one, and a zero {@code budget_millis} by the stream's request budget if it has one
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
            ReserveRequest withId = requestIds.complete(request, budgetMillis);
            RequestIds.requireValid(withId.getRequestId());
            toSend.add(withId);
        }
        List<CompletableFuture<ReserveReply>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(new CompletableFuture<>());
        }
        send(toSend, futures);
        return futures;
    }

    /**
     * Sends {@code requests}, each with its request id already set and checked, as one batch, and
     * completes {@code futures} (one per request, in order) as {@link #submit} describes. For the
     * client's auto-batching sender, which owns the futures of its callers.
     */
    void send(List<ReserveRequest> requests, List<CompletableFuture<ReserveReply>> futures) {
        int count = requests.size();
        Status refusal;
        List<Integer> duplicates = null;
        synchronized (window.lock) {
            refusal = window.refusalLocked(count);
            if (refusal == null) {
                ReserveBatch.Builder batch = ReserveBatch.newBuilder();
                for (int i = 0; i < count; i++) {
                    ReserveRequest request = requests.get(i);
                    if (!window.addPendingLocked(request.getRequestId(), futures.get(i))) {
                        if (duplicates == null) {
                            duplicates = new ArrayList<>();
                        }
                        duplicates.add(i);
                    } else {
                        batch.addRequests(request);
                    }
                }
                if (batch.getRequestsCount() > 0) {
                    window.sendLocked(batch.build());
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
                futures.get(index)
                        .completeExceptionally(
                                ReserveWindow.alreadyPending(requests.get(index).getRequestId())
                                        .asRuntimeException());
            }
        }
    }

    /** Whether the stream has ended (failed, finished or closed): nothing more can be sent on it. */
    boolean hasEnded() {
        return window.hasEnded();
    }

    /** The number of requests submitted and not yet answered, queued or sent. Never more than {@code maxInFlight}. */
    public int inFlight() {
        return window.inFlight();
    }

    /** The most requests one {@link #submit(List)} takes. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** The number of submitted batches still waiting for the stream to accept them. */
    int queuedBatches() {
        return window.queuedMessages();
    }

    /**
     * Stops accepting requests, sends what is queued, half-closes the stream and waits up to the
     * client's deadline for the server to answer everything and end the stream. Requests still
     * unanswered after that fail with CANCELLED and the call is cancelled. Calling this again
     * only waits again.
     */
    @Override
    public void close() {
        window.close();
    }
}
