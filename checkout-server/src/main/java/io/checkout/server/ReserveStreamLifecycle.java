package io.checkout.server;

import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveReply;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * What the reserve streams (ReserveStream, ReserveBatchStream) share: inbound flow control, answers,
 * and the end of the call. A session reads each inbound message and publishes its reserves; this
 * class counts them, sends their answers packed at most {@code batchMax} to an outbound message
 * ({@link #pack}), and decides when to read more.
 *
 * <p><b>Flow control</b> counts reserves, not messages. A message's size is known only once it is
 * read, so the window assumes the worst of every message it asks for: it asks the transport for
 * another only while the unanswered reserves plus {@code batchMax} for each message already asked
 * for stay below {@code window}. A stream therefore never has more than {@code window + batchMax - 1}
 * reserves in the server, and none is asked for while the caller is not reading answers (the
 * transport not ready); {@code onReady} resumes. Nothing buffers without bound.
 *
 * <p><b>Answers</b> from the replier collect and go out at the end of the replier's batch
 * ({@link ReplyBatchListener}), or earlier once {@code batchMax} are waiting, and the credit they
 * free goes back then too, with one {@code request(n)}: a {@code request} from a thread other than
 * the event loop is a task handed to the event loop, and one per answer cost about as much as the
 * answer's write. Reserves refused before publishing are answered from the gRPC thread at once.
 *
 * <p>With the call's event loop given ({@code stream-answers=event-loop}, the default), the replier
 * only collects the answers: at the end of its batch (or once {@code max(batchMax, 64)} wait) it
 * hands them to that loop in one task, which packs them at most {@code batchMax} to a message,
 * serialises and sends them, and returns their credit there. The single writer's thread then does
 * no serialisation and no hand-off of writes or {@code request(n)} per session and batch (7-8% of
 * its CPU under the batch stream; benchmarks/README, History 2026-12-07 16:08). Answers handed over
 * stay in flight until that task has sent them, so the window bounds them as before.
 *
 * <p>Answers come from the replier thread, everything else from gRPC threads; the lock keeps the
 * counts consistent between them and the calls on the response observer one at a time, as gRPC needs.
 *
 * @param <In> the inbound message, which carries one or more reserves
 * @param <Out> the outbound message, which carries one or more answers
 */
abstract class ReserveStreamLifecycle<In, Out> implements StreamObserver<In>, ReplyBatchListener {
    /** Answers a reserve published with its session as the context. */
    static final ReplyHandler REPLY = (command, context, failure) ->
            ((ReserveStreamLifecycle<?, ?>) context).answer(StreamReplies.answer(command, failure));

    /**
     * Fewest answers the replier hands to the event loop before its batch's end: a ReserveStream
     * sends a message per answer, but its answers of a batch still go over in one task.
     */
    private static final int HAND_OFF_MIN = 64;

    private final ServerCallStreamObserver<Out> out;
    private final int window;
    private final int batchMax;
    private final ServerMetrics metrics;
    private final Consumer<ReplyBatchListener> afterReplyBatch;
    /** The call's event loop, which sends the answers the replier collects; null: the replier sends them. */
    private final Executor loop;
    /** With {@link #loop}: pending answers at which the replier hands them over before its batch's end. */
    private final int handOffAt;

    private final Object lock = new Object();
    /** The replier's answers not yet sent (nor handed to {@link #loop}). */
    private List<ReserveReply> pending = new ArrayList<>();
    /** Reserves received and not yet sent an answer (answers in {@link #pending} included). */
    private int inFlight;
    /** Messages asked of the transport and not yet received. */
    private int requestedMessages;
    /** Whether this session waits for the end of the replier's current batch. */
    private boolean batchEndAwaited;

    private boolean halfClosed;
    private boolean finished;

    /**
     * @param window most unanswered reserves before another message is asked for (stream-window)
     * @param batchMax most reserves in one inbound message and answers in one outbound message
     * @param afterReplyBatch registers this session, from the replier thread, to hear the end of the
     *     replier's current batch ({@link io.checkout.pipeline.CommandPublisher#afterReplyBatch})
     * @param loop the call's event loop, to send the replier's answers; null to send them from the
     *     replier thread
     */
    ReserveStreamLifecycle(
            ServerCallStreamObserver<Out> out,
            int window,
            int batchMax,
            ServerMetrics metrics,
            Consumer<ReplyBatchListener> afterReplyBatch,
            Executor loop) {
        if (window < 1 || batchMax < 1) {
            throw new IllegalArgumentException(
                    "window and batchMax must be positive, got " + window + " and " + batchMax);
        }
        this.out = out;
        this.window = window;
        this.batchMax = batchMax;
        this.metrics = metrics;
        this.afterReplyBatch = afterReplyBatch;
        this.loop = loop;
        this.handOffAt = Math.max(batchMax, HAND_OFF_MIN);
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::onCancel);
        synchronized (lock) {
            requestedMessages = messagesAllowed(window);
            out.request(requestedMessages);
        }
    }

    /** One outbound message of {@code answers}, at most {@code batchMax} of them. */
    abstract Out pack(List<ReserveReply> answers);

    /** How many messages of the worst size fit in {@code room} reserves, the last one possibly in part. */
    private int messagesAllowed(int room) {
        return room <= 0 ? 0 : (room - 1) / batchMax + 1;
    }

    /** On the gRPC thread: a message holding {@code reserves} reserves was read; before any is published. */
    final void received(int reserves) {
        synchronized (lock) {
            requestedMessages--;
            inFlight += reserves;
        }
    }

    /**
     * On the gRPC thread, after a message's reserves were published: answers those it refused (there
     * may be none), at most {@code batchMax} to a message, and asks for more messages if there is room.
     */
    final void refused(List<ReserveReply> refusals) {
        int count = refusals.size();
        for (int i = 0; i < count; i++) {
            metrics.reserveOutcome(refusals.get(i).getResult());
        }
        synchronized (lock) {
            sendLocked(refusals);
            if (!finished && !halfClosed) {
                requestIfReadyLocked();
            }
        }
    }

    /** On the replier thread, inside one of its batches: the answer to a published reserve. */
    private void answer(ReserveReply reply) {
        metrics.reserveOutcome(reply.getResult());
        synchronized (lock) {
            if (finished) {
                inFlight--;
                return;
            }
            pending.add(reply);
            if (loop != null) {
                if (pending.size() >= handOffAt) {
                    handPendingToLoopLocked();
                }
            } else if (pending.size() >= batchMax) {
                sendPendingLocked();
                if (halfClosed) {
                    finishIfDrainedLocked();
                }
            }
            // The batch's end sends what is pending and returns credit; a half-closed stream wants no credit.
            if (!batchEndAwaited && (!halfClosed || !pending.isEmpty())) {
                batchEndAwaited = true;
                afterReplyBatch.accept(this);
            }
        }
    }

    private void sendPendingLocked() {
        sendLocked(pending);
        pending.clear();
    }

    /** Sends {@code answers}, at most {@code batchMax} to a message (none once finished), and counts them answered. */
    private void sendLocked(List<ReserveReply> answers) {
        int count = answers.size();
        for (int from = 0; from < count && !finished; from += batchMax) {
            out.onNext(pack(answers.subList(from, Math.min(count, from + batchMax))));
        }
        inFlight -= count;
    }

    /** After answers went out: a half-closed stream completes once drained, an open one asks for more. */
    private void afterSentLocked() {
        if (halfClosed) {
            finishIfDrainedLocked();
        } else if (!finished) {
            requestIfReadyLocked();
        }
    }

    /**
     * On the replier thread: hands the pending answers to the call's event loop, which sends them and
     * returns their credit ({@link #sendOnLoop}); they stay in flight until then.
     */
    private void handPendingToLoopLocked() {
        List<ReserveReply> answers = pending;
        if (answers.isEmpty()) {
            return;
        }
        pending = new ArrayList<>();
        try {
            loop.execute(() -> sendOnLoop(answers));
        } catch (RejectedExecutionException e) {
            // The loop is shutting down: its calls are being closed with it, and nothing will be sent.
            inFlight -= answers.size();
            finished = true;
        }
    }

    /** On the call's event loop: sends answers the replier handed over, then asks for more or finishes. */
    private void sendOnLoop(List<ReserveReply> answers) {
        synchronized (lock) {
            sendLocked(answers);
            afterSentLocked();
        }
    }

    @Override
    public final void onReplyBatchEnd() {
        synchronized (lock) {
            batchEndAwaited = false;
            if (loop != null) {
                handPendingToLoopLocked();
                return;
            }
            sendPendingLocked();
            afterSentLocked();
        }
    }

    /** Asks for as many messages as the window has room for, unless the caller is not reading (then onReady will). */
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

    /** Nothing more goes out once the call is cancelled. */
    private void onCancel() {
        synchronized (lock) {
            finished = true;
        }
    }

    /** The caller's error ends the call as a cancel does. */
    @Override
    public final void onError(Throwable t) {
        onCancel();
    }

    /** The caller's last message: the call completes once every reserve has been answered. */
    @Override
    public final void onCompleted() {
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
