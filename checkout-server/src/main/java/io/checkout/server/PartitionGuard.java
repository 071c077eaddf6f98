package io.checkout.server;

import io.checkout.contract.PartitionTable;
import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server's partition and the partition map: refuses, before anything is queued, a request
 * for a SKU or an order that another partition owns (WRONG_PARTITION) and a reserve whose lines
 * span partitions (CROSS_PARTITION_ORDER). Without a map the server is partition 0 of one and
 * owns every SKU; only an order id of another partition is refused.
 *
 * <p>The map file is read again when it changes ({@link #reloadIfChanged()}), as a Kubernetes
 * ConfigMap volume changes under a running pod: a new version may move partitions' targets, but
 * not this partition's slots (its SKUs and orders would be elsewhere without being moved); such a
 * map is refused and the one in force kept.
 */
final class PartitionGuard {
    /** Largest map file read: a map of a thousand partitions in JSON is far smaller. */
    static final long MAP_FILE_BYTES_MAX = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(PartitionGuard.class);

    private final int partition;
    private final long orderIdBase;
    private final Path mapFile;
    private final AtomicLong reloadFailures = new AtomicLong();
    private volatile PartitionTable table;
    private FileTime loadedModified;
    private long loadedSize;

    private PartitionGuard(int partition, Path mapFile, PartitionTable table) {
        this.partition = partition;
        this.orderIdBase = Partitioning.orderIdBase(partition);
        this.mapFile = mapFile;
        this.table = table;
    }

    /** A server that is not partitioned: partition 0 of one. */
    static PartitionGuard single() {
        return new PartitionGuard(0, null, PartitionTable.single());
    }

    /**
     * Partition {@code partition} of the map in {@code mapFile}.
     *
     * @throws IllegalArgumentException naming the problem if the file is not a valid map or does not
     *     list this partition
     */
    static PartitionGuard load(Path mapFile, int partition) {
        PartitionGuard guard = new PartitionGuard(partition, mapFile, PartitionTable.single());
        guard.table = guard.read();
        if (guard.table.partition(partition) == null) {
            throw new IllegalArgumentException("partition-id " + partition + " is not in the partition map " + mapFile
                    + " (partitions 0.." + (guard.table.partitionCount() - 1) + ")");
        }
        return guard;
    }

    int partition() {
        return partition;
    }

    /** What this partition's order ids have above the engine's: {@code partition << 48}. */
    long orderIdBase() {
        return orderIdBase;
    }

    boolean isPartitioned() {
        return mapFile != null;
    }

    PartitionTable table() {
        return table;
    }

    long reloadFailures() {
        return reloadFailures.get();
    }

    /**
     * Null if this server owns what {@code request} names; otherwise the refusal to send.
     * Requests that name no SKU or order (ListSkus) are always this server's.
     */
    com.google.rpc.Status refusal(Object request) {
        if (request instanceof ReserveRequest reserve) {
            return reserveRefusal(reserve);
        }
        if (request instanceof ConfirmRequest confirm) {
            return orderRefusal(confirm.getOrderId());
        }
        if (request instanceof CancelRequest cancel) {
            return orderRefusal(cancel.getOrderId());
        }
        if (request instanceof RefundRequest refund) {
            return orderRefusal(refund.getOrderId());
        }
        if (request instanceof GetOrderRequest get) {
            return orderRefusal(get.getOrderId());
        }
        if (request instanceof GetStockRequest stock) {
            return skuRefusal(stock.getSkuId());
        }
        if (request instanceof UpsertSkuRequest upsert) {
            return skuRefusal(upsert.getSkuId());
        }
        if (request instanceof AdjustStockRequest adjust) {
            return skuRefusal(adjust.getSkuId());
        }
        return null;
    }

    /** Whether every reserve of a batch stream message is this server's (then it may go in one claim). */
    boolean ownsAll(ReserveBatch batch) {
        if (mapFile == null) {
            return true;
        }
        for (int i = 0; i < batch.getRequestsCount(); i++) {
            if (reserveRefusal(batch.getRequests(i)) != null) {
                return false;
            }
        }
        return true;
    }

    private com.google.rpc.Status reserveRefusal(ReserveRequest request) {
        if (mapFile == null || request.getLinesCount() == 0) {
            return null; // one partition owns everything; no lines is the engine's to refuse
        }
        PartitionTable current = table;
        int first = current.partitionOfSku(request.getLines(0).getSkuId());
        for (int i = 1; i < request.getLinesCount(); i++) {
            String skuId = request.getLines(i).getSkuId();
            int owner = current.partitionOfSku(skuId);
            if (owner != first) {
                return GrpcErrors.crossPartition(i, skuId, owner, first);
            }
        }
        return first == partition
                ? null
                : GrpcErrors.wrongPartition(
                        "lines[0].sku_id '" + request.getLines(0).getSkuId() + "'", first, partition, current);
    }

    private com.google.rpc.Status orderRefusal(long orderId) {
        if (orderId <= 0) {
            return null; // the engine refuses it as invalid
        }
        int owner = Partitioning.partitionOfOrder(orderId);
        return owner == partition ? null : GrpcErrors.wrongPartition("order_id " + orderId, owner, partition, table);
    }

    private com.google.rpc.Status skuRefusal(String skuId) {
        if (mapFile == null) {
            return null;
        }
        PartitionTable current = table;
        int owner = current.partitionOfSku(skuId);
        return owner == partition
                ? null
                : GrpcErrors.wrongPartition("sku_id '" + skuId + "'", owner, partition, current);
    }

    /**
     * Reads the map file again if it changed since it was read; takes the new map if it is valid,
     * lists this partition, and leaves this partition's slots as they were. One thread calls this.
     */
    void reloadIfChanged() {
        if (mapFile == null) {
            return;
        }
        try {
            if (Files.getLastModifiedTime(mapFile).equals(loadedModified) && Files.size(mapFile) == loadedSize) {
                return;
            }
            PartitionTable next = read();
            PartitionTable current = table;
            if (next.partition(partition) == null) {
                throw new IllegalArgumentException("it does not list this server's partition " + partition);
            }
            if (!current.sameSlots(next, partition)) {
                throw new IllegalArgumentException("it moves slots to or from this server's partition " + partition
                        + ", which needs the SKUs moved first");
            }
            table = next;
            LOG.info(
                    "partition map {} version {} in force (was version {})",
                    mapFile,
                    next.version(),
                    current.version());
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            reloadFailures.incrementAndGet();
            LOG.error(
                    "partition map {} not taken, version {} stays in force: {}",
                    mapFile,
                    table.version(),
                    e.getMessage());
        }
    }

    private PartitionTable read() {
        try {
            FileTime modified = Files.getLastModifiedTime(mapFile);
            long size = Files.size(mapFile);
            if (size > MAP_FILE_BYTES_MAX) {
                throw new IllegalArgumentException("the partition map " + mapFile + " has " + size
                        + " bytes, more than the " + MAP_FILE_BYTES_MAX + " a map may have");
            }
            String json = Files.readString(mapFile);
            loadedModified = modified;
            loadedSize = size;
            return PartitionTable.parseJson(json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the partition map " + mapFile, e);
        }
    }
}
