package io.jccl.algo;

/**
 * Topology of NCCL's double binary tree (NCCL 2.4, {@code src/graph/trees.cc}): tree 0 is a binary tree
 * over ranks 0..W-1 whose leaves are the odd ranks; tree 1 is tree 0 mirrored (W even) or shifted by one
 * rank (W odd), so that most ranks that are leaves in one tree are interior in the other and every rank
 * sends and receives about the same amount over both trees together. Depth is about log2(W).
 *
 * <p>Pure arithmetic: immutable, thread-safe.
 */
public final class DoubleBinaryTree {
    /** Parent, first child, second child of one rank in one tree; -1 where absent. */
    public record Node(int parent, int child0, int child1) {
        public boolean isRoot() {
            return parent < 0;
        }
    }

    private DoubleBinaryTree() {
    }

    /**
     * The tree a rank works on first in each segment of the reduce-up phase: one where it is a leaf (its send
     * waits for nothing), so that it does not block on the other tree's receives first; tree 0 when it is a leaf
     * in both or in neither. The order changes no result (each tree reduces its own half in its own order), and
     * a rank's receives keep their order, so it adds no wait: it only lets sends leave earlier. For W = 2 it
     * takes the all-reduce from 3 message latencies to 2.
     */
    public static int firstTreeUp(Node tree0, Node tree1) {
        boolean leaf0 = tree0.child0() < 0 && tree0.child1() < 0;
        boolean leaf1 = tree1.child0() < 0 && tree1.child1() < 0;
        return !leaf0 && leaf1 ? 1 : 0;
    }

    /**
     * The tree a rank works on first in each segment of the broadcast-down phase: one where it is the root (its
     * sends wait for nothing), else tree 0; see {@link #firstTreeUp}.
     */
    public static int firstTreeDown(Node tree0, Node tree1) {
        return tree0.parent() >= 0 && tree1.parent() < 0 ? 1 : 0;
    }

    /** The rank's node in tree {@code tree} (0 or 1) of a world of {@code w} ranks. */
    public static Node node(int w, int rank, int tree) {
        if (tree == 0) {
            return btree(w, rank);
        }
        if (w % 2 == 1) {
            Node n = btree(w, Partition.mod(rank - 1, w));
            return new Node(shift(n.parent, w), shift(n.child0, w), shift(n.child1, w));
        }
        Node n = btree(w, w - 1 - rank);
        return new Node(mirror(n.parent, w), mirror(n.child0, w), mirror(n.child1, w));
    }

    private static int shift(int x, int w) {
        return x < 0 ? -1 : (x + 1) % w;
    }

    private static int mirror(int x, int w) {
        return x < 0 ? -1 : w - 1 - x;
    }

    /**
     * The binary tree rooted at 0 with in-order numbering: a rank's lowest set bit gives its level; its
     * parent clears that bit and sets the next higher one (or only clears it when that is out of range).
     */
    static Node btree(int w, int rank) {
        int bit = 1;
        while (bit < w && (bit & rank) == 0) {
            bit <<= 1;
        }
        if (rank == 0) {
            return new Node(-1, -1, w > 1 ? bit >> 1 : -1);
        }
        int up = (rank ^ bit) | (bit << 1);
        if (up >= w) {
            up = rank ^ bit;
        }
        int low = bit >> 1;
        int down0 = low == 0 ? -1 : rank - low;
        int down1 = -1;
        for (int l = low; l > 0; l >>= 1) {
            if (rank + l < w) {
                down1 = rank + l;
                break;
            }
        }
        return new Node(up, down0, down1);
    }
}
