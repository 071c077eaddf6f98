package io.checkout.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static final long MS = 1_000_000L;

    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(500));

    @Test
    void backoffShouldDoubleFromInitialAndStayInTheUpperHalfOfItsCeiling() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(policy.backoffNanosAfter(1)).isBetween(5 * MS, 10 * MS);
            assertThat(policy.backoffNanosAfter(2)).isBetween(10 * MS, 20 * MS);
            assertThat(policy.backoffNanosAfter(4)).isBetween(40 * MS, 80 * MS);
        }
    }

    @Test
    void backoffShouldBeCappedByMaxBackoffEvenAfterManyAttempts() {
        for (int attempt = 7; attempt < 200; attempt++) {
            assertThat(policy.backoffNanosAfter(attempt)).isBetween(250 * MS, 500 * MS);
        }
    }

    @Test
    void backoffShouldBeJittered() {
        long first = policy.backoffNanosAfter(3);
        boolean varied = false;
        for (int i = 0; i < 100 && !varied; i++) {
            varied = policy.backoffNanosAfter(3) != first;
        }
        assertThat(varied).isTrue();
    }

    @Test
    void onlyUnavailableAndResourceExhaustedShouldBeRetried() {
        for (Status.Code code : Status.Code.values()) {
            boolean expected = code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
            assertThat(RetryPolicy.isRetryable(code.toStatus())).as(code.name()).isEqualTo(expected);
        }
    }

    @Test
    void retriesShouldStopAtMaxAttempts() {
        assertThat(policy.mayRetryAfter(4, Status.UNAVAILABLE)).isTrue();
        assertThat(policy.mayRetryAfter(5, Status.UNAVAILABLE)).isFalse();
        assertThat(policy.mayRetryAfter(1, Status.DEADLINE_EXCEEDED)).isFalse();
    }

    @Test
    void aRetryAfterHintShouldSetTheFloorOfTheBackOffStretchedByAtMostHalf() {
        for (int i = 0; i < 200; i++) {
            assertThat(policy.backoffNanosAfter(1, 100 * MS)).isBetween(100 * MS, 150 * MS);
        }
        // A hint shorter than the exponential back-off does not shorten it.
        for (int i = 0; i < 200; i++) {
            assertThat(policy.backoffNanosAfter(10, MS)).isBetween(250 * MS, 500 * MS);
        }
    }
}
