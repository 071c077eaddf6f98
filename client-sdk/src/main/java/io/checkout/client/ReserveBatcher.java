package io.checkout.client;

import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.grpc.Channel;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The sender behind {@link AutoBatching}: callers queue single reserves (an attempt of a unary
 * call each, see {@link RetryingCalls}); one thread takes what is queued, up to a batch, and sends
 * it on the next of its {@code ReserveBatchStream} calls, opening a new one in place of a stream
 * that has ended. The queue is bounded (every stream's window once over); a reserve that does not
 * fit is refused at once with RESOURCE_EXHAUSTED.
 *
 * <p>What a caller's future gets is what the stream gives it: the reply (REJECTED ones included),
 * or the stream's failure. Turning those into a unary call's answer, its retries and its deadline
 * is {@link RetryingCalls}'s work.
 */
final class ReserveBatcher {

    /** How long the idle sender sleeps between looks at whether the client was closed. */
    private static final long IDLE_POLL_MILLIS = 100;

    private final Channel channel;
    private final AutoBatching settings;
    private final RequestIds requestIds;
    private final long closeTimeoutNanos;
    private final ArrayBlockingQueue<Queued> queue;
    private final Thread sender;
    /** Touched by the sender thread only, and by {@link #close()} after it has ended. */
    private final BatchStreamingReserver[] streams;

    private volatile boolean closed;
    /** Set once a stream ended UNIMPLEMENTED: this server has no ReserveBatchStream. */
    private volatile boolean unsupported;
    /** The sender thread's next stream, round robin. */
    private int next;

    private record Queued(ReserveRequest request, CompletableFuture<ReserveReply> reply) {}

    /**
     * @param requestIds what the streams complete empty ids with (the requests queued here have theirs)
     * @param closeTimeoutNanos how long {@link #close()} waits for each stream's last replies
     */
    ReserveBatcher(Channel channel, AutoBatching settings, RequestIds requestIds, long closeTimeoutNanos) {
        this.channel = channel;
        this.settings = settings;
        this.requestIds = requestIds;
        this.closeTimeoutNanos = closeTimeoutNanos;
        this.queue = new ArrayBlockingQueue<>(settings.queuedMax());
        this.streams = new BatchStreamingReserver[settings.streams()];
        this.sender = new Thread(this::sendLoop, "checkout-client-batcher");
        sender.setDaemon(true);
        sender.start();
    }

    /** Whether reserves should come here: not closed, and the server has not said it lacks the stream. */
    boolean available() {
        return !closed && !unsupported;
    }

    /**
     * Called when a reserve queued here failed: if the stream ended UNIMPLEMENTED the server has no
     * ReserveBatchStream, and from now on reserves go as unary calls.
     *
     * @return whether {@code failure} says so (the reserve was not sent and may go unary at once)
     */
    boolean lacksBatchStream(Throwable failure) {
        if (Status.fromThrowable(failure).getCode() == Status.Code.UNIMPLEMENTED) {
            unsupported = true;
            return true;
        }
        return false;
    }

    /**
     * Queues one reserve for the next batch. Never blocks.
     *
     * @param request a reserve with its request id set and checked
     * @param reply completed with the reply, or failed: RESOURCE_EXHAUSTED at once if the queue is
     *     full, CANCELLED if the client is closed, else as the stream ends it
     */
    void submit(ReserveRequest request, CompletableFuture<ReserveReply> reply) {
        if (closed) {
            reply.completeExceptionally(
                    Status.CANCELLED.withDescription("the client is closed").asRuntimeException());
            return;
        }
        if (!queue.offer(new Queued(request, reply))) {
            reply.completeExceptionally(Status.RESOURCE_EXHAUSTED
                    .withDescription("auto-batching queue full (" + settings.queuedMax() + " reserves waiting)")
                    .asRuntimeException());
        } else if (closed && !sender.isAlive()) {
            // Closed while this was queued, after the sender's last look: nobody will send it.
            cancelQueued();
        }
    }

    private void sendLoop() {
        int batchMax = settings.maxBatchSize();
        List<Queued> batch = new ArrayList<>(batchMax);
        List<ReserveRequest> requests = new ArrayList<>(batchMax);
        List<CompletableFuture<ReserveReply>> replies = new ArrayList<>(batchMax);
        try {
            while (!closed || !queue.isEmpty()) {
                Queued first = queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, batchMax - 1);
                lingerFor(batch, batchMax);
                for (Queued queued : batch) {
                    requests.add(queued.request());
                    replies.add(queued.reply());
                }
                try {
                    nextStream().send(requests, replies);
                } catch (RuntimeException e) {
                    // Opening a stream on a shut-down channel, say: fail this batch (its calls may
                    // retry) rather than leave callers waiting out their deadlines, and go on.
                    fail(batch, Status.UNAVAILABLE.withDescription("auto-batching could not send: " + e));
                }
                batch.clear();
                requests.clear();
                replies.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Whatever is still queued was never sent: the client is closing, or the sender failed.
            cancelQueued();
        }
    }

    /** Fails every reserve still queued, which no one will send now, with CANCELLED. */
    private void cancelQueued() {
        List<Queued> left = new ArrayList<>();
        queue.drainTo(left);
        fail(left, Status.CANCELLED.withDescription("the client is closed"));
    }

    /** With a linger: waits up to it for more reserves while the batch is not full. */
    private void lingerFor(List<Queued> batch, int batchMax) throws InterruptedException {
        long lingerNanos = settings.lingerNanos();
        if (lingerNanos == 0 || batch.size() >= batchMax) {
            return;
        }
        long until = System.nanoTime() + lingerNanos;
        long left;
        while (batch.size() < batchMax && (left = until - System.nanoTime()) > 0) {
            Queued more = queue.poll(left, TimeUnit.NANOSECONDS);
            if (more == null) {
                return;
            }
            batch.add(more);
            queue.drainTo(batch, batchMax - batch.size());
        }
    }

    /** The next stream round robin, a new one in place of one that has ended. */
    private BatchStreamingReserver nextStream() {
        int index = next;
        next = (next + 1) % streams.length;
        BatchStreamingReserver stream = streams[index];
        if (stream == null || stream.hasEnded()) {
            stream = BatchStreamingReserver.open(
                    channel,
                    settings.maxInFlightPerStream(),
                    settings.maxBatchSize(),
                    requestIds,
                    closeTimeoutNanos,
                    0);
            streams[index] = stream;
        }
        return stream;
    }

    private static void fail(List<Queued> queued, Status status) {
        for (Queued entry : queued) {
            entry.reply().completeExceptionally(status.asRuntimeException());
        }
    }

    /**
     * Stops taking reserves, lets the sender send what is queued, then closes every stream, each
     * waiting up to the close timeout for its last replies.
     */
    void close() {
        closed = true;
        try {
            sender.join(TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) + IDLE_POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.isAlive()) {
            sender.interrupt();
            return;
        }
        for (BatchStreamingReserver stream : streams) {
            if (stream != null) {
                stream.close();
            }
        }
    }
}
