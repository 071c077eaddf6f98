package io.checkout.loadgen;

import java.util.List;

/**
 * The audit's verdict: each check with what it compared. The run passes only if no check failed;
 * a check that could not be decided (say, exact stock figures after calls whose outcome is
 * unknown) is SKIPPED with the reason, never quietly counted as passed.
 */
record Audit(List<Check> checks, long ordersChecked, long skusChecked) {

    enum Verdict {
        PASS,
        FAIL,
        SKIPPED
    }

    record Check(String name, Verdict verdict, String detail) {}

    boolean passed() {
        return checks.stream().noneMatch(check -> check.verdict() == Verdict.FAIL);
    }
}
