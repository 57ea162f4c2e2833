package io.jccl.algo;

import io.jccl.buffer.HostBuffer;

import static io.jccl.algo.Partition.mod;

/**
 * Linear scatter and scatter-v from a root (MPICH {@code MPIR_Scatter_intra_linear}, Gloo {@code scatter}):
 * the root sends block b of its input straight to rank b (all transfers in flight at once) and copies its own
 * block. Blocks may have different counts (scatter-v).
 *
 * <ul>
 *   <li>Steps: one per rank. Cost: (W-1) alpha + (W-1)/W x n beta at the root, n the root's input bytes (a
 *       binomial tree, log2(W) latencies with staging at inner ranks, is not implemented).</li>
 *   <li>Bytes on the wire: the root sends n - block(root); each other rank receives its block.</li>
 *   <li>Degenerate cases: W=1 copies; empty blocks send nothing.</li>
 * </ul>
 */
public final class LinearScatter {
    private static final int PHASE = 1;

    private LinearScatter() {
    }

    /**
     * Scatters block b ({@code blocks.count(b)} elements at {@code blocks.offset(b)}) of the root's {@code src}
     * to rank b's {@code dst} at element {@code dstAt}. In place at the root: {@code src == dst} and
     * {@code dstAt == blocks.offset(root)} (the root's block stays where it is). {@code src} is read only at the
     * root.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks, int root) {
        int w = ctx.size();
        int r = ctx.rank();
        if (r != root) {
            if (blocks.count(r) > 0) {
                ctx.primitives(PHASE, ctx.link(root), null).recv(0, dst, dstAt, blocks.count(r));
            }
            return;
        }
        for (int s = 1; s < w; s++) {
            int p = mod(r + s, w);
            if (blocks.count(p) > 0) {
                ctx.primitives(PHASE, null, ctx.link(p)).send(0, src, blocks.offset(p), blocks.count(p));
            }
        }
        Steps.copy(ctx, src, blocks.offset(r), dst, dstAt, blocks.count(r));
        for (int s = 1; s < w; s++) {
            int p = mod(r + s, w);
            if (blocks.count(p) > 0) {
                Segments.awaitAllSent(ctx, ctx.link(p));
            }
        }
    }
}
