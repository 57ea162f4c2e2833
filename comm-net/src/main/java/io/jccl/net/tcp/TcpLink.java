package io.jccl.net.tcp;

import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import io.jccl.transport.WaitClock;
import io.netty.channel.Channel;

import java.nio.ByteBuffer;

/**
 * A (peer, stream) link whose DATA goes over the peer's TCP connection: sends write a frame through the
 * connection's {@link ChannelWriter} (the payload from the caller's memory), receives take from the link's inbox,
 * which the event loop fills, after reading the socket themselves for a while ({@link SocketReader}).
 *
 * <p>Threading: as {@link PeerLink}.
 */
public final class TcpLink extends StreamLink {
    private final TcpConnections tcp;
    private final long stream;
    private final Inbox inbox;
    private final String what;
    /** The connection's writer, looked up once here rather than per message. */
    private final ChannelWriter writer;
    /** Lets this rank read the connection itself while it waits, or null (the event loop reads). */
    private final SocketReader reader;

    /** The link of {@code state} over {@code channel}, the peer's authenticated connection. */
    public TcpLink(PeerStream state, Channel channel, TcpConnections tcp) {
        super(state);
        this.tcp = tcp;
        this.stream = state.stream();
        this.inbox = state.inbox();
        this.what = state.what();
        this.writer = ChannelWriter.of(channel, TcpConnections.COPY_MAX_BYTES);
        this.reader = SocketReader.of(channel);
    }

    @Override
    public long send(OpHeader h, long tag, ByteBuffer src, int offset, int length) {
        state.checkSend(h);
        long ticket = tracker.issue();
        writer.writeData(h, stream, tag, src, offset, length, tracker, ticket, what);
        return ticket;
    }

    @Override
    public boolean quiesce(long deadlineNanos) {
        // frames already handed to the socket are read until written, or until the connection closes
        return tracker.awaitSettled(deadlineNanos);
    }

    @Override
    public Segment recv(OpHeader h, long tag, long deadlineNanos) {
        long spin = tcp.rankReadNanos();
        if (reader == null || spin == 0) {
            return inbox.take(h, tag, deadlineNanos);
        }
        // read the socket ourselves for a while (never past the deadline): a message arriving now costs no wake-up
        long[] clock = WaitClock.cell(); // the flight recorder may end the operation at its last reading
        long now = System.nanoTime();
        clock[0] = now;
        long spinEnd = now + Math.min(spin, Math.max(0, deadlineNanos - now));
        while (true) {
            Segment s = inbox.poll(h, tag);
            if (s != null) {
                return s;
            }
            long t = System.nanoTime();
            clock[0] = t;
            if (t - spinEnd >= 0 || !reader.read()) {
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
