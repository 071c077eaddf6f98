package io.checkout.cluster;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.EventCode;
import io.aeron.logbuffer.Header;
import io.checkout.engine.Command;
import io.checkout.engine.ResultCode;
import io.checkout.journal.CommandCodec;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.CommandRing;
import io.checkout.pipeline.OutcomeUnknownException;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.pipeline.RingConsumer;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front end of a cluster member: the gRPC services publish commands to a ring exactly as in
 * single-node mode, and one gateway thread, which alone owns the {@link AeronCluster} client (it is
 * not thread-safe), forwards them to the cluster's log.
 *
 * <pre>
 *  gRPC threads ──tryPublish──▶ [ ring ] ──▶ gateway thread: packs the published commands into one
 *   (full ring: false at once,                ingress message (≤ batch-commands-max, ≤ 64 KiB) and
 *    RESOURCE_EXHAUSTED)                      offers it; re-offers what is unanswered when a new
 *                                             leader is announced or the session is replaced
 *                                                   │ committed by a majority
 *                                                   ▼
 *  this member's clustered service applies the log ──▶ {@link #onBatchApplied}: copies the answers
 *  of this gateway's batches into their slots        │
 *                                                   ▼
 *  gateway thread: answers the oldest batches through the replier, in ring order, and frees the slots
 * </pre>
 *
 * A caller is answered only after its command is committed and applied: the answer is computed by
 * this member's own copy of the engine, which applies exactly the log the leader does. The ring's
 * slots are the bounded map of pending replies: a slot stays taken until it is answered, so when
 * the cluster is slow the ring fills and callers get RESOURCE_EXHAUSTED at once. A batch the cluster
 * has not applied within {@code outcome-timeout} is answered UNAVAILABLE ("outcome unknown"); it may
 * still be applied, and a retry with the same request id gets its first answer.
 */
public final class ClusterGateway implements CommandPublisher, AppliedBatchListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterGateway.class);
    /** The longest the gateway sleeps without a signal: bounds how late egress events are seen. */
    private static final long PARK_NANOS_MAX = TimeUnit.MILLISECONDS.toNanos(1);

    private static final long RECONNECT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final CommandRing commands;
    private final RingConsumer consumer;
    private final PendingBatches pending;
    private final Supplier<AeronCluster.Context> clusterContexts;
    private final int batchCommandsMax;
    private final long outcomeTimeoutNanos;
    private final long outcomeTimeoutMillis;
    private final long keepAliveIntervalNanos;
    private final long drainTimeoutNanos;
    private final UnsafeBuffer ingress = new UnsafeBuffer(ByteBuffer.allocateDirect(ClusterBatches.BATCH_BYTES_MAX));
    private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
    private final Thread thread;

    // Gateway thread only.
    private AeronCluster cluster;
    private AeronCluster.AsyncConnect connecting;
    private long connectNotBeforeNanos;
    private long nextToOffer;
    private long reofferFrom = -1;
    private long lastIngressNanos;
    private long lastConnectLogNanos;

    private volatile boolean running = true;
    private volatile boolean parked;
    private volatile long sessionId = Long.MIN_VALUE;
    private volatile long applied;
    private volatile long batchesOffered;
    private volatile long batchesReoffered;
    private volatile long outcomesUnknown;
    private volatile long leaderChanges;
    private volatile long sessionsOpened;
    private volatile long expiredSkipped;
    private final Runnable onExpiredSkipped;

    /**
     * @param ringSize ring slots, a power of two: the most commands published and not yet answered
     * @param clock stamps commands as they are published (the cluster then stamps them with its own)
     * @param clusterContexts a fresh client context per connection attempt (a context is used once)
     * @param batchCommandsMax the most commands in one ingress message
     * @param outcomeTimeoutMillis how long a command may wait for the cluster before it is answered
     *     "outcome unknown"
     * @param onExpiredSkipped told, on the gateway thread, of each command not offered because its
     *     caller's deadline had passed
     */
    public ClusterGateway(
            int ringSize,
            LongSupplier clock,
            Supplier<AeronCluster.Context> clusterContexts,
            int batchCommandsMax,
            long outcomeTimeoutMillis,
            Runnable onExpiredSkipped) {
        if (batchCommandsMax < 1 || batchCommandsMax > ClusterBatches.COMMANDS_PER_BATCH_MAX) {
            throw new IllegalArgumentException(
                    "batchCommandsMax must be 1.." + ClusterBatches.COMMANDS_PER_BATCH_MAX + ": " + batchCommandsMax);
        }
        if (outcomeTimeoutMillis < 1) {
            throw new IllegalArgumentException("outcomeTimeoutMillis must be positive: " + outcomeTimeoutMillis);
        }
        this.commands = CommandRing.multiProducer(ringSize, clock, new Wakeup());
        this.consumer = commands.consumer();
        this.pending = new PendingBatches(ringSize);
        this.clusterContexts = clusterContexts;
        this.batchCommandsMax = batchCommandsMax;
        this.outcomeTimeoutMillis = outcomeTimeoutMillis;
        this.outcomeTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(outcomeTimeoutMillis);
        this.keepAliveIntervalNanos = TimeUnit.SECONDS.toNanos(1);
        this.drainTimeoutNanos = outcomeTimeoutNanos;
        this.onExpiredSkipped = onExpiredSkipped;
        this.thread = new Thread(this::run, "checkout-cluster-gateway");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    // ---- CommandPublisher: any thread ------------------------------------------------------------

    @Override
    public <A> boolean tryPublish(CommandTranslator<A> translator, A request, ReplyHandler handler, Object context) {
        return commands.tryPublish(translator, request, handler, context);
    }

    @Override
    public <A> boolean tryPublishEach(
            BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context) {
        return commands.tryPublishEach(translator, batch, count, handler, context);
    }

    @Override
    public void afterReplyBatch(ReplyBatchListener listener) {
        consumer.afterReplyBatch(listener);
    }

    @Override
    public boolean isClosed() {
        return commands.isClosed();
    }

    @Override
    public long queueDelayNanos() {
        return commands.queueDelayNanos();
    }

    @Override
    public long remainingCapacity() {
        return commands.remainingCapacity();
    }

    @Override
    public int ringSize() {
        return commands.size();
    }

    /** Commands answered with the cluster's outcome. */
    @Override
    public long commandsApplied() {
        return applied;
    }

    // ---- the service thread ----------------------------------------------------------------------

    @Override
    public void onBatchApplied(long clusterSessionId, long batchId, Command[] appliedCommands, int count) {
        if (clusterSessionId == sessionId && pending.deliver(batchId, appliedCommands, count, consumer)) {
            wake();
        }
    }

    // ---- the gateway thread ----------------------------------------------------------------------

    private void run() {
        long drainDeadline = Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            if (!running) {
                if (drainDeadline == Long.MAX_VALUE) {
                    drainDeadline = now + drainTimeoutNanos;
                }
                if (!hasUnanswered() || now > drainDeadline) {
                    break;
                }
            }
            int work = 0;
            try {
                work += connect(now);
                if (cluster != null) {
                    work += cluster.pollEgress();
                    work += reoffer(now);
                    work += offerNew(now);
                    keepAlive(now);
                }
                work += answer(now);
            } catch (RuntimeException e) {
                LOG.error("cluster gateway step failed; the session is replaced", e);
                dropSession();
                work++;
            }
            if (work == 0) {
                idle();
            }
        }
        abandonAll();
        dropSession();
        if (connecting != null) {
            connecting.close();
            connecting = null;
        }
    }

    /** Connects, without blocking, when there is no open session; returns the work done. */
    private int connect(long now) {
        if (cluster != null) {
            if (!cluster.isClosed()) {
                return 0;
            }
            LOG.warn("cluster session {} closed; connecting again", sessionId);
            dropSession();
        }
        if (now < connectNotBeforeNanos) {
            return 0;
        }
        try {
            if (connecting == null) {
                connecting = AeronCluster.asyncConnect(clusterContexts.get().egressListener(new Egress()));
            }
            AeronCluster connected = connecting.poll();
            if (connected == null) {
                return 0;
            }
            connecting = null;
            cluster = connected;
            sessionId = connected.clusterSessionId();
            sessionsOpened++;
            lastIngressNanos = now;
            // Whatever the old session offered and was not answered may be lost: offer it again.
            reofferFrom = consumer.answeredSequence() + 1;
            LOG.info("cluster session {} open, leader member {}", sessionId, connected.leaderMemberId());
            return 1;
        } catch (RuntimeException e) {
            if (connecting != null) {
                connecting.close();
                connecting = null;
            }
            connectNotBeforeNanos = now + RECONNECT_BACKOFF_NANOS;
            if (now - lastConnectLogNanos > LOG_INTERVAL_NANOS) {
                lastConnectLogNanos = now;
                LOG.warn("cannot connect to the cluster yet: {}", e.toString());
            }
            return 0;
        }
    }

    private void dropSession() {
        sessionId = Long.MIN_VALUE;
        if (cluster != null) {
            try {
                cluster.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the cluster session failed", e);
            }
            cluster = null;
        }
    }

    /** Offers again, in order, every batch still waiting; returns the work done. */
    private int reoffer(long now) {
        if (reofferFrom < 0) {
            return 0;
        }
        int work = 0;
        long first = Math.max(reofferFrom, consumer.answeredSequence() + 1);
        while (first < nextToOffer) {
            int count = pending.count(first);
            if (count < 1) {
                throw new IllegalStateException("no batch starts at ring sequence " + first + " (a gateway bug)");
            }
            if (pending.state(first) == PendingBatches.OFFERED) {
                if (!offer(first, count)) {
                    reofferFrom = first;
                    return work;
                }
                batchesReoffered++;
                lastIngressNanos = now;
                work++;
            }
            first += count;
        }
        reofferFrom = -1;
        return work;
    }

    /**
     * Packs the commands published since the last batch into one message and offers it. A command
     * whose caller's deadline has passed is not offered: it is answered DEADLINE_EXCEEDED in its
     * turn and never enters the log, so every member's replay agrees (a member must not skip by its
     * own clock once a command is in the log). A batch ends before such a command.
     */
    private int offerNew(long now) {
        if (reofferFrom >= 0 || !consumer.isPublished(nextToOffer)) {
            return 0;
        }
        int skipped = 0;
        while (consumer.isPublished(nextToOffer)
                && consumer.command(nextToOffer).isPastDeadline(now)) {
            Command command = consumer.command(nextToOffer);
            skipExpired(command);
            pending.skipped(nextToOffer);
            nextToOffer++;
            skipped++;
        }
        if (!consumer.isPublished(nextToOffer)) {
            return skipped;
        }
        int count = 0;
        int position = ClusterBatches.startBatch(ingress, nextToOffer, 0);
        while (count < batchCommandsMax
                && position + ClusterBatches.COMMAND_BYTES_MAX <= ClusterBatches.BATCH_BYTES_MAX
                && consumer.isPublished(nextToOffer + count)
                && !consumer.command(nextToOffer + count).isPastDeadline(now)) {
            position = ClusterBatches.appendCommand(ingress, position, consumer.command(nextToOffer + count), scratch);
            count++;
        }
        ClusterBatches.finishBatch(ingress, count);
        // Recorded before the offer, not after: once offer() has put the batch in the publication,
        // the service may apply it and hand its answers over before offer() returns here (a busy
        // machine deschedules this thread), and an answer for a batch not yet recorded is dropped.
        pending.offered(nextToOffer, count, now);
        boolean accepted = false;
        try {
            accepted = offered(cluster.offer(ingress, 0, position));
        } finally {
            if (!accepted) {
                pending.withdraw(nextToOffer); // never in the log: offered again, maybe longer, later
            }
        }
        if (!accepted) {
            return skipped;
        }
        nextToOffer += count;
        batchesOffered++;
        lastIngressNanos = now;
        return 1;
    }

    /** Encodes the batch of {@code count} slots from {@code first} again and offers it. */
    private boolean offer(long first, int count) {
        int position = ClusterBatches.startBatch(ingress, first, 0);
        for (int i = 0; i < count; i++) {
            position = ClusterBatches.appendCommand(ingress, position, consumer.command(first + i), scratch);
        }
        ClusterBatches.finishBatch(ingress, count);
        return offered(cluster.offer(ingress, 0, position));
    }

    /** Whether an offer's result is a position; a closed publication ends the session. */
    private boolean offered(long result) {
        if (result > 0) {
            return true;
        }
        if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
            LOG.warn("cluster ingress refused a batch ({}); replacing the session", Publication.errorString(result));
            dropSession();
        }
        return false; // back-pressured, not connected or an admin action: the next step tries again
    }

    private void keepAlive(long now) {
        if (cluster != null && now - lastIngressNanos > keepAliveIntervalNanos && cluster.sendKeepAlive()) {
            lastIngressNanos = now;
        }
    }

    /**
     * Answers, oldest first, the batches the service has applied, and gives up on those that waited
     * too long; stops at the first batch still waiting in time.
     */
    private int answer(long now) {
        int work = 0;
        while (true) {
            long first = consumer.answeredSequence() + 1;
            if (first < nextToOffer) {
                int state = pending.state(first);
                int count = pending.count(first);
                if (state == PendingBatches.APPLIED || state == PendingBatches.SKIPPED) {
                    if (state == PendingBatches.APPLIED) {
                        applied += count; // counted first: an answered caller may read it at once
                    }
                    consumer.answer(first, first + count - 1, null);
                    pending.free(first);
                    work++;
                    continue;
                }
                if (state == PendingBatches.OFFERED
                        && now - pending.offeredAtNanos(first) > outcomeTimeoutNanos
                        && pending.tryAbandon(first)) {
                    outcomesUnknown += count;
                    consumer.answer(first, first + count - 1, unknown("no answer from the cluster"));
                    work++;
                    continue;
                }
                return work;
            }
            // Published but not offered, for want of a session: a caller that gave up is told so
            // (the command was never offered, so it was not applied) ...
            if (consumer.isPublished(first) && consumer.command(first).isPastDeadline(now)) {
                skipExpired(consumer.command(first));
                consumer.answer(first, first, null);
                nextToOffer = first + 1;
                work++;
                continue;
            }
            // ... and one still waiting, once it has waited too long.
            if (consumer.isPublished(first)
                    && commands.nowMillis() - consumer.command(first).timestampMillis > outcomeTimeoutMillis) {
                outcomesUnknown++;
                consumer.answer(first, first, unknown("no connection to the cluster"));
                nextToOffer = first + 1;
                work++;
                continue;
            }
            return work;
        }
    }

    /** Answers a command whose caller gave up before it was offered: never offered, so not applied. */
    private void skipExpired(Command command) {
        command.result(ResultCode.DEADLINE_EXCEEDED);
        expiredSkipped++;
        onExpiredSkipped.run();
    }

    private OutcomeUnknownException unknown(String why) {
        return new OutcomeUnknownException(
                why + " within " + outcomeTimeoutMillis + " ms (setting outcome-timeout-millis)");
    }

    private boolean hasUnanswered() {
        return consumer.isPublished(consumer.answeredSequence() + 1);
    }

    /** At shutdown, after the drain: answers whatever is left, each batch once. */
    private void abandonAll() {
        OutcomeUnknownException stopping =
                new OutcomeUnknownException("the server stopped before the cluster answered");
        while (hasUnanswered()) {
            long first = consumer.answeredSequence() + 1;
            if (first < nextToOffer) {
                int count = pending.count(first);
                if (pending.tryAbandon(first)) {
                    consumer.answer(first, first + count - 1, stopping);
                } else if (pending.state(first) == PendingBatches.APPLIED) {
                    consumer.answer(first, first + count - 1, null);
                    pending.free(first);
                } else {
                    Thread.onSpinWait(); // the service is copying the batch's answers
                }
            } else {
                consumer.answer(first, first, stopping);
                nextToOffer = first + 1;
            }
        }
    }

    private void idle() {
        parked = true;
        if (!consumer.isPublished(nextToOffer)
                && pending.state(consumer.answeredSequence() + 1) != PendingBatches.APPLIED
                && running) {
            LockSupport.parkNanos(this, PARK_NANOS_MAX);
        }
        parked = false;
    }

    private void wake() {
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    // ---- state, any thread -----------------------------------------------------------------------

    /** Whether the gateway has an open session with the cluster. */
    public boolean isConnected() {
        return sessionId != Long.MIN_VALUE;
    }

    public boolean isAlive() {
        return thread.isAlive();
    }

    public long batchesOffered() {
        return batchesOffered;
    }

    public long batchesReoffered() {
        return batchesReoffered;
    }

    public long outcomesUnknown() {
        return outcomesUnknown;
    }

    public long leaderChanges() {
        return leaderChanges;
    }

    /** Commands answered DEADLINE_EXCEEDED without being offered: their callers had given up. */
    public long expiredSkipped() {
        return expiredSkipped;
    }

    public long sessionsOpened() {
        return sessionsOpened;
    }

    /** Commands published and not yet answered. */
    public long pendingCommands() {
        return ringSize() - remainingCapacity();
    }

    /**
     * Takes no more commands, lets those taken be answered (bounded by the outcome timeout; the
     * rest are answered "outcome unknown"), then closes the session.
     */
    @Override
    public void close() {
        commands.close();
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(drainTimeoutNanos) + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Wakes the gateway on every publish; nothing waits on this ring through a barrier. */
    private final class Wakeup implements WaitStrategy {
        @Override
        public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
                throws AlertException {
            throw new UnsupportedOperationException("the gateway's ring has no barriers");
        }

        @Override
        public void signalAllWhenBlocking() {
            wake();
        }
    }

    /** Egress: answers come through the local service, so only the session's events matter. */
    private final class Egress implements EgressListener {
        @Override
        public void onMessage(
                long clusterSessionId, long timestamp, DirectBuffer buffer, int offset, int length, Header header) {}

        @Override
        public void onNewLeader(
                long clusterSessionId, long leadershipTermId, int leaderMemberId, String ingressEndpoints) {
            leaderChanges++;
            // The old leader may have taken batches it never committed: offer the unanswered again.
            reofferFrom = consumer.answeredSequence() + 1;
            LOG.info("new cluster leader: member {} (term {})", leaderMemberId, leadershipTermId);
        }

        @Override
        public void onSessionEvent(
                long correlationId,
                long clusterSessionId,
                long leadershipTermId,
                int leaderMemberId,
                EventCode code,
                String detail) {
            if (code != EventCode.OK) {
                LOG.warn("cluster session {}: {} {}", clusterSessionId, code, detail);
            }
        }
    }
}
