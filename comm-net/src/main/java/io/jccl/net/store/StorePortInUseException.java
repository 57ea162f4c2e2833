package io.jccl.net.store;

import io.jccl.JcclException;

/** The rendezvous store could not bind its port because another process holds it. */
public final class StorePortInUseException extends JcclException {
    private static final long serialVersionUID = 1L;
    private final int port;

    public StorePortInUseException(int port, Throwable cause) {
        super("rendezvous store port " + port + " is already in use (MASTER_PORT): choose another port or stop "
                + "the process holding it", cause);
        this.port = port;
    }

    /** The port that was taken. */
    public int port() {
        return port;
    }
}
