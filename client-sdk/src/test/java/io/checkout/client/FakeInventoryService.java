package io.checkout.client;

import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An Inventory service over a fixed catalogue of SKUs "sku-000", "sku-001", ...; page tokens are
 * the index of the next SKU. With {@code endlessPages} every page claims there is another.
 */
final class FakeInventoryService extends InventoryGrpc.InventoryImplBase {

    final List<UpsertSkuRequest> upserts = new CopyOnWriteArrayList<>();
    final List<AdjustStockRequest> adjustments = new CopyOnWriteArrayList<>();
    final List<ListSkusRequest> listings = new CopyOnWriteArrayList<>();
    private final int skuCount;
    private final boolean endlessPages;

    FakeInventoryService(int skuCount, boolean endlessPages) {
        this.skuCount = skuCount;
        this.endlessPages = endlessPages;
    }

    @Override
    public void upsertSku(UpsertSkuRequest request, StreamObserver<Sku> responseObserver) {
        upserts.add(request);
        responseObserver.onNext(Sku.newBuilder()
                .setSkuId(request.getSkuId())
                .setTotalStock(request.getTotalStock())
                .setAvailable(request.getTotalStock())
                .build());
        responseObserver.onCompleted();
    }

    @Override
    public void adjustStock(AdjustStockRequest request, StreamObserver<Sku> responseObserver) {
        adjustments.add(request);
        responseObserver.onNext(Sku.newBuilder()
                .setSkuId(request.getSkuId())
                .setAvailable(request.getDelta())
                .build());
        responseObserver.onCompleted();
    }

    @Override
    public void listSkus(ListSkusRequest request, StreamObserver<ListSkusReply> responseObserver) {
        listings.add(request);
        int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
        int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
        int to = Math.min(skuCount, from + size);
        ListSkusReply.Builder reply = ListSkusReply.newBuilder();
        for (int i = from; i < to; i++) {
            reply.addSkus(Sku.newBuilder().setSkuId(String.format("sku-%03d", i)));
        }
        if (endlessPages) {
            reply.setNextPageToken(Integer.toString(to));
        } else if (to < skuCount) {
            reply.setNextPageToken(Integer.toString(to));
        }
        responseObserver.onNext(reply.build());
        responseObserver.onCompleted();
    }
}
