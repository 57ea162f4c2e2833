package io.jccl.algo.select;

import io.jccl.algo.DoubleBinaryTree;
import io.jccl.transport.HostLayout;

/**
 * How the all-reduce algorithms' messages fall on the links of a {@link HostLayout}: for each step of recursive
 * doubling and halving-doubling (partners a power of two apart in their virtual ranks), and for each phase of the
 * double binary tree, how many of the busiest host's ranks send to another host at once, so share that host's
 * link. The ring needs none: its host-aware order ({@code io.jccl.algo.RingOrder}) crosses from each host once.
 * Computed once per layout (O(W log W)); {@link HostCosts} prices the steps with it. Immutable and thread-safe.
 *
 * @param layout        the layout counted
 * @param crossAt       index k: at partner distance 2^k (virtual ranks), the most ranks of one host whose partner is
 *                      on another host
 * @param foldCross     the same for the fold and unfold of a world that is not a power of two (pairs 2i, 2i+1 for
 *                      i &lt; W - pof2)
 * @param treeUpCross   the most (rank, tree) pairs of one host whose parent is on another host: the halves that host
 *                      sends across in the reduce-up phase
 * @param treeDownCross the most (child, tree) pairs on other hosts whose parent is on one host: the halves it sends
 *                      across in the broadcast-down phase
 */
record HostTraffic(HostLayout layout, int[] crossAt, int foldCross, int treeUpCross, int treeDownCross) {
    private static volatile HostTraffic last;

    /** The traffic of {@code layout} (the last one computed is kept: a communicator asks with the same layout). */
    static HostTraffic of(HostLayout layout) {
        HostTraffic t = last;
        if (t != null && (t.layout == layout || t.layout.equals(layout))) {
            return t;
        }
        t = compute(layout);
        last = t;
        return t;
    }

    /** The most ranks of one host whose partner at virtual distance {@code distance} (a power of two) is elsewhere. */
    int crossAtDistance(int distance) {
        int k = 31 - Integer.numberOfLeadingZeros(distance);
        return k < crossAt.length ? crossAt[k] : 0;
    }

    private static HostTraffic compute(HostLayout l) {
        int w = l.size();
        int pof2 = Integer.highestOneBit(w);
        int rem = w - pof2;
        int steps = 31 - Integer.numberOfLeadingZeros(pof2);
        int[] crossAt = new int[steps];
        for (int k = 0; k < steps; k++) {
            int[] perHost = new int[l.hosts()];
            for (int v = 0; v < pof2; v++) {
                int r = real(v, rem);
                if (!l.sameHost(r, real(v ^ (1 << k), rem))) {
                    crossAt[k] = Math.max(crossAt[k], ++perHost[l.host(r)]);
                }
            }
        }
        int fold = 0;
        int[] perHost = new int[l.hosts()];
        for (int i = 0; i < rem; i++) {
            if (!l.sameHost(2 * i, 2 * i + 1)) {
                fold = Math.max(fold, ++perHost[l.host(2 * i)]);
            }
        }
        int[] up = new int[l.hosts()];
        int[] down = new int[l.hosts()];
        for (int t = 0; t < 2 && w > 1; t++) {
            for (int r = 0; r < w; r++) {
                int parent = DoubleBinaryTree.node(w, r, t).parent();
                if (parent >= 0 && !l.sameHost(r, parent)) {
                    up[l.host(r)]++;
                    down[l.host(parent)]++;
                }
            }
        }
        return new HostTraffic(l, crossAt, fold, max(up), max(down));
    }

    /** The rank of virtual rank {@code v} after the fold (halving-doubling's and recursive doubling's mapping). */
    private static int real(int v, int rem) {
        return v < rem ? 2 * v + 1 : v + rem;
    }

    private static int max(int[] a) {
        int m = 0;
        for (int x : a) {
            m = Math.max(m, x);
        }
        return m;
    }
}
