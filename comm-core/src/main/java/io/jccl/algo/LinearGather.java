package io.jccl.algo;

import io.jccl.buffer.HostBuffer;

import static io.jccl.algo.Partition.mod;

/**
 * Linear gather and gather-v to a root (MPICH {@code MPIR_Gather_intra_linear} for long messages, Gloo
 * {@code gather}): every rank sends its block straight to the root, which receives block b from rank b into
 * its place in the output (no staging). Blocks may have different counts (gather-v).
 *
 * <ul>
 *   <li>Steps: one per rank; the W-1 transfers run concurrently and the root takes them in rank order
 *       starting after itself. Cost: (W-1) alpha + (W-1)/W x n beta at the root, n the gathered bytes.
 *       A binomial tree would need log2(W) latencies but staging copies at the inner ranks; it is not
 *       implemented (a known limit for small messages on large W).</li>
 *   <li>Bytes on the wire: each rank sends its block once; the root receives n - block(root).</li>
 *   <li>Degenerate cases: W=1 copies; empty blocks send nothing.</li>
 * </ul>
 */
public final class LinearGather {
    private LinearGather() {
    }

    /**
     * Gathers block b ({@code blocks.count(b)} elements) of rank b into the root's {@code dst} at
     * {@code blocks.offset(b)}. This rank's block is read from {@code src} at element {@code srcAt} (in place at
     * the root: {@code src == dst}, {@code srcAt == blocks.offset(root)}). {@code dst} is used only at the root.
     *
     * @param phase tag phase (0..3), so that a composed algorithm can keep its stages apart
     */
    public static void run(OpContext ctx, HostBuffer src, long srcAt, HostBuffer dst, Blocks blocks, int root,
                           int phase) {
        int w = ctx.size();
        int r = ctx.rank();
        if (r != root) {
            if (blocks.count(r) > 0) {
                Primitives toRoot = ctx.primitives(phase, null, ctx.link(root));
                toRoot.send(0, src, srcAt, blocks.count(r));
                toRoot.awaitSent();
            }
            return;
        }
        Steps.copy(ctx, src, srcAt, dst, blocks.offset(r), blocks.count(r));
        for (int s = 1; s < w; s++) {
            int p = mod(r + s, w);
            if (blocks.count(p) > 0) {
                ctx.primitives(phase, ctx.link(p), null).recv(0, dst, blocks.offset(p), blocks.count(p));
            }
        }
    }
}
