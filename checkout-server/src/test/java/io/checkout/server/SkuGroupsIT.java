package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SkuGroup;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SKU groups over gRPC, as a sale with several SKUs and one limit per buyer: racing reserves of one
 * buyer across the group's SKUs get exactly the limit, the group survives a restart, and mistakes
 * are named.
 */
class SkuGroupsIT {
    @TempDir
    Path dataDir;

    @RegisterExtension
    final ItServer running = new ItServer();

    private Sku inGroup(String skuId, String groupId) {
        return running.client()
                .upsertSku(ItFixtures.sku(skuId, 1_000, 0).toBuilder()
                        .setGroupId(groupId)
                        .build());
    }

    @Test
    void racingReservesAcrossTheGroupShouldGetExactlyItsLimitAcrossARestart() throws Exception {
        running.start(dataDir);
        SkuGroup group = running.client().upsertSkuGroup("drop-1", 3);
        assertThat(group.getPerUserLimit()).isEqualTo(3);
        assertThat(inGroup("SHIRT", "drop-1").getGroupId()).isEqualTo("drop-1");
        inGroup("CAP", "drop-1");
        inGroup("BAG", "drop-1");
        assertThat(running.client().getSkuGroup("drop-1").getSkuIdsList()).containsExactly("SHIRT", "CAP", "BAG");

        List<String> skus = List.of("SHIRT", "CAP", "BAG");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        Map<ReserveResult, Integer> results = new EnumMap<>(ReserveResult.class);
        try {
            List<Future<ReserveReply>> replies = new ArrayList<>();
            for (int i = 0; i < 90; i++) {
                String sku = skus.get(i % 3);
                replies.add(pool.submit(() -> running.client().reserve("buyer", sku, 1)));
            }
            for (Future<ReserveReply> reply : replies) {
                results.merge(reply.get().getResult(), 1, Integer::sum);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(results)
                .containsEntry(ReserveResult.RESERVED, 3)
                .containsEntry(ReserveResult.GROUP_LIMIT_EXCEEDED, 87);
        long reserved = 0;
        for (String sku : skus) {
            reserved += running.client().getStock(sku).getReserved();
        }
        assertThat(reserved).isEqualTo(3);

        running.stop();
        running.start(dataDir);

        assertThat(running.client().getSkuGroup("drop-1").getSkuIdsList()).containsExactly("SHIRT", "CAP", "BAG");
        assertThat(running.client().getStock("CAP").getGroupId()).isEqualTo("drop-1");
        ReserveReply again = running.client().reserve("buyer", "BAG", 1);
        assertThat(again.getResult()).isEqualTo(ReserveResult.GROUP_LIMIT_EXCEEDED);
        assertThat(again.getFailedSkuId()).isEqualTo("BAG");
        running.client().upsertSkuGroup("drop-1", 4);
        assertThat(running.client().reserve("buyer", "BAG", 1).getResult()).isEqualTo(ReserveResult.RESERVED);
    }

    @Test
    void groupMistakesShouldBeNamedAndChangeNothing() {
        running.start(dataDir);
        StatusRuntimeException unknown = ItFixtures.grpcFailure(() -> inGroup("SHIRT", "never"));
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(unknown).getReason()).isEqualTo("GROUP_UNKNOWN");
        assertThat(ItFixtures.errorInfo(unknown).getMetadataMap()).containsEntry("field", "group_id");
        ItFixtures.assertInvalidArgument(ItFixtures.grpcFailure(() -> inGroup("SHIRT", "no spaces")), "group_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("drop-1", 0)), "per_user_limit");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().upsertSkuGroup("bad id", 2)), "group_id");
        StatusRuntimeException missing =
                ItFixtures.grpcFailure(() -> running.client().getSkuGroup("drop-1"));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        StatusRuntimeException noSku =
                ItFixtures.grpcFailure(() -> running.client().getStock("SHIRT"));
        assertThat(noSku.getStatus().getCode()).as("nothing changed").isEqualTo(Status.Code.NOT_FOUND);
    }
}
