package io.jccl.net;

import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.Knob;
import io.jccl.PeerFailureException;
import io.jccl.net.auth.JobKey;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Progress;
import io.jccl.transport.Segment;
import io.jccl.transport.SendTracker;
import io.jccl.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The TCP transport: one Netty connection per pair of ranks that talk, shared by every stream
 * (communicator) between them. The higher rank of a pair connects to the lower one's listener and
 * introduces itself with a HELLO frame; connections are made on first use.
 *
 * <p>Sends wrap the caller's memory (no copy) and complete when Netty has written them to the socket.
 * Received frames are routed by (peer, stream) into {@link Inbox}es on the event loop, which never runs
 * algorithm code; a rank that starts to wait reads its socket itself for {@code JCCL_TCP_SPIN_US} first
 * ({@link SocketReader}). A lost connection fails every inbox and send of that peer with a
 * {@link PeerFailureException} naming it and its address.
 *
 * <p>Thread-safe as {@link Transport} requires.
 */
public final class NettyTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);
    /** Payloads up to this size are copied into the frame buffer; larger ones are sent from the caller's memory. */
    private static final int COPY_MAX_BYTES = 16 * 1024;
    /** How often a wait for a connection looks whether its stream was aborted meanwhile. */
    private static final long CONNECT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long a closed connection waits for an ABORT that explains it before failing its waiters. */
    private static final long CLOSE_GRACE_MILLIS = 250;
    /** How long close() waits for peers to close their side after ours is shut (see close()). */
    private static final long LINGER_MILLIS = 1_000;

    private final int rank;
    private final int size;
    private final EventLoopGroup group;
    private final NetIo io;
    private final Channel server;
    private final Peer[] peers;
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
    private final ConcurrentHashMap<Long, String> abortedStreams = new ConcurrentHashMap<>();
    /** The reason sent on for each aborted stream, also to peers whose connection completes later. */
    private final ConcurrentHashMap<Long, String> abortReasons = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Supplier<Progress>> progressSources = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CompletableFuture<Progress>[]> progressQueries = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** The shared-memory data path to peers on this host, or null (JCCL_TRANSPORT=tcp). */
    private volatile Shm shm;
    /**
     * Where every received DATA message is copied (TCP and shared memory): buffers kept for reuse up to 128 MiB and
     * the segment objects that carry them, so that steady traffic neither allocates nor faults in fresh pages.
     */
    private final CopiedSegment.Pool received = new CopiedSegment.Pool(new RecvBufferCache(128L << 20));
    private final java.util.List<AutoCloseable> alsoClose = new java.util.concurrent.CopyOnWriteArrayList<>();

    @SuppressWarnings("deprecation") // ChannelOption.RCVBUF_ALLOCATOR: deprecated in Netty 4.2, still how reads are sized
    private NettyTransport(int rank, int size, InetAddress bindAddress, int ioThreads, int socketBufferBytes, JobKey key,
                           long handshakeMillis, Tls tls) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new InvalidUsageException("rank=" + rank + " outside world of size=" + size);
        }
        this.rank = rank;
        this.size = size;
        this.key = key;
        this.handshakeMillis = handshakeMillis;
        this.tls = tls;
        this.io = NetIo.detect();
        this.group = io.newGroup(ioThreads, "jccl-io-rank" + rank);
        this.peers = new Peer[size];
        for (int p = 0; p < size; p++) {
            peers[p] = new Peer(p);
        }
        ServerBootstrap sb = new ServerBootstrap()
                .group(group)
                .channel(io.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 1 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (congestion.setsAny()) {
                            ch.pipeline().addLast(congestion);
                        }
                        if (NettyTransport.this.tls != null) {
                            ch.pipeline().addLast(NettyTransport.this.tls.server().newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(decoderFor(ch),
                                new Handshake(NettyTransport.this.key, rank, size, -1, handshakeMillis),
                                new PeerHandler(null));
                    }
                });
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

    /**
     * Starts the transport of {@code rank}: binds a listener on an ephemeral port of {@code bindAddress}.
     * Peers' addresses are given later with {@link #setPeerAddresses}.
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

    /**
     * The first handler of a new connection after TLS: its {@link FrameDecoder}. Without TLS the event loop then
     * reads into one buffer of the connection's own ({@link ReusedReadBuffer}), which the decoder consumes whole.
     */
    private FrameDecoder decoderFor(Channel ch) {
        if (tls == null) {
            ch.config().setRecvByteBufAllocator(new ReusedReadBuffer(ch.config().getRecvByteBufAllocator(), 256 * 1024));
        }
        return new FrameDecoder(received, rankReader(ch));
    }

    /**
     * The {@link SocketReader} of a new connection, its allocator made to take the reader's lock; null with TLS
     * (bytes must pass the SslHandler), with NIO, or with {@code JCCL_TCP_SPIN_US=0}.
     */
    private SocketReader rankReader(Channel ch) {
        if (tls != null || !rankReads) {
            return null;
        }
        SocketReader r = SocketReader.create(ch);
        if (r != null) {
            ch.config().setRecvByteBufAllocator(r.locking(ch.config().getRecvByteBufAllocator()));
        }
        return r;
    }

    /** The address and port this rank listens on. */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Name of the I/O implementation in use: "epoll" or "nio". */
    public String ioName() {
        return io.name();
    }

    /** Sets where every rank listens (index = rank); needed before the first {@link #link}. */
    public void setPeerAddresses(InetSocketAddress[] all) {
        if (all.length != size) {
            throw new InvalidUsageException("rank=" + rank + ": " + all.length + " addresses for world of size=" + size);
        }
        this.addresses = all.clone();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public String describePeer(int peer) {
        InetSocketAddress[] a = addresses;
        return a == null || a[peer] == null ? "unknown address" : a[peer].getHostString() + ":" + a[peer].getPort();
    }

    @Override
    public PeerLink link(int peer, long streamId, long deadlineNanos) {
        if (peer < 0 || peer >= size || peer == rank) {
            throw new InvalidUsageException("rank=" + rank + ": no link to peer=" + peer + " in world of size=" + size);
        }
        if (closed) {
            throw new PeerFailureException("rank=" + rank + ": transport is closed");
        }
        Peer p = peers[peer];
        Channel ch = p.channel(streamId, deadlineNanos);
        return p.links.computeIfAbsent(streamId, s -> new NetLink(p, ch, s));
    }

    /**
     * Sends DATA to the peers {@code shm} says share this host through shared memory, on links made from now on
     * (the rendezvous calls this before any link exists). Closed with this transport.
     */
    void enableShm(Shm s) {
        this.shm = s;
    }

    /** The buffers and segments received messages are copied into; {@link Shm} uses them too. */
    CopiedSegment.Pool receivedSegments() {
        return received;
    }

    @Override
    public String describe() {
        int shmPeers = 0;
        for (int p = 0; p < size; p++) {
            shmPeers += p != rank && usesShm(p) ? 1 : 0;
        }
        int others = size - 1;
        if (shmPeers == 0) {
            return "tcp" + tcpDetails();
        }
        return shmPeers == others ? "shm"
                : "shm to " + shmPeers + (shmPeers == 1 ? " peer" : " peers") + ", tcp to " + (others - shmPeers)
                        + tcpDetails();
    }

    /** How TCP runs here, e.g. " (epoll, ranks read 200 us)" or " (nio, tls)", for {@link #describe}. */
    private String tcpDetails() {
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

    /** True when DATA to {@code peer} goes through shared memory. */
    boolean usesShm(int peer) {
        Shm s = shm;
        return s != null && s.sameHost(peer);
    }

    /**
     * How long a rank that waits for a TCP message reads its socket itself before it sleeps on its inbox and leaves
     * the socket to the event loop (0, the start value: never). Set by the rendezvous from {@link Knob#TCP_SPIN_US}.
     */
    public void setRankReadNanos(long nanos) {
        this.rankReadNanos = Math.max(0, nanos);
    }

    /**
     * {bytes of the connection to {@code peer} that this rank's threads read themselves ({@link SocketReader}), of
     * those the bytes read straight into a payload's buffer}; for tests.
     */
    long[] rankReadBytes(int peer) {
        SocketReader r = socketReader(peer);
        return r == null ? new long[2] : r.rankBytes();
    }

    /** Times the event loop stopped watching the connection to {@code peer} while ranks read it; for tests. */
    long eventLoopPauses(int peer) {
        SocketReader r = socketReader(peer);
        return r == null ? 0 : r.pauses();
    }

    /** Resume timers started for the connection to {@code peer} ({@link SocketReader}); for tests. */
    long resumeTimers(int peer) {
        SocketReader r = socketReader(peer);
        return r == null ? 0 : r.resumeTimers();
    }

    /** What the transport's description says of congestion control; for tests. */
    String congestionDescription() {
        return congestion.describe();
    }

    /** The congestion control of the connection to {@code peer}, or null; for tests. */
    String congestionControl(int peer) {
        Channel ch = peers[peer].connected();
        return ch == null ? null : TcpCongestion.of(ch);
    }

    private SocketReader socketReader(int peer) {
        Channel ch = peers[peer].connected();
        return ch == null ? null : SocketReader.of(ch);
    }

    /** Registers a resource (the rendezvous store) to close together with this transport. */
    public void closeWith(AutoCloseable resource) {
        alsoClose.add(resource);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable c : alsoClose) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("rank={}: closing {}: {}", rank, c, e.toString());
            }
        }
        PeerFailureException cause = new PeerFailureException("rank=" + rank + " closed its transport");
        // Half-close first: every frame already queued (an ABORT above all) goes out before our FIN, and we keep
        // reading until the peer closes too. Closing a socket with unread input sends RST instead, and a peer
        // that receives RST loses whatever it had not read yet, the ABORT that explains the closure included.
        List<Channel> open = new ArrayList<>();
        for (Peer p : peers) {
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
        for (Peer p : peers) {
            p.inboxes.values().forEach(Inbox::drain);
        }
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Shm s = shm;
        if (s != null) {
            s.close();
        }
    }

    // ---------------------------------------------------------------- per peer

    private final class Peer {
        final int peer;
        final CompletableFuture<Channel> channel = new CompletableFuture<>();
        final ConcurrentHashMap<Long, Inbox> inboxes = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, SendTracker> trackers = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, NetLink> links = new ConcurrentHashMap<>();
        volatile RuntimeException failure;
        private boolean connecting;

        Peer(int peer) {
            this.peer = peer;
        }

        Inbox inbox(long stream) {
            Inbox box = inboxes.computeIfAbsent(stream, s -> new Inbox(rank, peer, describePeer(peer)));
            RuntimeException f = failure;
            if (f != null) {
                box.fail(f);
            }
            String aborted = abortedStreams.get(stream);
            if (aborted != null) {
                box.fail(new PeerFailureException(aborted));
            }
            return box;
        }

        SendTracker tracker(long stream) {
            SendTracker t = trackers.computeIfAbsent(stream, s -> new SendTracker());
            RuntimeException f = failure;
            if (f != null) {
                t.fail(f);
            }
            return t;
        }

        void fail(RuntimeException cause) {
            if (failure == null) {
                failure = cause;
            }
            inboxes.values().forEach(b -> b.fail(cause));
            trackers.values().forEach(t -> t.fail(cause));
            channel.completeExceptionally(cause);
        }

        /** The connection if it is up, else null. */
        Channel connected() {
            return channel.isDone() && !channel.isCompletedExceptionally() ? channel.join() : null;
        }

        /**
         * The connection, made now if this rank is the higher of the pair, else awaited until the deadline or until
         * {@code streamId} is aborted (a peer that died before connecting never will: the abort of the others must
         * end the wait, not the deadline).
         */
        Channel channel(long streamId, long deadlineNanos) {
            Channel ch = connected();
            if (ch != null) {
                return ch;
            }
            if (rank > peer) {
                synchronized (this) {
                    if (!connecting) {
                        connecting = true;
                        connect(deadlineNanos);
                    }
                }
            }
            try {
                while (true) {
                    String aborted = abortedStreams.get(streamId);
                    if (aborted != null) {
                        throw new PeerFailureException(aborted);
                    }
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException();
                    }
                    try {
                        return channel.get(Math.min(left, CONNECT_POLL_NANOS), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        // look at the abort again
                    }
                }
            } catch (TimeoutException e) {
                throw new CommTimeoutException("rank=" + rank + " timed out waiting for a connection "
                        + (rank > peer ? "to" : "from") + " peer=" + peer + " (" + describePeer(peer) + ")");
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof JcclException je ? je
                        : new PeerFailureException("rank=" + rank + " cannot connect to peer=" + peer + " ("
                        + describePeer(peer) + "): " + c, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JcclException("rank=" + rank + " interrupted connecting to peer=" + peer);
            }
        }

        @SuppressWarnings("deprecation") // ChannelOption.RCVBUF_ALLOCATOR, as in the constructor
        private void connect(long deadlineNanos) {
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
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (congestion.setsAny()) {
                                ch.pipeline().addLast(congestion);
                            }
                            if (tls != null) {
                                ch.pipeline().addLast(tls.client().newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast(decoderFor(ch),
                                    new Handshake(key, rank, size, peer, handshakeMillis), new PeerHandler(Peer.this));
                        }
                    });
            int sockBuf = (int) Knob.SOCKET_BUFFER_BYTES.getLong();
            if (sockBuf > 0) {
                b.option(ChannelOption.SO_SNDBUF, sockBuf).option(ChannelOption.SO_RCVBUF, sockBuf);
            }
            b.connect(a[peer]).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    fail(new PeerFailureException("rank=" + rank + " cannot connect to peer=" + peer + " ("
                            + describePeer(peer) + "): " + f.cause(), f.cause()));
                    return;
                }
                // the handshake completes the channel future (PeerHandler, on Authenticated)
            });
        }
    }

    /**
     * Inbound side of one connection after its {@link Handshake}: learns the peer, routes DATA frames to
     * inboxes, answers control frames, reports loss.
     */
    private final class PeerHandler extends ChannelInboundHandlerAdapter {
        private Peer peer;
        private final boolean connector;
        private boolean authenticated;
        private long lastStream = Long.MIN_VALUE;
        private Inbox lastInbox;

        PeerHandler(Peer peer) {
            this.peer = peer;
            this.connector = peer != null;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Handshake.Authenticated a) {
                Peer p = peers[a.rank()];
                if (!p.channel.complete(ctx.channel())) {
                    LOG.warn("rank={}: closing a second connection from rank={}", rank, a.rank());
                    ctx.close();
                    return;
                }
                peer = p;
                authenticated = true;
                FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
                decoder.allowData();
                SocketReader reader = SocketReader.of(ctx.channel());
                if (reader != null) {
                    // a rank's reads are decoded as the pipeline would and routed here, on the rank's thread
                    java.util.function.Consumer<Object> route = msg -> channelRead(ctx, msg);
                    reader.arm(decoder, route);
                }
                abortReasons.forEach((stream, reason) -> writeAbort(ctx.channel(), stream, reason));
            } else if (evt instanceof Handshake.Refused r && connector) {
                peer.fail(new PeerFailureException("rank=" + rank + ": handshake with peer=" + peer.peer + " ("
                        + describePeer(peer.peer) + ") failed: " + r.reason()));
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof CopiedSegment s) {
                if (s.stream() != lastStream) {
                    lastInbox = peer.inbox(s.stream());
                    lastStream = s.stream();
                }
                lastInbox.deliver(s);
            } else if (msg instanceof FrameDecoder.Control c) {
                try {
                    onControl(ctx, c);
                } finally {
                    c.payload().release();
                }
            } else {
                FrameDecoder.release(msg);
            }
        }

        private void onControl(ChannelHandlerContext ctx, FrameDecoder.Control c) {
            switch (c.type()) {
                case FrameDescriptor.TYPE_ABORT: {
                    String reason = c.payload().toString(StandardCharsets.UTF_8);
                    if (!abortedStreams.containsKey(c.stream())) {
                        failStream(c.stream(), Inbox.rootReason(reason) + " (heard from peer=" + peer.peer + " at "
                                + describePeer(peer.peer) + ")");
                        // pass it on before anything else this rank sends, so that ranks not connected to the
                        // origin learn the first reason rather than only that a connection closed
                        sendAbort(c.stream(), reason, peer.peer);
                    }
                    break;
                }
                case FrameDescriptor.TYPE_STATUS_REQUEST: {
                    Supplier<Progress> src = progressSources.get(c.stream());
                    Progress p = src == null ? new Progress(rank, 0, "has not created this communicator") : src.get();
                    byte[] what = p.what().getBytes(StandardCharsets.UTF_8);
                    int n = Math.min(what.length, FrameDescriptor.MAX_CONTROL_PAYLOAD);
                    ByteBuf out = ctx.alloc().buffer(FrameDescriptor.HEADER_BYTES + n);
                    FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_STATUS_REPLY, n, c.stream(), p.seq());
                    out.writeBytes(what, 0, n);
                    ChannelWriter.of(ctx.channel(), COPY_MAX_BYTES).writeControl(out);
                    break;
                }
                case FrameDescriptor.TYPE_STATUS_REPLY: {
                    CompletableFuture<Progress>[] waiting = progressQueries.get(c.stream());
                    if (waiting != null) {
                        waiting[peer.peer].complete(new Progress(peer.peer, c.seq(),
                                c.payload().toString(StandardCharsets.UTF_8)));
                    }
                    break;
                }
                default:
                    throw new CorruptedFrameException("unexpected control frame type "
                            + c.type() + " after the handshake");
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer != null && !closed && !authenticated) {
                peer.fail(new PeerFailureException("rank=" + rank + ": handshake with peer=" + peer.peer + " ("
                        + describePeer(peer.peer) + ") failed: it closed the connection (does it have the same"
                        + " JCCL_AUTH_KEY?)"));
            } else if (peer != null && !closed) {
                Peer p = peer;
                PeerFailureException lost = new PeerFailureException("rank=" + rank + ": connection to peer=" + p.peer
                        + " (" + describePeer(p.peer) + ") closed");
                // A peer that fails usually sends ABORT with its reason and closes; another peer may relay the
                // reason a moment later. Waiting briefly lets waiters report the first cause, not the closure.
                ctx.executor().schedule(() -> p.fail(lost), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String who = peer == null ? "unidentified connection from " + ctx.channel().remoteAddress()
                    : "peer=" + peer.peer + " (" + describePeer(peer.peer) + ")";
            if (ctx.channel().isOpen()) {
                LOG.warn("rank={}: closing {}: {}", rank, who, cause.toString());
            } else {
                LOG.debug("rank={}: {} (already closing): {}", rank, who, cause.toString()); // one warning per connection
            }
            if (peer != null && !closed) {
                peer.fail(new PeerFailureException("rank=" + rank + ": connection to " + who + " failed: " + cause, cause));
            }
            ctx.close();
        }
    }

    /** Fails every inbox of {@code stream}, now and created later. */
    private void failStream(long stream, String reason) {
        abortedStreams.putIfAbsent(stream, reason);
        PeerFailureException cause = new PeerFailureException(reason);
        for (Peer p : peers) {
            Inbox box = p.inboxes.get(stream);
            if (box != null) {
                box.fail(cause);
            }
        }
    }

    @Override
    public void abort(long streamId, String reason) {
        if (abortedStreams.containsKey(streamId)) {
            return;
        }
        failStream(streamId, reason);
        sendAbort(streamId, reason, -1);
    }

    /**
     * Sends ABORT for {@code streamId} to every connected peer but {@code except}; connections that complete
     * their handshake later get it then.
     */
    private void sendAbort(long streamId, String reason, int except) {
        abortReasons.putIfAbsent(streamId, reason);
        for (Peer p : peers) {
            Channel ch = p.peer == except ? null : p.connected();
            if (ch != null && ch.isActive()) {
                writeAbort(ch, streamId, reason);
            }
        }
    }

    private static void writeAbort(Channel ch, long streamId, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, FrameDescriptor.MAX_CONTROL_PAYLOAD);
        ByteBuf out = ch.alloc().buffer(FrameDescriptor.HEADER_BYTES + n);
        FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_ABORT, n, streamId, 0);
        out.writeBytes(r, 0, n);
        ChannelWriter.of(ch, COPY_MAX_BYTES).writeControl(out);
    }

    @Override
    public void setProgressSource(long streamId, Supplier<Progress> source) {
        progressSources.put(streamId, source);
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public List<Progress> queryProgress(long streamId, int[] ranks, long timeoutNanos) {
        CompletableFuture<Progress>[] waiting = new CompletableFuture[size];
        for (int i = 0; i < size; i++) {
            waiting[i] = new CompletableFuture<>();
        }
        progressQueries.put(streamId, waiting);
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            for (int r : ranks) {
                Channel ch = r == rank ? null : peers[r].connected();
                if (ch == null || !ch.isActive()) {
                    continue;
                }
                ByteBuf out = ch.alloc().buffer(FrameDescriptor.HEADER_BYTES);
                FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_STATUS_REQUEST, 0, streamId, 0);
                ChannelWriter.of(ch, COPY_MAX_BYTES).writeControl(out);
            }
            List<Progress> answers = new ArrayList<>();
            for (int r : ranks) {
                if (r == rank) {
                    continue;
                }
                try {
                    answers.add(waiting[r].get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException | ExecutionException e) {
                    // no answer: dead, frozen or never connected
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return answers;
        } finally {
            progressQueries.remove(streamId, waiting);
        }
    }

    /** One (peer, stream) link over the peer's shared connection. */
    private final class NetLink implements PeerLink {
        private final Peer peer;
        private final Channel channel;
        /** The connection's writer, looked up once here rather than per message. */
        private final ChannelWriter writer;
        private final long stream;
        private final Inbox inbox;
        private final SendTracker tracker;
        private final String what;
        /** The shared-memory path for DATA, or null for TCP. */
        private final Shm.Pipe pipe;
        /** Lets this rank read the connection itself while it waits, or null (the event loop reads). */
        private final SocketReader reader;

        NetLink(Peer peer, Channel channel, long stream) {
            this.peer = peer;
            this.channel = channel;
            this.writer = ChannelWriter.of(channel, COPY_MAX_BYTES);
            this.stream = stream;
            this.inbox = peer.inbox(stream);
            this.tracker = peer.tracker(stream);
            this.what = "rank=" + rank + " peer=" + peer.peer + " (" + describePeer(peer.peer) + ")";
            Shm s = shm;
            this.pipe = s != null && s.sameHost(peer.peer) ? s.pipe(peer.peer, stream, inbox, tracker, this::broken) : null;
            this.reader = SocketReader.of(channel);
        }

        /** Why this link cannot send now (stream aborted, peer lost), or null. */
        private RuntimeException broken() {
            String aborted = abortedStreams.get(stream);
            if (aborted != null) {
                return new PeerFailureException(aborted);
            }
            RuntimeException f = peer.failure;
            return f == null ? null : new PeerFailureException(what + ": " + f.getMessage(), f);
        }

        @Override
        public int peer() {
            return peer.peer;
        }

        @Override
        public long send(OpHeader h, long tag, ByteBuffer src, int offset, int length) {
            String aborted = abortedStreams.get(stream);
            if (aborted != null) {
                throw new PeerFailureException(aborted);
            }
            RuntimeException f = peer.failure;
            if (f != null) {
                throw new PeerFailureException(what + ": cannot send " + h.describe() + ": " + f.getMessage(), f);
            }
            if (pipe != null) {
                return pipe.send(h, tag, src, offset, length);
            }
            long ticket = tracker.issue();
            writer.writeData(h, stream, tag, src, offset, length, tracker, ticket, what);
            return ticket;
        }

        @Override
        public void awaitSent(long ticket, long deadlineNanos) {
            try {
                tracker.await(ticket, deadlineNanos, what);
            } catch (PeerFailureException e) {
                String aborted = abortedStreams.get(stream);
                throw aborted != null ? new PeerFailureException(aborted, e) : e;
            }
        }

        @Override
        public boolean isSent(long ticket) {
            return tracker.isComplete(ticket);
        }

        @Override
        public boolean quiesce(long deadlineNanos) {
            if (pipe != null) {
                RuntimeException b = broken();
                pipe.abandonPending(b != null ? b : new PeerFailureException(what + ": the operation failed"));
            }
            // frames already handed to the socket are read until written, or until the connection closes
            return tracker.awaitSettled(deadlineNanos);
        }

        @Override
        public long lastTicket() {
            return tracker.lastIssued();
        }

        @Override
        public Segment recv(OpHeader h, long tag, long deadlineNanos) {
            if (pipe != null) {
                return pipe.recv(h, tag, deadlineNanos);
            }
            long spin = rankReadNanos;
            if (reader == null || spin == 0) {
                return inbox.take(h, tag, deadlineNanos);
            }
            // read the socket ourselves for a while (never past the deadline): a message arriving now costs no wake-up
            long now = System.nanoTime();
            long spinEnd = now + Math.min(spin, Math.max(0, deadlineNanos - now));
            while (true) {
                Segment s = inbox.poll(h, tag);
                if (s != null) {
                    return s;
                }
                if (System.nanoTime() - spinEnd >= 0 || !reader.read()) {
                    reader.resumeEventLoop();
                    try {
                        return inbox.take(h, tag, deadlineNanos); // the event loop reads from here on
                    } finally {
                        reader.awake();
                    }
                }
                Thread.onSpinWait();
            }
        }
    }
}
