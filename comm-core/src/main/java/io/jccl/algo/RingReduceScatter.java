package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Ring reduce-scatter (the first half of ring all-reduce, NCCL ring): W-1 steps; in step s rank r sends
 * partial block (r-s-1) to r+1 and reduces the received block (r-s-2) with its own input, so that after
 * the last step it holds the fully reduced block r.
 *
 * <ul>
 *   <li>Cost: (W-1) alpha + (W-1)/W x n beta + (W-1)/W x n gamma, n the input size in bytes.</li>
 *   <li>Bytes on the wire per rank: (W-1) x count x elementSize sent and received.</li>
 *   <li>Partial results live in a workspace: the input itself for in-place, else communicator scratch.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 moves nothing.</li>
 * </ul>
 */
public final class RingReduceScatter {
    private RingReduceScatter() {
    }

    /**
     * Reduces block b (elements {@code [b*count, (b+1)*count)}) of every rank's {@code src} into rank b's
     * {@code dst} at element {@code dstAt}. In-place: {@code dst} is {@code src} and {@code dstAt} = r x count.
     */
    public static void run(OpContext ctx, ByteBuffer src, ByteBuffer dst, long dstAt, long count) {
        int w = ctx.size();
        int r = ctx.rank();
        if (count == 0) {
            return;
        }
        if (w == 1) {
            Steps.copy(ctx, src, 0, dst, dstAt, count);
            Steps.finishAvg(ctx, dst, dstAt, (int) count);
            return;
        }
        boolean inPlace = src == dst;
        ByteBuffer work = inPlace ? src : ctx.scratch((long) w * count * ctx.type().bytes());
        int se = ctx.segmentElements();
        int ns = segments(count, se);
        PeerLink next = ctx.link(mod(r + 1, w));
        PeerLink prev = ctx.link(mod(r - 1, w));
        long firstAt = (long) mod(r - 1, w) * count;
        for (int k = 0; k < ns; k++) {
            Steps.send(ctx, next, Steps.tag(1, 0, k), src, firstAt + (long) k * se, segmentCount(count, se, k));
        }
        for (int s = 0; s < w - 1; s++) {
            long blockAt = (long) mod(r - s - 2, w) * count;
            boolean last = s == w - 2;
            for (int k = 0; k < ns; k++) {
                long at = blockAt + (long) k * se;
                int m = segmentCount(count, se, k);
                if (last) {
                    long out = dstAt + (long) k * se;
                    Steps.recvReduce(ctx, prev, Steps.tag(1, s, k), src, at, dst, out, m);
                    Steps.finishAvg(ctx, dst, out, m);
                } else {
                    Steps.recvReduce(ctx, prev, Steps.tag(1, s, k), src, at, work, at, m);
                    Steps.send(ctx, next, Steps.tag(1, s + 1, k), work, at, m);
                }
            }
        }
        next.awaitSent(next.lastTicket(), ctx.deadlineNanos());
    }
}
