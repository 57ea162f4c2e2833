package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

/**
 * Recursive halving-doubling all-reduce (Rabenseifner's algorithm: Thakur, Rabenseifner and Gropp,
 * "Optimization of collective communication operations in MPICH", IJHPCA 2005; MPICH
 * {@code MPIR_Allreduce_intra_reduce_scatter_allgather}), correct for any W.
 *
 * <ol>
 *   <li>Fold: with pof2 the largest power of two &lt;= W and rem = W - pof2, of the first 2 rem ranks the even
 *       ones send their whole input to rank+1, which reduces it into its own, and sit out; the odd ones become
 *       virtual rank r/2 and ranks from 2 rem become virtual rank r - rem.</li>
 *   <li>Reduce-scatter by recursive halving over the pof2 virtual ranks (the count cut into pof2 near-equal
 *       chunks, {@link RecursiveHalvingReduceScatter#halve}): virtual rank v ends with the reduced chunk v,
 *       divided by W for AVG.</li>
 *   <li>All-gather by recursive doubling (distances 1, 2, ..., pof2/2): each step exchanges the ranges held
 *       so far with the partner at that distance.</li>
 *   <li>Unfold: each odd rank below 2 rem sends the whole result to rank-1.</li>
 * </ol>
 *
 * <ul>
 *   <li>Steps: 2 log2(pof2), plus 2 for the folded pairs when W is not a power of two.</li>
 *   <li>Cost: 2 log2(pof2) alpha + 2 (pof2-1)/pof2 n beta + (pof2-1)/pof2 n gamma; W not a power of two
 *       adds 2 alpha + 2 n beta + n gamma (fold and unfold on the critical path). Fewer latencies than the
 *       ring and the ring's bandwidth for power-of-two W: the mid-size choice.</li>
 *   <li>Bytes on the wire per rank: 2 (pof2-1)/pof2 x n sent and received; ranks of a folded pair send or
 *       receive n more each way.</li>
 *   <li>Every element is reduced once, by one owner, along a fixed binary tree, and its bits are copied to
 *       every other rank: all ranks receive identical bits, the same on every run.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 sends nothing; count &lt; pof2 leaves some chunks empty (no
 *       messages for them); W=2 and W=3 work (pof2 = 2).</li>
 * </ul>
 */
public final class HalvingDoublingAllReduce {
    private static final int PHASE_FOLD = 0;
    private static final int PHASE_RS = 1;
    private static final int PHASE_AG = 2;
    private static final int PHASE_UNFOLD = 3;

    private HalvingDoublingAllReduce() {
    }

    /** Runs the all-reduce of {@code count} elements from {@code src} into {@code dst} (same buffer in place). */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        int pof2 = Integer.highestOneBit(w);
        int rem = w - pof2;
        HostBuffer in = src;
        int v;
        if (r < 2 * rem) {
            if (r % 2 == 0) {
                PeerLink odd = ctx.link(r + 1);
                Primitives fold = ctx.primitives(PHASE_FOLD, null, odd);
                fold.send(0, src, 0, count);
                if (src == dst) {
                    fold.awaitSent(); // the result lands where the input is being sent from
                }
                Primitives unfold = ctx.primitives(PHASE_UNFOLD, odd, odd);
                unfold.recv(0, dst, 0, count);
                unfold.awaitSent();
                return;
            }
            ctx.primitives(PHASE_FOLD, ctx.link(r - 1), null).recvReduce(0, src, 0, dst, 0, count, false);
            in = dst;
            v = r / 2;
        } else {
            v = r - rem;
        }
        Blocks chunks = Blocks.chunks(count, pof2);
        RecursiveHalvingReduceScatter.halve(ctx, v, pof2, rem, chunks, in, dst, dst, chunks.offset(v), PHASE_RS);
        Steps.finishAvg(ctx, dst, chunks.offset(v), chunks.count(v));

        // recursive doubling: the held range [lo, hi) of chunks doubles each step
        int lo = v;
        int hi = v + 1;
        int step = 0;
        for (int d = 1; d < pof2; d <<= 1, step++) {
            PeerLink partner = ctx.link(RecursiveHalvingReduceScatter.real(v ^ d, rem));
            Primitives ag = ctx.primitives(PHASE_AG, partner, partner);
            int size = hi - lo;
            int theirLo = (v & d) == 0 ? hi : lo - size;
            int theirHi = theirLo + size;
            long at = chunks.offset(lo);
            ag.send(step, dst, at, chunks.end(hi) - at);
            long theirAt = chunks.offset(theirLo);
            ag.recv(step, dst, theirAt, chunks.end(theirHi) - theirAt);
            lo = Math.min(lo, theirLo);
            hi = Math.max(hi, theirHi);
        }
        if (r < 2 * rem) {
            Primitives unfold = ctx.primitives(PHASE_UNFOLD, null, ctx.link(r - 1));
            unfold.send(0, dst, 0, count);
            unfold.awaitSent();
        }
        for (int d = 1; d < pof2; d <<= 1) {
            Segments.awaitAllSent(ctx, ctx.link(RecursiveHalvingReduceScatter.real(v ^ d, rem)));
        }
    }
}
