package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EnumCodesTest {
    @Test
    void everyConstantOfTheKeptEnumsShouldComeBackFromItsCode() {
        roundTrip(CommandType.class);
        roundTrip(ResultCode.class);
        roundTrip(OrderState.class);
    }

    @Test
    void noneShouldBeCodeZero() {
        assertThat(EnumCodes.encode(null)).isZero();
        assertThat(EnumCodes.decode(EnumCodes.constants(OrderState.class), (byte) 0))
                .isNull();
    }

    @Test
    void aCommandAndAnOrderRecordShouldReadBackWhatWasSet() {
        Command command = new Command();
        assertThat(command.type()).isNull();
        assertThat(command.result()).isNull();
        CommandType lastType = CommandType.values()[CommandType.values().length - 1];
        ResultCode lastResult = ResultCode.values()[ResultCode.values().length - 1];
        command.type(lastType);
        command.result(lastResult);
        assertThat(command.type()).isEqualTo(lastType);
        assertThat(command.result()).isEqualTo(lastResult);
        command.type(null);
        assertThat(command.type()).isNull();

        OrderRecord order = new OrderRecord();
        for (OrderState state : OrderState.values()) {
            order.state(state);
            assertThat(order.state()).isEqualTo(state);
        }
    }

    private static <E extends Enum<E>> void roundTrip(Class<E> type) {
        E[] constants = EnumCodes.constants(type);
        assertThat(constants.length).isLessThanOrEqualTo(EnumCodes.CONSTANTS_MAX);
        for (E constant : constants) {
            byte code = EnumCodes.encode(constant);
            assertThat(code).isPositive();
            assertThat(EnumCodes.decode(constants, code)).isSameAs(constant);
        }
    }
}
