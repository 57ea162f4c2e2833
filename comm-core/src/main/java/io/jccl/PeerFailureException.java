package io.jccl;

/**
 * A peer is unreachable, closed its connection, sent something malformed, or called a different
 * collective. The communicator that saw it is broken: close it and create a new one.
 */
public class PeerFailureException extends JcclException {
    private static final long serialVersionUID = 1L;

    public PeerFailureException(String message) {
        super(message);
    }

    public PeerFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
