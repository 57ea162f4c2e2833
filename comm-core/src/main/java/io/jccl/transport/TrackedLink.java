package io.jccl.transport;

/**
 * The part of a {@link PeerLink} that every transport's link shares: the peer's rank and the {@link SendTracker}
 * of the link's sends, which answers {@link #isSent} and {@link #lastTicket}. A transport's link extends this and
 * adds how it sends, waits, quiesces and receives.
 *
 * <p>Threading: as {@link PeerLink}; the tracker is thread-safe.
 */
public abstract class TrackedLink implements PeerLink {
    /** The peer's rank in the transport (world rank). */
    protected final int peer;
    /** The tickets of this link's sends. */
    protected final SendTracker tracker;

    /** A link to world rank {@code peer} whose sends {@code tracker} counts. */
    protected TrackedLink(int peer, SendTracker tracker) {
        this.peer = peer;
        this.tracker = tracker;
    }

    @Override
    public final int peer() {
        return peer;
    }

    @Override
    public final boolean isSent(long ticket) {
        return tracker.isComplete(ticket);
    }

    @Override
    public final long lastTicket() {
        return tracker.lastIssued();
    }
}
