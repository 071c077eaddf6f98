package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplyTargetsTest {
    private static final ReplyHandler FIRST = (command, context, failure) -> {};
    private static final ReplyHandler SECOND = (command, context, failure) -> {};

    @Test
    void eachSequenceShouldFindTheTargetsOfItsSlotUntilCleared() {
        ReplyTargets targets = new ReplyTargets(4);
        targets.set(1, FIRST, "one");
        targets.set(2, SECOND, null);

        assertThat(targets.handler(1)).isSameAs(FIRST);
        assertThat(targets.context(1)).isEqualTo("one");
        assertThat(targets.handler(2)).isSameAs(SECOND);
        assertThat(targets.context(2)).isNull();
        assertThat(targets.handler(3)).isNull();

        targets.clear(1);
        assertThat(targets.handler(1)).isNull();
        assertThat(targets.context(1)).isNull();
        assertThat(targets.handler(2)).isSameAs(SECOND);
    }

    @Test
    void aSequenceOneRingLaterShouldUseTheSameSlot() {
        ReplyTargets targets = new ReplyTargets(4);
        targets.set(Integer.MAX_VALUE + 2L, FIRST, "late");
        assertThat(targets.handler(Integer.MAX_VALUE + 2L)).isSameAs(FIRST);
        assertThat(targets.handler(Integer.MAX_VALUE + 2L - 4)).isSameAs(FIRST);
        assertThat(targets.context(Integer.MAX_VALUE + 2L + 4)).isEqualTo("late");
    }

    @Test
    void aRingSizeNotAPowerOfTwoShouldBeRefused() {
        assertThatThrownBy(() -> new ReplyTargets(3)).hasMessageContaining("ringSize must be a power of two");
        assertThatThrownBy(() -> new ReplyTargets(0)).hasMessageContaining("ringSize must be a power of two");
    }
}
