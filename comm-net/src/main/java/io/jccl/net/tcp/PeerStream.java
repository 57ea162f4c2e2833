package io.jccl.net.tcp;

import io.jccl.PeerFailureException;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.SendTracker;

/**
 * What every link of one (peer, stream) shares, whichever path carries its DATA (TCP or shared memory): the inbox
 * received messages are matched in, the tracker of its sends, its name in messages, and why it is broken (the stream
 * aborted, the peer's connection lost). The TCP connection to the peer stays the judge of failure for both paths.
 *
 * <p>Thread-safe (the inbox and tracker are).
 */
public final class PeerStream {
    private final PeerConnection peer;
    private final StreamAborts aborts;
    private final long stream;
    private final Inbox inbox;
    private final SendTracker tracker;
    private final String what;

    /** The state of ({@code peer}, {@code stream}) on the transport of {@code tcp}. */
    public PeerStream(TcpConnections tcp, PeerConnection peer, long stream) {
        this.peer = peer;
        this.aborts = tcp.aborts();
        this.stream = stream;
        this.inbox = peer.inbox(stream);
        this.tracker = peer.tracker(stream);
        this.what = "rank=" + tcp.rank() + " peer=" + peer.peer() + " (" + tcp.describePeer(peer.peer()) + ")";
    }

    /** The peer's world rank. */
    public int peer() {
        return peer.peer();
    }

    /** The stream (communicator) id. */
    public long stream() {
        return stream;
    }

    /** Where this (peer, stream)'s messages wait to be received. */
    public Inbox inbox() {
        return inbox;
    }

    /** The tickets of this (peer, stream)'s sends. */
    public SendTracker tracker() {
        return tracker;
    }

    /** "rank=R peer=P (host:port)", for messages. */
    public String what() {
        return what;
    }

    /** Why this link cannot send now (stream aborted, peer lost), or null. */
    public RuntimeException broken() {
        String aborted = aborts.reason(stream);
        if (aborted != null) {
            return new PeerFailureException(aborted);
        }
        RuntimeException f = peer.failure();
        return f == null ? null : new PeerFailureException(what + ": " + f.getMessage(), f);
    }

    /**
     * Throws when a send of operation {@code h} must not start: the stream was aborted, or the peer is lost.
     *
     * @throws PeerFailureException with the abort's reason, or naming the peer and the operation
     */
    public void checkSend(OpHeader h) {
        String aborted = aborts.reason(stream);
        if (aborted != null) {
            throw new PeerFailureException(aborted);
        }
        RuntimeException f = peer.failure();
        if (f != null) {
            throw new PeerFailureException(what + ": cannot send " + h.describe() + ": " + f.getMessage(), f);
        }
    }

    /** As {@code PeerLink.awaitSent}; a failure of an aborted stream reports the abort's reason. */
    public void awaitSent(long ticket, long deadlineNanos) {
        try {
            tracker.await(ticket, deadlineNanos, what);
        } catch (PeerFailureException e) {
            String aborted = aborts.reason(stream);
            throw aborted != null ? new PeerFailureException(aborted, e) : e;
        }
    }
}
