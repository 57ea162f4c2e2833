package io.jccl.net.wire;

import io.jccl.net.auth.JobKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The opening of every rank-to-rank connection ({@link FrameDescriptor}: CHALLENGE, HELLO, WELCOME):
 * mutual HMAC proof of the job key over fresh nonces, and the connecting rank's identity. Until it
 * completes, any other frame closes the connection, so a process without the key can neither join nor
 * inject data. On success it fires {@link Authenticated} down the pipeline and removes itself; on failure
 * it logs the refusal, fires {@link Refused}, and closes.
 *
 * <p>Threading: runs on the channel's event loop.
 */
public final class Handshake extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Handshake.class);

    /** The peer proved the key; {@code rank} is its world rank. */
    public record Authenticated(int rank) {
    }

    /** The handshake failed; the connection is being closed. */
    public record Refused(String reason) {
    }

    private final JobKey key;
    private final int myRank;
    private final int worldSize;
    /** The rank we connect to, or -1 on the accepting side. */
    private final int expectedPeer;
    private final long timeoutMillis;
    private byte[] nonce;
    private ScheduledFuture<?> timer;
    private boolean done;

    public Handshake(JobKey key, int myRank, int worldSize, int expectedPeer, long timeoutMillis) {
        this.key = key;
        this.myRank = myRank;
        this.worldSize = worldSize;
        this.expectedPeer = expectedPeer;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> refuse(ctx, "handshake not completed within " + timeoutMillis + " ms"),
                timeoutMillis, TimeUnit.MILLISECONDS);
        if (expectedPeer < 0) {
            nonce = JobKey.nonce();
            ByteBuf out = ctx.alloc().buffer(FrameDescriptor.HEADER_BYTES + JobKey.BYTES);
            FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_CHALLENGE, JobKey.BYTES, 0, 0);
            out.writeBytes(nonce);
            ctx.writeAndFlush(out);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            FrameDecoder.release(msg);
            return;
        }
        try {
            if (!(msg instanceof FrameDecoder.Control c)) {
                refuse(ctx, "data before the handshake");
                return;
            }
            ByteBuf p = c.payload();
            if (expectedPeer < 0) {
                onHello(ctx, c.type(), p);
            } else if (c.type() == FrameDescriptor.TYPE_CHALLENGE && nonce == null) {
                onChallenge(ctx, p);
            } else {
                onWelcome(ctx, c.type(), p);
            }
        } finally {
            FrameDecoder.release(msg);
        }
    }

    /** Accepting side: check the connecting rank's proof, answer with ours. */
    private void onHello(ChannelHandlerContext ctx, int type, ByteBuf p) {
        if (type != FrameDescriptor.TYPE_HELLO || p.readableBytes() != 8 + 2 * JobKey.BYTES) {
            refuse(ctx, "expected HELLO, got frame type " + type);
            return;
        }
        int rank = p.readInt();
        int world = p.readInt();
        byte[] theirNonce = new byte[JobKey.BYTES];
        byte[] mac = new byte[JobKey.BYTES];
        p.readBytes(theirNonce).readBytes(mac);
        if (!key.verify(mac, "hello", nonce, JobKey.intBytes(rank), JobKey.intBytes(world), theirNonce)) {
            refuse(ctx, "authentication failed (wrong or missing JCCL_AUTH_KEY)");
            return;
        }
        if (world != worldSize || rank <= myRank || rank >= worldSize) {
            refuse(ctx, "HELLO from rank=" + rank + " worldSize=" + world + " does not fit rank=" + myRank
                    + " worldSize=" + worldSize);
            return;
        }
        ByteBuf out = ctx.alloc().buffer(FrameDescriptor.HEADER_BYTES + 4 + JobKey.BYTES);
        FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_WELCOME, 4 + JobKey.BYTES, 0, 0);
        out.writeInt(myRank);
        out.writeBytes(key.mac("welcome", theirNonce, JobKey.intBytes(myRank), JobKey.intBytes(rank)));
        ctx.writeAndFlush(out);
        succeed(ctx, rank);
    }

    /** Connecting side: prove the key over the acceptor's nonce. */
    private void onChallenge(ChannelHandlerContext ctx, ByteBuf p) {
        if (p.readableBytes() != JobKey.BYTES) {
            refuse(ctx, "malformed CHALLENGE");
            return;
        }
        byte[] theirNonce = new byte[JobKey.BYTES];
        p.readBytes(theirNonce);
        nonce = JobKey.nonce();
        ByteBuf out = ctx.alloc().buffer(FrameDescriptor.HEADER_BYTES + 8 + 2 * JobKey.BYTES);
        FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_HELLO, 8 + 2 * JobKey.BYTES, 0, 0);
        out.writeInt(myRank).writeInt(worldSize).writeBytes(nonce);
        out.writeBytes(key.mac("hello", theirNonce, JobKey.intBytes(myRank), JobKey.intBytes(worldSize), nonce));
        ctx.writeAndFlush(out);
    }

    /** Connecting side: check the acceptor's proof. */
    private void onWelcome(ChannelHandlerContext ctx, int type, ByteBuf p) {
        if (type != FrameDescriptor.TYPE_WELCOME || nonce == null || p.readableBytes() != 4 + JobKey.BYTES) {
            refuse(ctx, "expected WELCOME, got frame type " + type);
            return;
        }
        int rank = p.readInt();
        byte[] mac = new byte[JobKey.BYTES];
        p.readBytes(mac);
        if (rank != expectedPeer
                || !key.verify(mac, "welcome", nonce, JobKey.intBytes(rank), JobKey.intBytes(myRank))) {
            refuse(ctx, "peer did not prove the job key (wrong or missing JCCL_AUTH_KEY) or is not rank=" + expectedPeer);
            return;
        }
        succeed(ctx, rank);
    }

    private void succeed(ChannelHandlerContext ctx, int rank) {
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        ctx.pipeline().remove(this);
        ctx.fireUserEventTriggered(new Authenticated(rank));
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        LOG.warn("rank={} refused the connection {} {}: {}", myRank, expectedPeer < 0 ? "from" : "to",
                ctx.channel().remoteAddress(), reason);
        ctx.fireUserEventTriggered(new Refused(reason));
        ctx.close();
    }
}
