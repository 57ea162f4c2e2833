package io.jccl.net.tcp;

import io.jccl.net.wire.CopiedSegment;
import io.jccl.net.wire.FrameDecoder;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.net.wire.FrameSink;
import io.jccl.transport.Inbox;
import io.netty.channel.Channel;
import io.netty.handler.codec.CorruptedFrameException;

import java.nio.charset.StandardCharsets;

/**
 * Where the frames of one authenticated connection go, whoever decoded them: DATA into the inbox of its
 * (peer, stream), ABORT to {@link StreamAborts}, STATUS_REQUEST and STATUS_REPLY to {@link StatusQueries}. The
 * event loop reaches it through {@link PeerHandler}; a rank that reads its socket itself ({@link SocketReader})
 * delivers to it directly.
 *
 * <p>Threading: one decoding thread at a time (the connection's read lock orders the event loop and ranks); never
 * blocks. A control frame of an unknown type throws {@link CorruptedFrameException}, which closes the connection.
 */
final class FrameRouter implements FrameSink {
    private final TcpConnections tcp;
    private final PeerConnection peer;
    private final Channel channel;
    /** The stream of the last DATA frame and its inbox, looked up again only when the stream changes. */
    private long lastStream = Long.MIN_VALUE;
    private Inbox lastInbox;

    FrameRouter(TcpConnections tcp, PeerConnection peer, Channel channel) {
        this.tcp = tcp;
        this.peer = peer;
        this.channel = channel;
    }

    @Override
    public void onData(CopiedSegment s) {
        if (s.stream() != lastStream) {
            lastInbox = peer.inbox(s.stream());
            lastStream = s.stream();
        }
        lastInbox.deliver(s);
    }

    @Override
    public void onControl(FrameDecoder.Control c) {
        try {
            switch (c.type()) {
                case FrameDescriptor.TYPE_ABORT:
                    tcp.aborts().heard(c.stream(), c.payload().toString(StandardCharsets.UTF_8), peer.peer());
                    break;
                case FrameDescriptor.TYPE_STATUS_REQUEST:
                    tcp.status().answer(channel, c);
                    break;
                case FrameDescriptor.TYPE_STATUS_REPLY:
                    tcp.status().replied(peer.peer(), c);
                    break;
                default:
                    throw new CorruptedFrameException("unexpected control frame type " + c.type()
                            + " after the handshake");
            }
        } finally {
            c.payload().release();
        }
    }
}
