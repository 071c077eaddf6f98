package io.checkout.loadgen;

import io.checkout.proto.v1.Sku;
import java.util.List;
import java.util.Map;

/**
 * The audit's verdict: each check with what it compared. The run passes only if no check failed;
 * a check that could not be decided (say, exact stock figures after calls whose outcome is
 * unknown) is SKIPPED with the reason, never quietly counted as passed. A WARN is a finding to
 * report that does not fail the run (say, a rule the load never reached).
 *
 * @param skus the run's SKUs as the audit read them, by id
 */
record Audit(List<Check> checks, long ordersChecked, long skusChecked, Map<String, Sku> skus) {

    enum Verdict {
        PASS,
        FAIL,
        SKIPPED,
        WARN
    }

    record Check(String name, Verdict verdict, String detail) {}

    boolean passed() {
        return checks.stream().noneMatch(check -> check.verdict() == Verdict.FAIL);
    }

    /** The same audit with {@code more} checks after its own. */
    Audit withChecks(List<Check> more) {
        List<Check> all = new java.util.ArrayList<>(checks);
        all.addAll(more);
        return new Audit(List.copyOf(all), ordersChecked, skusChecked, skus);
    }
}
