package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

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
    private RingBroadcast() {
    }

    /**
     * Broadcasts {@code count} elements: the root's {@code src} lands in every rank's {@code dst} (the root
     * copies unless {@code src} is {@code dst}); {@code src} is read only at the root.
     */
    public static void run(OpContext ctx, ByteBuffer src, ByteBuffer dst, long count, int root) {
        int w = ctx.size();
        int r = ctx.rank();
        if (count == 0) {
            return;
        }
        int pos = mod(r - root, w);
        int se = ctx.segmentElements();
        PeerLink next = pos < w - 1 ? ctx.link(mod(r + 1, w)) : null;
        PeerLink prev = pos > 0 ? ctx.link(mod(r - 1, w)) : null;
        for (int k = 0, ns = segments(count, se); k < ns; k++) {
            long at = (long) k * se;
            int m = segmentCount(count, se, k);
            long tag = Steps.tag(1, 0, k);
            if (prev == null) {
                if (next != null) {
                    Steps.send(ctx, next, tag, src, at, m);
                }
            } else {
                Steps.recvCopy(ctx, prev, tag, dst, at, m);
                if (next != null) {
                    Steps.send(ctx, next, tag, dst, at, m);
                }
            }
        }
        if (prev == null) {
            Steps.copy(ctx, src, 0, dst, 0, count);
        }
        if (next != null) {
            next.awaitSent(next.lastTicket(), ctx.deadlineNanos());
        }
    }
}
