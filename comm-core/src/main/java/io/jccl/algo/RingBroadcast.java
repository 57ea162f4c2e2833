package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.mod;

/**
 * Pipelined ring (chain) broadcast, as NCCL's ring broadcast: the root sends segments to root+1, each
 * rank stores and forwards them to the next, and the last rank (root-1) only stores.
 *
 * <ul>
 *   <li>Steps: W-1 hops, pipelined by segments: time about (W-2+S) x (alpha + segment beta) for S
 *       segments, which tends to n beta for large n.</li>
 *   <li>Bytes on the wire per rank: count x elementSize received (the root: none) and as much sent (the
 *       last rank: none).</li>
 *   <li>Degenerate cases: W=1 or count 0 move nothing (out-of-place: the root copies).</li>
 * </ul>
 */
public final class RingBroadcast {
    private static final int PHASE = 1;

    private RingBroadcast() {
    }

    /**
     * Broadcasts {@code count} elements: the root's {@code src} lands in every rank's {@code dst} (the root
     * copies unless {@code src} is {@code dst}); {@code src} is read only at the root.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        int pos = mod(r - root, w);
        PeerLink next = pos < w - 1 ? ctx.link(mod(r + 1, w)) : null;
        PeerLink prev = pos > 0 ? ctx.link(mod(r - 1, w)) : null;
        Primitives chain = ctx.primitives(PHASE, prev, next);
        if (prev == null) {
            chain.send(0, src, 0, count);
            Steps.copy(ctx, src, 0, dst, 0, count);
        } else if (next != null) {
            chain.recvCopySend(0, 0, dst, 0, count);
        } else {
            chain.recv(0, dst, 0, count);
        }
        chain.awaitSent();
    }
}
