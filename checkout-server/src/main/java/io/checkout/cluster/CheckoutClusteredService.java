package io.checkout.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.Header;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.EventCounter;
import io.checkout.journal.NumberedEvents;
import io.checkout.journal.OrderEventLog;
import io.checkout.journal.RecordLog;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.pipeline.PipelineObserver;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkout engine as an Aeron Cluster service: every member runs one, the cluster's log feeds
 * each the same ingress batches in the same order, and each applies them to its own
 * {@link CheckoutBook} over a packed state. The log's timestamp is the engine's only clock, and
 * ticks come from a cluster timer, so every member reaches the same state, byte for byte.
 *
 * <p>Each ingress message is a batch of commands ({@link ClusterBatches}), applied whole or, if it
 * cannot be decoded, not at all; its answers leave in one egress message, which only the leader
 * sends. A snapshot is the state streamed through {@link ClusterSnapshot}; a member starting from
 * one loads it, then the cluster replays the log after it.
 *
 * <p>Not thread-safe by design: the service container calls it from its one thread.
 */
public final class CheckoutClusteredService implements ClusteredService {
    /** The correlation id of the one recurring timer, the engine's tick. */
    static final long TICK_TIMER_ID = 1;

    private static final Logger LOG = LoggerFactory.getLogger(CheckoutClusteredService.class);
    private static final long EVENT_SEGMENT_BYTES = 64L << 20;
    private static final int EVENT_BATCH_BYTES = 4 << 20;
    /** How long the service retries an egress message a back-pressured client cannot take. */
    private static final long EGRESS_RETRY_NANOS_MAX = TimeUnit.SECONDS.toNanos(1);

    private final StateCapacities capacities;
    private final EngineLimits limits;
    private final long tickIntervalMillis;
    private final AppliedBatchListener appliedBatches;
    private final Path eventsDirectory;
    private volatile PipelineObserver observer = PipelineObserver.NONE;
    private final Command[] batch = new Command[ClusterBatches.COMMANDS_PER_BATCH_MAX];
    private final Command tick = new Command();
    private final ByteBuffer payload = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
    private final ExpandableArrayBuffer replies =
            new ExpandableArrayBuffer(ClusterBatches.REPLIES_HEADER_BYTES + 64 * ClusterBatches.REPLY_BYTES);
    private Cluster cluster;
    private PackedCheckoutState state;
    private CheckoutBook book;
    private NumberedEvents events;
    /** The order event log this member writes, or null when events are only counted. */
    private OrderEventLog eventLog;

    private volatile Cluster.Role role = Cluster.Role.FOLLOWER;
    private volatile long batchesApplied;
    private volatile boolean startedFromSnapshot;
    private volatile long snapshotDigest;
    private volatile long snapshotLogPosition = -1;
    private volatile long snapshotEpochMillis;
    private volatile long appliedLogPosition;
    private volatile long visibleEventSequence;

    /** A service that counts order events without writing them. */
    public CheckoutClusteredService(StateCapacities capacities, EngineLimits limits, long tickIntervalMillis) {
        this(capacities, limits, tickIntervalMillis, AppliedBatchListener.NONE, null);
    }

    /**
     * @param appliedBatches hears of every batch applied (this member's gateway takes its answers)
     * @param eventsDirectory where this member writes the order event log it derives from the
     *     cluster's log (the same events with the same numbers on every member); null counts them only
     */
    public CheckoutClusteredService(
            StateCapacities capacities,
            EngineLimits limits,
            long tickIntervalMillis,
            AppliedBatchListener appliedBatches,
            Path eventsDirectory) {
        if (tickIntervalMillis < 1) {
            throw new IllegalArgumentException("tickIntervalMillis must be positive: " + tickIntervalMillis);
        }
        this.capacities = capacities;
        this.limits = limits;
        this.tickIntervalMillis = tickIntervalMillis;
        this.appliedBatches = appliedBatches;
        this.eventsDirectory = eventsDirectory;
        for (int i = 0; i < batch.length; i++) {
            batch[i] = new Command();
        }
    }

    @Override
    public void onStart(Cluster cluster, Image snapshotImage) {
        this.cluster = cluster;
        this.state = PackedCheckoutState.of(capacities);
        ClusterSnapshot.Loaded loaded = new ClusterSnapshot.Loaded(0, 1);
        if (snapshotImage != null) {
            loaded = ClusterSnapshot.load(snapshotImage, state, cluster.idleStrategy());
            startedFromSnapshot = true;
        }
        this.book = new CheckoutBook(state, limits);
        book.restoreNowMillis(loaded.nowMillis());
        if (eventsDirectory == null) {
            this.events = new EventCounter(loaded.nextEventSequence());
        } else {
            this.eventLog = openEventLog(eventsDirectory, loaded.nextEventSequence(), state);
            this.events = eventLog;
        }
        book.eventListener(events);
        visibleEventSequence = loaded.nextEventSequence() - 1;
        appliedLogPosition = cluster.logPosition(); // the snapshot's position, or 0
    }

    /**
     * Opens this member's event log after its last whole record (a torn tail is cut off). Events
     * the log already holds are numbered again by replay but not written twice; the events up to
     * a snapshot are synced before it is taken, so the log never ends before the snapshot.
     */
    private static OrderEventLog openEventLog(Path directory, long nextEventSequence, PackedCheckoutState state) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        RecordLogReader.ScanResult scan = RecordLogReader.scanUntilFromTail(directory, payload -> false);
        RecordLogWriter writer =
                RecordLogWriter.open(directory, scan, nextEventSequence, EVENT_SEGMENT_BYTES, false, EVENT_BATCH_BYTES);
        OrderEventLog log = new OrderEventLog(writer, state);
        log.restoreNextEventSequence(nextEventSequence);
        return log;
    }

    @Override
    public void onSessionOpen(ClientSession session, long timestamp) {}

    @Override
    public void onSessionClose(ClientSession session, long timestamp, CloseReason closeReason) {}

    @Override
    public void onSessionMessage(
            ClientSession session, long timestamp, DirectBuffer buffer, int offset, int length, Header header) {
        long batchId = ClusterBatches.batchId(buffer, offset, length);
        int count = ClusterBatches.decodeBatch(buffer, offset, length, batch, payload);
        if (count > 0) {
            observeBatch(count);
        }
        // Events name the log position of the batch that caused them, the same on every member.
        events.journalSequence(header.position());
        for (int i = 0; i < count; i++) {
            batch[i].timestampMillis = timestamp;
            book.execute(batch[i]);
        }
        if (count > 0) {
            try {
                appliedBatches.onBatchApplied(session.id(), batchId, batch, count);
            } catch (RuntimeException e) {
                // A listener's bug must not stop the log: the members would no longer agree.
                LOG.error("applied-batch listener failed on batch {}", batchId, e);
            }
        }
        if (ClusterBatches.wantsEgressReply(buffer, offset, length)) {
            answer(session, ClusterBatches.encodeReplies(batchId, batch, count, replies));
        }
        batchesApplied++;
        appliedLogPosition = header.position();
        showEvents();
    }

    /**
     * Offers the answers to the client; only the leader's offer leaves the member. A client that is
     * gone, or back-pressured past a bound, loses the answer, never the command: a retry with the
     * same request ids gets the first answers.
     */
    private void answer(ClientSession session, int length) {
        long deadline = 0;
        long result;
        while ((result = session.offer(replies, 0, length)) < 0) {
            if (result == Publication.NOT_CONNECTED
                    || result == Publication.CLOSED
                    || result == Publication.MAX_POSITION_EXCEEDED) {
                return;
            }
            // The clock is read only once the client pushes back, not for every answer.
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + EGRESS_RETRY_NANOS_MAX;
            } else if (now > deadline) {
                return;
            }
            cluster.idleStrategy().idle();
        }
    }

    @Override
    public void onTimerEvent(long correlationId, long timestamp) {
        if (correlationId != TICK_TIMER_ID) {
            return;
        }
        tick.clear();
        tick.type(CommandType.TICK);
        tick.timestampMillis = timestamp;
        events.journalSequence(cluster.logPosition());
        book.execute(tick);
        cluster.scheduleTimer(TICK_TIMER_ID, timestamp + tickIntervalMillis);
        appliedLogPosition = cluster.logPosition();
        showEvents();
        observeTick(tick.expiredCount);
    }

    @Override
    public void onTakeSnapshot(ExclusivePublication snapshotPublication) {
        if (eventLog != null) {
            // Replay after this snapshot never writes its events again: they must be on disk.
            eventLog.commit();
            RecordLog.forceSegments(eventsDirectory);
        }
        long digest = ClusterSnapshot.write(
                state, book.nowMillis(), events.nextEventSequence(), snapshotPublication, cluster.idleStrategy());
        snapshotDigest = digest;
        snapshotLogPosition = cluster.logPosition();
        snapshotEpochMillis = System.currentTimeMillis();
    }

    @Override
    public void onNewLeadershipTermEvent(
            long leadershipTermId,
            long logPosition,
            long timestamp,
            long termBaseLogPosition,
            int leaderMemberId,
            int logSessionId,
            TimeUnit timeUnit,
            int appVersion) {
        if (timeUnit != TimeUnit.MILLISECONDS) {
            throw new IllegalStateException(
                    "the cluster's time unit must be milliseconds (the engine's clock), not " + timeUnit);
        }
        // Every member meets this event at the same log position, so (re)starting the tick here
        // is deterministic; the timer's one id makes a restart replace, never add, a tick.
        cluster.scheduleTimer(TICK_TIMER_ID, timestamp + tickIntervalMillis);
    }

    @Override
    public void onRoleChange(Cluster.Role newRole) {
        this.role = newRole;
    }

    @Override
    public void onTerminate(Cluster cluster) {
        if (eventLog != null) {
            eventLog.close();
        }
    }

    /** Writes out the events of what was just applied and lets subscribers see them. */
    private void showEvents() {
        events.commit();
        visibleEventSequence = events.nextEventSequence() - 1;
    }

    /** The last order event subscribers may see; any thread may read it. */
    public long visibleEventSequence() {
        return visibleEventSequence;
    }

    /** Sets who hears about batches, expiries and ticks (metrics); any time, from any thread. */
    public void observer(PipelineObserver observer) {
        this.observer = observer;
    }

    /** A failing observer is a metrics bug, never a reason to stop applying the log. */
    private void observeBatch(int count) {
        try {
            observer.onBatch(count);
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }

    private void observeTick(int expired) {
        try {
            if (expired > 0) {
                observer.onExpiries(expired);
            }
            observer.onTick(state, book.nowMillis());
        } catch (RuntimeException e) {
            LOG.warn("pipeline observer failed", e);
        }
    }

    /** This member's role, for metrics and readiness; any thread may read it. */
    public Cluster.Role role() {
        return role;
    }

    /** Ingress batches applied since this service started, replayed ones included; any thread may read it. */
    public long batchesApplied() {
        return batchesApplied;
    }

    /**
     * The digest of the last snapshot this member took; members whose last snapshots are at the
     * same {@link #snapshotLogPosition} must report the same digest.
     */
    public long snapshotDigest() {
        return snapshotDigest;
    }

    /** The log position of the last snapshot this member took, or -1 if it took none. */
    public long snapshotLogPosition() {
        return snapshotLogPosition;
    }

    /** The log position of the last batch or tick applied; any thread may read it. */
    public long appliedLogPosition() {
        return appliedLogPosition;
    }

    /** When (wall clock) this member last took a snapshot, 0 if never; for the snapshot-age alert. */
    public long snapshotEpochMillis() {
        return snapshotEpochMillis;
    }

    /** Whether this service started from a snapshot rather than an empty state. */
    public boolean startedFromSnapshot() {
        return startedFromSnapshot;
    }
}
