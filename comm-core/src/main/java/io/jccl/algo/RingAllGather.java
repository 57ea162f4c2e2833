package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Ring all-gather (NCCL ring, Gloo {@code allgather_ring}): W-1 steps; in step s rank r sends block
 * (r-s) to r+1 and receives block (r-s-1) from r-1, segment by segment, forwarding each segment as soon
 * as it lands.
 *
 * <ul>
 *   <li>Cost: (W-1) alpha + (W-1)/W x n beta, n the output size in bytes.</li>
 *   <li>Bytes on the wire per rank: (W-1) x count x elementSize sent and received.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 moves nothing.</li>
 * </ul>
 */
public final class RingAllGather {
    private RingAllGather() {
    }

    /**
     * Gathers {@code count} elements from every rank: block b of {@code dst} (elements
     * {@code [b*count, (b+1)*count)}) receives rank b's input. {@code src} is this rank's input; for
     * in-place it is {@code dst} and the input is already in block r ({@code srcAt} = r x count).
     */
    public static void run(OpContext ctx, ByteBuffer src, long srcAt, ByteBuffer dst, long count) {
        int w = ctx.size();
        int r = ctx.rank();
        if (count == 0) {
            return;
        }
        Steps.copy(ctx, src, srcAt, dst, (long) r * count, count);
        if (w == 1) {
            return;
        }
        int se = ctx.segmentElements();
        PeerLink next = ctx.link(mod(r + 1, w));
        PeerLink prev = ctx.link(mod(r - 1, w));
        int ns = segments(count, se);
        for (int k = 0; k < ns; k++) {
            Steps.send(ctx, next, Steps.tag(1, 0, k), dst, (long) r * count + (long) k * se, segmentCount(count, se, k));
        }
        for (int s = 0; s < w - 1; s++) {
            long blockAt = (long) mod(r - s - 1, w) * count;
            for (int k = 0; k < ns; k++) {
                long at = blockAt + (long) k * se;
                int m = segmentCount(count, se, k);
                Steps.recvCopy(ctx, prev, Steps.tag(1, s, k), dst, at, m);
                if (s < w - 2) {
                    Steps.send(ctx, next, Steps.tag(1, s + 1, k), dst, at, m);
                }
            }
        }
        next.awaitSent(next.lastTicket(), ctx.deadlineNanos());
    }
}
