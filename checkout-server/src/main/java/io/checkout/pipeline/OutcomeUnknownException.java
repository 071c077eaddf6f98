package io.checkout.pipeline;

/**
 * The failure a command is answered with when whoever applies it did not say in time whether it
 * did (a replicated log without a leader, say). The command may yet be applied: a retry with the
 * same request id gets the first answer, never a second effect. The slot is not held for ever, so
 * a stalled log cannot keep callers waiting past a bound.
 */
public final class OutcomeUnknownException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message) {
        super(message, null, false, false);
    }
}
