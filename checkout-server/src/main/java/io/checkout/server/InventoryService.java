package io.checkout.server;

import com.lmax.disruptor.EventTranslatorTwoArg;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.CommandEvent;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.stub.StreamObserver;

/** The admin service: SKUs, sales and stock, through the same ring as every other command. */
final class InventoryService extends InventoryGrpc.InventoryImplBase {
    private static final ReplyHandler LIST_REPLY = (command, context, failure) -> {
        @SuppressWarnings("unchecked")
        StreamObserver<ListSkusReply> observer = (StreamObserver<ListSkusReply>) context;
        if (!CheckoutService.Replies.answeredWithError(command, failure, observer)) {
            observer.onNext(ProtoMapping.toListSkusReply(command));
            observer.onCompleted();
        }
    };

    private final CheckoutPipeline pipeline;
    private final EventTranslatorTwoArg<CommandEvent, UpsertSkuRequest, StreamObserver<Sku>> upsertTranslator;
    private final EventTranslatorTwoArg<CommandEvent, AdjustStockRequest, StreamObserver<Sku>> adjustTranslator;
    private final EventTranslatorTwoArg<CommandEvent, ListSkusRequest, StreamObserver<ListSkusReply>> listTranslator;

    InventoryService(CheckoutPipeline pipeline) {
        this.pipeline = pipeline;
        upsertTranslator = (event, sequence, request, observer) -> {
            ProtoMapping.toCommand(request, pipeline.nowMillis(), event.command());
            event.replyTo(CheckoutService.Replies.SKU, observer);
        };
        adjustTranslator = (event, sequence, request, observer) -> {
            ProtoMapping.toCommand(request, pipeline.nowMillis(), event.command());
            event.replyTo(CheckoutService.Replies.SKU, observer);
        };
        listTranslator = (event, sequence, request, observer) -> {
            Command c = event.command();
            c.type = CommandType.LIST_SKUS;
            c.timestampMillis = pipeline.nowMillis();
            c.pageSize = request.getPageSize();
            c.pageToken = request.getPageToken();
            event.replyTo(LIST_REPLY, observer);
        };
    }

    @Override
    public void upsertSku(UpsertSkuRequest request, StreamObserver<Sku> observer) {
        CheckoutService.publishOrRefuse(pipeline.tryPublish(upsertTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void adjustStock(AdjustStockRequest request, StreamObserver<Sku> observer) {
        CheckoutService.publishOrRefuse(pipeline.tryPublish(adjustTranslator, request, observer), pipeline, observer);
    }

    @Override
    public void listSkus(ListSkusRequest request, StreamObserver<ListSkusReply> observer) {
        CheckoutService.publishOrRefuse(pipeline.tryPublish(listTranslator, request, observer), pipeline, observer);
    }
}
