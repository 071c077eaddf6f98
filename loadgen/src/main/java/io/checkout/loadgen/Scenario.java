package io.checkout.loadgen;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.DiscreteSampler;
import org.apache.commons.rng.sampling.distribution.RejectionInversionZipfSampler;

/**
 * Which SKU and which buyer the next reserve is for. Called only by the sending thread, so its
 * random source needs no locking and a seed repeats the same sequence of choices.
 *
 * <p>{@code flash-sale}: a few hot SKUs chosen uniformly. {@code catalog}: many SKUs with Zipf
 * popularity, SKU 0 the most popular. Both draw buyers uniformly from a crowd of distinct users,
 * so a buyer who comes back meets the per-user limit. {@code empty-call} sends health checks only.
 */
final class Scenario {

    enum Kind {
        FLASH_SALE("flash-sale"),
        CATALOG("catalog"),
        /**
         * Reserves only, SKUs drawn uniformly, in the open model at a normal rate with a flash crowd
         * on top ({@link RunSettings.Crowd}); reported second by second.
         */
        FLASH_CROWD("flash-crowd"),
        /**
         * Not a sale: every operation is a {@code grpc.health.v1.Health/Check} on the same server,
         * the cheapest call it serves (no pipeline, no state), to measure the transport's limit.
         */
        EMPTY_CALL("empty-call");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.label.equals(text)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(
                    "--scenario must be flash-sale, catalog, flash-crowd or empty-call, got " + text);
        }
    }

    private final RunSettings settings;
    private final UniformRandomProvider random;
    private final DiscreteSampler skuSampler;
    private final String userPrefix;

    Scenario(RunSettings settings, UniformRandomProvider random, String runId) {
        this.settings = settings;
        this.random = random;
        // The Zipf sampler draws 1..n; rank 1 is the most popular.
        this.skuSampler = settings.scenario() == Kind.CATALOG
                ? RejectionInversionZipfSampler.of(random, settings.skus(), settings.zipfExponent())
                : () -> 1 + random.nextInt(settings.skus());
        this.userPrefix = "u-" + runId + "-";
    }

    String nextSkuId() {
        return settings.skuId(skuSampler.sample() - 1);
    }

    String nextUserId() {
        return userPrefix + random.nextInt(settings.users());
    }

    /** What the run does with a reserve once it is answered; drawn when the reserve is sent. */
    FollowUp nextFollowUp() {
        double draw = random.nextDouble();
        if (draw < settings.confirmRatio()) {
            return FollowUp.CONFIRM;
        }
        if (draw < settings.confirmRatio() + settings.cancelRatio()) {
            return FollowUp.CANCEL;
        }
        return FollowUp.NONE;
    }

    boolean nextRepeats() {
        return settings.repeatRatio() > 0 && random.nextDouble() < settings.repeatRatio();
    }

    boolean nextIsGet() {
        return settings.getRatio() > 0 && random.nextDouble() < settings.getRatio();
    }

    int nextIndex(int bound) {
        return random.nextInt(bound);
    }

    enum FollowUp {
        NONE,
        CONFIRM,
        CANCEL
    }
}
