package io.checkout.pipeline;

/**
 * The journal or the event log could not be written (a full disk, an I/O error). Nothing of the
 * batch being written, and nothing after it, is acknowledged: the engine keeps answering reads
 * from what it holds, and refuses every change until a restart recovers from the journal, which
 * holds everything that was acknowledged.
 */
public final class StorageFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StorageFailedException(String what, Throwable cause) {
        super(
                what + " could not be written (" + describe(cause) + "); nothing since is acknowledged and changes are"
                        + " refused, reads still work; restart the server once the disk is writable again: everything"
                        + " acknowledged is in the journal",
                cause);
    }

    private static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
