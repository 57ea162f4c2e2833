package io.jccl.transport.local;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.transport.HostLayout;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import io.jccl.transport.SendTracker;
import io.jccl.transport.TrackedLink;
import io.jccl.transport.Transport;

import java.nio.ByteBuffer;

/**
 * In-process transport: ranks are threads of one JVM sharing a {@link LocalFabric}. A send hands the
 * receiver a view of the sender's memory (zero copy); the send completes when the receiver releases the
 * segment, so algorithms that overwrite memory still being sent show up as wrong results in tests.
 *
 * <p>Thread-safe as {@link Transport} requires.
 */
public final class LocalTransport implements Transport {
    private final LocalFabric fabric;
    private final int rank;
    private volatile boolean closed;

    LocalTransport(LocalFabric fabric, int rank) {
        this.fabric = fabric;
        this.rank = rank;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return fabric.size();
    }

    @Override
    public PeerLink link(int peer, long streamId, long deadlineNanos) {
        if (peer < 0 || peer >= fabric.size() || peer == rank) {
            throw new InvalidUsageException("rank=" + rank + ": no link to peer=" + peer + " in world of size="
                    + fabric.size());
        }
        if (closed) {
            throw new PeerFailureException("rank=" + rank + ": transport is closed");
        }
        return new Link(peer, fabric.inbox(peer, rank, streamId), fabric.inbox(rank, peer, streamId),
                fabric.tracker(rank, peer, streamId));
    }

    @Override
    public String describe() {
        HostLayout l = fabric.layout();
        return l.hosts() == 1 ? "in-process" : "in-process, fake " + l.describe();
    }

    @Override
    public HostLayout hostLayout() {
        return fabric.layout();
    }

    @Override
    public String describePeer(int peer) {
        return "thread rank-" + peer;
    }

    @Override
    public void setProgressSource(long streamId, java.util.function.Supplier<io.jccl.transport.Progress> source) {
        fabric.setProgress(rank, streamId, source);
    }

    @Override
    public java.util.List<io.jccl.transport.Progress> queryProgress(long streamId, int[] peers, long timeoutNanos) {
        java.util.List<io.jccl.transport.Progress> out = new java.util.ArrayList<>();
        for (int p : peers) {
            io.jccl.transport.Progress got = p == rank ? null : fabric.progress(p, streamId);
            if (got != null) {
                out.add(got);
            }
        }
        return out;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public void abort(long streamId, String reason) {
        fabric.failStream(streamId, new PeerFailureException(reason));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            fabric.failRank(rank, new PeerFailureException("rank=" + rank + " closed its transport"));
        }
    }

    private final class Link extends TrackedLink {
        private final Inbox outbound;
        private final Inbox inbound;
        /** Names the link in a timeout's message; made once, not per operation. */
        private final String who;

        Link(int peer, Inbox outbound, Inbox inbound, SendTracker tracker) {
            super(peer, tracker);
            this.who = "rank=" + rank + " peer=" + peer;
            this.outbound = outbound;
            this.inbound = inbound;
        }

        @Override
        public long send(OpHeader h, long tag, ByteBuffer src, int offset, int length) {
            long ticket = tracker.issue();
            outbound.deliver(new LocalSegment(h, tag, src, offset, length, tracker, ticket));
            return ticket;
        }

        @Override
        public void awaitSent(long ticket, long deadlineNanos) {
            tracker.await(ticket, deadlineNanos, who);
        }

        @Override
        public boolean quiesce(long deadlineNanos) {
            // segments the peer has not taken are given back; one it took is released when its reduction ends
            outbound.drain();
            return tracker.awaitSettled(deadlineNanos);
        }

        @Override
        public Segment recv(OpHeader h, long tag, long deadlineNanos) {
            return inbound.take(h, tag, deadlineNanos);
        }
    }

    /**
     * A view of the sender's memory under the sender's header. Releasing it completes the sender's send; a ticket
     * completed twice stays complete, so release is idempotent.
     */
    private record LocalSegment(OpHeader h, long tag, ByteBuffer buffer, int offset, int length, SendTracker tracker,
                                long ticket) implements Segment {
        @Override
        public long seq() {
            return h.seq();
        }

        @Override
        public Collective collective() {
            return h.collective();
        }

        @Override
        public DataType type() {
            return h.type();
        }

        @Override
        public ReduceOp op() {
            return h.op();
        }

        @Override
        public int root() {
            return h.root();
        }

        @Override
        public long count() {
            return h.count();
        }

        @Override
        public void release() {
            tracker.complete(ticket);
        }
    }
}
