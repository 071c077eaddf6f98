package io.checkout.server;

import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.CommandPublisher.BatchTranslator;
import io.checkout.pipeline.CommandPublisher.CommandTranslator;
import io.checkout.pipeline.ReplyHandler;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a call's command may join the queue, and publishes it if so. Three rules:
 *
 * <ul>
 *   <li><b>Partition</b> (for every command): what another partition owns is refused first,
 *       WRONG_PARTITION or CROSS_PARTITION_ORDER ({@link PartitionGuard}).
 *   <li><b>Queueing delay</b> (for reserves and reads): the command is refused at once with
 *       RESOURCE_EXHAUSTED, reason QUEUE_DELAY and a retry delay, if the wait it would see before
 *       the engine takes it up (the commands ahead of it over their recent service rate) is longer
 *       than {@code queue-delay-max-millis} or than what is left of its call's deadline. A crowd
 *       then gets a fast "come back later" instead of a queue longer than its patience, where every
 *       command would be work done for a caller who has left.
 *   <li><b>Ring slots</b> (for every command): a full ring refuses with RING_FULL. The ring size is
 *       the memory bound; the queueing delay is the admission rule.
 * </ul>
 *
 * Confirm, cancel and refund are not shed by queueing delay: they finish orders already admitted
 * (a payment that arrived must not be lost to a crowd of new reserves), and a full ring still
 * bounds them. Admin calls are not shed either. Why an estimate from the queue length rather than
 * CoDel's measured sojourn time: benchmarks/README.md (flash crowd).
 */
final class Admission {
    private final CommandPublisher pipeline;
    private final long queueDelayMaxNanos;
    private final ServerMetrics metrics;
    private final PartitionGuard partitions;

    /**
     * @param queueDelayMaxMillis the longest wait admitted; 0 sheds by ring slots only
     * @param partitions refuses first what another partition owns
     */
    Admission(CommandPublisher pipeline, long queueDelayMaxMillis, ServerMetrics metrics, PartitionGuard partitions) {
        this.pipeline = pipeline;
        this.queueDelayMaxNanos = TimeUnit.MILLISECONDS.toNanos(queueDelayMaxMillis);
        this.metrics = metrics;
        this.partitions = partitions;
    }

    CommandPublisher pipeline() {
        return pipeline;
    }

    PartitionGuard partitions() {
        return partitions;
    }

    /**
     * Publishes one command unless it is refused.
     *
     * @param shed whether the queueing-delay rule applies to this kind of call
     * @return null if published (the handler will answer), otherwise the refusal to send (counted)
     */
    <A> com.google.rpc.Status publish(
            CommandTranslator<A> translator, A request, ReplyHandler handler, Object context, boolean shed) {
        return publish(translator, request, handler, context, shed, 0);
    }

    /**
     * As {@link #publish(CommandTranslator, Object, ReplyHandler, Object, boolean)}, for a request
     * with a budget of its own ({@code ReserveRequest.budget_millis}): the wait it may see is also
     * at most that.
     *
     * @param budgetNanos the request's own budget, 0 for none
     */
    <A> com.google.rpc.Status publish(
            CommandTranslator<A> translator,
            A request,
            ReplyHandler handler,
            Object context,
            boolean shed,
            long budgetNanos) {
        com.google.rpc.Status refusal = partitions.refusal(request);
        if (refusal != null) {
            metrics.refused("partition");
            return refusal;
        }
        refusal = shed ? queueDelayRefusal(budgetNanos) : null;
        if (refusal != null) {
            return refusal;
        }
        return pipeline.tryPublish(translator, request, handler, context) ? null : notPublished();
    }

    /**
     * Publishes {@code count} reserves with one claim, all or nothing, unless the queueing delay
     * refuses them (then, or if the ring cannot take them all, false and nothing published: the
     * caller publishes them one at a time, and each gets its own answer or refusal).
     */
    <A> boolean tryPublishAll(BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context) {
        if (batch instanceof io.checkout.proto.v1.ReserveBatch reserves && !partitions.ownsAll(reserves)) {
            return false;
        }
        if (exceedsQueueDelay()) {
            return false;
        }
        return pipeline.tryPublishEach(translator, batch, count, handler, context);
    }

    /** The error for a command the ring did not take, counted by reason. */
    com.google.rpc.Status notPublished() {
        com.google.rpc.Status status = GrpcErrors.notPublished(pipeline);
        metrics.refused(status == GrpcErrors.SHUTTING_DOWN ? "shutting_down" : "ring_full");
        return status;
    }

    private boolean exceedsQueueDelay() {
        if (queueDelayMaxNanos == 0) {
            return false;
        }
        long wait = pipeline.queueDelayNanos();
        return wait > 0 && wait > allowedWaitNanos(0);
    }

    /**
     * The refusal of the current call by its queueing delay (counted), or null if it may wait.
     *
     * @param budgetNanos the request's own budget, 0 for none
     */
    private com.google.rpc.Status queueDelayRefusal(long budgetNanos) {
        if (queueDelayMaxNanos == 0) {
            return null;
        }
        long wait = pipeline.queueDelayNanos();
        if (wait == 0) {
            return null;
        }
        long allowed = allowedWaitNanos(budgetNanos);
        if (wait <= allowed) {
            return null;
        }
        metrics.refused("queue_delay");
        return GrpcErrors.queueDelay(wait, allowed, allowed < queueDelayMaxNanos);
    }

    /**
     * The longest the current call's command may wait: the configured maximum, what is left of the
     * call's deadline, and the request's own budget ({@code budgetNanos}, 0 for none), whichever
     * is least.
     */
    private long allowedWaitNanos(long budgetNanos) {
        long allowed = Math.min(queueDelayMaxNanos, callersRemainingNanos());
        return budgetNanos > 0 ? Math.min(allowed, budgetNanos) : allowed;
    }

    /** What is left of the current gRPC call's deadline; for a call without one, no limit. */
    private static long callersRemainingNanos() {
        Deadline deadline = Context.current().getDeadline();
        return deadline == null ? Long.MAX_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
    }
}
