package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

/**
 * Recursive-halving reduce-scatter (Thakur, Rabenseifner and Gropp, "Optimization of collective
 * communication operations in MPICH", IJHPCA 2005, section 4.1; MPICH
 * {@code MPIR_Reduce_scatter_intra_recursive_halving}) for a power-of-two world: log2(W) steps; in the step
 * with distance d = W/2, W/4, ..., 1 rank r exchanges with r XOR d: it keeps the half of its current range
 * of blocks on its side of d, sends the other half and reduces the partner's copy of the kept half into its
 * workspace. After the last step it holds the reduced block r. Blocks may have different counts
 * (reduce-scatter-v); each step's halves are contiguous element ranges.
 *
 * <ul>
 *   <li>Cost: log2(W) alpha + (W-1)/W x n (beta + gamma), n the input bytes: the ring's bandwidth with
 *       log2(W) instead of W-1 latencies, so it is chosen up to {@code JCCL_HD_MAX_BYTES} on power-of-two
 *       worlds (the ring pipelines better above).</li>
 *   <li>Bytes on the wire per rank: n/2 + n/4 + ... = (W-1)/W x n sent and received (even blocks).</li>
 *   <li>Element order: a binary tree over the ranks (pairs at distance 1 innermost), the same on every run.</li>
 *   <li>Limits: W must be a power of two (other W use the ring). Partial results live in the input for
 *       in-place, else in communicator scratch of n bytes.</li>
 *   <li>Degenerate cases: W=1 copies (AVG divides by 1); empty halves send nothing.</li>
 * </ul>
 *
 * <p>{@link #halve} is also the reduce-scatter half of {@link HalvingDoublingAllReduce}, over the virtual
 * ranks left after folding a non-power-of-two world.
 */
public final class RecursiveHalvingReduceScatter {
    private static final int PHASE = 1;

    private RecursiveHalvingReduceScatter() {
    }

    /**
     * Reduces block b of {@code blocks} of every rank's {@code src} into rank b's {@code dst} at element
     * {@code dstAt}. In place: {@code dst == src}, {@code dstAt == blocks.offset(r)}; the rest of the buffer
     * is workspace and left unspecified. Requires a power-of-two world size.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
        int w = ctx.size();
        int r = ctx.rank();
        if (Integer.bitCount(w) != 1) {
            throw new IllegalArgumentException("recursive halving needs a power-of-two world, not W=" + w);
        }
        if (Steps.withoutPeers(ctx, src, dst, dstAt, blocks)) {
            return;
        }
        HostBuffer work = src == dst ? src : ctx.scratch(blocks.total() * ctx.type().bytes());
        halve(ctx, r, w, 0, blocks, src, work, dst, dstAt, PHASE);
        Steps.finishAvg(ctx, dst, dstAt, blocks.count(r));
    }

    /** The real rank of virtual rank {@code v} when the first {@code 2 rem} ranks were folded in pairs. */
    static int real(int v, int rem) {
        return v < rem ? 2 * v + 1 : v + rem;
    }

    /**
     * The recursive-halving steps of virtual rank {@code v} among {@code pof2} virtual ranks (real ranks from
     * {@link #real}): the first step reads this rank's contribution from {@code in}, partial results go to
     * {@code work} (which may be {@code in}), and the last step writes the reduced block v to {@code dst} at
     * {@code dstAt} (which may be {@code work} at {@code blocks.offset(v)}). No AVG division. Waits for its
     * sends before returning.
     */
    static void halve(OpContext ctx, int v, int pof2, int rem, Blocks blocks, HostBuffer in, HostBuffer work,
                      HostBuffer dst, long dstAt, int phase) {
        int lo = 0;
        int hi = pof2;
        HostBuffer local = in;
        int step = 0;
        for (int d = pof2 >> 1; d > 0; d >>= 1, step++) {
            PeerLink partner = ctx.link(real(v ^ d, rem));
            Primitives rh = ctx.primitives(phase, partner, partner);
            int mid = lo + (hi - lo) / 2;
            boolean lower = (v & d) == 0;
            int keepLo = lower ? lo : mid;
            int keepHi = lower ? mid : hi;
            int sendLo = lower ? mid : lo;
            int sendHi = lower ? hi : mid;
            long sendAt = blocks.offset(sendLo);
            rh.send(step, local, sendAt, blocks.end(sendHi) - sendAt);
            long keepAt = blocks.offset(keepLo);
            long keepN = blocks.end(keepHi) - keepAt;
            if (d == 1) {
                rh.recvReduce(step, local, keepAt, dst, dstAt, keepN, false);
            } else {
                rh.recvReduce(step, local, keepAt, work, keepAt, keepN, false);
            }
            local = work;
            lo = keepLo;
            hi = keepHi;
        }
        for (int d = pof2 >> 1; d > 0; d >>= 1) {
            Segments.awaitAllSent(ctx, ctx.link(real(v ^ d, rem)));
        }
    }
}
