package io.jccl.net.tcp;

import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.Knob;
import io.jccl.PeerFailureException;
import io.jccl.net.auth.JobKey;
import io.jccl.net.launch.SpinKnob;
import io.jccl.net.wire.CopiedSegment;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The TCP side of a rank: its listener, its event loops, one {@link PeerConnection} per peer (made on first use,
 * the higher rank of a pair connecting), and the state the connections share: {@link StreamAborts},
 * {@link StatusQueries}, the pool that received payloads are copied into, and how long a waiting rank reads its
 * socket itself ({@link #setRankReadNanos}).
 *
 * <p>Thread-safe. {@link #close} once, after {@link #beginClose}.
 */
public final class TcpConnections {
    private static final Logger LOG = LoggerFactory.getLogger(TcpConnections.class);
    /** Payloads up to this size are copied into the frame buffer; larger ones are sent from the caller's memory. */
    static final int COPY_MAX_BYTES = 16 * 1024;
    /** How long close() waits for peers to close their side after ours is shut (see close()). */
    private static final long LINGER_MILLIS = 1_000;

    private final int rank;
    private final int size;
    private final EventLoopGroup group;
    private final NetIo io;
    private final Channel server;
    private final PeerConnection[] peers;
    private volatile InetSocketAddress[] addresses;
    private final JobKey key;
    private final long handshakeMillis;
    private final Tls tls;
    /** {@link Knob#TCP_SPIN_US} is not 0: connections get a {@link SocketReader} (read when the transport starts). */
    private final boolean rankReads = SpinKnob.setting(Knob.TCP_SPIN_US) != 0;
    /** Sets each connection's congestion control ({@link Knob#TCP_CONGESTION}), unless {@code system}. */
    private final TcpCongestion congestion = TcpCongestion.fromKnob();
    /** How long a rank that waits for a TCP message reads its socket itself ({@link #setRankReadNanos}). */
    private volatile long rankReadNanos;
    private volatile boolean closed;
    /** Where every received DATA message is copied (shared with the shared-memory path). */
    private final CopiedSegment.Pool received;
    private final StreamAborts aborts = new StreamAborts(this);
    private final StatusQueries status = new StatusQueries(this);

    /**
     * Binds the listener of {@code rank} on an ephemeral port of {@code bindAddress}.
     *
     * @param socketBufferBytes SO_SNDBUF and SO_RCVBUF of every connection, or 0 for the system's
     * @param handshakeMillis   the deadline of each connection's handshake
     * @param tls               TLS on every connection, or null
     * @param received          where received DATA payloads are copied
     * @throws InvalidUsageException when the rank is outside the world
     * @throws PeerFailureException  when the listener cannot bind
     */
    @SuppressWarnings("deprecation") // ChannelOption.RCVBUF_ALLOCATOR: deprecated in Netty 4.2, still how reads are sized
    public TcpConnections(int rank, int size, InetAddress bindAddress, int ioThreads, int socketBufferBytes, JobKey key,
                          long handshakeMillis, Tls tls, CopiedSegment.Pool received) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new InvalidUsageException("rank=" + rank + " outside world of size=" + size);
        }
        this.rank = rank;
        this.size = size;
        this.key = key;
        this.handshakeMillis = handshakeMillis;
        this.tls = tls;
        this.received = received;
        this.io = NetIo.detect();
        this.group = io.newGroup(ioThreads, "jccl-io-rank" + rank);
        this.peers = new PeerConnection[size];
        for (int p = 0; p < size; p++) {
            peers[p] = new PeerConnection(this, p);
        }
        ServerBootstrap sb = new ServerBootstrap()
                .group(group)
                .channel(io.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 1 << 20))
                .childHandler(new ChannelSetup(this, null));
        if (socketBufferBytes > 0) {
            sb.childOption(ChannelOption.SO_SNDBUF, socketBufferBytes).childOption(ChannelOption.SO_RCVBUF, socketBufferBytes);
        }
        try {
            this.server = sb.bind(new InetSocketAddress(bindAddress, 0)).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new JcclException("rank=" + rank + " interrupted binding its listener");
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new PeerFailureException("rank=" + rank + " cannot listen on " + bindAddress.getHostAddress() + ": " + e, e);
        }
        LOG.debug("rank={} listening on {} ({})", rank, server.localAddress(), io.name());
    }

    /** This rank. */
    public int rank() {
        return rank;
    }

    /** The world size. */
    public int size() {
        return size;
    }

    /** The connection to {@code p} (made or not). */
    public PeerConnection peer(int p) {
        return peers[p];
    }

    /** The aborted streams of this rank. */
    public StreamAborts aborts() {
        return aborts;
    }

    /** The progress sources and queries of this rank. */
    public StatusQueries status() {
        return status;
    }

    /** Where received DATA payloads are copied. */
    CopiedSegment.Pool received() {
        return received;
    }

    JobKey key() {
        return key;
    }

    long handshakeMillis() {
        return handshakeMillis;
    }

    Tls tls() {
        return tls;
    }

    boolean rankReads() {
        return rankReads;
    }

    TcpCongestion congestion() {
        return congestion;
    }

    /** True once the transport started to close: a connection that goes then fails nobody. */
    public boolean isClosed() {
        return closed;
    }

    /** The address and port this rank listens on. */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Name of the I/O implementation in use: "epoll", "epoll-busy-poll" or "nio". */
    public String ioName() {
        return io.name();
    }

    /**
     * Sets where every rank listens (index = rank); needed before the first connection.
     *
     * @throws InvalidUsageException when there is not one address per rank
     */
    public void setPeerAddresses(InetSocketAddress[] all) {
        if (all.length != size) {
            throw new InvalidUsageException("rank=" + rank + ": " + all.length + " addresses for world of size=" + size);
        }
        this.addresses = all.clone();
    }

    /** Where {@code peer} listens, "host:port", for messages. */
    public String describePeer(int peer) {
        InetSocketAddress[] a = addresses;
        return a == null || a[peer] == null ? "unknown address" : a[peer].getHostString() + ":" + a[peer].getPort();
    }

    /** How long a waiting rank reads its socket itself before it sleeps on its inbox (nanoseconds; 0: never). */
    public long rankReadNanos() {
        return rankReadNanos;
    }

    /** Sets {@link #rankReadNanos()} (negative: 0). */
    public void setRankReadNanos(long nanos) {
        this.rankReadNanos = Math.max(0, nanos);
    }

    /** How TCP runs here, e.g. " (epoll, ranks read 200 us, ...)" or " (nio, tls)", for the transport's description. */
    public String describe() {
        StringBuilder d = new StringBuilder(" (").append(ioName());
        if (tls != null) {
            d.append(", tls");
        }
        long read = rankReadNanos;
        if (rankReads && read > 0 && tls == null && "epoll".equals(ioName()) && Posix.AVAILABLE) {
            d.append(", ranks read ").append(read / 1000).append(" us");
        }
        if ("epoll".equals(ioName()) && Posix.AVAILABLE) {
            d.append(", ").append(congestion.describe());
        }
        return d.append(')').toString();
    }

    /** Connects to {@code p} (this rank is the higher of the pair); the handshake completes its connection. */
    @SuppressWarnings("deprecation") // ChannelOption.RCVBUF_ALLOCATOR, as in the constructor
    void connect(PeerConnection p, long deadlineNanos) {
        int peer = p.peer();
        InetSocketAddress[] a = addresses;
        if (a == null || a[peer] == null) {
            throw new InvalidUsageException("rank=" + rank + ": address of peer=" + peer + " unknown (rendezvous not done)");
        }
        long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(io.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, leftMs))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 1 << 20))
                .handler(new ChannelSetup(this, p));
        int sockBuf = (int) Knob.SOCKET_BUFFER_BYTES.getLong();
        if (sockBuf > 0) {
            b.option(ChannelOption.SO_SNDBUF, sockBuf).option(ChannelOption.SO_RCVBUF, sockBuf);
        }
        b.connect(a[peer]).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                p.fail(new PeerFailureException("rank=" + rank + " cannot connect to peer=" + peer + " ("
                        + describePeer(peer) + "): " + f.cause(), f.cause()));
                return;
            }
            // the handshake completes the connection (PeerHandler, on Authenticated)
        });
    }

    /** Marks the connections closing (a connection lost from now on fails nobody); false when it was already. */
    public boolean beginClose() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /**
     * Fails every peer's waiters, shuts every connection and waits up to a second for peers to close theirs, then
     * stops the listener and the event loops.
     */
    public void close() {
        PeerFailureException cause = new PeerFailureException("rank=" + rank + " closed its transport");
        // Half-close first: every frame already queued (an ABORT above all) goes out before our FIN, and we keep
        // reading until the peer closes too. Closing a socket with unread input sends RST instead, and a peer
        // that receives RST loses whatever it had not read yet, the ABORT that explains the closure included.
        List<Channel> open = new ArrayList<>();
        for (PeerConnection p : peers) {
            Channel ch = p.connected();
            p.fail(cause);
            if (ch != null && ch.isActive()) {
                open.add(ch);
                if (ch instanceof DuplexChannel d) {
                    d.shutdownOutput();
                } else {
                    ch.close();
                }
            }
        }
        long lingerEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS);
        for (Channel ch : open) {
            ch.closeFuture().awaitUninterruptibly(Math.max(0, lingerEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
            ch.close();
        }
        for (PeerConnection p : peers) {
            p.drainInboxes();
        }
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
