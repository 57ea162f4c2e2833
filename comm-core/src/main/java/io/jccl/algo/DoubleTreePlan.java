package io.jccl.algo;

import io.jccl.transport.PeerLink;

/**
 * One rank's place in both trees of {@link DoubleBinaryTree}, planned once per communicator (it depends only on
 * W and the rank) and reused by every {@link TreeAllReduce}: its parent and children in each tree, which tree it
 * works on first in each phase, and arrays for the links to them, which {@link #connect} fills for each
 * operation without allocating.
 *
 * <p>Threading: owned by one {@link OpContext} and used by the thread running its operation.
 */
final class DoubleTreePlan {
    private final DoubleBinaryTree.Node[] nodes = new DoubleBinaryTree.Node[2];
    private final PeerLink[] parents = new PeerLink[2];
    private final PeerLink[][] children = new PeerLink[2][];
    private final int firstUp;
    private final int firstDown;

    DoubleTreePlan(int w, int rank) {
        for (int t = 0; t < 2; t++) {
            nodes[t] = DoubleBinaryTree.node(w, rank, t);
            children[t] = new PeerLink[(nodes[t].child0() >= 0 ? 1 : 0) + (nodes[t].child1() >= 0 ? 1 : 0)];
        }
        firstUp = DoubleBinaryTree.firstTreeUp(nodes[0], nodes[1]);
        firstDown = DoubleBinaryTree.firstTreeDown(nodes[0], nodes[1]);
    }

    /** Resolves this operation's links, tree 0 then tree 1, each parent then first and second child. */
    DoubleTreePlan connect(OpContext ctx) {
        for (int t = 0; t < 2; t++) {
            DoubleBinaryTree.Node n = nodes[t];
            parents[t] = n.parent() < 0 ? null : ctx.link(n.parent());
            int i = 0;
            if (n.child0() >= 0) {
                children[t][i++] = ctx.link(n.child0());
            }
            if (n.child1() >= 0) {
                children[t][i] = ctx.link(n.child1());
            }
        }
        return this;
    }

    /** The link to the parent in tree {@code t}, or null at its root. */
    PeerLink parent(int t) {
        return parents[t];
    }

    /** The links to the children in tree {@code t}, first child first (empty at a leaf). */
    PeerLink[] children(int t) {
        return children[t];
    }

    /** The tree to work on first in each segment of the reduce-up phase ({@link DoubleBinaryTree#firstTreeUp}). */
    int firstUp() {
        return firstUp;
    }

    /** The tree to work on first in each segment of the broadcast-down phase. */
    int firstDown() {
        return firstDown;
    }
}
