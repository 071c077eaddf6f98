package io.checkout.cluster;

import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ClusterMembership;
import io.aeron.cluster.ClusterTool;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's chores that Aeron Cluster leaves to the application: snapshots on a schedule, purging
 * the archived log and old snapshots that no member needs any more, and, on the leader, how far
 * each member's log is behind. One thread calls {@link #runOnce()} about once a second; the
 * figures it publishes are read by any thread (metrics).
 *
 * <p><b>Snapshots.</b> Open-source Aeron pauses ingress while a snapshot is taken (about 1.2 s per
 * million orders on the 2-core VM), so the leader asks for one only when the interval has passed
 * <em>and</em> the log is quiet (under {@value #QUIET_LOG_BYTES_PER_SECOND} bytes a second, a few
 * hundred commands: between sales, not in a crowd). A cluster that is never quiet still gets one
 * at twice the interval, so replay after a restart stays bounded.
 *
 * <p><b>Purging.</b> Each member keeps its archived log back to the oldest of its newest
 * {@code retainedSnapshots} snapshots, and those snapshots; older log segments and snapshot
 * recordings are deleted. Aeron's open-source cluster cannot send a snapshot to a member whose log
 * is behind the others' purged start: such a member must be rebuilt from a healthy member's files
 * (deploy/README). So the leader, which hears every member's log position, purges only while no
 * member is behind the purge point; a follower, which cannot know, purges by the rule alone.
 */
public final class ClusterHousekeeper {
    /** A log growing slower than this is quiet enough for a snapshot's pause. */
    static final long QUIET_LOG_BYTES_PER_SECOND = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ClusterHousekeeper.class);
    private static final long MEMBERSHIP_QUERY_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MEMBERSHIP_QUERY_TIMEOUT_MILLIS = 1_000;
    private static final long LEADER = 2;

    private final ClusterMember member;
    private final ClusterCounters counters;
    private final Settings settings;
    private final LongSupplier nanoClock;
    private final int memberCount;

    /** Every member's log position as the leader last heard it, by member id; -1 unknown (or not leader). */
    private final long[] memberLogPositions;
    /** Nanoseconds since the leader last heard from each member; -1 unknown. */
    private final long[] memberAppendAgeNanos;

    private long lastTickNanos;
    private long lastCommitPosition = -1;
    private long quietNanos;
    private long lastSnapshots = -1;
    private long lastSnapshotNanos;
    private long lastMembershipQueryNanos;
    private long membershipHeardNanos = Long.MIN_VALUE;
    private boolean purgeDue = true;
    /** Snapshot recordings at log positions up to this one are already gone. */
    private long purgedSnapshotsThrough = -1;

    private volatile long snapshotsRequested;
    private volatile long retainedLogStart = -1;
    private volatile long logBytesPurged;
    private volatile long snapshotRecordingsPurged;
    private volatile long purgesHeldBack;
    private volatile long failures;

    /**
     * @param snapshotIntervalMillis how often the leader asks for a snapshot when the log is quiet
     *     (and at twice this when it never is); 0: never (snapshots are left to the operator)
     * @param retainedSnapshots snapshots, and the log since the oldest of them, each member keeps; 0:
     *     keep everything (nothing is purged)
     */
    public record Settings(long snapshotIntervalMillis, int retainedSnapshots) {
        public Settings {
            if (snapshotIntervalMillis < 0 || retainedSnapshots < 0) {
                throw new IllegalArgumentException("snapshotIntervalMillis and retainedSnapshots must be >= 0");
            }
        }
    }

    public ClusterHousekeeper(
            ClusterMember member, ClusterCounters counters, Settings settings, LongSupplier nanoClock) {
        this.member = member;
        this.counters = counters;
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.memberCount = member.config().members().size();
        this.memberLogPositions = new long[memberCount];
        this.memberAppendAgeNanos = new long[memberCount];
        java.util.Arrays.fill(memberLogPositions, -1);
        java.util.Arrays.fill(memberAppendAgeNanos, -1);
        this.lastTickNanos = nanoClock.getAsLong();
        this.lastSnapshotNanos = lastTickNanos;
        this.lastMembershipQueryNanos = lastTickNanos - MEMBERSHIP_QUERY_PERIOD_NANOS;
    }

    /** One round of chores; never throws (a failure is logged, counted and tried again next round). */
    public void runOnce() {
        try {
            long now = nanoClock.getAsLong();
            boolean leader = counters.role() == LEADER;
            watchLogRate(now);
            watchSnapshots(now);
            if (leader) {
                queryMembership(now);
            } else {
                forgetMembership();
            }
            if (leader) {
                maybeRequestSnapshot(now);
            }
            if (purgeDue && settings.retainedSnapshots() > 0) {
                purgeDue = !purge(leader);
            }
            lastTickNanos = now;
        } catch (RuntimeException e) {
            failures++;
            LOG.warn("cluster housekeeping failed; trying again in the next round", e);
        }
    }

    private void watchLogRate(long now) {
        long commit = counters.commitPosition();
        long elapsed = now - lastTickNanos;
        if (lastCommitPosition >= 0 && commit >= 0 && elapsed > 0) {
            double bytesPerSecond = (commit - lastCommitPosition) * 1e9 / elapsed;
            quietNanos = bytesPerSecond < QUIET_LOG_BYTES_PER_SECOND ? quietNanos + elapsed : 0;
        }
        lastCommitPosition = commit;
    }

    private void watchSnapshots(long now) {
        long snapshots = counters.snapshots();
        if (snapshots != lastSnapshots) {
            if (lastSnapshots >= 0) {
                lastSnapshotNanos = now;
            }
            lastSnapshots = snapshots;
            purgeDue = true;
        }
    }

    /**
     * The leader asks its consensus module for a snapshot (as {@code ClusterTool snapshot} does):
     * every member takes it at the same log position.
     */
    private void maybeRequestSnapshot(long now) {
        long interval = TimeUnit.MILLISECONDS.toNanos(settings.snapshotIntervalMillis());
        if (interval == 0) {
            return;
        }
        long since = now - lastSnapshotNanos;
        boolean quiet = quietNanos >= TimeUnit.SECONDS.toNanos(1);
        if (since < interval || (!quiet && since < 2 * interval)) {
            return;
        }
        AtomicCounter toggle = ClusterControl.findControlToggle(member.aeron().countersReader(), member.clusterId());
        if (toggle != null && ClusterControl.ToggleState.SNAPSHOT.toggle(toggle)) {
            snapshotsRequested++;
            // Counts as the last snapshot until the consensus module's counter says it was taken.
            lastSnapshotNanos = now;
            LOG.info(
                    "asked the cluster for a snapshot: {} s since the last, log {}",
                    TimeUnit.NANOSECONDS.toSeconds(since),
                    quiet ? "quiet" : "still busy after twice the interval");
        }
    }

    private void queryMembership(long now) {
        if (now - lastMembershipQueryNanos < MEMBERSHIP_QUERY_PERIOD_NANOS) {
            return;
        }
        lastMembershipQueryNanos = now;
        ClusterMembership membership = new ClusterMembership();
        if (!ClusterTool.listMembers(membership, member.consensusDirectory().toFile(), MEMBERSHIP_QUERY_TIMEOUT_MILLIS)
                || membership.activeMembers == null) {
            forgetMembership();
            return;
        }
        long[] positions = new long[memberCount];
        long[] ages = new long[memberCount];
        java.util.Arrays.fill(positions, -1);
        java.util.Arrays.fill(ages, -1);
        for (io.aeron.cluster.ClusterMember each : membership.activeMembers) {
            int id = each.id();
            if (id >= 0 && id < memberCount) {
                positions[id] = each.logPosition();
                long heard = each.timeOfLastAppendPositionNs();
                ages[id] = id == membership.memberId ? 0 : Math.max(0, membership.currentTimeNs - heard);
            }
        }
        synchronized (this) {
            System.arraycopy(positions, 0, memberLogPositions, 0, memberCount);
            System.arraycopy(ages, 0, memberAppendAgeNanos, 0, memberCount);
        }
        membershipHeardNanos = now;
    }

    private void forgetMembership() {
        synchronized (this) {
            java.util.Arrays.fill(memberLogPositions, -1);
            java.util.Arrays.fill(memberAppendAgeNanos, -1);
        }
        membershipHeardNanos = Long.MIN_VALUE;
    }

    /**
     * Purges the log before the oldest retained snapshot and the snapshots older than it.
     *
     * @return true if done (or nothing to do), false to try again in a later round
     */
    private boolean purge(boolean leader) {
        if (!java.nio.file.Files.exists(member.consensusDirectory().resolve(RecordingLog.RECORDING_LOG_FILE_NAME))) {
            return false; // the consensus module has not started yet
        }
        List<RecordingLog.Entry> snapshots = new ArrayList<>();
        long logRecordingId;
        try (RecordingLog recordingLog =
                new RecordingLog(member.consensusDirectory().toFile(), false)) {
            for (RecordingLog.Entry entry : recordingLog.entries()) {
                if (entry.isValid && entry.type == RecordingLog.ENTRY_TYPE_SNAPSHOT) {
                    snapshots.add(entry);
                }
            }
            logRecordingId = recordingLog.findLastTermRecordingId();
        }
        TreeSet<Long> positions = new TreeSet<>();
        for (RecordingLog.Entry entry : snapshots) {
            if (entry.serviceId == ConsensusModule.Configuration.SERVICE_ID) {
                positions.add(entry.logPosition);
            }
        }
        if (positions.size() < settings.retainedSnapshots() || logRecordingId < 0) {
            return true;
        }
        long purgeTo = positions.descendingSet().stream()
                .skip(settings.retainedSnapshots() - 1L)
                .findFirst()
                .orElseThrow();
        if (leader && !everyMemberIsPast(purgeTo)) {
            purgesHeldBack++;
            return false;
        }
        try (AeronArchive archive = AeronArchive.connect(member.archiveClient())) {
            purgeLog(archive, logRecordingId, purgeTo);
            for (RecordingLog.Entry entry : snapshots) {
                if (entry.logPosition < purgeTo && entry.logPosition > purgedSnapshotsThrough) {
                    purgeSnapshot(archive, entry.recordingId);
                }
            }
        }
        purgedSnapshotsThrough = Math.max(purgedSnapshotsThrough, purgeTo - 1);
        return true;
    }

    private boolean everyMemberIsPast(long position) {
        if (membershipHeardNanos == Long.MIN_VALUE) {
            return false;
        }
        synchronized (this) {
            for (long memberPosition : memberLogPositions) {
                if (memberPosition < position) {
                    return false;
                }
            }
        }
        return true;
    }

    private void purgeLog(AeronArchive archive, long recordingId, long purgeTo) {
        long[] startAndLengths = new long[3];
        int found = archive.listRecording(
                recordingId,
                (controlSessionId,
                        correlationId,
                        id,
                        startTimestamp,
                        stopTimestamp,
                        startPosition,
                        stopPosition,
                        initialTermId,
                        segmentFileLength,
                        termBufferLength,
                        mtuLength,
                        sessionId,
                        streamId,
                        strippedChannel,
                        originalChannel,
                        sourceIdentity) -> {
                    startAndLengths[0] = startPosition;
                    startAndLengths[1] = termBufferLength;
                    startAndLengths[2] = segmentFileLength;
                });
        if (found == 0) {
            return;
        }
        long start = startAndLengths[0];
        long newStart = AeronArchive.segmentFileBasePosition(
                start, purgeTo, (int) startAndLengths[1], (int) startAndLengths[2]);
        if (newStart > start) {
            long deleted = archive.purgeSegments(recordingId, newStart);
            logBytesPurged += newStart - start;
            LOG.info(
                    "purged the archived log before position {} ({} segment files; the oldest retained snapshot"
                            + " is at {})",
                    newStart,
                    deleted,
                    purgeTo);
            start = newStart;
        }
        retainedLogStart = start;
    }

    private void purgeSnapshot(AeronArchive archive, long recordingId) {
        boolean exists = archive.listRecording(recordingId, (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) -> {}) > 0;
        if (exists) {
            archive.purgeRecording(recordingId);
            snapshotRecordingsPurged++;
            LOG.info("purged snapshot recording {}, older than the retained snapshots", recordingId);
        }
    }

    /** Member {@code id}'s log position as the leader last heard it; -1 unknown or not the leader. */
    public synchronized long memberLogPosition(int id) {
        return memberLogPositions[id];
    }

    /** How far member {@code id}'s log is behind the furthest member's, in bytes; -1 unknown. */
    public synchronized long memberLogLag(int id) {
        if (memberLogPositions[id] < 0) {
            return -1;
        }
        long furthest = 0;
        for (long position : memberLogPositions) {
            furthest = Math.max(furthest, position);
        }
        return furthest - memberLogPositions[id];
    }

    /** Seconds since the leader last heard member {@code id}'s append position; -1 unknown. */
    public synchronized double memberAppendAgeSeconds(int id) {
        return memberAppendAgeNanos[id] < 0 ? -1 : memberAppendAgeNanos[id] / 1e9;
    }

    public int memberCount() {
        return memberCount;
    }

    public long snapshotsRequested() {
        return snapshotsRequested;
    }

    /** Where this member's archived log now starts (after purging); -1 until first looked at. */
    public long retainedLogStart() {
        return retainedLogStart;
    }

    public long logBytesPurged() {
        return logBytesPurged;
    }

    public long snapshotRecordingsPurged() {
        return snapshotRecordingsPurged;
    }

    /** Purges the leader put off because a member was behind the purge point. */
    public long purgesHeldBack() {
        return purgesHeldBack;
    }

    public long failures() {
        return failures;
    }
}
