package io.jccl.algo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Structure of both trees of {@link DoubleBinaryTree} for W = 1..64. */
@Timeout(30)
class DoubleBinaryTreeTest {
    static IntStream worlds() {
        return IntStream.rangeClosed(1, 64);
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void eachTreeIsARootedBinaryTreeOverAllRanks(int w) {
        for (int t = 0; t < 2; t++) {
            DoubleBinaryTree.Node[] n = nodes(w, t);
            String where = "W=" + w + " tree " + t;
            int root = -1;
            for (int r = 0; r < w; r++) {
                int p = n[r].parent();
                if (p < 0) {
                    assertEquals(-1, root, where + ": second root " + r + " (first " + root + ")");
                    assertEquals(-1, p, where + ": absent parent must be -1");
                    root = r;
                    assertTrue(n[r].isRoot());
                    continue;
                }
                assertTrue(p < w && p != r, where + ": rank " + r + " has parent " + p);
                assertTrue(n[p].child0() == r || n[p].child1() == r,
                        where + ": rank " + r + " names parent " + p + " whose children are " + n[p]);
            }
            assertTrue(root >= 0, where + ": no root");
            for (int r = 0; r < w; r++) {
                int c0 = n[r].child0();
                int c1 = n[r].child1();
                for (int c : new int[] {c0, c1}) {
                    if (c >= 0) {
                        assertTrue(c < w && c != r, where + ": rank " + r + " has child " + c);
                        assertEquals(r, n[c].parent(), where + ": child " + c + " of " + r + " names parent " + n[c].parent());
                    } else {
                        assertEquals(-1, c, where + ": absent child must be -1");
                    }
                }
                if (c0 >= 0 && c1 >= 0) {
                    assertNotEquals(c0, c1, where + ": rank " + r + " lists child " + c0 + " twice");
                }
            }
            // connected and acyclic: a walk down from the root meets every rank exactly once
            int[] depth = new int[w];
            java.util.Arrays.fill(depth, -1);
            ArrayDeque<Integer> todo = new ArrayDeque<>();
            depth[root] = 1;
            todo.add(root);
            int seen = 0;
            int maxDepth = 0;
            while (!todo.isEmpty()) {
                int r = todo.poll();
                seen++;
                maxDepth = Math.max(maxDepth, depth[r]);
                for (int c : new int[] {n[r].child0(), n[r].child1()}) {
                    if (c >= 0) {
                        if (depth[c] >= 0) {
                            fail(where + ": rank " + c + " reached twice");
                        }
                        depth[c] = depth[r] + 1;
                        todo.add(c);
                    }
                }
            }
            assertEquals(w, seen, where + ": ranks reachable from the root");
            int bound = ceilLog2(w) + 1;
            assertTrue(maxDepth <= bound, where + ": depth " + maxDepth + " (levels) exceeds ceil(log2 W)+1 = " + bound);
        }
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void treesComplementEachOther(int w) {
        DoubleBinaryTree.Node[] t0 = nodes(w, 0);
        DoubleBinaryTree.Node[] t1 = nodes(w, 1);
        if (w >= 2) {
            assertNotEquals(root(t0), root(t1), "W=" + w + ": both trees have the same root");
        }
        // tree 0's leaves are the odd ranks
        for (int r = 1; r < w; r += 2) {
            assertTrue(leaf(t0[r]), "W=" + w + ": odd rank " + r + " is interior in tree 0");
        }
        if (w >= 3) {
            int leaves0 = 0;
            int leafThenInterior = 0;
            for (int r = 0; r < w; r++) {
                if (leaf(t0[r])) {
                    leaves0++;
                    if (!leaf(t1[r])) {
                        leafThenInterior++;
                    }
                }
            }
            assertTrue(2 * leafThenInterior >= leaves0, "W=" + w + ": only " + leafThenInterior + " of " + leaves0
                    + " leaves of tree 0 are interior in tree 1");
        }
    }

    @Test
    void singleRankIsAloneAndTwoRanksSwapRoots() {
        assertEquals(new DoubleBinaryTree.Node(-1, -1, -1), DoubleBinaryTree.node(1, 0, 0));
        assertEquals(new DoubleBinaryTree.Node(-1, -1, -1), DoubleBinaryTree.node(1, 0, 1));
        assertEquals(0, DoubleBinaryTree.node(2, 1, 0).parent());
        assertEquals(1, DoubleBinaryTree.node(2, 0, 1).parent());
    }

    private static DoubleBinaryTree.Node[] nodes(int w, int t) {
        DoubleBinaryTree.Node[] n = new DoubleBinaryTree.Node[w];
        for (int r = 0; r < w; r++) {
            n[r] = DoubleBinaryTree.node(w, r, t);
        }
        return n;
    }

    private static int root(DoubleBinaryTree.Node[] n) {
        for (int r = 0; r < n.length; r++) {
            if (n[r].isRoot()) {
                return r;
            }
        }
        return -1;
    }

    private static boolean leaf(DoubleBinaryTree.Node n) {
        return n.child0() < 0 && n.child1() < 0;
    }

    private static int ceilLog2(int w) {
        return w <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(w - 1);
    }
}
