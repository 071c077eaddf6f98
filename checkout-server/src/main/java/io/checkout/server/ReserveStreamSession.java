package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/**
 * One ReserveStream call. Inbound flow control bounds the work a stream can have in the server:
 * at most {@code window} requests are requested from the transport and not yet answered. A new
 * request is asked for only when an answer has been sent and the transport can take more, so a
 * caller that stops reading replies stops being read from, and nothing buffers without bound.
 *
 * <p>The credit for answers the replier sends goes back once per replier batch, with one
 * {@code request(n)}: each {@code request} from a thread other than the event loop is a task handed
 * to the event loop, and one per answer cost about as much as the answer's write.
 *
 * <p>Answers come from the replier thread, except rejections made before publishing, which come
 * from the gRPC thread (and return their credit at once); the lock keeps calls on the response
 * observer one at a time, as gRPC needs.
 */
final class ReserveStreamSession implements StreamObserver<ReserveRequest>, ReplyBatchListener {
    /** Publishes a request to the ring; null if it did, otherwise why not. */
    interface Publisher {
        com.google.rpc.Status publish(ReserveRequest request, ReserveStreamSession session);
    }

    static final ReplyHandler REPLY = (command, context, failure) -> ((ReserveStreamSession) context).answer(command, failure);

    private final ServerCallStreamObserver<ReserveReply> out;
    private final Publisher publisher;
    private final ServerMetrics metrics;
    private final Consumer<ReplyBatchListener> afterReplyBatch;
    private final Object lock = new Object();
    private int inFlight;
    /** Answers sent whose credit has not been returned yet; never more than the window. */
    private int unrequested;
    /** Whether this session waits for the end of the replier's current batch. */
    private boolean batchEndAwaited;
    private boolean halfClosed;
    private boolean finished;

    /**
     * @param afterReplyBatch registers this session, from the replier thread, to hear the end of the
     *     replier's current batch ({@link io.checkout.pipeline.CheckoutPipeline#afterReplyBatch})
     */
    ReserveStreamSession(ServerCallStreamObserver<ReserveReply> out, int window, Publisher publisher, ServerMetrics metrics,
            Consumer<ReplyBatchListener> afterReplyBatch) {
        this.out = out;
        this.publisher = publisher;
        this.metrics = metrics;
        this.afterReplyBatch = afterReplyBatch;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::onCancel);
        out.request(window);
    }

    @Override
    public void onNext(ReserveRequest request) {
        synchronized (lock) {
            inFlight++;
        }
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            send(StreamReplies.rejected(request.getRequestId(), GrpcErrors.tooManyLines(request.getLinesCount())), false);
        } else {
            com.google.rpc.Status refused = publisher.publish(request, this);
            if (refused != null) {
                send(StreamReplies.rejected(request.getRequestId(), refused), false);
            }
        }
    }

    private void answer(Command command, Throwable failure) {
        ReserveReply reply = StreamReplies.answer(command, failure);
        send(reply, true);
    }

    /** @param fromReplier whether this runs on the replier thread, inside one of its batches */
    private void send(ReserveReply reply, boolean fromReplier) {
        metrics.reserveOutcome(reply.getResult());
        synchronized (lock) {
            inFlight--;
            if (finished) {
                return;
            }
            out.onNext(reply);
            if (halfClosed) {
                finishIfDrained();
                return;
            }
            unrequested++;
            if (!fromReplier) {
                requestIfReady();
            } else if (!batchEndAwaited) {
                batchEndAwaited = true;
                afterReplyBatch.accept(this);
            }
        }
    }

    @Override
    public void onReplyBatchEnd() {
        synchronized (lock) {
            batchEndAwaited = false;
            if (!finished && !halfClosed) {
                requestIfReady();
            }
        }
    }

    /** Asks for as many requests as were answered, unless the caller is not reading (then onReady will). */
    private void requestIfReady() {
        if (unrequested > 0 && out.isReady()) {
            out.request(unrequested);
            unrequested = 0;
        }
    }

    private void onReady() {
        synchronized (lock) {
            if (!finished && !halfClosed) {
                requestIfReady();
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
            finishIfDrained();
        }
    }

    private void finishIfDrained() {
        if (!finished && inFlight == 0) {
            finished = true;
            out.onCompleted();
        }
    }
}
