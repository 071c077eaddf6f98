package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CommandType;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Chronicle Map state does beyond the engine's interface contract, which the simulation covers. */
class ChronicleCheckoutStateTest {
    @TempDir
    Path dataDirectory;

    private ChronicleCheckoutState open() {
        return ChronicleCheckoutState.open(new StateConfig(dataDirectory, 10, 1_000, 1_000, 20_000));
    }

    private static Outcome answeredAt(long atEpochMillis) {
        Outcome outcome = new Outcome();
        outcome.set(CommandType.RESERVE, ResultCode.SOLD_OUT, 0, null, 0, atEpochMillis, 0);
        return outcome;
    }

    @Test
    void sweepShouldForgetOnlyAnswersOlderThanTheCutoffWithinOneCycle() {
        try (ChronicleCheckoutState state = open()) {
            for (int i = 0; i < 10_000; i++) {
                state.writeOutcome("old-" + i, answeredAt(1_000));
                state.writeOutcome("new-" + i, answeredAt(5_000));
            }
            long now = 10_000;
            int steps = state.outcomeSegments();
            for (int step = 0; step < steps; step++) {
                state.forgetOutcomesBefore(5_000, now + step * ChronicleCheckoutState.OUTCOME_SWEEP_STEP_MILLIS);
            }

            assertThat(state.outcomeCount()).isEqualTo(10_000);
            Outcome read = new Outcome();
            for (int i = 0; i < 10_000; i++) {
                assertThat(state.readOutcome("old-" + i, read)).as("old-%d", i).isFalse();
                assertThat(state.readOutcome("new-" + i, read)).as("new-%d", i).isTrue();
            }
        }
    }

    @Test
    void ticksTwoStepsApartShouldSkipNoSegment() {
        try (ChronicleCheckoutState state = open()) {
            for (int i = 0; i < 10_000; i++) {
                state.writeOutcome("old-" + i, answeredAt(1_000));
            }
            int steps = state.outcomeSegments();
            for (int step = 0; step < steps; step += 2) {
                state.forgetOutcomesBefore(5_000, 10_000 + step * ChronicleCheckoutState.OUTCOME_SWEEP_STEP_MILLIS);
            }

            assertThat(state.outcomeCount()).isZero();
        }
    }

    @Test
    void oneSweepStepShouldTouchOnlyPartOfTheTable() {
        try (ChronicleCheckoutState state = open()) {
            for (int i = 0; i < 10_000; i++) {
                state.writeOutcome("old-" + i, answeredAt(1_000));
            }
            assertThat(state.outcomeSegments()).isGreaterThan(1);

            state.forgetOutcomesBefore(5_000, 10_000);

            assertThat(state.outcomeCount()).isGreaterThan(0).isLessThan(10_000);
        }
    }

    @Test
    void outcomesShouldSurviveReopenWithEveryField() {
        Outcome written = new Outcome();
        written.set(CommandType.CONFIRM, ResultCode.ORDER_STATE_CONFLICT, 7, OrderState.EXPIRED, -1, 123, 99);
        try (ChronicleCheckoutState state = open()) {
            state.writeOutcome("pay-7", written);
        }
        try (ChronicleCheckoutState state = open()) {
            Outcome read = new Outcome();
            assertThat(state.readOutcome("pay-7", read)).isTrue();
            assertThat(read).usingRecursiveComparison().isEqualTo(written);
            assertThat(state.outcomeCount()).isEqualTo(1);
        }
    }
}
