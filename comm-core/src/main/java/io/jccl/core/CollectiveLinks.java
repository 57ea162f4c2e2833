package io.jccl.core;

import io.jccl.algo.OpContext;
import io.jccl.buffer.HostBuffer;
import io.jccl.trace.CommTrace;
import io.jccl.transport.PeerLink;

import java.util.concurrent.TimeUnit;

/**
 * The links of a communicator's collective stream, made on first use, and the scratch buffer its algorithms
 * share: the {@link OpContext.Links} and {@link OpContext.Scratch} that every operation's context reads.
 *
 * <p>Threading: used by the one thread that runs the communicator's collectives; {@link #quiesce} by that thread
 * after a failure.
 */
final class CollectiveLinks implements OpContext.Links, OpContext.Scratch {
    private final CommGroup group;
    private final PeerLink[] links;
    private final CommTrace trace;
    private HostBuffer scratch;

    /** @param trace the flight recorder that the links report their transfers to, or null */
    CollectiveLinks(CommGroup group, CommTrace trace) {
        this.group = group;
        this.trace = trace;
        this.links = new PeerLink[group.size()];
    }

    @Override
    public PeerLink link(int commRank, long deadlineNanos) {
        PeerLink l = links[commRank];
        if (l == null) {
            l = group.transport().link(group.worldRank(commRank), group.id(), deadlineNanos);
            if (trace != null) {
                l = trace.wrap(l, commRank);
            }
            links[commRank] = l;
        }
        return l;
    }

    @Override
    public HostBuffer get(long bytes) {
        if (scratch == null || scratch.byteSize() < bytes) {
            long cap = scratch == null ? bytes : Math.max(bytes, Math.min(2 * scratch.byteSize(),
                    HostBuffer.MAX_VIEW_BYTES));
            scratch = HostBuffer.allocate(cap);
        }
        return scratch;
    }

    /**
     * After an operation that completed (no transport reads its memory any more): scratch above
     * {@link HostBuffer#MAX_VIEW_BYTES} is freed now rather than kept for the next operation, so that one reduce of
     * several GiB does not hold as much again for the communicator's life.
     */
    void trimScratch() {
        if (scratch != null && scratch.byteSize() > HostBuffer.MAX_VIEW_BYTES) {
            scratch.close();
            scratch = null;
        }
    }

    /**
     * After a failed operation (its stream aborted): waits up to {@code millis} until no link reads or writes
     * the operation's buffers any more.
     *
     * @return false when some link could not let go in time (a write queued to a peer that stopped reading)
     */
    boolean quiesce(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean quiet = true;
        for (PeerLink l : links) {
            if (l != null) {
                try {
                    quiet &= l.quiesce(deadline);
                } catch (RuntimeException e) {
                    quiet = false;
                }
            }
        }
        return quiet;
    }
}
