package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommandTest {
    @Test
    void clearedCommandShouldHaveNoTypeAndNoResultThoughTheSlotKeepsThem() {
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
    void typeAndResultShouldReadBackWhatWasLastSetIncludingTheValueTheSlotAlreadyHeld() {
        Command command = new Command();
        assertThat(command.type()).isNull();
        assertThat(command.result()).isNull();

        command.type(CommandType.RESERVE);
        command.result(ResultCode.SOLD_OUT);
        command.clear();
        // The same values again: nothing is stored, but they count as set once more.
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
    void orderLineSkuIdsShouldBeReadOnlyBelowTheAnswersLineCount() {
        Command command = new Command();
        command.order.lineCount = 2;
        command.orderLineSkuId(0, "SKU-1");
        command.orderLineSkuId(1, "SKU-2");
        assertThat(command.orderLineSkuIds).startsWith("SKU-1", "SKU-2");

        command.clear();
        // The references stay in the slot, but the cleared answer has no lines to read them by.
        assertThat(command.order.lineCount).isZero();
        command.order.lineCount = 1;
        command.orderLineSkuId(0, "SKU-9");
        assertThat(command.orderLineSkuIds[0]).isEqualTo("SKU-9");
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
        assertThat(command.order.state())
                .as("cleared, though the slot keeps the reference")
                .isNull();
        assertThat(command.order.refundedQuantity(0)).isZero();
        // The value the slot already held counts as set once more.
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
}
