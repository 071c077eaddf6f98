package io.checkout.cluster;

import io.checkout.engine.EngineLimits;
import io.checkout.state.StateCapacities;
import java.nio.file.Path;
import java.util.List;

/**
 * One member's settings, validated by whoever builds it (the server's settings table names the
 * setting in every error).
 *
 * @param memberId this member's index in {@code members}
 * @param members every member's host and base port, by member id; ports base+1..base+5 are used
 * @param clusterDirectory where the member keeps its archive (the replicated log) and cluster files
 * @param aeronDirectory the media driver's directory, best on a memory file system (/dev/shm)
 * @param termBytes the log's term length: its buffers take three terms per stream
 * @param fileSyncLevel 0: the log is written to the page cache; 1: data is fsynced before a member
 *     counts it as appended, so "committed" means on the disk of a majority; 2: metadata too
 * @param leaderHeartbeatTimeoutMillis how long followers wait for a silent leader before electing
 * @param idleParkMaxMicros the longest an idle Aeron agent parks between polls: each hop of a
 *     command through the cluster may wait this long when the member is quiet
 */
public record ClusterMemberConfig(
        int memberId,
        List<Endpoint> members,
        Path clusterDirectory,
        Path aeronDirectory,
        int termBytes,
        int fileSyncLevel,
        long leaderHeartbeatTimeoutMillis,
        long idleParkMaxMicros,
        StateCapacities capacities,
        EngineLimits limits,
        long tickIntervalMillis) {

    /** Offsets from a member's base port. */
    static final int INGRESS_PORT = 1;

    static final int CONSENSUS_PORT = 2;
    static final int LOG_PORT = 3;
    static final int CATCHUP_PORT = 4;
    static final int ARCHIVE_PORT = 5;

    public ClusterMemberConfig {
        members = List.copyOf(members);
        if (memberId < 0 || memberId >= members.size()) {
            throw new IllegalArgumentException("memberId " + memberId + " is not one of 0.." + (members.size() - 1));
        }
    }

    /** A member's host and the first of its five ports. */
    public record Endpoint(String host, int basePort) {
        public String address(int offset) {
            return host + ":" + (basePort + offset);
        }
    }

    /** Where this member writes the order event log it derives from the cluster's log. */
    public Path eventsDirectory() {
        return clusterDirectory.resolve("events");
    }

    /** This member's endpoint. */
    public Endpoint self() {
        return members.get(memberId);
    }

    /** The consensus module's member list: id, ingress, consensus, log, catch-up and archive endpoints. */
    String clusterMembers() {
        StringBuilder text = new StringBuilder();
        for (int id = 0; id < members.size(); id++) {
            Endpoint member = members.get(id);
            text.append(id == 0 ? "" : "|")
                    .append(id)
                    .append(',')
                    .append(member.address(INGRESS_PORT))
                    .append(',')
                    .append(member.address(CONSENSUS_PORT))
                    .append(',')
                    .append(member.address(LOG_PORT))
                    .append(',')
                    .append(member.address(CATCHUP_PORT))
                    .append(',')
                    .append(member.address(ARCHIVE_PORT));
        }
        return text.toString();
    }

    /** The client's ingress endpoints: id=host:port for each member. */
    String ingressEndpoints() {
        StringBuilder text = new StringBuilder();
        for (int id = 0; id < members.size(); id++) {
            text.append(id == 0 ? "" : ",")
                    .append(id)
                    .append('=')
                    .append(members.get(id).address(INGRESS_PORT));
        }
        return text.toString();
    }
}
