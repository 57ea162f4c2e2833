package io.jccl.algo;

import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

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
        long[] base = {0, (count + 1) / 2};
        long[] len = {(count + 1) / 2, count / 2};
        DoubleBinaryTree.Node[] node = {DoubleBinaryTree.node(w, r, 0), DoubleBinaryTree.node(w, r, 1)};
        PeerLink[] parent = new PeerLink[2];
        PeerLink[][] children = new PeerLink[2][];
        for (int t = 0; t < 2; t++) {
            parent[t] = node[t].parent() < 0 ? null : ctx.link(node[t].parent());
            int nc = (node[t].child0() >= 0 ? 1 : 0) + (node[t].child1() >= 0 ? 1 : 0);
            children[t] = new PeerLink[nc];
            int i = 0;
            if (node[t].child0() >= 0) {
                children[t][i++] = ctx.link(node[t].child0());
            }
            if (node[t].child1() >= 0) {
                children[t][i] = ctx.link(node[t].child1());
            }
        }
        int maxSeg = Math.max(segments(len[0], se), segments(len[1], se));
        int firstUp = DoubleBinaryTree.firstTreeUp(node[0], node[1]);
        int firstDown = DoubleBinaryTree.firstTreeDown(node[0], node[1]);

        // reduce up both trees, segment by segment
        for (int k = 0; k < maxSeg; k++) {
            for (int i = 0; i < 2; i++) {
                int t = firstUp ^ i;
                if (k >= segments(len[t], se)) {
                    continue;
                }
                long at = base[t] + (long) k * se;
                int m = segmentCount(len[t], se, k);
                long tag = Steps.tag(PHASE_UP, t, k);
                ByteBuffer up = src;
                for (PeerLink child : children[t]) {
                    Steps.recvReduce(ctx, child, tag, up, at, dst, at, m);
                    up = dst;
                }
                if (parent[t] != null) {
                    Steps.send(ctx, parent[t], tag, up, at, m);
                } else if (up == src) {
                    Steps.copy(ctx, src, at, dst, at, m);
                }
            }
        }
        // the destination is rewritten below: the upward sends must have left it
        for (int t = 0; t < 2; t++) {
            if (parent[t] != null) {
                parent[t].awaitSent(parent[t].lastTicket(), ctx.deadlineNanos());
            }
        }
        // broadcast down both trees
        for (int k = 0; k < maxSeg; k++) {
            for (int i = 0; i < 2; i++) {
                int t = firstDown ^ i;
                if (k >= segments(len[t], se)) {
                    continue;
                }
                long at = base[t] + (long) k * se;
                int m = segmentCount(len[t], se, k);
                long tag = Steps.tag(PHASE_DOWN, t, k);
                if (parent[t] == null) {
                    Steps.finishAvg(ctx, dst, at, m);
                } else {
                    Steps.recvCopy(ctx, parent[t], tag, dst, at, m);
                }
                for (PeerLink child : children[t]) {
                    Steps.send(ctx, child, tag, dst, at, m);
                }
            }
        }
        for (int t = 0; t < 2; t++) {
            for (PeerLink child : children[t]) {
                child.awaitSent(child.lastTicket(), ctx.deadlineNanos());
            }
        }
    }
}
