package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/**
 * One ReserveBatchStream call: ReserveStream with many reserves per message, answered with many
 * answers per message.
 *
 * <p><b>Answers.</b> The replier's answers for this stream collect in one reply and go out at the
 * end of the replier's batch ({@link ReplyBatchListener}), or earlier once the reply holds
 * {@code batchMax} answers: one message, one HTTP/2 frame and one flush for what the pipeline
 * answered together, however the answers were split across request batches. Reserves refused
 * before publishing (ring full, too many lines, an oversize batch) are answered from the gRPC
 * thread, one reply for all the refusals of one request batch.
 *
 * <p><b>Flow control</b> counts reserves, not messages. A batch's size is known only once it is
 * read, so the session assumes the worst of every batch it asks for: it asks the transport for
 * another message only while the unanswered reserves plus {@code batchMax} for each message already
 * asked for stay below {@code window}. At most {@code window + batchMax - 1} reserves of a stream
 * are therefore in the server at once, and none is asked for while the caller is not reading
 * answers (the transport not ready); {@code onReady} resumes.
 *
 * <p>Calls on the response observer happen under the lock, one at a time, as gRPC needs.
 */
final class ReserveBatchStreamSession implements StreamObserver<ReserveBatch>, ReplyBatchListener {
    /** Publishes to the ring on the gRPC thread. */
    interface Publisher {
        /**
         * Publishes every request of {@code batch} with one claim of the ring, or none of them.
         * Every request must hold at most {@link EngineLimits#LINES_PER_ORDER_MAX} lines.
         *
         * @return whether they were published
         */
        boolean publishAll(ReserveBatch batch, ReserveBatchStreamSession session);

        /** Publishes one request; null if it did, otherwise why not. */
        com.google.rpc.Status publish(ReserveRequest request, ReserveBatchStreamSession session);
    }

    static final ReplyHandler REPLY = (command, context, failure) ->
            ((ReserveBatchStreamSession) context).answer(command, failure);

    private final ServerCallStreamObserver<ReserveBatchReply> out;
    private final int window;
    private final int batchMax;
    private final Publisher publisher;
    private final ServerMetrics metrics;
    private final Consumer<ReplyBatchListener> afterReplyBatch;
    private final Object lock = new Object();
    /** Reserves received and not yet sent an answer (answers waiting in {@link #answered} included). */
    private int inFlight;
    /** Messages asked of the transport and not yet received. */
    private int requestedMessages;
    /** The replier's answers not yet sent; null when there are none. */
    private ReserveBatchReply.Builder answered;
    /** Whether this session waits for the end of the replier's current batch. */
    private boolean batchEndAwaited;
    private boolean halfClosed;
    private boolean finished;

    /**
     * @param window most unanswered reserves before another batch is asked for (stream-window)
     * @param batchMax most reserves in one batch and answers in one reply (stream-batch-max)
     * @param afterReplyBatch registers this session, from the replier thread, to hear the end of the
     *     replier's current batch ({@link io.checkout.pipeline.CheckoutPipeline#afterReplyBatch})
     */
    ReserveBatchStreamSession(ServerCallStreamObserver<ReserveBatchReply> out, int window, int batchMax,
            Publisher publisher, ServerMetrics metrics, Consumer<ReplyBatchListener> afterReplyBatch) {
        if (window < 1 || batchMax < 1) {
            throw new IllegalArgumentException("window and batchMax must be positive, got " + window + " and " + batchMax);
        }
        this.out = out;
        this.window = window;
        this.batchMax = batchMax;
        this.publisher = publisher;
        this.metrics = metrics;
        this.afterReplyBatch = afterReplyBatch;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::onCancel);
        synchronized (lock) {
            requestedMessages = messagesAllowed(window);
            out.request(requestedMessages);
        }
    }

    /** How many batches of the worst size fit in {@code room} reserves, the last one possibly in part. */
    private int messagesAllowed(int room) {
        return room <= 0 ? 0 : (room - 1) / batchMax + 1;
    }

    @Override
    public void onNext(ReserveBatch batch) {
        int count = batch.getRequestsCount();
        metrics.reserveBatch(count);
        synchronized (lock) {
            requestedMessages--;
            inFlight += count;
        }
        ReserveBatchReply.Builder refused = null;
        if (count > batchMax) {
            com.google.rpc.Status tooMany = GrpcErrors.tooManyRequests(count, batchMax);
            refused = ReserveBatchReply.newBuilder();
            for (int i = 0; i < count; i++) {
                refused.addReplies(StreamReplies.rejected(batch.getRequests(i).getRequestId(), tooMany));
            }
        } else if (count > 0 && !(linesWithinLimit(batch) && publisher.publishAll(batch, this))) {
            // The ring could not take the whole batch at once (or an item is malformed): each item
            // on its own, so as many as fit are accepted and the rest refused, as on ReserveStream.
            for (int i = 0; i < count; i++) {
                ReserveRequest request = batch.getRequests(i);
                com.google.rpc.Status refusal = request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX
                        ? GrpcErrors.tooManyLines(request.getLinesCount())
                        : publisher.publish(request, this);
                if (refusal != null) {
                    if (refused == null) {
                        refused = ReserveBatchReply.newBuilder();
                    }
                    refused.addReplies(StreamReplies.rejected(request.getRequestId(), refusal));
                }
            }
        }
        synchronized (lock) {
            if (refused != null) {
                sendRefusedLocked(refused);
            }
            if (!finished && !halfClosed) {
                requestIfReadyLocked();
            }
        }
    }

    private static boolean linesWithinLimit(ReserveBatch batch) {
        for (int i = 0; i < batch.getRequestsCount(); i++) {
            if (batch.getRequests(i).getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
                return false;
            }
        }
        return true;
    }

    /** Sends refusals made on the gRPC thread, at most {@code batchMax} to a reply. */
    private void sendRefusedLocked(ReserveBatchReply.Builder refused) {
        int count = refused.getRepliesCount();
        for (int i = 0; i < count; i++) {
            metrics.reserveOutcome(ReserveResult.REJECTED);
        }
        inFlight -= count;
        if (finished) {
            return;
        }
        if (count <= batchMax) {
            out.onNext(refused.build());
            return;
        }
        for (int from = 0; from < count; from += batchMax) {
            out.onNext(ReserveBatchReply.newBuilder()
                    .addAllReplies(refused.getRepliesList().subList(from, Math.min(count, from + batchMax)))
                    .build());
        }
    }

    /** On the replier thread. */
    private void answer(Command command, Throwable failure) {
        ReserveReply reply = StreamReplies.answer(command, failure);
        metrics.reserveOutcome(reply.getResult());
        synchronized (lock) {
            if (finished) {
                inFlight--;
                return;
            }
            if (answered == null) {
                answered = ReserveBatchReply.newBuilder();
            }
            answered.addReplies(reply);
            if (answered.getRepliesCount() >= batchMax) {
                flushAnsweredLocked();
            }
            if (!batchEndAwaited) {
                batchEndAwaited = true;
                afterReplyBatch.accept(this);
            }
        }
    }

    private void flushAnsweredLocked() {
        if (answered == null) {
            return;
        }
        int count = answered.getRepliesCount();
        if (!finished) {
            out.onNext(answered.build());
        }
        answered = null;
        inFlight -= count;
    }

    @Override
    public void onReplyBatchEnd() {
        synchronized (lock) {
            batchEndAwaited = false;
            flushAnsweredLocked();
            if (halfClosed) {
                finishIfDrainedLocked();
            } else if (!finished) {
                requestIfReadyLocked();
            }
        }
    }

    /** Asks for as many batches as the window has room for, unless the caller is not reading (then onReady will). */
    private void requestIfReadyLocked() {
        int more = messagesAllowed(window - inFlight) - requestedMessages;
        if (more > 0 && out.isReady()) {
            requestedMessages += more;
            out.request(more);
        }
    }

    private void onReady() {
        synchronized (lock) {
            if (!finished && !halfClosed) {
                requestIfReadyLocked();
            }
        }
    }

    private void onCancel() {
        synchronized (lock) {
            finished = true;
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (lock) {
            finished = true;
        }
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            halfClosed = true;
            finishIfDrainedLocked();
        }
    }

    private void finishIfDrainedLocked() {
        if (!finished && inFlight == 0) {
            finished = true;
            out.onCompleted();
        }
    }
}
