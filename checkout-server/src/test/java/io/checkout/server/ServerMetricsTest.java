package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerMetricsTest {
    /**
     * The warm-up's clock steps make its timer's max window rotate: the whole window at least once
     * in every four records (its max falls then, the records falling), besides the single steps.
     */
    @Test
    void theMaxRotationWarmUpShouldRotateTheWindow() {
        assertThat(ServerMetrics.warmUpMaxRotation())
                .isGreaterThanOrEqualTo(ServerMetrics.MAX_ROTATION_WARM_UP_RECORDS / 4 - 1);
    }
}
