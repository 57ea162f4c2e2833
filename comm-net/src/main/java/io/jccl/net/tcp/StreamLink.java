package io.jccl.net.tcp;

import io.jccl.transport.PeerLink;
import io.jccl.transport.TrackedLink;

/**
 * What the links of one (peer, stream) share whichever path carries their DATA ({@link TcpLink}, the shared-memory
 * link): the {@link PeerStream} that judges failure, whose tracker counts their sends and whose
 * {@link PeerStream#awaitSent} their waits use.
 *
 * <p>Threading: as {@link PeerLink}.
 */
public abstract class StreamLink extends TrackedLink {
    /** The (peer, stream) state this link sends and receives for. */
    protected final PeerStream state;

    /** A link of {@code state}. */
    protected StreamLink(PeerStream state) {
        super(state.peer(), state.tracker());
        this.state = state;
    }

    @Override
    public final void awaitSent(long ticket, long deadlineNanos) {
        state.awaitSent(ticket, deadlineNanos);
    }
}
