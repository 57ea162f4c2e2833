package io.jccl;

/**
 * An operation did not complete before its deadline ({@code JCCL_TIMEOUT_MS}). The communicator is broken:
 * close it and create a new one.
 */
public class CommTimeoutException extends JcclException {
    private static final long serialVersionUID = 1L;

    public CommTimeoutException(String message) {
        super(message);
    }

    public CommTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
