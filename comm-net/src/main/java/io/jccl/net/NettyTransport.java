package io.jccl.net;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.jccl.PeerFailureException;
import io.jccl.net.auth.JobKey;
import io.jccl.net.shm.Shm;
import io.jccl.net.tcp.PeerConnection;
import io.jccl.net.tcp.TcpConnections;
import io.jccl.net.tcp.Tls;
import io.jccl.net.wire.CopiedSegment;
import io.jccl.net.wire.RecvBufferCache;
import io.jccl.transport.HostLayout;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Progress;
import io.jccl.transport.Transport;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The transport across processes: one Netty TCP connection per pair of ranks that talk, shared by every stream
 * (communicator) between them, and shared memory for the DATA of peers on the same host once the rendezvous enables
 * it. The higher rank of a pair connects to the lower one's listener and introduces itself with a HELLO frame;
 * connections are made on first use.
 *
 * <p>This class wires the parts together: {@link TcpConnections} (listener, connections, aborts, status queries,
 * package {@code io.jccl.net.tcp}), {@link PeerLinks} (which data path each link takes: {@code io.jccl.net.shm} or
 * TCP), and the pool received messages are copied into ({@code io.jccl.net.wire}). Sends wrap the caller's memory
 * (no copy) and complete when the bytes left it. Received frames are routed by (peer, stream) into inboxes on the
 * event loop, which never runs algorithm code; a rank that starts to wait reads its socket itself for
 * {@code JCCL_TCP_SPIN_US} first. A lost connection fails every inbox and send of that peer with a
 * {@link PeerFailureException} naming it and its address.
 *
 * <p>Thread-safe as {@link Transport} requires.
 */
public final class NettyTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);

    /**
     * Where every received DATA message is copied (TCP and shared memory): buffers kept for reuse up to 128 MiB and
     * the segment objects that carry them, so that steady traffic neither allocates nor faults in fresh pages.
     */
    private final CopiedSegment.Pool received = new CopiedSegment.Pool(new RecvBufferCache(128L << 20));
    private final TcpConnections tcp;
    private final PeerLinks links;
    private final List<AutoCloseable> alsoClose = new CopyOnWriteArrayList<>();
    /** Which ranks share a host: one host until the rendezvous {@linkplain #setHostLayout sets} it. */
    private volatile HostLayout hosts;
    /** Why shared memory was refused on this host, or null. */
    private volatile String shmNote;

    private NettyTransport(int rank, int size, InetAddress bindAddress, int ioThreads, int socketBufferBytes, JobKey key,
                           long handshakeMillis, Tls tls) {
        this.tcp = new TcpConnections(rank, size, bindAddress, ioThreads, socketBufferBytes, key, handshakeMillis, tls,
                received);
        this.links = new PeerLinks(tcp);
    }

    /**
     * Starts the transport of {@code rank}: binds a listener on an ephemeral port of {@code bindAddress}.
     * Peers' addresses are given later with {@link #setPeerAddresses}.
     *
     * @throws InvalidUsageException when the rank is outside the world or a knob is invalid
     * @throws PeerFailureException  when the listener cannot bind
     */
    public static NettyTransport start(int rank, int size, InetAddress bindAddress) {
        return start(rank, size, bindAddress, JobKey.fromKnobs(), Knob.TIMEOUT_MS.getLong());
    }

    /**
     * As {@link #start(int, int, InetAddress)} with an explicit job key, and the deadline of each
     * connection's handshake in milliseconds.
     */
    public static NettyTransport start(int rank, int size, InetAddress bindAddress, JobKey key, long handshakeMillis) {
        return start(rank, size, bindAddress, key, handshakeMillis, Tls.fromKnobs());
    }

    /** As {@link #start(int, int, InetAddress, JobKey, long)} with TLS (null: none). */
    static NettyTransport start(int rank, int size, InetAddress bindAddress, JobKey key, long handshakeMillis, Tls tls) {
        return new NettyTransport(rank, size, bindAddress, (int) Knob.IO_THREADS.getLong(),
                (int) Knob.SOCKET_BUFFER_BYTES.getLong(), key, Math.max(1, handshakeMillis), tls);
    }

    /** The address and port this rank listens on. */
    public InetSocketAddress listenAddress() {
        return tcp.listenAddress();
    }

    /** Name of the I/O implementation in use: "epoll" or "nio". */
    public String ioName() {
        return tcp.ioName();
    }

    /**
     * Sets where every rank listens (index = rank); needed before the first {@link #link}.
     *
     * @throws InvalidUsageException when there is not one address per rank
     */
    public void setPeerAddresses(InetSocketAddress[] all) {
        tcp.setPeerAddresses(all);
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public int rank() {
        return tcp.rank();
    }

    @Override
    public int size() {
        return tcp.size();
    }

    @Override
    public String describePeer(int peer) {
        return tcp.describePeer(peer);
    }

    @Override
    public PeerLink link(int peer, long streamId, long deadlineNanos) {
        int rank = tcp.rank();
        int size = tcp.size();
        if (peer < 0 || peer >= size || peer == rank) {
            throw new InvalidUsageException("rank=" + rank + ": no link to peer=" + peer + " in world of size=" + size);
        }
        if (tcp.isClosed()) {
            throw new PeerFailureException("rank=" + rank + ": transport is closed");
        }
        PeerConnection p = tcp.peer(peer);
        Channel ch = p.channel(streamId, deadlineNanos);
        return p.links().computeIfAbsent(streamId, s -> links.create(p, ch, s));
    }

    /**
     * Sends DATA to the peers {@code shm} says share this host through shared memory, on links made from now on
     * (the rendezvous calls this before any link exists). Closed with this transport.
     */
    void enableShm(Shm s) {
        links.enableShm(s);
    }

    /** The buffers and segments received messages are copied into; {@link Shm} uses them too. */
    CopiedSegment.Pool receivedSegments() {
        return received;
    }

    /** The TCP side, for {@link io.jccl.net.tcp.TcpProbe} in tests. */
    TcpConnections tcp() {
        return tcp;
    }

    @Override
    public HostLayout hostLayout() {
        HostLayout h = hosts;
        return h != null ? h : HostLayout.singleHost(tcp.size());
    }

    /**
     * Sets which ranks share a host (the rendezvous, from the host identities it exchanged), before any link.
     *
     * @throws InvalidUsageException when the layout is not of this world's size
     */
    public void setHostLayout(HostLayout layout) {
        if (layout.size() != tcp.size()) {
            throw new InvalidUsageException("rank=" + tcp.rank() + ": host layout of " + layout.size()
                    + " ranks for world size=" + tcp.size());
        }
        this.hosts = layout;
    }

    /** Records why shared memory was refused on this host, for {@link #describe()} (null: it was not). */
    void setShmNote(String why) {
        this.shmNote = why;
    }

    /** The data path to {@code peer}: "shm", "tcp (same host)" or "tcp (other host)". */
    String pathTo(int peer) {
        if (links.usesShm(peer)) {
            return "shm";
        }
        String note = shmNote;
        return hostLayout().sameHost(tcp.rank(), peer) ? "tcp (same host" + (note != null ? "; no shm: " + note : "")
                + ")" : "tcp (other host)";
    }

    /**
     * As {@link Transport#describe()}, followed, once the rendezvous set them, by the hosts ("on 2 hosts x 2
     * ranks") and, when shared memory was refused on this host, why ("no shm: ...").
     */
    @Override
    public String describe() {
        int rank = tcp.rank();
        int size = tcp.size();
        int shmPeers = 0;
        for (int p = 0; p < size; p++) {
            shmPeers += p != rank && links.usesShm(p) ? 1 : 0;
        }
        int others = size - 1;
        String base;
        if (shmPeers == 0) {
            base = "tcp" + tcp.describe();
        } else {
            base = shmPeers == others ? "shm"
                    : "shm to " + shmPeers + (shmPeers == 1 ? " peer" : " peers") + ", tcp to " + (others - shmPeers)
                            + tcp.describe();
        }
        HostLayout h = hosts;
        String note = shmNote;
        if (h != null && h.hosts() > 1) {
            base += " on " + h.describe();
        }
        return note != null && !note.equals("no other rank on this host") ? base + ", no shm: " + note : base;
    }

    /**
     * How long a rank that waits for a TCP message reads its socket itself before it sleeps on its inbox and leaves
     * the socket to the event loop (0, the start value: never). Set by the rendezvous from {@link Knob#TCP_SPIN_US}.
     */
    public void setRankReadNanos(long nanos) {
        tcp.setRankReadNanos(nanos);
    }

    @Override
    public void abort(long streamId, String reason) {
        tcp.aborts().abort(streamId, reason);
    }

    @Override
    public void setProgressSource(long streamId, Supplier<Progress> source) {
        tcp.status().setSource(streamId, source);
    }

    @Override
    public List<Progress> queryProgress(long streamId, int[] ranks, long timeoutNanos) {
        return tcp.status().query(streamId, ranks, timeoutNanos);
    }

    /** Registers a resource (the rendezvous store) to close together with this transport. */
    public void closeWith(AutoCloseable resource) {
        alsoClose.add(resource);
    }

    @Override
    public void close() {
        if (!tcp.beginClose()) {
            return;
        }
        for (AutoCloseable c : alsoClose) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("rank={}: closing {}: {}", tcp.rank(), c, e.toString());
            }
        }
        tcp.close();
        links.close();
    }
}
