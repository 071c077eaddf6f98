package io.checkout.server;

import io.checkout.pipeline.CommandPublisher;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.stub.StreamObserver;

/** The admin service: SKUs, sales and stock, through the same ring as every other command. */
final class InventoryService extends InventoryGrpc.InventoryImplBase {
    private final CommandPublisher pipeline;

    InventoryService(CommandPublisher pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public void upsertSku(UpsertSkuRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.UPSERT_SKU, request, UnaryReplies.SKU, observer);
    }

    @Override
    public void adjustStock(AdjustStockRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.ADJUST_STOCK, request, UnaryReplies.SKU, observer);
    }

    @Override
    public void listSkus(ListSkusRequest request, StreamObserver<ListSkusReply> observer) {
        UnaryReplies.publish(pipeline, CommandTranslators.LIST_SKUS, request, UnaryReplies.SKU_PAGE, observer);
    }
}
