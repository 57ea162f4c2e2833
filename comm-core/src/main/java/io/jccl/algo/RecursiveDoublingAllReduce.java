package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

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
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        int p = Integer.highestOneBit(w);
        int rem = w - p;
        HostBuffer scratch = ctx.scratch(count * ctx.type().bytes());
        HostBuffer cur = src;
        int newRank;
        if (r < 2 * rem) {
            if (r % 2 == 0) {
                PeerLink up = ctx.link(r + 1);
                Primitives fold = ctx.primitives(PHASE_FOLD, null, up);
                fold.send(0, src, 0, count);
                fold.awaitSent();
                ctx.primitives(PHASE_UNFOLD, up, null).recv(0, dst, 0, count);
                return;
            }
            ctx.primitives(PHASE_FOLD, ctx.link(r - 1), null).recvReduceOrdered(0, src, dst, 0, count, true);
            cur = dst;
            newRank = r / 2;
        } else {
            newRank = r - rem;
        }
        for (int mask = 1, step = 0; mask < p; mask <<= 1, step++) {
            int partnerNew = newRank ^ mask;
            int partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
            PeerLink link = ctx.link(partner);
            Primitives exchange = ctx.primitives(PHASE_EXCHANGE, link, link);
            HostBuffer next = cur == dst ? scratch : dst;
            long ticket = exchange.send(step, cur, 0, count);
            exchange.recvReduceOrdered(step, cur, next, 0, count, partner < r);
            // our vector may be read by the partner until its receive released it; keep it until then
            exchange.awaitSent(ticket);
            cur = next;
        }
        if (cur != dst) {
            Steps.copy(ctx, cur, 0, dst, 0, count);
        }
        Steps.finishAvg(ctx, dst, 0, count);
        if (r < 2 * rem) {
            Primitives unfold = ctx.primitives(PHASE_UNFOLD, null, ctx.link(r - 1));
            unfold.send(0, dst, 0, count);
            unfold.awaitSent();
        }
    }
}
