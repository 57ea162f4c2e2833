package io.jccl.net.tcp;

import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code dup(2)}, which {@link SocketReader} needs, and {@code setsockopt(2)} / {@code getsockopt(2)} for
 * {@link TcpCongestion}: calls Netty does not expose, through JNA direct mapping.
 *
 * <p>{@link #AVAILABLE} is false where the C library could not be bound; then no rank reads its sockets itself.
 * Stateless; thread-safe.
 */
final class Posix {
    private static final Logger LOG = LoggerFactory.getLogger(Posix.class);

    /** True when the call below is bound. */
    static final boolean AVAILABLE;

    static {
        boolean ok = false;
        try {
            Native.register(Posix.class, "c");
            ok = true;
        } catch (Throwable t) {
            LOG.debug("dup(2) not bound, sockets are read by the network threads only: {}", t.toString());
        }
        AVAILABLE = ok;
    }

    private Posix() {
    }

    /** {@code dup(2)}: a new descriptor of the same open file, or -1. */
    static native int dup(int fd);

    /** {@code setsockopt(2)}: 0, or -1. */
    static native int setsockopt(int fd, int level, int optname, byte[] optval, int optlen);

    /** {@code getsockopt(2)}: 0, or -1; {@code optlen[0]} in and out. */
    static native int getsockopt(int fd, int level, int optname, byte[] optval, int[] optlen);

    static final int IPPROTO_TCP = 6;
    static final int TCP_CONGESTION = 13;
}
