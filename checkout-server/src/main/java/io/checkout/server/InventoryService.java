package io.checkout.server;

import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.GetCampaignRequest;
import io.checkout.proto.v1.GetMerchantRequest;
import io.checkout.proto.v1.GetRiskRulesRequest;
import io.checkout.proto.v1.GetSkuGroupRequest;
import io.checkout.proto.v1.GetUserRiskRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Merchant;
import io.checkout.proto.v1.RiskRules;
import io.checkout.proto.v1.SetRiskRulesRequest;
import io.checkout.proto.v1.SetUserBlockedRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SkuGroup;
import io.checkout.proto.v1.UpsertCampaignRequest;
import io.checkout.proto.v1.UpsertMerchantRequest;
import io.checkout.proto.v1.UpsertSkuGroupRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.proto.v1.UserRisk;
import io.grpc.stub.StreamObserver;

/**
 * The admin service: SKUs, sales, stock, merchants, SKU groups, campaigns and risk rules, through
 * the same ring as every other command. Admin calls are not shed by queueing delay (an operator
 * adding stock mid-sale must get through); a full ring still refuses them.
 */
final class InventoryService extends InventoryGrpc.InventoryImplBase {
    private final Admission admission;

    InventoryService(Admission admission) {
        this.admission = admission;
    }

    @Override
    public void upsertSku(UpsertSkuRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(admission, CommandTranslators.UPSERT_SKU, request, UnaryReplies.SKU, observer, false);
    }

    @Override
    public void adjustStock(AdjustStockRequest request, StreamObserver<Sku> observer) {
        UnaryReplies.publish(admission, CommandTranslators.ADJUST_STOCK, request, UnaryReplies.SKU, observer, false);
    }

    @Override
    public void upsertMerchant(UpsertMerchantRequest request, StreamObserver<Merchant> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.UPSERT_MERCHANT, request, UnaryReplies.MERCHANT, observer, false);
    }

    @Override
    public void getMerchant(GetMerchantRequest request, StreamObserver<Merchant> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_MERCHANT, request, UnaryReplies.MERCHANT, observer, false);
    }

    @Override
    public void upsertSkuGroup(UpsertSkuGroupRequest request, StreamObserver<SkuGroup> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.UPSERT_SKU_GROUP, request, UnaryReplies.SKU_GROUP, observer, false);
    }

    @Override
    public void getSkuGroup(GetSkuGroupRequest request, StreamObserver<SkuGroup> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_SKU_GROUP, request, UnaryReplies.SKU_GROUP, observer, false);
    }

    @Override
    public void upsertCampaign(UpsertCampaignRequest request, StreamObserver<Campaign> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.UPSERT_CAMPAIGN, request, UnaryReplies.CAMPAIGN, observer, false);
    }

    @Override
    public void getCampaign(GetCampaignRequest request, StreamObserver<Campaign> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_CAMPAIGN, request, UnaryReplies.CAMPAIGN, observer, false);
    }

    @Override
    public void setUserBlocked(SetUserBlockedRequest request, StreamObserver<UserRisk> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.SET_USER_BLOCKED, request, UnaryReplies.USER_RISK, observer, false);
    }

    @Override
    public void getUserRisk(GetUserRiskRequest request, StreamObserver<UserRisk> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_USER_RISK, request, UnaryReplies.USER_RISK, observer, false);
    }

    @Override
    public void setRiskRules(SetRiskRulesRequest request, StreamObserver<RiskRules> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.SET_RISK_RULES, request, UnaryReplies.RISK_RULES, observer, false);
    }

    @Override
    public void getRiskRules(GetRiskRulesRequest request, StreamObserver<RiskRules> observer) {
        UnaryReplies.publish(
                admission, CommandTranslators.GET_RISK_RULES, request, UnaryReplies.RISK_RULES, observer, false);
    }

    @Override
    public void listSkus(ListSkusRequest request, StreamObserver<ListSkusReply> observer) {
        UnaryReplies.publish(admission, CommandTranslators.LIST_SKUS, request, UnaryReplies.SKU_PAGE, observer, false);
    }
}
