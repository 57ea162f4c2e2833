package io.jccl.net.tcp;

import io.jccl.PeerFailureException;
import io.jccl.net.wire.CopiedSegment;
import io.jccl.net.wire.FrameDecoder;
import io.jccl.net.wire.Handshake;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The last handler of a connection, after its {@link Handshake}: learns the peer when the handshake succeeds (and
 * lets the peer's rank read the socket itself from then on), hands every frame the event loop decodes to the
 * connection's {@link FrameRouter}, and turns a lost or failed connection into a failure of the peer.
 *
 * <p>Threading: the channel's event loop.
 */
final class PeerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(PeerHandler.class);
    /** How long a closed connection waits for an ABORT that explains it before failing its waiters. */
    private static final long CLOSE_GRACE_MILLIS = 250;

    private final TcpConnections tcp;
    private final boolean connector;
    /** The peer: known from the start on the connecting side, from the handshake on the accepting side. */
    private PeerConnection peer;
    private boolean authenticated;
    private FrameRouter router;

    /** @param peer the peer this rank connects to, or null on the accepting side */
    PeerHandler(TcpConnections tcp, PeerConnection peer) {
        this.tcp = tcp;
        this.peer = peer;
        this.connector = peer != null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Handshake.Authenticated a) {
            PeerConnection p = tcp.peer(a.rank());
            if (!p.authenticated(ctx.channel())) {
                LOG.warn("rank={}: closing a second connection from rank={}", tcp.rank(), a.rank());
                ctx.close();
                return;
            }
            peer = p;
            authenticated = true;
            router = new FrameRouter(tcp, p, ctx.channel());
            FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
            decoder.allowData();
            SocketReader reader = SocketReader.of(ctx.channel());
            if (reader != null) {
                // a rank's reads are decoded as the pipeline would and go to the same router, on the rank's thread
                reader.arm(decoder, router);
            }
            tcp.aborts().replayTo(ctx.channel());
        } else if (evt instanceof Handshake.Refused r && connector) {
            peer.fail(new PeerFailureException("rank=" + tcp.rank() + ": handshake with peer=" + peer.peer() + " ("
                    + tcp.describePeer(peer.peer()) + ") failed: " + r.reason()));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CopiedSegment s) {
            router.onData(s);
        } else if (msg instanceof FrameDecoder.Control c) {
            router.onControl(c);
        } else {
            FrameDecoder.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer != null && !tcp.isClosed() && !authenticated) {
            peer.fail(new PeerFailureException("rank=" + tcp.rank() + ": handshake with peer=" + peer.peer() + " ("
                    + tcp.describePeer(peer.peer()) + ") failed: it closed the connection (does it have the same"
                    + " JCCL_AUTH_KEY?)"));
        } else if (peer != null && !tcp.isClosed()) {
            PeerConnection p = peer;
            PeerFailureException lost = new PeerFailureException("rank=" + tcp.rank() + ": connection to peer="
                    + p.peer() + " (" + tcp.describePeer(p.peer()) + ") closed");
            // A peer that fails usually sends ABORT with its reason and closes; another peer may relay the
            // reason a moment later. Waiting briefly lets waiters report the first cause, not the closure.
            ctx.executor().schedule(() -> p.fail(lost), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String who = peer == null ? "unidentified connection from " + ctx.channel().remoteAddress()
                : "peer=" + peer.peer() + " (" + tcp.describePeer(peer.peer()) + ")";
        if (ctx.channel().isOpen()) {
            LOG.warn("rank={}: closing {}: {}", tcp.rank(), who, cause.toString());
        } else {
            LOG.debug("rank={}: {} (already closing): {}", tcp.rank(), who, cause.toString()); // one warning per connection
        }
        if (peer != null && !tcp.isClosed()) {
            peer.fail(new PeerFailureException("rank=" + tcp.rank() + ": connection to " + who + " failed: " + cause,
                    cause));
        }
        ctx.close();
    }
}
