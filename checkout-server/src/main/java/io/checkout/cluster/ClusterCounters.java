package io.checkout.cluster;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads this member's consensus module counters (role, leadership term, elections, commit
 * position, snapshots, errors) from its media driver, for metrics. A counter appears once the
 * module has allocated it; until then its value reads as -1. Any thread.
 */
public final class ClusterCounters {
    private final Aeron aeron;
    private final int[] ids = new int[256];

    public ClusterCounters(ClusterMember member) {
        this.aeron = member.aeron();
        java.util.Arrays.fill(ids, CountersReader.NULL_COUNTER_ID);
    }

    /** 0 follower, 1 candidate, 2 leader; -1 while unknown. */
    public long role() {
        return value(AeronCounters.CLUSTER_NODE_ROLE_TYPE_ID);
    }

    public long leadershipTermId() {
        return value(AeronCounters.CLUSTER_LEADERSHIP_TERM_ID_TYPE_ID);
    }

    public long elections() {
        return value(AeronCounters.CLUSTER_ELECTION_COUNT_TYPE_ID);
    }

    /** The log position a majority has appended (and, at sync level 1, synced). */
    public long commitPosition() {
        return value(AeronCounters.CLUSTER_COMMIT_POSITION_TYPE_ID);
    }

    public long snapshots() {
        return value(AeronCounters.CLUSTER_SNAPSHOT_COUNTER_TYPE_ID);
    }

    /** The longest snapshot the service took, in nanoseconds. */
    public long serviceSnapshotMaxNanos() {
        return value(AeronCounters.CLUSTERED_SERVICE_MAX_SNAPSHOT_DURATION_TYPE_ID);
    }

    public long consensusModuleErrors() {
        return value(AeronCounters.CLUSTER_CONSENSUS_MODULE_ERROR_COUNT_TYPE_ID);
    }

    public long serviceErrors() {
        return value(AeronCounters.CLUSTER_CLUSTERED_SERVICE_ERROR_COUNT_TYPE_ID);
    }

    public long clientTimeouts() {
        return value(AeronCounters.CLUSTER_CLIENT_TIMEOUT_COUNT_TYPE_ID);
    }

    private long value(int typeId) {
        if (aeron.isClosed()) {
            return -1;
        }
        CountersReader counters = aeron.countersReader();
        int id = ids[typeId & 0xFF];
        if (id == CountersReader.NULL_COUNTER_ID
                || counters.getCounterState(id) != CountersReader.RECORD_ALLOCATED
                || counters.getCounterTypeId(id) != typeId) {
            id = find(counters, typeId);
            ids[typeId & 0xFF] = id;
        }
        return id == CountersReader.NULL_COUNTER_ID ? -1 : counters.getCounterValue(id);
    }

    private static int find(CountersReader counters, int typeId) {
        int[] found = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, type, keyBuffer, label) -> {
            if (type == typeId && found[0] == CountersReader.NULL_COUNTER_ID) {
                found[0] = counterId;
            }
        });
        return found[0];
    }
}
