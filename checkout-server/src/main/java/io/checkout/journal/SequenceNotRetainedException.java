package io.checkout.journal;

/** A reader asked for a sequence the log has already retired (or never had). */
public final class SequenceNotRetainedException extends RuntimeException {
    public SequenceNotRetainedException(String message) {
        super(message);
    }
}
