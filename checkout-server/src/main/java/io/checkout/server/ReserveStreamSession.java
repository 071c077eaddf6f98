package io.checkout.server;

import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One ReserveStream call: one reserve per message each way. With one reserve to a message, its
 * {@link ReserveStreamLifecycle} keeps at most {@code window} requests asked of the transport and not
 * yet answered, and sends each answer as soon as the replier gives it.
 */
final class ReserveStreamSession extends ReserveStreamLifecycle<ReserveRequest, ReserveReply> {
    /** Publishes a request to the ring; null if it did, otherwise why not. */
    interface Publisher {
        com.google.rpc.Status publish(ReserveRequest request, ReserveStreamSession session);
    }

    private final Publisher publisher;

    /**
     * @param afterReplyBatch registers this session, from the replier thread, to hear the end of the
     *     replier's current batch ({@link io.checkout.pipeline.CommandPublisher#afterReplyBatch})
     * @param loop the call's event loop, to send the replier's answers; null to send them from the
     *     replier thread
     */
    ReserveStreamSession(
            ServerCallStreamObserver<ReserveReply> out,
            int window,
            Publisher publisher,
            ServerMetrics metrics,
            Consumer<ReplyBatchListener> afterReplyBatch,
            Executor loop) {
        super(out, window, 1, metrics, afterReplyBatch, loop);
        this.publisher = publisher;
    }

    @Override
    ReserveReply pack(List<ReserveReply> answers) {
        return answers.get(0);
    }

    @Override
    public void onNext(ReserveRequest request) {
        received(1);
        com.google.rpc.Status refusal;
        if (UnparseableRequests.isMarked(request)) {
            refusal = UnparseableRequests.refusal(request); // bytes that were not a request: this one only
        } else if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            refusal = GrpcErrors.tooManyLines(request.getLinesCount());
        } else if (!IdBuffer.holdsExactly(request.getRequestId())) {
            refusal = GrpcErrors.invalidRequestId(); // the reply must echo the id as sent
        } else {
            refusal = publisher.publish(request, this);
        }
        // A published request keeps the room its message was asked with until its answer frees it.
        if (refusal != null) {
            refused(List.of(StreamReplies.rejected(request.getRequestId(), refusal)));
        }
    }
}
