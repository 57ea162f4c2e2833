package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * Double binary tree all-reduce (NCCL 2.4; Sanders, Speck and Träff, "Two-tree algorithms for full
 * bandwidth broadcast, reduction and scan", 2009). The first half of the buffer is reduced up tree 0
 * and broadcast down it; the second half uses tree 1 ({@link DoubleBinaryTree}).
 *
 * <ul>
 *   <li>Steps: reduce up (each node receives its children's segment, reduces it into the destination
 *       and forwards it to its parent), then broadcast down from the root; segments pipeline within each
 *       phase. Latency about 2 log2(W) alpha, so it wins for small messages.</li>
 *   <li>Bytes on the wire per rank: about 2 x count x elementSize sent over both trees (a rank is interior
 *       in at most one tree for most W). Cost: 2 log2(W) alpha + 2 n beta + n gamma, with the phases not
 *       overlapped (a known limit: the ring is chosen for large messages).</li>
 *   <li>Each element is reduced in tree order ((local op child0) op child1 at every node), the same on every
 *       rank, and the root's bits are broadcast, so every rank receives the same bits.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 sends nothing; count 1 leaves tree 1 idle.</li>
 * </ul>
 */
public final class TreeAllReduce {
    private static final int PHASE_UP = 1;
    private static final int PHASE_DOWN = 2;

    private TreeAllReduce() {
    }

    /** Runs the all-reduce of {@code count} elements from {@code src} into {@code dst}. */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int se = ctx.segmentElements();
        DoubleTreePlan tree = ctx.treePlan().connect(ctx);
        Primitives up = ctx.primitives(PHASE_UP, null, null);
        Primitives down = ctx.primitives(PHASE_DOWN, null, null);
        // tree 0 takes the first half (the larger, for odd counts), tree 1 the second
        long half = (count + 1) / 2;
        int maxSeg = segments(half, se);

        // reduce up both trees, segment by segment (segment k of one tree, then of the other); pass 0 only announces
        // that order of reads, so staged input is copied in it rather than the first half before the second
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < maxSeg; k++) {
                for (int i = 0; i < 2; i++) {
                    int t = tree.firstUp() ^ i;
                    long len = t == 0 ? half : count / 2;
                    if (k >= segments(len, se)) {
                        continue;
                    }
                    long at = (t == 0 ? 0 : half) + (long) k * se;
                    if (pass == 0) {
                        ctx.prefetch(src, at, segmentCount(len, se, k));
                    } else {
                        reduceUp(ctx, up, tree, t, k, src, dst, at, segmentCount(len, se, k));
                    }
                }
            }
        }
        // the destination is rewritten below: the upward sends must have left it
        for (int t = 0; t < 2; t++) {
            Segments.awaitAllSent(ctx, tree.parent(t));
        }
        // broadcast down both trees
        for (int k = 0; k < maxSeg; k++) {
            for (int i = 0; i < 2; i++) {
                int t = tree.firstDown() ^ i;
                long len = t == 0 ? half : count / 2;
                if (k < segments(len, se)) {
                    broadcastDown(ctx, down, tree, t, k, dst, (t == 0 ? 0 : half) + (long) k * se,
                            segmentCount(len, se, k));
                }
            }
        }
        for (int t = 0; t < 2; t++) {
            for (PeerLink child : tree.children(t)) {
                Segments.awaitAllSent(ctx, child);
            }
        }
    }

    /** Segment k of tree t (step t): the children's values reduced into {@code dst}, then sent to the parent. */
    private static void reduceUp(OpContext ctx, Primitives up, DoubleTreePlan tree, int t, int k, HostBuffer src,
                                 HostBuffer dst, long at, int m) {
        HostBuffer acc = src;
        for (PeerLink child : tree.children(t)) {
            up.recvReduceSegment(child, t, k, acc, at, dst, at, m);
            acc = dst;
        }
        if (tree.parent(t) != null) {
            up.sendSegment(tree.parent(t), t, k, acc, at, m);
        } else if (acc == src) {
            Steps.copy(ctx, src, at, dst, at, m);
        }
    }

    /** Segment k of tree t (step t): the root's result (divided at the root for AVG) passed to the children. */
    private static void broadcastDown(OpContext ctx, Primitives down, DoubleTreePlan tree, int t, int k,
                                      HostBuffer dst, long at, int m) {
        if (tree.parent(t) == null) {
            Steps.finishAvg(ctx, dst, at, m);
        } else {
            down.recvSegment(tree.parent(t), t, k, dst, at, m);
        }
        for (PeerLink child : tree.children(t)) {
            down.sendSegment(child, t, k, dst, at, m);
        }
    }
}
