package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.Command;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveBatchReply;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stream sessions' lifecycle without a server: the test plays the transport, the ring (every
 * request is published, unless a test refuses it) and the replier, so it can say exactly when
 * answers and credit go out.
 */
class ReserveStreamLifecycleTest {
    /** Answers the replier gives a stopped engine: REJECTED, carrying the request id. */
    private static final Throwable STOPPED = new IllegalStateException("engine stopped");

    private final ServerMetrics metrics = new ServerMetrics(0, 1_000);
    private final Transport<ReserveReply> transport = new Transport<>();
    private final Transport<ReserveBatchReply> batchTransport = new Transport<>();
    private final List<ReplyBatchListener> batchEndListeners = new ArrayList<>();
    /** Tasks handed to a session's event loop and not yet run ({@link #runLoop}). */
    private final List<Runnable> loopTasks = new ArrayList<>();

    private com.google.rpc.Status refusal;

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    @Test
    void reserveStreamShouldReturnTheCreditOfAReplierBatchOnceWithOneRequestAtItsEnd() {
        ReserveStreamSession session = reserveStream(4, "r0", "r1", "r2", "r3");
        assertThat(transport.requests).containsExactly(4);

        replierAnswers(session, "r0", "r1", "r2");

        assertThat(transport.sent).extracting(ReserveReply::getRequestId).containsExactly("r0", "r1", "r2");
        assertThat(batchEndListeners).containsExactly(session);
        assertThat(transport.requests).containsExactly(4);

        endReplierBatch();
        assertThat(transport.requests).containsExactly(4, 3);
    }

    @Test
    void creditShouldWaitForOnReadyWhileTheCallerIsNotReading() {
        ReserveStreamSession session = reserveStream(2, "r0");
        transport.ready = false;

        replierAnswers(session, "r0");
        endReplierBatch();
        assertThat(transport.requests).containsExactly(2);

        transport.ready = true;
        transport.onReady.run();
        assertThat(transport.requests).containsExactly(2, 1);
    }

    @Test
    void refusalShouldBeAnsweredAndItsCreditReturnedAtOnceOnTheGrpcThread() {
        refusal = com.google.rpc.Status.newBuilder()
                .setCode(8)
                .setMessage("ring full")
                .build();

        reserveStream(2, "r0");

        assertThat(transport.sent).singleElement().satisfies(reply -> {
            assertThat(reply.getRequestId()).isEqualTo("r0");
            assertThat(reply.getResult()).isEqualTo(ReserveResult.REJECTED);
            assertThat(reply.getError()).isEqualTo(refusal);
        });
        assertThat(transport.requests).containsExactly(2, 1);
        assertThat(batchEndListeners).isEmpty();
    }

    @Test
    void cancelMidStreamShouldSendNothingMoreAskForNothingMoreAndNeverComplete() {
        ReserveStreamSession session = reserveStream(2, "r0", "r1");

        transport.onCancel.run();
        replierAnswers(session, "r0", "r1");
        endReplierBatch();
        transport.onReady.run();
        session.onCompleted();

        assertThat(transport.sent).isEmpty();
        assertThat(transport.requests).containsExactly(2);
        assertThat(transport.completed).isZero();
    }

    @Test
    void callerErrorShouldEndTheCallAsCancelDoes() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4);
        session.onNext(batch("b0", "b1"));

        session.onError(new IllegalStateException("caller gone"));
        replierAnswers(session, "b0", "b1");
        endReplierBatch();
        session.onCompleted();

        assertThat(batchTransport.sent).isEmpty();
        assertThat(batchTransport.completed).isZero();
    }

    @Test
    void halfClosedReserveStreamShouldCompleteOnceItsLastAnswerIsSentAndAskForNothingMore() {
        ReserveStreamSession session = reserveStream(4, "r0", "r1");

        session.onCompleted();
        assertThat(transport.completed).isZero();
        replierAnswers(session, "r0");
        assertThat(transport.completed).isZero();
        replierAnswers(session, "r1");
        assertThat(transport.completed).isOne();

        endReplierBatch();
        transport.onReady.run();
        assertThat(transport.sent).extracting(ReserveReply::getRequestId).containsExactly("r0", "r1");
        assertThat(transport.requests).containsExactly(4);
        assertThat(transport.completed).isOne();
    }

    @Test
    void batchStreamShouldCountReservesAndAskForAsManyBatchesAsTheWindowHasRoomFor() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4);
        // Room for two batches of the worst size.
        assertThat(batchTransport.requests).containsExactly(2);

        session.onNext(batch("a0", "a1", "a2", "a3"));
        assertThat(batchTransport.requests).containsExactly(2);
        // Five reserves unanswered and no batch asked for: the three left make room for one more batch.
        session.onNext(batch("b0"));
        assertThat(batchTransport.requests).containsExactly(2, 1);
    }

    @Test
    void batchStreamShouldSendAReplierBatchsAnswersInRepliesOfBatchMaxAndTheCreditAtItsEnd() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4);
        session.onNext(batch("a0", "a1", "a2", "a3"));
        session.onNext(batch("b0", "b1", "b2", "b3"));
        assertThat(batchTransport.requests).containsExactly(2);

        replierAnswers(session, "a0", "a1", "a2", "a3", "b0");
        assertThat(batchTransport.sent)
                .extracting(ReserveBatchReply::getRepliesCount)
                .containsExactly(4);
        assertThat(batchEndListeners).containsExactly(session);
        assertThat(batchTransport.requests).containsExactly(2);

        endReplierBatch();
        assertFourThenB0SentAndRoomForTwoBatches();
    }

    @Test
    void halfClosedBatchStreamShouldCompleteAfterSendingItsLastAnswersAtTheReplierBatchsEnd() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4);
        session.onNext(batch("a0", "a1"));
        assertThat(batchTransport.requests).containsExactly(2, 1);
        session.onCompleted();

        replierAnswers(session, "a0", "a1");
        assertThat(batchTransport.sent).isEmpty();
        assertThat(batchTransport.completed).isZero();

        endReplierBatch();
        assertThat(batchTransport.sent)
                .singleElement()
                .extracting(ReserveBatchReply::getRepliesCount)
                .isEqualTo(2);
        assertThat(batchTransport.completed).isOne();
        assertThat(batchTransport.requests).containsExactly(2, 1);
    }

    @Test
    void onItsEventLoopABatchStreamShouldSendTheReplierBatchsAnswersAndTheirCreditOnlyWhenTheLoopRuns() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4, loopTasks::add);
        session.onNext(batch("a0", "a1", "a2", "a3"));
        session.onNext(batch("b0", "b1", "b2", "b3"));

        replierAnswers(session, "a0", "a1", "a2", "a3", "b0");
        endReplierBatch();
        // The replier handed the batch's answers over in one task and sent nothing.
        assertThat(loopTasks).hasSize(1);
        assertThat(batchTransport.sent).isEmpty();
        assertThat(batchTransport.requests).containsExactly(2);

        runLoop();
        // What the replier itself would have sent (the test above), and the same credit.
        assertFourThenB0SentAndRoomForTwoBatches();
    }

    @Test
    void onItsEventLoopAReserveStreamShouldHandOverItsAnswersBy64WithinALongReplierBatch() {
        ReserveStreamSession session = new ReserveStreamSession(
                transport, 100, (request, s) -> refusal, metrics, batchEndListeners::add, loopTasks::add);
        String[] ids = new String[70];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "r" + i;
            session.onNext(request(ids[i]));
        }

        replierAnswers(session, ids);
        assertThat(loopTasks).hasSize(1);
        endReplierBatch();
        assertThat(loopTasks).hasSize(2);

        runLoop();
        // A message per answer on a ReserveStream, in order.
        assertThat(transport.sent).extracting(ReserveReply::getRequestId).containsExactly(ids);
    }

    @Test
    void onItsEventLoopAHalfClosedStreamShouldCompleteOnlyOnceTheLoopHasSentItsLastAnswers() {
        ReserveStreamSession session = new ReserveStreamSession(
                transport, 4, (request, s) -> refusal, metrics, batchEndListeners::add, loopTasks::add);
        session.onNext(request("r0"));
        session.onNext(request("r1"));
        session.onCompleted();

        replierAnswers(session, "r0", "r1");
        endReplierBatch();
        assertThat(transport.completed).isZero();
        assertThat(transport.sent).isEmpty();

        runLoop();
        assertThat(transport.sent).extracting(ReserveReply::getRequestId).containsExactly("r0", "r1");
        assertThat(transport.completed).isOne();
        assertThat(transport.requests).containsExactly(4);
    }

    @Test
    void onItsEventLoopACancelBeforeTheLoopRunsShouldSendNothing() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4, loopTasks::add);
        session.onNext(batch("a0", "a1"));
        replierAnswers(session, "a0", "a1");
        endReplierBatch();

        batchTransport.onCancel.run();
        runLoop();
        session.onCompleted();

        assertThat(batchTransport.sent).isEmpty();
        assertThat(batchTransport.requests).containsExactly(2, 1);
        assertThat(batchTransport.completed).isZero();
    }

    @Test
    void aLoopThatRefusesTasksShouldEndTheStreamQuietlyNotTheReplier() {
        ReserveBatchStreamSession session = reserveBatchStream(8, 4, task -> {
            throw new RejectedExecutionException("event loop shut down");
        });
        session.onNext(batch("a0"));
        replierAnswers(session, "a0");
        endReplierBatch();
        session.onCompleted();

        assertThat(batchTransport.sent).isEmpty();
        assertThat(batchTransport.completed).isZero();
    }

    // ---- the ring and the replier --------------------------------------------------------------

    /** A ReserveStream session on {@link #transport}, which has read these requests. */
    private ReserveStreamSession reserveStream(int window, String... requestIds) {
        ReserveStreamSession session = new ReserveStreamSession(
                transport, window, (request, s) -> refusal, metrics, batchEndListeners::add, null);
        for (String requestId : requestIds) {
            session.onNext(request(requestId));
        }
        return session;
    }

    /** A ReserveBatchStream session on {@link #batchTransport}, its answers sent by the replier. */
    private ReserveBatchStreamSession reserveBatchStream(int window, int batchMax) {
        return reserveBatchStream(window, batchMax, null);
    }

    /** A ReserveBatchStream session on {@link #batchTransport}, its answers sent by {@code loop} (null: the replier). */
    private ReserveBatchStreamSession reserveBatchStream(int window, int batchMax, Executor loop) {
        ReserveBatchStreamSession.Publisher publisher = new ReserveBatchStreamSession.Publisher() {
            @Override
            public boolean publishAll(ReserveBatch batch, ReserveBatchStreamSession session) {
                return refusal == null;
            }

            @Override
            public com.google.rpc.Status publish(ReserveRequest request, ReserveBatchStreamSession session) {
                return refusal;
            }
        };
        return new ReserveBatchStreamSession(
                batchTransport, window, batchMax, publisher, metrics, batchEndListeners::add, loop);
    }

    /** The replier answers these requests of {@code session} within one of its batches. */
    private static void replierAnswers(ReserveStreamSession session, String... requestIds) {
        replierAnswers(ReserveStreamSession.REPLY, session, requestIds);
    }

    private static void replierAnswers(ReserveBatchStreamSession session, String... requestIds) {
        replierAnswers(ReserveBatchStreamSession.REPLY, session, requestIds);
    }

    private static void replierAnswers(ReplyHandler reply, Object session, String... requestIds) {
        for (String requestId : requestIds) {
            reply.reply(Command.reserve(0, requestId, "user", "SKU", 1), session, STOPPED);
        }
    }

    /**
     * After a0..a3 and b0 of two batches of four were answered in one replier batch: a reply of four,
     * then one of b0, and credit asked for with three reserves still unanswered (two batches' room).
     */
    private void assertFourThenB0SentAndRoomForTwoBatches() {
        assertThat(batchTransport.sent)
                .extracting(ReserveBatchReply::getRepliesCount)
                .containsExactly(4, 1);
        assertThat(batchTransport.sent.get(1).getReplies(0).getRequestId()).isEqualTo("b0");
        assertThat(batchTransport.requests).containsExactly(2, 2);
    }

    /** The event loop runs the tasks handed to it, in order. */
    private void runLoop() {
        List<Runnable> tasks = new ArrayList<>(loopTasks);
        loopTasks.clear();
        tasks.forEach(Runnable::run);
    }

    private void endReplierBatch() {
        List<ReplyBatchListener> listeners = new ArrayList<>(batchEndListeners);
        batchEndListeners.clear();
        listeners.forEach(ReplyBatchListener::onReplyBatchEnd);
    }

    private static ReserveRequest request(String requestId) {
        return ReserveRequest.newBuilder().setRequestId(requestId).build();
    }

    private static ReserveBatch batch(String... requestIds) {
        ReserveBatch.Builder batch = ReserveBatch.newBuilder();
        for (String requestId : requestIds) {
            batch.addRequests(request(requestId));
        }
        return batch.build();
    }

    /** The response side of a call, as gRPC hands it to a service: records what the session does with it. */
    private static final class Transport<T> extends ServerCallStreamObserver<T> {
        final List<T> sent = new ArrayList<>();
        final List<Integer> requests = new ArrayList<>();
        int completed;
        boolean ready = true;
        Runnable onReady;
        Runnable onCancel;

        @Override
        public void onNext(T value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError("the session ended the call with an error", t);
        }

        @Override
        public void onCompleted() {
            completed++;
        }

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            onReady = onReadyHandler;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
            onCancel = onCancelHandler;
        }

        @Override
        public void request(int count) {
            requests.add(count);
        }

        @Override
        public void disableAutoRequest() {}

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setCompression(String compression) {}

        @Override
        public void setMessageCompression(boolean enable) {}

        @Override
        public void disableAutoInboundFlowControl() {}
    }
}
