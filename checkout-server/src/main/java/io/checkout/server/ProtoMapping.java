package io.checkout.server;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.LineParties;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderView;
import io.checkout.engine.ResultCode;
import io.checkout.engine.RiskAnswer;
import io.checkout.engine.Settlement;
import io.checkout.engine.SkuRecord;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.GetCampaignRequest;
import io.checkout.proto.v1.GetMerchantRequest;
import io.checkout.proto.v1.GetRiskRulesRequest;
import io.checkout.proto.v1.GetSkuGroupRequest;
import io.checkout.proto.v1.GetUserRiskRequest;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListUserOrdersReply;
import io.checkout.proto.v1.Merchant;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
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

/** Copies between protobuf messages and the engine's commands and records. */
final class ProtoMapping {
    private ProtoMapping() {}

    /** Fills a reserve command; the caller has checked the line count fits the command. */
    static void toCommand(ReserveRequest request, Command c) {
        c.type(CommandType.RESERVE);
        c.requestId.set(request.getRequestId());
        c.userId.set(request.getUserId());
        int lines = request.getLinesCount();
        assert lines <= EngineLimits.LINES_PER_ORDER_MAX;
        for (int i = 0; i < lines; i++) {
            OrderLine line = request.getLines(i);
            c.addLine(line.getQuantity()).set(line.getSkuId());
        }
        if (!request.getCampaignId().isEmpty()) {
            // Cut to what an id buffer keeps: an id too long stays too long, and is refused as invalid.
            c.campaignId.set(request.getCampaignId());
        }
    }

    /** Fills a refund command; the caller has checked the line count fits the command. */
    static void toCommand(RefundRequest request, Command c) {
        c.type(CommandType.REFUND);
        c.requestId.set(request.getRequestId());
        c.orderId = request.getOrderId();
        int lines = request.getLinesCount();
        assert lines <= EngineLimits.LINES_PER_ORDER_MAX;
        for (int i = 0; i < lines; i++) {
            OrderLine line = request.getLines(i);
            c.addLine(line.getQuantity()).set(line.getSkuId());
        }
        c.refundReason = request.getReason().isEmpty() ? null : request.getReason();
        c.notResellable = request.getNotResellable();
    }

    static void toCommand(UpsertSkuRequest request, Command c) {
        c.type(CommandType.UPSERT_SKU);
        c.requestId.set(request.getRequestId());
        c.skuId.set(request.getSkuId());
        c.priceMinor = request.getPriceMinor();
        c.currency = request.getCurrency();
        c.totalStock = request.getTotalStock();
        c.perUserLimit = request.getPerUserLimit();
        c.saleStartEpochMillis = request.getSaleStartEpochMillis();
        c.saleEndEpochMillis = request.getSaleEndEpochMillis();
        c.reservationTtlMillis = request.getReservationTtlMillis();
        if (!request.getMerchantId().isEmpty()) {
            c.merchantId().set(request.getMerchantId());
        }
        if (!request.getStoreId().isEmpty()) {
            c.storeId().set(request.getStoreId());
        }
        if (!request.getGroupId().isEmpty()) {
            c.groupId().set(request.getGroupId());
        }
    }

    static void toCommand(UpsertMerchantRequest request, Command c) {
        c.type(CommandType.UPSERT_MERCHANT);
        c.requestId.set(request.getRequestId());
        c.merchantId().set(request.getMerchantId());
        c.commissionBps(request.getCommissionBps());
    }

    static void toCommand(GetMerchantRequest request, Command c) {
        c.type(CommandType.GET_MERCHANT);
        c.merchantId().set(request.getMerchantId());
    }

    static ListUserOrdersReply toListUserOrdersReply(Command c) {
        ListUserOrdersReply.Builder reply = ListUserOrdersReply.newBuilder();
        for (OrderView view : c.orderPage()) {
            reply.addOrders(toOrder(view.order, view.lineSkuIds, view.parties, c.orderIdBase));
        }
        if (c.nextPageOrderId() != 0) {
            reply.setNextPageToken(Long.toString(c.orderIdBase + c.nextPageOrderId()));
        }
        return reply.build();
    }

    static Merchant toMerchant(Command c) {
        return Merchant.newBuilder()
                .setMerchantId(c.merchantId().asString())
                .setCommissionBps(c.merchantCommissionBps())
                .setUpdatedAtEpochMillis(c.merchantUpdatedAtEpochMillis())
                .build();
    }

    static void toCommand(UpsertSkuGroupRequest request, Command c) {
        c.type(CommandType.UPSERT_SKU_GROUP);
        c.requestId.set(request.getRequestId());
        c.groupId().set(request.getGroupId());
        c.perUserLimit = request.getPerUserLimit();
        c.attemptLimit(request.getMaxAttempts(), request.getWindowMillis());
    }

    static void toCommand(GetSkuGroupRequest request, Command c) {
        c.type(CommandType.GET_SKU_GROUP);
        c.groupId().set(request.getGroupId());
    }

    static SkuGroup toSkuGroup(Command c) {
        return SkuGroup.newBuilder()
                .setGroupId(c.groupId().asString())
                .setPerUserLimit(c.groupPerUserLimit())
                .addAllSkuIds(c.groupSkuIds())
                .setMaxAttempts(c.groupMaxAttempts())
                .setWindowMillis(c.groupWindowMillis())
                .build();
    }

    /**
     * Fills an UPSERT_CAMPAIGN command. A list of more SKUs than a campaign may have is cut to one
     * more than that, so it stays too long (and the command's size bounded).
     */
    static void toCommand(UpsertCampaignRequest request, Command c) {
        c.type(CommandType.UPSERT_CAMPAIGN);
        c.requestId.set(request.getRequestId());
        Campaign campaign = request.getCampaign();
        CampaignTerms terms = c.campaignTerms();
        terms.campaignId = campaign.getCampaignId();
        terms.kind = CampaignKind.fromCode(campaign.getKindValue());
        terms.currency = CurrencyCode.pack(campaign.getCurrency());
        terms.amountOffMinor = campaign.getAmountOffMinor();
        terms.percentOffBps = campaign.getPercentOffBps();
        terms.percentCapMinor = campaign.getPercentCapMinor();
        terms.minSpendMinor = campaign.getMinSpendMinor();
        int skus = Math.min(campaign.getSkuIdsCount(), CampaignTerms.SKUS_MAX + 1);
        for (int i = 0; i < skus; i++) {
            terms.skuIds.add(campaign.getSkuIds(i));
        }
        terms.merchantId = campaign.getMerchantId();
        terms.startsAtEpochMillis = campaign.getStartsAtEpochMillis();
        terms.endsAtEpochMillis = campaign.getEndsAtEpochMillis();
        terms.budget = campaign.getBudget();
        terms.perUserLimit = campaign.getPerUserLimit();
    }

    static void toCommand(GetCampaignRequest request, Command c) {
        c.type(CommandType.GET_CAMPAIGN);
        c.campaignId.set(request.getCampaignId());
    }

    /** The campaign the engine answered (UPSERT_CAMPAIGN, GET_CAMPAIGN), with its redemptions now. */
    static Campaign toCampaign(Command c) {
        CampaignTerms terms = c.campaignAnswer();
        if (terms == null) {
            throw new IllegalStateException(c.type() + " answered " + c.result() + " without a campaign");
        }
        return Campaign.newBuilder()
                .setCampaignId(terms.campaignId)
                .setKindValue(terms.kind.code())
                .setCurrency(CurrencyCode.unpack(terms.currency))
                .setAmountOffMinor(terms.amountOffMinor)
                .setPercentOffBps(terms.percentOffBps)
                .setPercentCapMinor(terms.percentCapMinor)
                .setMinSpendMinor(terms.minSpendMinor)
                .addAllSkuIds(terms.skuIds)
                .setMerchantId(terms.merchantId)
                .setStartsAtEpochMillis(terms.startsAtEpochMillis)
                .setEndsAtEpochMillis(terms.endsAtEpochMillis)
                .setBudget(terms.budget)
                .setPerUserLimit(terms.perUserLimit)
                .setRedeemed(terms.redeemed)
                .setRedeemingUsers(terms.redeemingUsers)
                .build();
    }

    static void toCommand(SetUserBlockedRequest request, Command c) {
        c.type(CommandType.SET_USER_BLOCKED);
        c.requestId.set(request.getRequestId());
        c.userId.set(request.getUserId());
        c.blocked(request.getBlocked());
    }

    static void toCommand(GetUserRiskRequest request, Command c) {
        c.type(CommandType.GET_USER_RISK);
        c.userId.set(request.getUserId());
    }

    static void toCommand(SetRiskRulesRequest request, Command c) {
        c.type(CommandType.SET_RISK_RULES);
        c.requestId.set(request.getRequestId());
        c.attemptLimit(request.getMaxAttempts(), request.getWindowMillis());
    }

    static void toCommand(GetRiskRulesRequest request, Command c) {
        c.type(CommandType.GET_RISK_RULES);
    }

    static UserRisk toUserRisk(Command c) {
        RiskAnswer answer = c.riskAnswer();
        return UserRisk.newBuilder()
                .setUserId(c.userId.asString())
                .setBlocked(answer.userBlocked)
                .setAttemptsInWindow(answer.userAttempts)
                .setWindowEndsAtEpochMillis(answer.windowEndsAtEpochMillis)
                .build();
    }

    static RiskRules toRiskRules(Command c) {
        RiskAnswer answer = c.riskAnswer();
        return RiskRules.newBuilder()
                .setMaxAttempts(answer.maxAttempts)
                .setWindowMillis(answer.windowMillis)
                .setBlockedUsers(answer.blockedUsers)
                .setBlocklistCapacity(answer.blocklistCapacity)
                .setCountedUsers(answer.countedUsers)
                .setAttemptCounterCapacity(answer.attemptCounterCapacity)
                .build();
    }

    static void toCommand(AdjustStockRequest request, Command c) {
        c.type(CommandType.ADJUST_STOCK);
        c.requestId.set(request.getRequestId());
        c.skuId.set(request.getSkuId());
        c.delta = request.getDelta();
    }

    /** The reply to a reserve that the engine answered (success or business refusal). */
    static ReserveReply toReserveReply(Command c) {
        ReserveReply.Builder reply = ReserveReply.newBuilder().setRequestId(c.requestId.asString());
        if (c.result() == ResultCode.SUCCESS) {
            OrderRecord order = c.order;
            reply.setResult(ReserveResult.RESERVED)
                    .setOrderId(c.orderIdBase + order.orderId)
                    .setAmountMinor(order.amountMinor)
                    .setCurrency(CurrencyCode.unpack(order.currency))
                    .setExpiresAtEpochMillis(order.expiresAtEpochMillis)
                    .setDiscountMinor(order.discountMinor);
        } else {
            reply.setResult(toReserveResult(c.result()));
            String failedSkuId = c.failedSkuId();
            if (failedSkuId != null) {
                reply.setFailedSkuId(failedSkuId);
            }
        }
        return reply.build();
    }

    static ReserveResult toReserveResult(ResultCode result) {
        return switch (result) {
            case SUCCESS -> ReserveResult.RESERVED;
            case SOLD_OUT -> ReserveResult.SOLD_OUT;
            case LIMIT_EXCEEDED -> ReserveResult.LIMIT_EXCEEDED;
            case NOT_ON_SALE -> ReserveResult.NOT_ON_SALE;
            case UNKNOWN_SKU -> ReserveResult.UNKNOWN_SKU;
            case CURRENCY_MISMATCH -> ReserveResult.CURRENCY_MISMATCH;
            case BLOCKED -> ReserveResult.BLOCKED;
            case RATE_LIMITED -> ReserveResult.RATE_LIMITED;
            case GROUP_LIMIT_EXCEEDED -> ReserveResult.GROUP_LIMIT_EXCEEDED;
            case CAMPAIGN_UNKNOWN -> ReserveResult.CAMPAIGN_UNKNOWN;
            case CAMPAIGN_NOT_ACTIVE -> ReserveResult.CAMPAIGN_NOT_ACTIVE;
            case CAMPAIGN_NOT_APPLICABLE -> ReserveResult.CAMPAIGN_NOT_APPLICABLE;
            case CAMPAIGN_BUDGET_EXHAUSTED -> ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED;
            case CAMPAIGN_USER_LIMIT_REACHED -> ReserveResult.CAMPAIGN_USER_LIMIT_REACHED;
            default -> ReserveResult.REJECTED;
        };
    }

    /** A confirm's payment; the engine checks every field (an id that does not fit stays invalid). */
    static void toPayment(Payment payment, Command c) {
        c.hasPayment = true;
        c.paymentProvider.set(payment.getProvider());
        c.paymentId.set(payment.getPaymentId());
        c.paymentAmountMinor = payment.getAmountMinor();
        c.paymentCurrency = CurrencyCode.pack(payment.getCurrency());
    }

    static Order toOrder(Command c) {
        return toOrder(c.order, c.orderLineSkuIdTexts(), c.lineParties(), c.orderIdBase);
    }

    /**
     * The order as the contract shows it, with its settlement figures ({@link Settlement}): each
     * line's share of the campaign's discount, the commission on what the buyer pays for the line
     * (its gross less that share), and the merchant's net. {@code lineSkuIds} and {@code parties}
     * run parallel to its lines ({@code parties.campaignId} names the campaign), and {@code
     * orderIdBase} is what the partition's order ids have above the engine's (0 without partitions).
     */
    static Order toOrder(OrderRecord order, String[] lineSkuIds, LineParties parties, long orderIdBase) {
        Order.Builder builder = Order.newBuilder()
                .setOrderId(orderIdBase + order.orderId)
                .setUserId(order.userId.asString())
                .setAmountMinor(order.amountMinor)
                .setCurrency(CurrencyCode.unpack(order.currency))
                .setState(toOrderState(order.state()))
                .setCreatedAtEpochMillis(order.createdAtEpochMillis)
                .setExpiresAtEpochMillis(order.expiresAtEpochMillis)
                .setUpdatedAtEpochMillis(order.updatedAtEpochMillis);
        long[] discounts = order.discountMinor == 0 ? null : order.lineDiscountsMinor();
        long commission = 0;
        long refundedCommission = 0;
        for (int i = 0; i < order.lineCount; i++) {
            int refunded = order.refundedQuantity(i);
            int quantity = order.quantities[i];
            long price = order.unitPricesMinor[i];
            int bps = parties.commissionBps[i];
            long discount = discounts == null ? 0 : discounts[i];
            long gross = Settlement.grossMinor(quantity, price);
            long lineCommission = Settlement.commissionMinor(gross - discount, bps);
            long lineRefundedCommission = Settlement.refundedCommissionMinor(quantity, refunded, price, discount, bps);
            commission += lineCommission;
            refundedCommission += lineRefundedCommission;
            OrderLine.Builder line = OrderLine.newBuilder()
                    .setSkuId(lineSkuIds[i])
                    .setQuantity(quantity)
                    .setUnitPriceMinor(price)
                    .setRefundedQuantity(refunded)
                    .setRefundedAmountMinor(Settlement.refundedAmountMinor(quantity, refunded, price, discount))
                    .setCommissionBps(bps)
                    .setGrossMinor(gross)
                    .setDiscountMinor(discount)
                    .setCommissionMinor(lineCommission)
                    .setNetMinor(gross - discount - lineCommission)
                    .setRefundedCommissionMinor(lineRefundedCommission);
            builder.addLines(withParties(line, parties, i));
        }
        builder.setRefundedAmountMinor(order.refundedAmountMinor())
                .setCommissionMinor(commission)
                .setRefundedCommissionMinor(refundedCommission)
                .setNetMinor(order.amountMinor - commission)
                .setDiscountMinor(order.discountMinor);
        if (parties.campaignId != null) {
            builder.setCampaignId(parties.campaignId);
        }
        if (order.hasPayment()) {
            builder.setPayment(Payment.newBuilder()
                            .setProvider(order.paymentProvider.asString())
                            .setPaymentId(order.paymentId.asString())
                            .setAmountMinor(order.amountMinor)
                            .setCurrency(CurrencyCode.unpack(order.currency)))
                    .setPaidAtEpochMillis(order.paidAtEpochMillis);
        }
        return builder.build();
    }

    /**
     * What one refund gave back, per line it touched: {@code refundedNow[line]} units; their gross;
     * their share of the line's discount, which is what the refunded units' discount grew by (so
     * that gross less discount is exactly what the line's refunded amount grew by); the commission
     * given back (the line's refunded commission after, less before); and the merchant's net.
     */
    static void addRefundLines(
            OrderRecord order, String[] lineSkuIds, LineParties parties, int[] refundedNow, OrderEvent.Builder event) {
        long[] discounts = order.discountMinor == 0 ? null : order.lineDiscountsMinor();
        for (int i = 0; i < order.lineCount; i++) {
            int now = refundedNow[i];
            if (now <= 0) {
                continue;
            }
            int quantity = order.quantities[i];
            long price = order.unitPricesMinor[i];
            int bps = parties.commissionBps[i];
            long lineDiscount = discounts == null ? 0 : discounts[i];
            int after = order.refundedQuantity(i);
            long gross = Settlement.grossMinor(now, price);
            long paidBack = Settlement.refundedAmountMinor(quantity, after, price, lineDiscount)
                    - Settlement.refundedAmountMinor(quantity, after - now, price, lineDiscount);
            long discount = gross - paidBack;
            long commission = Settlement.refundedCommissionMinor(quantity, after, price, lineDiscount, bps)
                    - Settlement.refundedCommissionMinor(quantity, after - now, price, lineDiscount, bps);
            OrderLine.Builder line = OrderLine.newBuilder()
                    .setSkuId(lineSkuIds[i])
                    .setQuantity(now)
                    .setUnitPriceMinor(price)
                    .setCommissionBps(bps)
                    .setGrossMinor(gross)
                    .setDiscountMinor(discount)
                    .setCommissionMinor(commission)
                    .setNetMinor(gross - discount - commission);
            event.addRefundLines(withParties(line, parties, i));
        }
    }

    /** Line {@code i}'s merchant and store onto {@code line}, where it has them (protobuf strings are never null). */
    private static OrderLine.Builder withParties(OrderLine.Builder line, LineParties parties, int i) {
        if (parties.merchantIds[i] != null) {
            line.setMerchantId(parties.merchantIds[i]);
        }
        if (parties.storeIds[i] != null) {
            line.setStoreId(parties.storeIds[i]);
        }
        return line;
    }

    static OrderState toOrderState(io.checkout.engine.OrderState state) {
        return switch (state) {
            case RESERVED -> OrderState.ORDER_STATE_RESERVED;
            case PAID -> OrderState.ORDER_STATE_PAID;
            case CANCELLED -> OrderState.ORDER_STATE_CANCELLED;
            case EXPIRED -> OrderState.ORDER_STATE_EXPIRED;
            case REFUNDED -> OrderState.ORDER_STATE_REFUNDED;
            case PAID_TOO_LATE -> OrderState.ORDER_STATE_PAID_TOO_LATE;
            case PARTLY_REFUNDED -> OrderState.ORDER_STATE_PARTLY_REFUNDED;
        };
    }

    static Sku toSku(SkuRecord sku) {
        return Sku.newBuilder()
                .setSkuId(sku.skuId)
                .setPriceMinor(sku.priceMinor)
                .setCurrency(CurrencyCode.unpack(sku.currency))
                .setTotalStock(sku.totalStock)
                .setAvailable(sku.available)
                .setReserved(sku.reserved)
                .setSold(sku.sold)
                .setPerUserLimit(sku.perUserLimit)
                .setSaleStartEpochMillis(sku.saleStartEpochMillis)
                .setSaleEndEpochMillis(sku.saleEndEpochMillis)
                .setReservationTtlMillis(sku.reservationTtlMillis)
                .setMerchantId(sku.merchantId == null ? "" : sku.merchantId)
                .setStoreId(sku.storeId == null ? "" : sku.storeId)
                .setGroupId(sku.groupId == null ? "" : sku.groupId)
                .build();
    }

    static ListSkusReply toListSkusReply(Command c) {
        ListSkusReply.Builder reply = ListSkusReply.newBuilder();
        for (SkuRecord sku : c.skuPage) {
            reply.addSkus(toSku(sku));
        }
        if (c.nextPageToken != null) {
            reply.setNextPageToken(c.nextPageToken);
        }
        return reply.build();
    }
}
