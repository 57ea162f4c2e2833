package io.jccl.transport;

import java.nio.ByteBuffer;

/**
 * A {@link PeerLink} that does what the link it wraps does: the base of links that watch another link's
 * transfers (recording, logging) and override only the methods they watch.
 *
 * <p>Threading: as the wrapped link.
 */
public abstract class ForwardingLink implements PeerLink {
    /** The link every call goes to. */
    protected final PeerLink link;

    /** Forwards every call to {@code link}. */
    protected ForwardingLink(PeerLink link) {
        this.link = link;
    }

    @Override
    public int peer() {
        return link.peer();
    }

    @Override
    public long send(OpHeader header, long tag, ByteBuffer src, int offset, int length) {
        return link.send(header, tag, src, offset, length);
    }

    @Override
    public void awaitSent(long ticket, long deadlineNanos) {
        link.awaitSent(ticket, deadlineNanos);
    }

    @Override
    public boolean isSent(long ticket) {
        return link.isSent(ticket);
    }

    @Override
    public long lastTicket() {
        return link.lastTicket();
    }

    @Override
    public boolean quiesce(long deadlineNanos) {
        return link.quiesce(deadlineNanos);
    }

    @Override
    public Segment recv(OpHeader header, long tag, long deadlineNanos) {
        return link.recv(header, tag, deadlineNanos);
    }
}
