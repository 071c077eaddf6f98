package io.checkout.client;

import io.checkout.contract.ContractLimits;
import io.checkout.proto.v1.ReserveRequest;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates and checks request ids, the idempotency keys of the checkout contract.
 *
 * <p>An id is {@code prefix + 16 hex digits of per-generator randomness + "-" + counter in hex}.
 * The counter makes ids unique within one generator without coordination; the random part keeps
 * two clients (or two runs of the same process) from colliding, since the server remembers ids
 * across restarts of its callers.
 */
final class RequestIds {

    /** Random part (16) + separator (1) + the longest possible counter (16). */
    private static final int GENERATED_SUFFIX_LENGTH_MAX = 16 + 1 + 16;

    /** Longest prefix that still leaves room for the generated part in every id. */
    static final int PREFIX_LENGTH_MAX = ContractLimits.ID_LENGTH_MAX - GENERATED_SUFFIX_LENGTH_MAX;

    private final String stem;
    private final AtomicLong counter = new AtomicLong();

    RequestIds(String prefix) {
        long random = new SecureRandom().nextLong();
        this.stem = prefix + String.format("%016x", random) + "-";
    }

    /** Returns a new id, different from every earlier one from this generator. */
    String next() {
        return stem + Long.toHexString(counter.getAndIncrement());
    }

    /**
     * {@code request} with a generated id if it has none, and {@code budgetMillis} as its budget if
     * it has none and {@code budgetMillis} is positive; the request itself when nothing is missing.
     */
    ReserveRequest complete(ReserveRequest request, int budgetMillis) {
        boolean needsId = request.getRequestId().isEmpty();
        boolean needsBudget = budgetMillis > 0 && request.getBudgetMillis() == 0;
        if (!needsId && !needsBudget) {
            return request;
        }
        ReserveRequest.Builder completed = request.toBuilder();
        if (needsId) {
            completed.setRequestId(next());
        }
        if (needsBudget) {
            completed.setBudgetMillis(budgetMillis);
        }
        return completed.build();
    }

    /** Whether {@code s} is 1..64 printable ASCII characters without spaces, as the contract requires. */
    static boolean isValid(String s) {
        return s != null && !s.isEmpty() && s.length() <= ContractLimits.ID_LENGTH_MAX && isPrintableAscii(s);
    }

    static boolean isPrintableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns {@code requestId} if it is valid.
     *
     * @throws IllegalArgumentException if it is null, empty, longer than 64 characters or not
     *     printable ASCII; an empty id in particular would make retries unsafe
     */
    static String requireValid(String requestId) {
        if (!isValid(requestId)) {
            throw new IllegalArgumentException("requestId must be 1.." + ContractLimits.ID_LENGTH_MAX
                    + " printable ASCII characters, got " + (requestId == null ? "null" : "\"" + requestId + "\""));
        }
        return requestId;
    }
}
