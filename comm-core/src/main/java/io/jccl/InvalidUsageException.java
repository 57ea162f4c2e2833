package io.jccl;

/**
 * The caller passed something JCCL cannot use: a null or too-small buffer, a root out of range, a closed
 * communicator, concurrent use from two threads. Thrown before any data moves, so the communicator stays
 * usable (except after {@code close()}).
 */
public class InvalidUsageException extends JcclException {
    private static final long serialVersionUID = 1L;

    public InvalidUsageException(String message) {
        super(message);
    }
}
