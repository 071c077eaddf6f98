package io.checkout.contract;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.checkout.proto.v1.Partition;
import io.checkout.proto.v1.PartitionMap;
import io.checkout.proto.v1.SlotRange;
import java.util.Arrays;
import java.util.List;

/**
 * A validated partition map: which partition owns each slot, and each partition's targets.
 * Immutable; lookups allocate nothing.
 */
public final class PartitionTable {
    /** Most partitions a map may list (a bound on the document, far above any deployment here). */
    public static final int PARTITIONS_LISTED_MAX = 1_024;

    /** Most targets a partition may list (a cluster has 1, 3, 5 or 7 members). */
    public static final int TARGETS_MAX = 7;

    private final PartitionMap map;
    private final short[] ownerBySlot;
    private final Partition[] byId;

    private PartitionTable(PartitionMap map, short[] ownerBySlot, Partition[] byId) {
        this.map = map;
        this.ownerBySlot = ownerBySlot;
        this.byId = byId;
    }

    /** The map of a deployment that is not partitioned: partition 0 owns every slot, version 0. */
    public static PartitionTable single() {
        return of(PartitionMap.newBuilder()
                .addPartitions(Partition.newBuilder()
                        .setId(0)
                        .addSlots(SlotRange.newBuilder().setFirst(0).setLast(Partitioning.SLOTS - 1)))
                .build());
    }

    /**
     * Parses the JSON form of a {@link PartitionMap} and validates it.
     *
     * @throws IllegalArgumentException naming the field (or the JSON error) if it is not a valid map
     */
    public static PartitionTable parseJson(String json) {
        PartitionMap.Builder builder = PartitionMap.newBuilder();
        try {
            JsonFormat.parser().merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a PartitionMap in JSON: " + e.getMessage(), e);
        }
        return of(builder.build());
    }

    /**
     * Validates {@code map}: partitions listed with ids 0..N-1 each once, each with at most
     * {@value #TARGETS_MAX} non-empty targets, and every slot 0..16383 owned exactly once.
     *
     * @throws IllegalArgumentException naming the first field that is wrong
     */
    public static PartitionTable of(PartitionMap map) {
        List<Partition> partitions = map.getPartitionsList();
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("partitions: at least one partition is needed");
        }
        if (partitions.size() > PARTITIONS_LISTED_MAX) {
            throw new IllegalArgumentException(
                    "partitions: " + partitions.size() + " listed, at most " + PARTITIONS_LISTED_MAX);
        }
        Partition[] byId = new Partition[partitions.size()];
        short[] owner = new short[Partitioning.SLOTS];
        Arrays.fill(owner, (short) -1);
        for (int i = 0; i < partitions.size(); i++) {
            Partition partition = partitions.get(i);
            String field = "partitions[" + i + "]";
            int id = partition.getId();
            if (id >= partitions.size()) {
                throw new IllegalArgumentException(field + ".id: " + id + " is not one of 0.." + (partitions.size() - 1)
                        + " (ids are 0..N-1 for N partitions)");
            }
            if (byId[id] != null) {
                throw new IllegalArgumentException(field + ".id: " + id + " is listed twice");
            }
            byId[id] = partition;
            if (partition.getTargetsCount() > TARGETS_MAX) {
                throw new IllegalArgumentException(
                        field + ".targets: " + partition.getTargetsCount() + " listed, at most " + TARGETS_MAX);
            }
            for (int t = 0; t < partition.getTargetsCount(); t++) {
                String target = partition.getTargets(t);
                if (target.isBlank() || target.contains(",")) {
                    throw new IllegalArgumentException(
                            field + ".targets[" + t + "]: '" + target + "' is not a host:port target");
                }
            }
            for (int r = 0; r < partition.getSlotsCount(); r++) {
                SlotRange range = partition.getSlots(r);
                String rangeField = field + ".slots[" + r + "]";
                if (range.getFirst() > range.getLast() || range.getLast() >= Partitioning.SLOTS) {
                    throw new IllegalArgumentException(rangeField + ": " + range.getFirst() + ".." + range.getLast()
                            + " is not a range within 0.." + (Partitioning.SLOTS - 1));
                }
                for (int slot = range.getFirst(); slot <= range.getLast(); slot++) {
                    if (owner[slot] >= 0) {
                        throw new IllegalArgumentException(
                                rangeField + ": slot " + slot + " is owned by partition " + owner[slot] + " already");
                    }
                    owner[slot] = (short) id;
                }
            }
        }
        for (int slot = 0; slot < Partitioning.SLOTS; slot++) {
            if (owner[slot] < 0) {
                throw new IllegalArgumentException("partitions: slot " + slot + " is owned by no partition");
            }
        }
        return new PartitionTable(map, owner, byId);
    }

    public long version() {
        return map.getVersion();
    }

    public int partitionCount() {
        return byId.length;
    }

    /**
     * The partition that owns {@code skuId}. A table of one partition owns every slot with it (a
     * table leaves no slot unowned), so it answers without hashing the id: the single node's case,
     * on every call's path in the SDK and loadgen.
     */
    public int partitionOfSku(CharSequence skuId) {
        return byId.length == 1 ? 0 : ownerBySlot[Partitioning.slotOf(skuId)];
    }

    public int partitionOfSlot(int slot) {
        return ownerBySlot[slot];
    }

    /** Partition {@code id} as listed; null if the map has no such partition. */
    public Partition partition(int id) {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    /**
     * The gRPC target of partition {@code id}: its one member's target, or {@code static:///a,b,c}
     * for several (the SDK's resolver tries each).
     *
     * @throws IllegalArgumentException if the map has no such partition or it lists no targets
     */
    public String targetOf(int id) {
        Partition partition = partition(id);
        if (partition == null || partition.getTargetsCount() == 0) {
            throw new IllegalArgumentException("partition " + id + " has no targets in map version " + version());
        }
        return partition.getTargetsCount() == 1
                ? partition.getTargets(0)
                : "static:///" + String.join(",", partition.getTargetsList());
    }

    /**
     * A short partition key ({@code p0}, {@code p1}, ...) that partition {@code id} owns, for
     * spreading made-up SKU ids over partitions ({@code <key>:<name>}).
     *
     * @throws IllegalArgumentException if the map has no such partition
     */
    public String keyOwnedBy(int id) {
        if (partition(id) == null) {
            throw new IllegalArgumentException("no partition " + id + " in map version " + version());
        }
        // Every partition owns at least one of the 16384 slots, so some key lands there; a bound anyway.
        for (int i = 0; i < 100 * Partitioning.SLOTS; i++) {
            String key = "p" + i;
            if (partitionOfSku(key) == id) {
                return key;
            }
        }
        throw new IllegalStateException("no short key found for partition " + id);
    }

    /** Whether partition {@code id} owns the same slots in both maps. */
    public boolean sameSlots(PartitionTable other, int id) {
        for (int slot = 0; slot < Partitioning.SLOTS; slot++) {
            if ((ownerBySlot[slot] == id) != (other.ownerBySlot[slot] == id)) {
                return false;
            }
        }
        return true;
    }

    /** The document, as served by GetPartitionMap. */
    public PartitionMap map() {
        return map;
    }
}
