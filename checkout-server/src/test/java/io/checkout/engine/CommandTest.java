package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandTest {
    @Test
    void clearedCommandShouldHaveNoTypeAndNoResult() {
        Command command = Command.reserve(1_000, "r-1", "u-1", "SKU-1", 1);
        command.result(ResultCode.SUCCESS);

        command.clearOutput();
        assertThat(command.result()).isNull();
        assertThat(command.type()).isEqualTo(CommandType.RESERVE);

        command.clear();
        assertThat(command.type()).isNull();
        assertThat(command.result()).isNull();
        assertThat(command.isPastDeadline(Long.MAX_VALUE)).isFalse();
    }

    @Test
    void typeAndResultShouldReadBackWhatWasLastSetIncludingTheValueSetBeforeTheClear() {
        Command command = new Command();
        assertThat(command.type()).isNull();
        assertThat(command.result()).isNull();

        command.type(CommandType.RESERVE);
        command.result(ResultCode.SOLD_OUT);
        command.clear();
        command.type(CommandType.RESERVE);
        command.result(ResultCode.SOLD_OUT);
        assertThat(command.type()).isEqualTo(CommandType.RESERVE);
        assertThat(command.result()).isEqualTo(ResultCode.SOLD_OUT);

        command.type(CommandType.GET_SKU);
        command.result(ResultCode.SUCCESS);
        assertThat(command.type()).isEqualTo(CommandType.GET_SKU);
        assertThat(command.result()).isEqualTo(ResultCode.SUCCESS);

        command.type(null);
        command.result(null);
        assertThat(command.type()).isNull();
        assertThat(command.result()).isNull();
    }

    @Test
    void everyTypeResultAndOrderStateShouldReadBackAsSet() {
        // Kept as ordinals in a byte (no reference stored into a long-lived slot): every value fits.
        Command command = new Command();
        for (CommandType type : CommandType.values()) {
            command.type(type);
            assertThat(command.type()).isSameAs(type);
        }
        for (ResultCode result : ResultCode.values()) {
            command.result(result);
            assertThat(command.result()).isSameAs(result);
        }
        for (OrderState state : OrderState.values()) {
            command.order.state(state);
            assertThat(command.order.state()).isSameAs(state);
        }
        assertThat(CommandType.values().length).isLessThan(Byte.MAX_VALUE);
        assertThat(ResultCode.values().length).isLessThan(Byte.MAX_VALUE);
        assertThat(OrderState.values().length).isLessThan(Byte.MAX_VALUE);
    }

    @Test
    void orderLineSkuIdsShouldBeReadOnlyBelowTheAnswersLineCount() {
        Command command = new Command();
        command.order.lineCount = 2;
        command.orderLineSkuId(0, "SKU-1");
        command.orderLineSkuId(1, "SKU-2");
        assertThat(command.orderLineSkuIdTexts()).containsExactly("SKU-1", "SKU-2");
        assertThat(command.orderLineSkuId(1).contentEquals("SKU-2")).isTrue();

        command.clear();
        assertThat(command.order.lineCount).isZero();
        assertThat(command.orderLineSkuIdTexts()).isEmpty();
        assertThatThrownBy(() -> command.orderLineSkuId(0)).isInstanceOf(IndexOutOfBoundsException.class);
        command.order.lineCount = 1;
        command.orderLineSkuId(0, "SKU-9");
        assertThat(command.orderLineSkuIdTexts()).containsExactly("SKU-9");
    }

    @Test
    void anAnswerWithMoreLinesThanKeptShouldMakeBuffersForThemAndACopyShouldCarryEveryLine() {
        int lines = EngineLimits.LINES_PER_ORDER_MAX;
        Command command = new Command();
        command.order.lineCount = lines;
        for (int i = 0; i < lines; i++) {
            command.orderLineSkuId(i, "SKU-" + i);
        }
        Command copy = new Command();
        copy.copyOutputFrom(command);
        assertThat(copy.orderLineSkuIdTexts())
                .hasSize(lines)
                .startsWith("SKU-0")
                .endsWith("SKU-" + (lines - 1));

        command.clear();
        command.order.lineCount = lines;
        command.orderLineSkuId(lines - 1, "SKU-again");
        assertThat(command.orderLineSkuId(lines - 1).asString()).isEqualTo("SKU-again");
        assertThat(copy.orderLineSkuId(lines - 1).asString()).isEqualTo("SKU-" + (lines - 1));
    }

    @Test
    void releasingReferencesShouldLeaveAPlainReserveAsItIsAndClearACommandThatRefersToMore() {
        Command reserve = Command.reserve(1_000, "r-1", "u-1", "SKU-1", 1);
        reserve.result(ResultCode.SUCCESS);
        reserve.order.lineCount = 1;
        reserve.orderLineSkuId(0, "SKU-1");
        reserve.releaseReferences();
        assertThat(reserve.type()).isEqualTo(CommandType.RESERVE);
        assertThat(reserve.requestId.asString()).isEqualTo("r-1");
        assertThat(reserve.orderLineSkuIdTexts()).containsExactly("SKU-1");

        Command refund = Command.orderCommand(CommandType.REFUND, 1_000, "f-1", 7);
        refund.refundReason = "damaged";
        refund.releaseReferences();
        assertThat(refund.refundReason).isNull();
        assertThat(refund.type()).isNull();

        Command manyLines = Command.reserve(1_000, "r-2", "u-2", "SKU-0", 1);
        for (int i = 1; i <= Command.LINE_IDS_KEPT; i++) {
            manyLines.addLine("SKU-" + i, 1);
        }
        manyLines.releaseReferences();
        assertThat(manyLines.lineCount).isZero();
        assertThat(manyLines.type()).isNull();

        Command page = new Command();
        page.type(CommandType.LIST_SKUS);
        page.nextPageToken = "next";
        page.releaseReferences();
        assertThat(page.nextPageToken).isNull();
    }

    @Test
    void copiedOutputShouldCarryTheResultOrItsAbsence() {
        Command source = Command.reserve(1_000, "r-1", "u-1", "SKU-1", 1);
        Command copy = Command.reserve(1_000, "r-1", "u-1", "SKU-1", 1);
        copy.result(ResultCode.LIMIT_EXCEEDED);

        copy.copyOutputFrom(source);
        assertThat(copy.result()).isNull();

        source.result(ResultCode.SUCCESS);
        copy.copyOutputFrom(source);
        assertThat(copy.result()).isEqualTo(ResultCode.SUCCESS);
    }

    @Test
    void clearedOrderShouldHaveNoStateAndACopyShouldCarryTheStateOrItsAbsence() {
        Command command = new Command();
        assertThat(command.order.state()).isNull();

        command.order.state(OrderState.RESERVED);
        assertThat(command.order.state()).isEqualTo(OrderState.RESERVED);
        command.clear();
        assertThat(command.order.state()).as("cleared").isNull();
        assertThat(command.order.refundedQuantity(0)).isZero();
        command.order.state(OrderState.RESERVED);
        assertThat(command.order.state()).isEqualTo(OrderState.RESERVED);

        OrderRecord unset = new OrderRecord();
        command.order.copyFrom(unset);
        assertThat(command.order.state()).isNull();
        unset.state(OrderState.REFUNDED);
        unset.lineCount = 1;
        unset.quantities[0] = 3;
        command.order.copyFrom(unset);
        assertThat(command.order.state()).isEqualTo(OrderState.REFUNDED);
        assertThat(command.order.refundedQuantity(0)).isEqualTo(3);

        command.order.state(null);
        assertThat(command.order.state()).isNull();
    }

    @Test
    void touchingTheLinesShouldChangeNothingWhateverTheCommandHolds() {
        // Read ahead of its turn for any command in a batch: a fresh slot, the longest ids, every line.
        assertUnchangedByTouch(new Command());

        String longest = "i".repeat(EngineLimits.ID_LENGTH_MAX);
        Command full = Command.reserve(1_000, longest, longest, longest, 1);
        full.campaignId.set(longest);
        for (int i = 1; i < EngineLimits.LINES_PER_ORDER_MAX; i++) {
            full.addLine("SKU-" + i, i);
        }
        full.order.lineCount = EngineLimits.LINES_PER_ORDER_MAX;
        for (int i = 0; i < full.order.lineCount; i++) {
            full.orderLineSkuId(i, "SKU-" + i);
        }
        full.order.userId.set(longest);
        full.result(ResultCode.SUCCESS);
        assertUnchangedByTouch(full);

        full.clear();
        assertUnchangedByTouch(full);
    }

    private static void assertUnchangedByTouch(Command command) {
        String before = describe(command);
        command.touchLines();
        assertThat(describe(command)).isEqualTo(before);
    }

    private static String describe(Command command) {
        StringBuilder text = new StringBuilder()
                .append(command.type())
                .append(' ')
                .append(command.result())
                .append(' ')
                .append(command.requestId)
                .append(' ')
                .append(command.userId)
                .append(' ')
                .append(command.campaignId)
                .append(' ')
                .append(command.skuId)
                .append(' ')
                .append(command.order)
                .append(' ')
                .append(command.sku);
        for (int i = 0; i < command.lineCount; i++) {
            text.append(' ').append(command.lineSkuId(i)).append('x').append(command.lineQuantities[i]);
        }
        return text.append(' ')
                .append(String.join(",", command.orderLineSkuIdTexts()))
                .toString();
    }
}
