package io.checkout.client;

import io.checkout.contract.PartitionTable;
import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.Merchant;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.RiskRules;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SkuGroup;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.proto.v1.UserRisk;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A client of a partitioned deployment: one {@link CheckoutClient} per partition, each call sent
 * to the partition that owns its SKU or order by the partition map (checkout.proto, service
 * Partitions). When a server answers WRONG_PARTITION, or a partition's server cannot be reached
 * after its client's own retries (it may have moved), the map is fetched again and, if it is newer,
 * the same request, with the same request id, is sent once more to the owner the new map names: an
 * order is neither lost nor made twice. The deadline, retry and idempotency rules are each partition client's,
 * as {@code clientForTarget} builds it.
 *
 * <p>Thread-safe: calls may run on many threads while the map is refreshed.
 */
public final class PartitionedCheckoutClient implements AutoCloseable {
    private final Function<String, CheckoutClient> clientForTarget;
    /** Guarded by this: the map in force and a client per partition id, rebuilt when the map changes. */
    private PartitionTable table;

    private CheckoutClient[] clients;
    private final Map<String, CheckoutClient> clientsByTarget = new HashMap<>();
    private boolean closed;

    private PartitionedCheckoutClient(Function<String, CheckoutClient> clientForTarget) {
        this.clientForTarget = clientForTarget;
    }

    /**
     * Fetches the partition map from {@code bootstrapTarget} (any server of any partition) and
     * opens a client per partition.
     *
     * @param clientForTarget builds a client for a gRPC target; a partition of several members gets
     *     {@code static:///a,b,c}; the clients are closed with this one
     * @throws StatusRuntimeException if the map cannot be fetched
     * @throws IllegalArgumentException if the server's map is not valid
     */
    public static PartitionedCheckoutClient connect(
            String bootstrapTarget, Function<String, CheckoutClient> clientForTarget) {
        Objects.requireNonNull(bootstrapTarget, "bootstrapTarget");
        Objects.requireNonNull(clientForTarget, "clientForTarget");
        PartitionedCheckoutClient client = new PartitionedCheckoutClient(clientForTarget);
        try (CheckoutClient bootstrap = clientForTarget.apply(bootstrapTarget)) {
            client.take(PartitionTable.of(bootstrap.getPartitionMap()));
        }
        return client;
    }

    /** The map in force. */
    public synchronized PartitionTable map() {
        return table;
    }

    /** The client of partition {@code id} under the map in force. */
    public synchronized CheckoutClient partitionClient(int id) {
        requireOpen();
        if (id < 0 || id >= clients.length) {
            throw new IllegalArgumentException("partition " + id + " is not one of 0.." + (clients.length - 1));
        }
        return clients[id];
    }

    /** The client of the partition that owns {@code skuId}. */
    public CheckoutClient clientForSku(String skuId) {
        Objects.requireNonNull(skuId, "skuId");
        synchronized (this) {
            return partitionClient(table.partitionOfSku(skuId));
        }
    }

    /** The client of the partition that made {@code orderId}. */
    public CheckoutClient clientForOrder(long orderId) {
        return partitionClient(Partitioning.partitionOfOrder(orderId));
    }

    /**
     * Reserves at the partition that owns the lines' SKUs (they must share one: their partition
     * key, the text before a {@code ':'} in the SKU id).
     */
    public ReserveReply reserve(String requestId, String userId, List<OrderLine> lines) {
        Objects.requireNonNull(lines, "lines");
        if (lines.isEmpty()) {
            return clientForSku("").reserve(requestId, userId, lines); // the server names the problem
        }
        String skuId = lines.get(0).getSkuId();
        return routed(() -> clientForSku(skuId), client -> client.reserve(requestId, userId, lines));
    }

    /** As {@link #reserve(String, String, List)} with a request id made once, so a resend repeats it. */
    public ReserveReply reserve(String userId, List<OrderLine> lines) {
        Objects.requireNonNull(lines, "lines");
        String requestId =
                clientForSku(lines.isEmpty() ? "" : lines.get(0).getSkuId()).newRequestId();
        return reserve(requestId, userId, lines);
    }

    /**
     * {@link CheckoutClient#reserve(String, String, List, String)} at the partition that owns the
     * lines' SKUs: with the discount of campaign {@code campaignId}, as that partition counts its
     * redemptions (see {@link #upsertCampaign}).
     */
    public ReserveReply reserve(String requestId, String userId, List<OrderLine> lines, String campaignId) {
        Objects.requireNonNull(lines, "lines");
        String skuId = lines.isEmpty() ? "" : lines.get(0).getSkuId();
        return routed(() -> clientForSku(skuId), client -> client.reserve(requestId, userId, lines, campaignId));
    }

    /** Reserves {@code quantity} units of one SKU at its owner, with a request id made once. */
    public ReserveReply reserve(String userId, String skuId, int quantity) {
        String requestId = clientForSku(skuId).newRequestId();
        return routed(() -> clientForSku(skuId), client -> client.reserve(requestId, userId, skuId, quantity));
    }

    public Order confirm(String requestId, long orderId) {
        return routed(() -> clientForOrder(orderId), client -> client.confirm(requestId, orderId));
    }

    /** {@link CheckoutClient#confirm(String, long, Payment)} at the order's partition. */
    public Order confirm(String requestId, long orderId, Payment payment) {
        return routed(() -> clientForOrder(orderId), client -> client.confirm(requestId, orderId, payment));
    }

    public Order cancel(String requestId, long orderId) {
        return routed(() -> clientForOrder(orderId), client -> client.cancel(requestId, orderId));
    }

    public Order refund(String requestId, long orderId) {
        return routed(() -> clientForOrder(orderId), client -> client.refund(requestId, orderId));
    }

    /** {@link CheckoutClient#refund(String, long, List, String, boolean)} at the order's partition. */
    public Order refund(String requestId, long orderId, List<OrderLine> lines, String reason, boolean resellable) {
        return routed(
                () -> clientForOrder(orderId), client -> client.refund(requestId, orderId, lines, reason, resellable));
    }

    public Order getOrder(long orderId) {
        return routed(() -> clientForOrder(orderId), client -> client.getOrder(orderId));
    }

    public Sku getStock(String skuId) {
        return routed(() -> clientForSku(skuId), client -> client.getStock(skuId));
    }

    /** Defines or updates a SKU at its owner; an empty request id is given one first, so a resend repeats it. */
    public Sku upsertSku(UpsertSkuRequest request) {
        Objects.requireNonNull(request, "request");
        UpsertSkuRequest withId = request.getRequestId().isEmpty()
                ? request.toBuilder()
                        .setRequestId(clientForSku(request.getSkuId()).newRequestId())
                        .build()
                : request;
        return routed(() -> clientForSku(withId.getSkuId()), client -> client.upsertSku(withId));
    }

    public Sku adjustStock(String requestId, String skuId, long delta) {
        return routed(() -> clientForSku(skuId), client -> client.adjustStock(requestId, skuId, delta));
    }

    /**
     * Defines a merchant or changes its rate on every partition: each keeps its own merchant table,
     * and a SKU may name a merchant only where the merchant is defined.
     *
     * @return the merchant as the last partition has it
     */
    public Merchant upsertMerchant(String merchantId, int commissionBps) {
        return onEveryPartition(client -> client.upsertMerchant(merchantId, commissionBps));
    }

    /**
     * Defines the SKU group on every partition (each SKU lives on one, and its group must be defined
     * there); returns the last partition's answer. Each partition counts the units a user holds in
     * the group's SKUs it holds, so a group whose SKUs span partitions limits each part on its own:
     * keep a sale's SKUs on one partition (their ids' partition) for one limit.
     */
    public SkuGroup upsertSkuGroup(String groupId, long perUserLimit) {
        return onEveryPartition(client -> client.upsertSkuGroup(groupId, perUserLimit));
    }

    /**
     * Defines the SKU group with an attempt limit on every partition; returns the last partition's
     * answer. Each partition counts the reserves it answers that touch the group's SKUs it holds, so
     * a user may make up to {@code maxAttempts} per window on each: keep a sale's SKUs on one
     * partition for one limit. See {@link CheckoutClient#upsertSkuGroup(String, long, int, long)}.
     */
    public SkuGroup upsertSkuGroup(String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
        return onEveryPartition(client -> client.upsertSkuGroup(groupId, perUserLimit, maxAttempts, windowMillis));
    }

    /**
     * Defines a campaign or changes its terms on the partitions where it can apply. Each partition
     * keeps its own campaign table and counts its own redemptions, so the budget and the per-user
     * limit hold on each partition apart: for one budget, keep a campaign's SKUs on one partition
     * (give them one partition key) and list them. A campaign that lists SKUs is defined on each
     * partition owning some of them, listing those (a partition owning none does not hold it: a
     * reserve there naming it is answered {@code CAMPAIGN_UNKNOWN}); one for a merchant's SKUs or for
     * every SKU is defined on every partition.
     *
     * @return the campaign as the last partition defining it has it (its {@code sku_ids} that
     *     partition's)
     */
    public Campaign upsertCampaign(Campaign campaign) {
        Objects.requireNonNull(campaign, "campaign");
        if (campaign.getSkuIdsCount() == 0) {
            return onEveryPartition(client -> client.upsertCampaign(campaign));
        }
        Map<Integer, List<String>> skusByPartition = new LinkedHashMap<>();
        synchronized (this) {
            requireOpen();
            for (String skuId : campaign.getSkuIdsList()) {
                skusByPartition
                        .computeIfAbsent(table.partitionOfSku(skuId), id -> new ArrayList<>())
                        .add(skuId);
            }
        }
        Campaign answer = null;
        for (Map.Entry<Integer, List<String>> part : skusByPartition.entrySet()) {
            Campaign own = campaign.toBuilder()
                    .clearSkuIds()
                    .addAllSkuIds(part.getValue())
                    .build();
            answer = partitionClient(part.getKey()).upsertCampaign(own);
        }
        return answer;
    }

    /**
     * A campaign over every partition that holds it: the terms as the first such partition has
     * them, with every partition's {@code sku_ids}, and {@code redeemed} and {@code
     * redeeming_users} summed over the partitions (a user redeeming on two partitions counts on
     * each).
     *
     * @throws StatusRuntimeException NOT_FOUND if no partition holds it, or any other failure of a
     *     partition's call
     */
    public Campaign getCampaign(String campaignId) {
        Objects.requireNonNull(campaignId, "campaignId");
        int count;
        synchronized (this) {
            requireOpen();
            count = clients.length;
        }
        Campaign.Builder total = null;
        StatusRuntimeException notFound = null;
        for (int id = 0; id < count; id++) {
            Campaign part;
            try {
                part = partitionClient(id).getCampaign(campaignId);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
                    throw e;
                }
                notFound = e;
                continue;
            }
            if (total == null) {
                total = part.toBuilder();
            } else {
                total.addAllSkuIds(part.getSkuIdsList())
                        .setRedeemed(total.getRedeemed() + part.getRedeemed())
                        .setRedeemingUsers(total.getRedeemingUsers() + part.getRedeemingUsers());
            }
        }
        if (total == null) {
            throw notFound;
        }
        return total.build();
    }

    /**
     * Blocks {@code userId} on every partition (a user's orders may take stock from any of them);
     * returns the last partition's answer. See {@link CheckoutClient#blockUser}.
     */
    public UserRisk blockUser(String userId) {
        return onEveryPartition(client -> client.blockUser(userId));
    }

    /** Lifts the block on {@code userId} on every partition. See {@link CheckoutClient#unblockUser}. */
    public UserRisk unblockUser(String userId) {
        return onEveryPartition(client -> client.unblockUser(userId));
    }

    /**
     * Sets the attempt limit on every partition. Each partition counts the reserves it answers, so
     * a user may make up to {@code maxAttempts} per window on each. See
     * {@link CheckoutClient#setAttemptLimit}.
     */
    public RiskRules setAttemptLimit(int maxAttempts, long windowMillis) {
        return onEveryPartition(client -> client.setAttemptLimit(maxAttempts, windowMillis));
    }

    /**
     * Makes {@code call} on every partition's client in turn, the partitions counted once at the
     * start (an admin definition every partition must hold); returns the last partition's answer.
     */
    private <T> T onEveryPartition(Function<CheckoutClient, T> call) {
        int count;
        synchronized (this) {
            requireOpen();
            count = clients.length;
        }
        T answer = null;
        for (int id = 0; id < count; id++) {
            answer = call.apply(partitionClient(id));
        }
        return answer;
    }

    /** Every SKU of every partition, partition by partition, each in its server's order. */
    public List<Sku> listAllSkus() {
        int count;
        synchronized (this) {
            count = clients.length;
        }
        List<Sku> all = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            all.addAll(partitionClient(id).listAllSkus());
        }
        return all;
    }

    /**
     * Fetches the map again from the partitions' servers, first that answers, and takes it if its
     * version is newer.
     *
     * @return whether a newer map was taken
     */
    public boolean refreshMap() {
        StatusRuntimeException last = null;
        int count;
        synchronized (this) {
            requireOpen();
            count = clients.length;
        }
        for (int id = 0; id < count; id++) {
            try {
                PartitionTable fetched = PartitionTable.of(partitionClient(id).getPartitionMap());
                synchronized (this) {
                    if (fetched.version() > table.version()) {
                        take(fetched);
                        return true;
                    }
                }
                return false;
            } catch (StatusRuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    /**
     * Runs {@code call} on the client {@code route} picks; on WRONG_PARTITION, refreshes the map
     * and, if it changed, runs it once more on the client the new map picks.
     */
    private <T> T routed(Supplier<CheckoutClient> route, Function<CheckoutClient, T> call) {
        long routedBy;
        CheckoutClient client;
        synchronized (this) {
            requireOpen();
            routedBy = table.version();
            client = route.get();
        }
        try {
            return call.apply(client);
        } catch (StatusRuntimeException e) {
            // The wrong partition by a server's newer map, or the partition's server gone (it may
            // have moved): ask for the map again, and resend only if it changed.
            boolean wrongPartition = "WRONG_PARTITION".equals(RetryingCalls.errorReason(e));
            if (!wrongPartition && e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE) {
                throw e;
            }
            try {
                refreshMap();
            } catch (StatusRuntimeException refreshFailed) {
                e.addSuppressed(refreshFailed);
                throw e;
            }
            synchronized (this) {
                if (table.version() <= routedBy) {
                    throw e; // no newer map: the failure stands
                }
                client = route.get();
            }
            return call.apply(client);
        }
    }

    /** Guarded by this: takes {@code next}, keeping the clients of targets it still names. */
    private void take(PartitionTable next) {
        CheckoutClient[] nextClients = new CheckoutClient[next.partitionCount()];
        Map<String, CheckoutClient> kept = new HashMap<>();
        for (int id = 0; id < nextClients.length; id++) {
            String target = next.targetOf(id);
            CheckoutClient client = kept.get(target);
            if (client == null) {
                client = clientsByTarget.remove(target);
            }
            if (client == null) {
                client = clientForTarget.apply(target);
            }
            kept.put(target, client);
            nextClients[id] = client;
        }
        for (CheckoutClient unused : clientsByTarget.values()) {
            unused.close();
        }
        clientsByTarget.clear();
        clientsByTarget.putAll(kept);
        clients = nextClients;
        table = next;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (CheckoutClient client : clientsByTarget.values()) {
            client.close();
        }
        clientsByTarget.clear();
    }
}
