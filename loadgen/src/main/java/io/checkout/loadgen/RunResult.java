package io.checkout.loadgen;

/**
 * What a run produced, before it is turned into a report.
 *
 * @param operationsSent every operation sent, warm-up included
 * @param setupSeconds time spent creating or reading the SKUs, not part of the run
 * @param sendingSeconds time from the first send to the last, warm-up included
 * @param measuredSeconds time from the end of warm-up to the last send
 * @param drained whether every call was answered before the audit
 * @param abuse {@code abuse}: the answers per class of user; null in the other scenarios
 * @param coupon {@code coupon}: the answers with and without the campaign, its redemptions and the
 *     campaign as the audit read it; null in the other scenarios
 */
record RunResult(
        RunSettings settings,
        String runId,
        long operationsSent,
        double setupSeconds,
        double sendingSeconds,
        double measuredSeconds,
        boolean drained,
        Measurements measurements,
        Timeline timeline,
        Ledger ledger,
        Audit audit,
        AbuseTally abuse,
        CouponTally coupon) {}
