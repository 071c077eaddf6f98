package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.checkout.engine.CampaignKind;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.ResultCode;
import io.checkout.proto.v1.ReserveResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The campaigns' results as the contract answers them: reserve results, or errors by code family naming the field or table. */
class GrpcErrorsCampaignTest {
    private static Command answered(CommandType type, ResultCode result) {
        Command c = new Command();
        c.type(type);
        c.result(result);
        if (type == CommandType.UPSERT_CAMPAIGN) {
            c.campaignTerms().campaignId = "SUMMER";
            c.campaignTerms().kind = CampaignKind.PERCENT_OFF;
            c.campaignTerms().merchantId = "acme";
        } else {
            c.campaignId.set("SUMMER");
        }
        return c;
    }

    private static <T extends com.google.protobuf.Message> T detail(com.google.rpc.Status status, Class<T> type)
            throws Exception {
        for (com.google.protobuf.Any any : status.getDetailsList()) {
            if (any.is(type)) {
                return any.unpack(type);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + status);
    }

    @Test
    void theReserveRefusalsShouldBeAnswersWithTheirOwnResult() {
        List<ResultCode> refusals = List.of(
                ResultCode.CAMPAIGN_UNKNOWN,
                ResultCode.CAMPAIGN_NOT_ACTIVE,
                ResultCode.CAMPAIGN_NOT_APPLICABLE,
                ResultCode.CAMPAIGN_BUDGET_EXHAUSTED,
                ResultCode.CAMPAIGN_USER_LIMIT_REACHED);
        for (ResultCode refusal : refusals) {
            Command c = answered(CommandType.RESERVE, refusal);
            c.requestId.set("r-1");
            assertThat(GrpcErrors.errorFor(c, null))
                    .as("%s is an answer", refusal)
                    .isNull();
            assertThat(ProtoMapping.toReserveReply(c).getResult()).isEqualTo(ReserveResult.valueOf(refusal.name()));
            assertThat(ProtoMapping.toReserveReply(c).getFailedSkuId()).isEmpty();
        }
    }

    @Test
    void everyCampaignErrorShouldCarryTheCodeOfItsFamilyAndNameItsFieldOrTable() throws Exception {
        for (ResultCode result : ResultCode.values()) {
            boolean campaign = result.name().contains("CAMPAIGN")
                    || result.name().contains("REDEMPTION")
                    || List.of(
                                    ResultCode.AMOUNT_OFF_INVALID,
                                    ResultCode.PERCENT_OFF_INVALID,
                                    ResultCode.PERCENT_CAP_INVALID,
                                    ResultCode.MIN_SPEND_INVALID,
                                    ResultCode.BUDGET_INVALID)
                            .contains(result);
            if (!campaign || result.isReserveRefusal()) {
                continue;
            }
            CommandType type = result == ResultCode.CAMPAIGN_NOT_FOUND
                    ? CommandType.GET_CAMPAIGN
                    : result == ResultCode.CAMPAIGN_ID_INVALID || result == ResultCode.REDEMPTION_TABLE_FULL
                            ? CommandType.RESERVE
                            : CommandType.UPSERT_CAMPAIGN;
            com.google.rpc.Status status = GrpcErrors.errorFor(answered(type, result), null);
            assertThat(detail(status, ErrorInfo.class).getReason()).isEqualTo(result.name());
            if (result.isInvalidInput()) {
                assertThat(status.getCode()).as("%s", result).isEqualTo(Code.INVALID_ARGUMENT_VALUE);
                BadRequest bad = detail(status, BadRequest.class);
                assertThat(bad.getFieldViolations(0).getField()).isEqualTo(result.field());
                assertThat(status.getMessage()).as("%s", result).startsWith(result.field() + " must ");
            } else if (result.isTableFull()) {
                assertThat(status.getCode()).as("%s", result).isEqualTo(Code.RESOURCE_EXHAUSTED_VALUE);
                assertThat(status.getMessage())
                        .contains(
                                result == ResultCode.CAMPAIGN_TABLE_FULL ? "campaign-capacity" : "redemption-capacity");
            } else if (result == ResultCode.CAMPAIGN_NOT_FOUND) {
                assertThat(status.getCode()).isEqualTo(Code.NOT_FOUND_VALUE);
                assertThat(status.getMessage()).contains("SUMMER");
            } else {
                assertThat(status.getCode()).as("%s", result).isEqualTo(Code.FAILED_PRECONDITION_VALUE);
                assertThat(detail(status, ErrorInfo.class).getMetadataMap()).containsEntry("field", result.field());
            }
        }
    }

    @Test
    void aKindsAmountsShouldBeDescribedForThatKind() {
        Command c = answered(CommandType.UPSERT_CAMPAIGN, ResultCode.AMOUNT_OFF_INVALID);
        assertThat(GrpcErrors.errorFor(c, null).getMessage())
                .isEqualTo("campaign.amount_off_minor must be 0 for CAMPAIGN_KIND_PERCENT_OFF");
        c.campaignTerms().kind = CampaignKind.SPEND_AND_SAVE;
        c.result(ResultCode.MIN_SPEND_INVALID);
        assertThat(GrpcErrors.errorFor(c, null).getMessage())
                .isEqualTo("campaign.min_spend_minor must be 1..1000000000000000 for CAMPAIGN_KIND_SPEND_AND_SAVE");
        Command reserve = answered(CommandType.RESERVE, ResultCode.CAMPAIGN_ID_INVALID);
        assertThat(GrpcErrors.errorFor(reserve, null).getMessage())
                .startsWith("campaign_id must be empty (none) or 1..");
    }
}
