package io.jccl;

/**
 * Base of every exception JCCL throws. The subclass says what to do:
 * <ul>
 *   <li>{@link InvalidUsageException}: a bug in the caller (bad argument, closed communicator); the
 *       communicator stays usable when the error was raised before any data moved.</li>
 *   <li>{@link PeerFailureException}: a peer is gone or misbehaved; the communicator is broken and must be
 *       recreated.</li>
 *   <li>{@link CommTimeoutException}: an operation passed its deadline; the communicator is broken.</li>
 * </ul>
 * Messages carry {@code name=value} pairs (rank, peer, op, seq) so that logs of all ranks can be joined.
 */
public class JcclException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JcclException(String message) {
        super(message);
    }

    public JcclException(String message, Throwable cause) {
        super(message, cause);
    }
}
