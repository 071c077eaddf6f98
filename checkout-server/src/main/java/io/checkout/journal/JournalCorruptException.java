package io.checkout.journal;

/**
 * The log holds something that is not a good record and is not a torn tail either: damage in the
 * middle, a gap in the sequence, a file that is not ours. The server refuses to start on it.
 */
public final class JournalCorruptException extends RuntimeException {
    public JournalCorruptException(String message) {
        super(message);
    }
}
