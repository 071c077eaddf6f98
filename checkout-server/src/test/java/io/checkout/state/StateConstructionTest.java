package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import org.junit.jupiter.api.Test;

class StateConstructionTest {
    /**
     * Capacities for 10M answers: the answers' index (128 MB) is zeroed on a thread of its own while
     * the constructor builds the rest; the state it ends with remembers and finds answers.
     */
    @Test
    void aStateWhoseAnswerIndexIsZeroedAsideShouldRememberAnswers() {
        PackedCheckoutState state = PackedCheckoutState.of(new StateCapacities(4, 1_000, 1_000, 10_000_000));
        CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
        book.execute(Command.upsertSku(1_000, "sku-setup", "SKU", 250, "EUR", 1_000, 1, 0, 0, 3_600_000));
        for (int buyer = 1; buyer <= 500; buyer++) {
            Command reserve = Command.reserve(1_000 + buyer, "request-" + buyer, "user-" + buyer, "SKU", 1);
            book.execute(reserve);
            assertThat(reserve.result()).isEqualTo(ResultCode.SUCCESS);
        }
        Outcome outcome = new Outcome();
        for (int buyer = 1; buyer <= 500; buyer++) {
            assertThat(state.readOutcome(IdBuffer.of("request-" + buyer), outcome))
                    .isTrue();
            assertThat(outcome.orderId).isEqualTo(buyer);
        }
        assertThat(state.readOutcome(IdBuffer.of("request-501"), outcome)).isFalse();
    }
}
