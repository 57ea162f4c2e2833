package io.jccl.algo.select;

import io.jccl.algo.DoubleBinaryTree;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the cost of {@link io.jccl.algo.TreeAllReduce} depends on, counted on the actual double binary tree of
 * W ranks ({@link DoubleBinaryTree}): the depth of the deeper tree (hops from the root to the farthest leaf),
 * and for the busiest rank of each phase the number of half-buffers it sends, receives and reduces. Each tree
 * carries one half of the buffer (n/2 bytes); in the reduce-up phase a node receives and reduces one half
 * from each child and sends one to its parent, and the broadcast-down phase reverses the arrows without
 * reducing. So for W = 2 the busiest rank moves 1 half each way per phase (n bytes in all, like the ring),
 * and for larger W an interior rank moves 2 halves in and 2 out per phase (2n in all).
 *
 * <p>{@code hops} is the critical path of a one-segment all-reduce in message latencies, found by running the
 * algorithm's loop order on every rank with each message taking one unit: a rank handles its two trees one after
 * the other (the one whose sends wait for nothing first: {@link DoubleBinaryTree#firstTreeUp}) and blocks on each
 * receive, so the two trees' messages can wait for each other (for W = 2 the path is 2 hops, one tree's up and
 * down).
 *
 * @param depth      hops from root to the deepest leaf, over both trees (0 for W = 1)
 * @param hops       critical path of a one-segment all-reduce, in message latencies
 * @param upSent     most halves one rank sends in the reduce-up phase
 * @param upRecv     most halves one rank receives (and reduces) in the reduce-up phase
 * @param downSent   most halves one rank sends in the broadcast-down phase
 * @param downRecv   most halves one rank receives in the broadcast-down phase
 * @param upLoad     most halves one rank moves in the reduce-up phase, max over ranks of (sent + received)
 * @param downLoad   the same for the broadcast-down phase
 */
public record TreeShape(int depth, int hops, int upSent, int upRecv, int downSent, int downRecv, int upLoad, int downLoad) {
    private static final Map<Integer, TreeShape> CACHE = new ConcurrentHashMap<>();

    /** The shape of W ranks' double binary tree (computed once per W: O(W log W) the first time). */
    public static TreeShape of(int w) {
        if (w <= 1) {
            return new TreeShape(0, 0, 0, 0, 0, 0, 0, 0);
        }
        if (CACHE.size() > 1024) {
            CACHE.clear();
        }
        return CACHE.computeIfAbsent(w, TreeShape::compute);
    }

    private static TreeShape compute(int w) {
        int depth = 0;
        int upSent = 0;
        int upRecv = 0;
        int upLoad = 0;
        for (int r = 0; r < w; r++) {
            int sent = 0;
            int recv = 0;
            for (int t = 0; t < 2; t++) {
                DoubleBinaryTree.Node n = DoubleBinaryTree.node(w, r, t);
                sent += n.parent() >= 0 ? 1 : 0;
                recv += (n.child0() >= 0 ? 1 : 0) + (n.child1() >= 0 ? 1 : 0);
                depth = Math.max(depth, depthOf(w, r, t));
            }
            upSent = Math.max(upSent, sent);
            upRecv = Math.max(upRecv, recv);
            upLoad = Math.max(upLoad, sent + recv);
        }
        // the down phase mirrors the up phase: what a rank received it now sends, and vice versa
        return new TreeShape(depth, criticalPath(w), upSent, upRecv, upRecv, upSent, upLoad, upLoad);
    }

    /**
     * Runs {@link io.jccl.algo.TreeAllReduce}'s loop for one segment per tree on every rank: reduce-up (for each
     * tree, in {@link DoubleBinaryTree#firstTreeUp}'s order: receive from each child, send to the parent), then
     * broadcast-down (in {@link DoubleBinaryTree#firstTreeDown}'s order: receive from the parent, send to each
     * child). A send takes no time on the sender and arrives one unit later; a
     * receive waits for its message. Returns the time at which the last rank finishes.
     */
    static int criticalPath(int w) {
        DoubleBinaryTree.Node[][] nodes = new DoubleBinaryTree.Node[2][w];
        for (int t = 0; t < 2; t++) {
            for (int r = 0; r < w; r++) {
                nodes[t][r] = DoubleBinaryTree.node(w, r, t);
            }
        }
        // arrival times of the up message from child c in tree t (at its parent), and of the down message to c
        int[][] upArrive = new int[2][w];
        int[][] downArrive = new int[2][w];
        int[] clock = new int[w];
        int[] firstUp = new int[w];
        int[] firstDown = new int[w];
        for (int r = 0; r < w; r++) {
            firstUp[r] = DoubleBinaryTree.firstTreeUp(nodes[0][r], nodes[1][r]);
            firstDown[r] = DoubleBinaryTree.firstTreeDown(nodes[0][r], nodes[1][r]);
        }
        // reduce-up: a rank's send in tree 0 waits for its tree-0 children, its tree-1 work for all of tree 0's
        // receives; resolve in order of readiness (the schedule has no cycles, so this converges)
        java.util.Arrays.fill(upArrive[0], -1);
        java.util.Arrays.fill(upArrive[1], -1);
        inReadinessOrder(w, firstUp, "reduce-up", (r, t) -> {
            DoubleBinaryTree.Node n = nodes[t][r];
            int ready = clock[r];
            for (int c : new int[] {n.child0(), n.child1()}) {
                if (c < 0) {
                    continue;
                }
                if (upArrive[t][c] < 0) {
                    return false;
                }
                ready = Math.max(ready, upArrive[t][c]);
            }
            clock[r] = ready;
            if (n.parent() >= 0) {
                upArrive[t][r] = ready + 1;
            }
            return true;
        });
        // broadcast-down: roots start when their up phase ended
        java.util.Arrays.fill(downArrive[0], -1);
        java.util.Arrays.fill(downArrive[1], -1);
        inReadinessOrder(w, firstDown, "broadcast-down", (r, t) -> {
            DoubleBinaryTree.Node n = nodes[t][r];
            if (n.parent() >= 0) {
                if (downArrive[t][r] < 0) {
                    return false;
                }
                clock[r] = Math.max(clock[r], downArrive[t][r]);
            }
            for (int c : new int[] {n.child0(), n.child1()}) {
                if (c >= 0) {
                    downArrive[t][c] = clock[r] + 1;
                }
            }
            return true;
        });
        int end = 0;
        for (int r = 0; r < w; r++) {
            end = Math.max(end, clock[r]);
        }
        return end;
    }

    /** One rank's work in one tree of a phase: false while it waits for a message not yet sent. */
    private interface TreeStep {
        boolean tryRun(int rank, int tree);
    }

    /**
     * Runs each rank's work in both trees ({@code first[r]}'s tree first) as soon as it can run, until every rank
     * is done.
     *
     * @throws IllegalStateException when ranks wait for each other (the {@code phase}'s schedule has a cycle)
     */
    private static void inReadinessOrder(int w, int[] first, String phase, TreeStep step) {
        int[] stage = new int[w]; // 0: first tree pending, 1: second tree pending, 2: done
        boolean progress = true;
        int done = 0;
        while (done < w && progress) {
            progress = false;
            for (int r = 0; r < w; r++) {
                while (stage[r] < 2 && step.tryRun(r, first[r] ^ stage[r])) {
                    stage[r]++;
                    progress = true;
                    if (stage[r] == 2) {
                        done++;
                    }
                }
            }
        }
        if (done < w) {
            throw new IllegalStateException("tree of " + w + " ranks: " + phase + " schedule does not complete");
        }
    }

    /** Hops from rank r up to the root of tree t. */
    private static int depthOf(int w, int r, int t) {
        int d = 0;
        int x = r;
        while (true) {
            int p = DoubleBinaryTree.node(w, x, t).parent();
            if (p < 0) {
                return d;
            }
            x = p;
            d++;
            if (d > 64) {
                throw new IllegalStateException("tree of " + w + " ranks has a cycle at rank " + r);
            }
        }
    }
}
