package io.jccl.net.tcp;

import io.jccl.net.wire.FrameDecoder;
import io.jccl.net.wire.Handshake;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/**
 * The pipeline of every rank-to-rank connection, accepted or made: congestion control ({@link TcpCongestion},
 * unless the system's), TLS ({@link Tls}, when set), the {@link FrameDecoder}, the {@link Handshake} and the
 * {@link PeerHandler}. Without TLS the event loop reads into one buffer of the connection's own
 * ({@link ReusedReadBuffer}), and on epoll a {@link SocketReader} lets the waiting rank read the socket itself.
 *
 * <p>One instance serves every accepted connection (the listener's); a connection this rank makes gets its own.
 * Threading: Netty calls it on the new channel's event loop.
 */
final class ChannelSetup extends ChannelInitializer<SocketChannel> {
    private final TcpConnections tcp;
    /** The peer this rank connects to, or null on the accepting side. */
    private final PeerConnection peer;

    /** @param peer the peer a connection is made to, or null for the listener's accepted connections */
    ChannelSetup(TcpConnections tcp, PeerConnection peer) {
        this.tcp = tcp;
        this.peer = peer;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        TcpCongestion congestion = tcp.congestion();
        if (congestion.setsAny()) {
            ch.pipeline().addLast(congestion);
        }
        Tls tls = tcp.tls();
        if (tls != null) {
            ch.pipeline().addLast((peer == null ? tls.server() : tls.client()).newHandler(ch.alloc()));
        }
        ch.pipeline().addLast(decoderFor(ch),
                new Handshake(tcp.key(), tcp.rank(), tcp.size(), peer == null ? -1 : peer.peer(), tcp.handshakeMillis()),
                new PeerHandler(tcp, peer));
    }

    /**
     * The first handler of a new connection after TLS: its {@link FrameDecoder}. Without TLS the event loop then
     * reads into one buffer of the connection's own ({@link ReusedReadBuffer}), which the decoder consumes whole.
     */
    private FrameDecoder decoderFor(Channel ch) {
        if (tcp.tls() == null) {
            ch.config().setRecvByteBufAllocator(new ReusedReadBuffer(ch.config().getRecvByteBufAllocator(), 256 * 1024));
        }
        return new FrameDecoder(tcp.received(), rankReader(ch));
    }

    /**
     * The {@link SocketReader} of a new connection, its allocator made to take the reader's lock; null with TLS
     * (bytes must pass the SslHandler), with NIO, or with {@code JCCL_TCP_SPIN_US=0}.
     */
    private SocketReader rankReader(Channel ch) {
        if (tcp.tls() != null || !tcp.rankReads()) {
            return null;
        }
        SocketReader r = SocketReader.create(ch);
        if (r != null) {
            ch.config().setRecvByteBufAllocator(r.locking(ch.config().getRecvByteBufAllocator()));
        }
        return r;
    }
}
