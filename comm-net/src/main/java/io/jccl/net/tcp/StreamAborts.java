package io.jccl.net.tcp;

import io.jccl.PeerFailureException;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.Inbox;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Aborted streams: an abort fails every inbox of the stream on this rank, now and made later, and goes to every
 * connected peer as an ABORT frame (and to peers whose connection completes later), so that one rank's failure stops
 * the whole communicator at once. An ABORT heard from a peer is passed on the same way, with its first reason.
 *
 * <p>Thread-safe; never blocks (frames are queued on the connections' writers).
 */
public final class StreamAborts {
    private final TcpConnections tcp;
    /** Why each aborted stream was aborted, as this rank's waiters report it. */
    private final ConcurrentHashMap<Long, String> aborted = new ConcurrentHashMap<>();
    /** The reason sent on for each aborted stream, also to peers whose connection completes later. */
    private final ConcurrentHashMap<Long, String> reasons = new ConcurrentHashMap<>();

    StreamAborts(TcpConnections tcp) {
        this.tcp = tcp;
    }

    /**
     * True once any stream was aborted: {@link #reason} runs on every send, and until then one volatile read answers
     * it without boxing the stream id for a map lookup.
     */
    private volatile boolean anyAborted;

    /** Why {@code stream} was aborted, or null while it was not. */
    public String reason(long stream) {
        return anyAborted ? aborted.get(stream) : null;
    }

    /** As {@code Transport.abort}: fails the stream here and tells every connected peer, once per stream. */
    public void abort(long stream, String reason) {
        if (aborted.containsKey(stream)) {
            return;
        }
        failStream(stream, reason);
        sendAbort(stream, reason, -1);
    }

    /** An ABORT frame from {@code from}: fails the stream here and passes the reason on, once per stream. */
    void heard(long stream, String reason, int from) {
        if (!aborted.containsKey(stream)) {
            failStream(stream, Inbox.rootReason(reason) + " (heard from peer=" + from + " at "
                    + tcp.describePeer(from) + ")");
            // pass it on before anything else this rank sends, so that ranks not connected to the
            // origin learn the first reason rather than only that a connection closed
            sendAbort(stream, reason, from);
        }
    }

    /** A connection that just completed its handshake learns every abort so far. */
    void replayTo(Channel ch) {
        reasons.forEach((stream, reason) -> writeAbort(ch, stream, reason));
    }

    /** Fails every inbox of {@code stream}, now and created later. */
    private void failStream(long stream, String reason) {
        aborted.putIfAbsent(stream, reason);
        anyAborted = true;
        PeerFailureException cause = new PeerFailureException(reason);
        for (int p = 0; p < tcp.size(); p++) {
            Inbox box = tcp.peer(p).existingInbox(stream);
            if (box != null) {
                box.fail(cause);
            }
        }
    }

    /**
     * Sends ABORT for {@code stream} to every connected peer but {@code except}; connections that complete
     * their handshake later get it then.
     */
    private void sendAbort(long stream, String reason, int except) {
        reasons.putIfAbsent(stream, reason);
        for (int p = 0; p < tcp.size(); p++) {
            Channel ch = p == except ? null : tcp.peer(p).connected();
            if (ch != null && ch.isActive()) {
                writeAbort(ch, stream, reason);
            }
        }
    }

    private static void writeAbort(Channel ch, long stream, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, FrameDescriptor.MAX_CONTROL_PAYLOAD);
        ByteBuf out = ch.alloc().buffer(FrameDescriptor.HEADER_BYTES + n);
        FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_ABORT, n, stream, 0);
        out.writeBytes(r, 0, n);
        ChannelWriter.of(ch, TcpConnections.COPY_MAX_BYTES).writeControl(out);
    }
}
