package io.checkout.client;

import static org.assertj.core.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for events in tests, without sleeping for a fixed time. */
final class Await {

    private Await() {}

    /** Polls until {@code condition} holds; fails after 10 s, a bound that only a hang reaches. */
    static void awaitTrue(BooleanSupplier condition) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0) {
                fail("condition not met within 10 s");
            }
            Thread.yield();
        }
    }
}
