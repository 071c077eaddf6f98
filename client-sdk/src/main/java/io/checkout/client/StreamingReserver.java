package io.checkout.client;

import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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

    /** A reply message holds one reply: itself. */
    private static final ReserveWindow.Replies<ReserveReply> ONE_REPLY = new ReserveWindow.Replies<>() {
        @Override
        public int count(ReserveReply message) {
            return 1;
        }

        @Override
        public ReserveReply get(ReserveReply message, int index) {
            return message;
        }
    };

    private final RequestIds requestIds;
    /** Given to each request without a budget of its own; 0: none. */
    private final int budgetMillis;

    private final ReserveWindow<ReserveRequest, ReserveReply> window;

    private StreamingReserver(int maxInFlight, RequestIds requestIds, long closeTimeoutNanos, int budgetMillis) {
        this.requestIds = requestIds;
        this.budgetMillis = budgetMillis;
        this.window = new ReserveWindow<>("reserve stream", maxInFlight, closeTimeoutNanos, ONE_REPLY);
    }

    /** Opens the stream; the reserver is fully built before gRPC can call back into it. */
    static StreamingReserver open(
            Channel channel, int maxInFlight, RequestIds requestIds, long closeTimeoutNanos, int budgetMillis) {
        StreamingReserver reserver = new StreamingReserver(maxInFlight, requestIds, closeTimeoutNanos, budgetMillis);
        CheckoutGrpc.newStub(channel).reserveStream(reserver.window);
        return reserver;
    }

    /**
     * Sends a reserve on the stream. Never blocks.
     *
     * @param request the reserve; an empty {@code request_id} is replaced by a generated one, and a
     *     zero {@code budget_millis} by the stream's request budget if it has one
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
        ReserveRequest toSend = requestIds.complete(request, budgetMillis);
        String requestId = RequestIds.requireValid(toSend.getRequestId());
        CompletableFuture<ReserveReply> future = new CompletableFuture<>();
        Status refusal;
        synchronized (window.lock) {
            refusal = window.refusalLocked(1);
            if (refusal == null) {
                if (window.addPendingLocked(requestId, future)) {
                    window.sendLocked(toSend);
                } else {
                    refusal = ReserveWindow.alreadyPending(requestId);
                }
            }
        }
        if (refusal != null) {
            future.completeExceptionally(refusal.asRuntimeException());
        }
        return future;
    }

    /**
     * The number of requests submitted and not yet answered, queued or sent. Never more than
     * {@code maxInFlight}.
     *
     * @return the current count
     */
    public int inFlight() {
        return window.inFlight();
    }

    /** The number of submitted requests still waiting for the stream to accept them. */
    int queued() {
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
