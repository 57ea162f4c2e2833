package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

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
    private RingReduce() {
    }

    /** Reduces {@code count} elements of every rank's {@code src} into the root's {@code dst}. */
    public static void run(OpContext ctx, ByteBuffer src, ByteBuffer dst, long count, int root) {
        int w = ctx.size();
        int r = ctx.rank();
        if (count == 0) {
            return;
        }
        if (w == 1) {
            Steps.copy(ctx, src, 0, dst, 0, count);
            return;
        }
        int pos = mod(r - root - 1, w); // 0 = first sender (root+1), w-1 = root
        int se = ctx.segmentElements();
        PeerLink next = pos < w - 1 ? ctx.link(mod(r + 1, w)) : null;
        PeerLink prev = pos > 0 ? ctx.link(mod(r - 1, w)) : null;
        ByteBuffer out = next == null ? dst : (prev == null ? null : ctx.scratch(count * ctx.type().bytes()));
        for (int k = 0, ns = segments(count, se); k < ns; k++) {
            long at = (long) k * se;
            int m = segmentCount(count, se, k);
            long tag = Steps.tag(1, 0, k);
            if (prev == null) {
                Steps.send(ctx, next, tag, src, at, m);
                continue;
            }
            Steps.recvReduce(ctx, prev, tag, src, at, out, at, m);
            if (next != null) {
                Steps.send(ctx, next, tag, out, at, m);
            } else {
                Steps.finishAvg(ctx, out, at, m);
            }
        }
        if (next != null) {
            next.awaitSent(next.lastTicket(), ctx.deadlineNanos());
        }
    }
}
