package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.mod;

/**
 * Pipelined chain reduce toward the root, as NCCL's ring reduce: rank root+1 sends its input, each
 * following rank reduces the received segment with its own input and forwards it, and the root reduces
 * the last one into its destination.
 *
 * <ul>
 *   <li>Steps: W-1 hops, pipelined by segments: about (W-2+S) x (alpha + segment (beta + gamma)).</li>
 *   <li>Bytes on the wire per rank: count x elementSize sent (the root: none) and received (root+1: none).</li>
 *   <li>Element order: x[root+1] op x[root+2] op ... op x[root], the same on every run.</li>
 *   <li>Only the root's destination is written; other ranks reduce into communicator scratch memory.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 moves nothing.</li>
 * </ul>
 */
public final class RingReduce {
    private static final int PHASE = 1;

    private RingReduce() {
    }

    /** Reduces {@code count} elements of every rank's {@code src} into the root's {@code dst}. */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        int pos = mod(r - root - 1, w); // 0 = first sender (root+1), w-1 = root
        PeerLink next = pos < w - 1 ? ctx.link(mod(r + 1, w)) : null;
        PeerLink prev = pos > 0 ? ctx.link(mod(r - 1, w)) : null;
        Primitives chain = ctx.primitives(PHASE, prev, next);
        if (prev == null) {
            chain.send(0, src, 0, count);
        } else if (next != null) {
            chain.recvReduceSend(0, 0, src, ctx.scratch(count * ctx.type().bytes()), 0, count);
        } else {
            chain.recvReduce(0, src, 0, dst, 0, count, true);
        }
        chain.awaitSent();
    }
}
