package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Recursive-doubling all-reduce for small messages (MPICH's {@code MPIR_Allreduce_intra_recursive_doubling};
 * Thakur, Rabenseifner and Gropp, "Optimization of collective communication operations in MPICH", 2005):
 * in step k every rank exchanges its whole current vector with the rank whose (folded) number differs in bit
 * k and reduces the two, so after log2(W) steps every rank holds the full reduction.
 *
 * <ul>
 *   <li>Steps: ceil(log2 W) simultaneous exchanges when W is a power of two; otherwise the ranks beyond the
 *       largest power of two p are folded first (of the first 2(W-p) ranks, each even rank sends its vector to
 *       the odd rank after it and gets the result back at the end): two more steps for those ranks.</li>
 *   <li>Bytes on the wire per rank: log2(p) x n (plus n for folded ranks). Cost: log2(p) (alpha + n beta +
 *       n gamma): the fewest latencies of any all-reduce, so it wins when n beta is small; for large n the
 *       ring's 2(W-1)/W n bytes win.</li>
 *   <li>Identical bits on every rank: in each exchange both partners compute (lower rank's value) op (higher
 *       rank's value), so the same expression tree is evaluated everywhere.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 sends nothing.</li>
 * </ul>
 */
public final class RecursiveDoublingAllReduce {
    private static final int PHASE_FOLD = 1;
    private static final int PHASE_EXCHANGE = 2;
    private static final int PHASE_UNFOLD = 3;

    private RecursiveDoublingAllReduce() {
    }

    /** Runs the all-reduce of {@code count} elements from {@code src} into {@code dst}. */
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
        int p = Integer.highestOneBit(w);
        int rem = w - p;
        int se = ctx.segmentElements();
        int ns = segments(count, se);
        ByteBuffer scratch = ctx.scratch(count * ctx.type().bytes());
        ByteBuffer cur = src;
        int newRank;
        if (r < 2 * rem) {
            if (r % 2 == 0) {
                PeerLink up = ctx.link(r + 1);
                for (int k = 0; k < ns; k++) {
                    Steps.send(ctx, up, Steps.tag(PHASE_FOLD, 0, k), src, (long) k * se, segmentCount(count, se, k));
                }
                Steps.awaitAllSent(ctx, up);
                for (int k = 0; k < ns; k++) {
                    Steps.recvCopy(ctx, up, Steps.tag(PHASE_UNFOLD, 0, k), dst, (long) k * se, segmentCount(count, se, k));
                }
                return;
            }
            PeerLink down = ctx.link(r - 1);
            for (int k = 0; k < ns; k++) {
                long at = (long) k * se;
                Steps.recvReduceOrdered(ctx, down, Steps.tag(PHASE_FOLD, 0, k), src, at, dst, at,
                        segmentCount(count, se, k), true);
            }
            cur = dst;
            newRank = r / 2;
        } else {
            newRank = r - rem;
        }
        for (int mask = 1, step = 0; mask < p; mask <<= 1, step++) {
            int partnerNew = newRank ^ mask;
            int partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
            PeerLink link = ctx.link(partner);
            ByteBuffer next = cur == dst ? scratch : dst;
            long ticket = 0;
            for (int k = 0; k < ns; k++) {
                ticket = Steps.send(ctx, link, Steps.tag(PHASE_EXCHANGE, step, k), cur, (long) k * se,
                        segmentCount(count, se, k));
            }
            boolean partnerIsLower = partner < r;
            for (int k = 0; k < ns; k++) {
                long at = (long) k * se;
                Steps.recvReduceOrdered(ctx, link, Steps.tag(PHASE_EXCHANGE, step, k), cur, at, next, at,
                        segmentCount(count, se, k), partnerIsLower);
            }
            // our vector may be read by the partner until its receive released it; keep it until then
            link.awaitSent(ticket, ctx.deadlineNanos());
            cur = next;
        }
        if (cur != dst) {
            Steps.copy(ctx, cur, 0, dst, 0, count);
        }
        Steps.finishAvg(ctx, dst, 0, count);
        if (r < 2 * rem) {
            PeerLink down = ctx.link(r - 1);
            for (int k = 0; k < ns; k++) {
                Steps.send(ctx, down, Steps.tag(PHASE_UNFOLD, 0, k), dst, (long) k * se, segmentCount(count, se, k));
            }
            Steps.awaitAllSent(ctx, down);
        }
    }
}
