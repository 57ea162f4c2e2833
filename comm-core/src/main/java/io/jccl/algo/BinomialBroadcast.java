package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Binomial-tree broadcast (MPICH {@code MPIR_Bcast_intra_binomial}; Thakur, Rabenseifner and Gropp 2005):
 * with relative rank v = (r - root) mod W, a rank receives from v - lowbit(v) and sends to v + 2^k for every
 * 2^k below lowbit(v) (the root: below W), the farthest child first. Segments pipeline down the tree: a rank
 * forwards each segment to its children as soon as it lands.
 *
 * <ul>
 *   <li>Steps: ceil(log2 W) levels. Cost about ceil(log2 W) (alpha + n beta) for one segment: fewer latencies
 *       than the chain's W-1, so it is chosen up to {@code JCCL_TREE_MAX_BYTES}; the chain's (W-2+S)
 *       segment times win for large n.</li>
 *   <li>Bytes on the wire per rank: n received (the root: none) and n x children sent (the root up to
 *       ceil(log2 W) x n, leaves none).</li>
 *   <li>Degenerate cases: W=1 or count 0 move nothing (out of place: the root copies).</li>
 * </ul>
 */
public final class BinomialBroadcast {
    private static final int PHASE = 1;

    private BinomialBroadcast() {
    }

    /**
     * Broadcasts {@code count} elements: the root's {@code src} lands in every rank's {@code dst} (the root
     * copies unless {@code src} is {@code dst}); {@code src} is read only at the root.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        int v = mod(r - root, w);
        int low = v == 0 ? Integer.highestOneBit(Math.max(1, w - 1)) << 1 : Integer.lowestOneBit(v);
        PeerLink parent = v == 0 ? null : ctx.link(mod(v - low + root, w));
        Primitives tree = ctx.primitives(PHASE, parent, null);
        HostBuffer from = v == 0 ? src : dst;
        int se = ctx.segmentElements();
        for (int k = 0, ns = segments(count, se); k < ns; k++) {
            long at = (long) k * se;
            int m = segmentCount(count, se, k);
            if (parent != null) {
                tree.recvSegment(parent, 0, k, dst, at, m);
            }
            for (int d = low >> 1; d > 0; d >>= 1) {
                if (v + d < w) {
                    tree.sendSegment(ctx.link(mod(v + d + root, w)), 0, k, from, at, m);
                }
            }
        }
        if (v == 0) {
            Steps.copy(ctx, src, 0, dst, 0, count);
        }
        for (int d = low >> 1; d > 0; d >>= 1) {
            if (v + d < w) {
                Segments.awaitAllSent(ctx, ctx.link(mod(v + d + root, w)));
            }
        }
    }
}
