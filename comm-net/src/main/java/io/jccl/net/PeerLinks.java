package io.jccl.net;

import io.jccl.net.shm.Shm;
import io.jccl.net.tcp.PeerConnection;
import io.jccl.net.tcp.PeerStream;
import io.jccl.net.tcp.TcpConnections;
import io.jccl.net.tcp.TcpLink;
import io.jccl.transport.PeerLink;
import io.netty.channel.Channel;

/**
 * Makes the link of each (peer, stream) and chooses its data path: shared memory ({@link io.jccl.net.shm.ShmLink})
 * to a peer that shares this host's /dev/shm, once the rendezvous enabled it, else the peer's TCP connection
 * ({@link TcpLink}). Either way the TCP connection carries the handshake, aborts and status queries.
 *
 * <p>Thread-safe.
 */
final class PeerLinks implements AutoCloseable {
    private final TcpConnections tcp;
    /** The shared-memory data path to peers on this host, or null (JCCL_TRANSPORT=tcp, or not enabled yet). */
    private volatile Shm shm;

    PeerLinks(TcpConnections tcp) {
        this.tcp = tcp;
    }

    /** From now on, links to the peers {@code s} says share this host use shared memory; closed with this. */
    void enableShm(Shm s) {
        this.shm = s;
    }

    /** True when DATA to {@code peer} goes through shared memory. */
    boolean usesShm(int peer) {
        Shm s = shm;
        return s != null && s.sameHost(peer);
    }

    /** The new link of ({@code p}, {@code stream}), whose TCP connection {@code channel} is up. */
    PeerLink create(PeerConnection p, Channel channel, long stream) {
        PeerStream state = new PeerStream(tcp, p, stream);
        Shm s = shm;
        return s != null && s.sameHost(p.peer()) ? s.link(state) : new TcpLink(state, channel, tcp);
    }

    /** Closes the shared-memory path, if any. */
    @Override
    public void close() {
        Shm s = shm;
        if (s != null) {
            s.close();
        }
    }
}
