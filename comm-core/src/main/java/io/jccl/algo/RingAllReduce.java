package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.chunkCount;
import static io.jccl.algo.Partition.chunkOffset;
import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Ring all-reduce: a reduce-scatter followed by an all-gather around the ring r -> r+1 (Patarasuk and
 * Yuan, "Bandwidth optimal all-reduce algorithms for clusters of workstations", 2009; the algorithm of
 * NCCL's ring and Gloo's {@code allreduce_ring_chunked}).
 *
 * <ul>
 *   <li>Steps: 2(W-1). Reduce-scatter step s sends chunk (r-s) and reduces the received chunk (r-s-1)
 *       into the destination; after W-1 steps rank r owns the reduced chunk (r+1), divides it for AVG and
 *       the all-gather circulates the owned chunks for W-1 more steps.</li>
 *   <li>Each chunk travels as segments of {@code segmentBytes}; a segment is reduced as it arrives and
 *       forwarded at once, so the steps overlap.</li>
 *   <li>Bytes on the wire per rank: 2(W-1)/W x count x elementSize sent and as much received.
 *       Cost: 2(W-1) alpha + 2(W-1)/W n beta + (W-1)/W n gamma.</li>
 *   <li>Each element is reduced in ring order starting from its chunk's first sender, and every rank
 *       receives the same bits.</li>
 *   <li>Degenerate cases: W=1 copies the input; count 0 sends nothing; count &lt; W leaves some chunks
 *       empty (no messages for them).</li>
 * </ul>
 */
public final class RingAllReduce {
    private static final int PHASE_RS = 1;
    private static final int PHASE_AG = 2;

    private RingAllReduce() {
    }

    /**
     * Runs the all-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer for
     * in-place).
     */
    public static void run(OpContext ctx, ByteBuffer src, ByteBuffer dst, long count) {
        int w = ctx.size();
        int r = ctx.rank();
        if (count == 0) {
            return;
        }
        if (w == 1) {
            Steps.copy(ctx, src, 0, dst, 0, count);
            return;
        }
        int se = ctx.segmentElements();
        PeerLink next = ctx.link(mod(r + 1, w));
        PeerLink prev = ctx.link(mod(r - 1, w));
        long[] rsLastTicket = ctx.tickets(w);

        // reduce-scatter step 0: our own chunk r, straight from the input
        int c0 = r;
        long n0 = chunkCount(count, w, c0);
        long o0 = chunkOffset(count, w, c0);
        for (int k = 0, ns = segments(n0, se); k < ns; k++) {
            rsLastTicket[0] = Steps.send(ctx, next, Steps.tag(PHASE_RS, 0, k), src, o0 + (long) k * se,
                    segmentCount(n0, se, k));
        }
        for (int s = 0; s < w - 1; s++) {
            int c = mod(r - s - 1, w);
            long n = chunkCount(count, w, c);
            long o = chunkOffset(count, w, c);
            for (int k = 0, ns = segments(n, se); k < ns; k++) {
                long at = o + (long) k * se;
                int m = segmentCount(n, se, k);
                Steps.recvReduce(ctx, prev, Steps.tag(PHASE_RS, s, k), src, at, dst, at, m);
                if (s < w - 2) {
                    rsLastTicket[s + 1] = Steps.send(ctx, next, Steps.tag(PHASE_RS, s + 1, k), dst, at, m);
                } else {
                    Steps.finishAvg(ctx, dst, at, m);
                    Steps.send(ctx, next, Steps.tag(PHASE_AG, 0, k), dst, at, m);
                }
            }
        }
        // all-gather: step t receives chunk (r-t), which reduce-scatter step t sent: wait for that send
        for (int t = 0; t < w - 1; t++) {
            int c = mod(r - t, w);
            long n = chunkCount(count, w, c);
            long o = chunkOffset(count, w, c);
            if (rsLastTicket[t] > 0) {
                next.awaitSent(rsLastTicket[t], ctx.deadlineNanos());
            }
            for (int k = 0, ns = segments(n, se); k < ns; k++) {
                long at = o + (long) k * se;
                int m = segmentCount(n, se, k);
                Steps.recvCopy(ctx, prev, Steps.tag(PHASE_AG, t, k), dst, at, m);
                if (t < w - 2) {
                    Steps.send(ctx, next, Steps.tag(PHASE_AG, t + 1, k), dst, at, m);
                }
            }
        }
        next.awaitSent(next.lastTicket(), ctx.deadlineNanos());
    }
}
