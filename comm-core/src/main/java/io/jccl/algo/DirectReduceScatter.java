package io.jccl.algo;

import io.jccl.buffer.HostBuffer;

import static io.jccl.algo.Partition.mod;
import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Direct reduce-scatter in rank order, the reduce-scatter of deterministic mode: every rank sends its
 * contribution to block b straight to rank b (the sends staggered, r+1 first), and rank b reduces its block
 * segment by segment strictly in rank order: {@code ((x0 op x1) op x2) ... op x(W-1)}, each operation rounded
 * to the element type as it is stored, then divides by W for AVG. The result of an element therefore depends
 * only on the W inputs, never on the algorithm setting, message size, segment size or the element's position.
 * This is the fixed-order-at-the-owner scheme of reproducible reductions; reproducible-summation algorithms
 * that are independent of the order (Demmel and Nguyen, "Parallel reproducible summation", 2015) cost more
 * compute and are not used.
 *
 * <ul>
 *   <li>Steps: W-1 concurrent transfers per rank. Cost: (W-1) alpha + (W-1)/W x n (beta + gamma), n the input
 *       bytes: the ring's bytes on the wire, with the W-1 latencies overlapped.</li>
 *   <li>Bytes on the wire per rank: n - block(r) sent, (W-1) x block(r) received.</li>
 *   <li>Memory: the owner may hold up to W-1 early segments of its block in its transport's inbox.</li>
 *   <li>In place for rank r &gt; 0: its own block is copied to communicator scratch first (it is overwritten by
 *       the running result before x(r) is added).</li>
 *   <li>Degenerate cases: W=1 copies (AVG divides by 1); empty blocks send nothing.</li>
 * </ul>
 */
public final class DirectReduceScatter {
    private DirectReduceScatter() {
    }

    /**
     * Reduces block b of {@code blocks} of every rank's {@code src} into rank b's {@code dst} at element
     * {@code dstAt} in rank order, dividing for AVG. In place: {@code dst == src} and {@code dstAt ==
     * blocks.offset(r)}. Uses communicator scratch only in place. Waits for its sends before returning.
     *
     * @param phase tag phase (0..3), so that a composed algorithm can keep its stages apart
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks, int phase) {
        if (Steps.withoutPeers(ctx, src, dst, dstAt, blocks)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        long n = blocks.count(r);
        long own = blocks.offset(r);
        for (int s = 1; s < w; s++) {
            int p = mod(r + s, w);
            ctx.primitives(phase, null, ctx.link(p)).send(0, src, blocks.offset(p), blocks.count(p));
        }
        Primitives owner = ctx.primitives(phase, null, null);
        HostBuffer mine = src;
        long mineAt = own;
        if (src == dst && dstAt == own && r > 0 && n > 0) {
            mine = ctx.scratch(n * ctx.type().bytes());
            Steps.copy(ctx, src, own, mine, 0, n);
            mineAt = 0;
        }
        int se = ctx.segmentElements();
        for (int k = 0, ns = segments(n, se); k < ns; k++) {
            long d = (long) k * se;
            int m = segmentCount(n, se, k);
            long acc = dstAt + d;
            if (r == 0) {
                Steps.copy(ctx, mine, mineAt + d, dst, acc, m);
            } else {
                owner.recvSegment(ctx.link(0), 0, k, dst, acc, m);
            }
            for (int j = 1; j < w; j++) {
                if (j == r) {
                    Steps.reduceLocal(ctx, dst, acc, mine, mineAt + d, dst, acc, m);
                } else {
                    owner.recvReduceSegment(ctx.link(j), 0, k, dst, acc, dst, acc, m);
                }
            }
            Steps.finishAvg(ctx, dst, acc, m);
        }
        for (int s = 1; s < w; s++) {
            Segments.awaitAllSent(ctx, ctx.link(mod(r + s, w)));
        }
    }
}
