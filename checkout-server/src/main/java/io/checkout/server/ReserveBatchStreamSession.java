package io.checkout.server;

import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One ReserveBatchStream call: ReserveStream with many reserves per message, answered with many
 * answers per message. With {@code batchMax} reserves to a message, its {@link ReserveStreamLifecycle}
 * sends in one reply what the pipeline answered together, however the answers were split across
 * request batches, and reads another batch only while the window has room for one of the largest.
 *
 * <p>Reserves refused before publishing (ring full, too many lines, an oversize batch) are answered
 * from the gRPC thread, one reply for all the refusals of one request batch.
 */
final class ReserveBatchStreamSession extends ReserveStreamLifecycle<ReserveBatch, ReserveBatchReply> {
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

    private final int batchMax;
    private final Publisher publisher;
    private final ServerMetrics metrics;

    /**
     * @param window most unanswered reserves before another batch is asked for (stream-window)
     * @param batchMax most reserves in one batch and answers in one reply (stream-batch-max)
     * @param afterReplyBatch registers this session, from the replier thread, to hear the end of the
     *     replier's current batch ({@link io.checkout.pipeline.CommandPublisher#afterReplyBatch})
     * @param loop the call's event loop, to send the replier's answers; null to send them from the
     *     replier thread
     */
    ReserveBatchStreamSession(
            ServerCallStreamObserver<ReserveBatchReply> out,
            int window,
            int batchMax,
            Publisher publisher,
            ServerMetrics metrics,
            Consumer<ReplyBatchListener> afterReplyBatch,
            Executor loop) {
        super(out, window, batchMax, metrics, afterReplyBatch, loop);
        this.batchMax = batchMax;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    @Override
    ReserveBatchReply pack(List<ReserveReply> answers) {
        return ReserveBatchReply.newBuilder().addAllReplies(answers).build();
    }

    @Override
    public void onNext(ReserveBatch batch) {
        if (UnparseableRequests.isMarked(batch)) {
            // Bytes that were not a batch: one rejected reply (no request id to give it), and the stream goes on.
            metrics.reserveBatch(0);
            received(1);
            refused(List.of(StreamReplies.rejected("", UnparseableRequests.refusal(batch))));
            return;
        }
        int count = batch.getRequestsCount();
        metrics.reserveBatch(count);
        received(count);
        List<ReserveReply> refusals = null;
        if (count > batchMax) {
            com.google.rpc.Status tooMany = GrpcErrors.tooManyRequests(count, batchMax);
            refusals = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                refusals.add(StreamReplies.rejected(batch.getRequests(i).getRequestId(), tooMany));
            }
        } else if (count > 0 && !(linesWithinLimit(batch) && publisher.publishAll(batch, this))) {
            // The ring could not take the whole batch at once (or an item is malformed): each item
            // on its own, so as many as fit are accepted and the rest refused, as on ReserveStream.
            for (int i = 0; i < count; i++) {
                ReserveRequest request = batch.getRequests(i);
                com.google.rpc.Status refusal = request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX
                        ? GrpcErrors.tooManyLines(request.getLinesCount())
                        : !IdBuffer.holdsExactly(request.getRequestId())
                                ? GrpcErrors.invalidRequestId() // the reply must echo the id as sent
                                : publisher.publish(request, this);
                if (refusal != null) {
                    if (refusals == null) {
                        refusals = new ArrayList<>();
                    }
                    refusals.add(StreamReplies.rejected(request.getRequestId(), refusal));
                }
            }
        }
        // Even with nothing refused: a batch smaller than batchMax leaves room for more.
        refused(refusals != null ? refusals : List.of());
    }

    /** Whether every item can go to the engine as it is: lines within the limit, an id it can echo. */
    private static boolean linesWithinLimit(ReserveBatch batch) {
        for (int i = 0; i < batch.getRequestsCount(); i++) {
            ReserveRequest request = batch.getRequests(i);
            if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX
                    || !IdBuffer.holdsExactly(request.getRequestId())) {
                return false;
            }
        }
        return true;
    }
}
