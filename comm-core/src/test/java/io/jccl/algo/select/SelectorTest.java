package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The selection rules of {@link Selector}: thresholds, forced algorithm, deterministic mode, small worlds. */
class SelectorTest {
    private static CommConfig.Builder cfg() {
        return CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).rdMaxBytes(16).treeMaxBytes(1000)
                .hdMaxBytes(100_000);
    }

    @Test
    void allReduceBySizeAndWorld() {
        CommConfig c = cfg().build();
        assertEquals(Plan.TREE, Selector.allReduce(c, 1000, 4));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 1001, 4));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 100_000, 5));
        assertEquals(Plan.RING, Selector.allReduce(c, 100_001, 4));
        assertEquals(Plan.RECURSIVE_DOUBLING, Selector.allReduce(c, 10, 2), "tiny: recursive doubling");
        assertEquals(Plan.RING, Selector.allReduce(c, 1000, 2), "W <= 2: ring, tree and hd are one exchange");
        assertEquals(Plan.RECURSIVE_DOUBLING, Selector.allReduce(c, 16, 7));
        assertEquals(Plan.TREE, Selector.allReduce(c, 17, 7));
    }

    @Test
    void recursiveDoublingIsForcedOrOffByItsThreshold() {
        assertEquals(Plan.RECURSIVE_DOUBLING, Selector.allReduce(cfg().algorithm(Algorithm.RECURSIVE_DOUBLING).build(),
                1 << 30, 5));
        assertEquals(Plan.TREE, Selector.allReduce(cfg().rdMaxBytes(0).build(), 8, 4));
        assertEquals(Algorithm.RECURSIVE_DOUBLING, Algorithm.parse("rd"));
        assertEquals("rd", Algorithm.RECURSIVE_DOUBLING.label());
    }

    @Test
    void forcedAlgorithmWinsExceptInDeterministicMode() {
        for (Algorithm a : new Algorithm[] {Algorithm.RING, Algorithm.TREE, Algorithm.HALVING_DOUBLING}) {
            CommConfig c = cfg().algorithm(a).build();
            Plan want = a == Algorithm.RING ? Plan.RING : a == Algorithm.TREE ? Plan.TREE : Plan.HALVING_DOUBLING;
            for (long bytes : new long[] {0, 8, 5000, 1 << 30}) {
                assertEquals(want, Selector.allReduce(c, bytes, 7));
                assertEquals(want, Selector.allReduce(c, bytes, 2));
            }
            CommConfig d = cfg().algorithm(a).deterministic(true).build();
            assertEquals(Plan.DETERMINISTIC, Selector.allReduce(d, 8, 7));
            assertEquals(Plan.DETERMINISTIC, Selector.reduceScatter(d, 8, 8));
            assertEquals(Plan.DETERMINISTIC, Selector.reduce(d, 8, 8));
        }
    }

    @Test
    void reduceScatterBroadcastReduce() {
        CommConfig c = cfg().build();
        assertEquals(Plan.RECURSIVE_HALVING, Selector.reduceScatter(c, 100_000, 8));
        assertEquals(Plan.RING, Selector.reduceScatter(c, 100_001, 8));
        assertEquals(Plan.RING, Selector.reduceScatter(c, 8, 6), "not a power of two");
        assertEquals(Plan.RING, Selector.reduceScatter(c, 8, 1));
        assertEquals(Plan.BINOMIAL, Selector.broadcast(c, 1000, 3));
        assertEquals(Plan.CHAIN, Selector.broadcast(c, 1001, 3));
        assertEquals(Plan.CHAIN, Selector.broadcast(c, 8, 2));
        assertEquals(Plan.CHAIN, Selector.reduce(c, 8, 5));
    }

    /** A model whose latency makes the tree win small messages and whose bandwidth makes the ring win large ones. */
    private static CostModel model() {
        return CostModel.uniform(new LinkParams(50e-6, 1e-9, 0.1e-9));
    }

    @Test
    void modelPicksTheLowestPredictedTime() {
        CommConfig c = cfg().build();
        CostModel m = model();
        for (int w : new int[] {2, 3, 4, 7, 8, 16, 64}) {
            for (long bytes = 8; bytes <= 1L << 28; bytes *= 8) {
                Plan got = Selector.allReduce(c, bytes, w, m);
                LinkParams p = m.params(w);
                double best = Double.POSITIVE_INFINITY;
                for (Plan plan : new Plan[] {Plan.RING, Plan.TREE, Plan.HALVING_DOUBLING, Plan.RECURSIVE_DOUBLING}) {
                    best = Math.min(best, CollectiveCosts.allReduce(plan, p, bytes, w, c.segmentBytes()));
                }
                assertEquals(best, CollectiveCosts.allReduce(got, p, bytes, w, c.segmentBytes()), 0,
                        "W=" + w + " bytes=" + bytes + " chose " + got);
            }
        }
        // and the choice changes with size: a log-depth algorithm for 8 bytes, the ring for 256 MiB on 48 ranks
        // (halving-doubling would pay its fold of 2 n beta; on 64 ranks it ties the ring's bytes with fewer hops)
        assertEquals(Plan.RING, Selector.allReduce(c, 1L << 28, 48, m));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 1L << 28, 64, m));
        assertTrue(Selector.allReduce(c, 8, 48, m) != Plan.RING, "8 B on 48 ranks: not the ring");
        // recursive doubling: the fewest latencies, so it takes tiny messages; never 256 MiB (log2 W x n bytes)
        assertEquals(Plan.RECURSIVE_DOUBLING, Selector.allReduce(c, 8, 64, m));
        assertTrue(Selector.allReduce(c, 1L << 28, 4, m) != Plan.RECURSIVE_DOUBLING, "256 MiB on 4 ranks: not rd");
    }

    @Test
    void theTreesOwnLatencyDecidesWhetherItWins() {
        CommConfig c = cfg().build();
        CostModel m = model();
        int w = 0;
        long bytes = 0;
        for (int tw = 3; tw <= 256 && w == 0; tw++) { // a case where the tree wins with the shared alpha
            for (long b = 8; b <= 1L << 28 && w == 0; b *= 2) {
                if (Selector.allReduce(c, b, tw, m) == Plan.TREE) {
                    w = tw;
                    bytes = b;
                }
            }
        }
        assertTrue(w > 0, "the tree wins somewhere with one alpha");
        CostModel slowTree = m.withTreeAlpha(w, 1e-3);
        Plan got = Selector.allReduce(c, bytes, w, slowTree);
        assertTrue(got != Plan.TREE, "W=" + w + ", " + bytes + " B, a tree hop of 1 ms: not the tree, got " + got);
        assertEquals(CollectiveCosts.allReduce(Plan.TREE, new LinkParams(1e-3, 1e-9, 0.1e-9), bytes, w, c.segmentBytes()),
                CollectiveCosts.allReduce(Plan.TREE, slowTree.params(w, Plan.TREE), bytes, w, c.segmentBytes()), 0);
        assertEquals(Plan.TREE, Selector.allReduce(c, bytes, w, m.withTreeAlpha(w + 1, 1e-3)), "other W keep the shared alpha");
    }

    @Test
    void forcedAlgorithmAndDeterministicModeWinOverTheModel() {
        CostModel m = model();
        for (Algorithm a : new Algorithm[] {Algorithm.RING, Algorithm.TREE, Algorithm.HALVING_DOUBLING}) {
            Plan want = a == Algorithm.RING ? Plan.RING : a == Algorithm.TREE ? Plan.TREE : Plan.HALVING_DOUBLING;
            for (long bytes : new long[] {8, 1L << 28}) {
                assertEquals(want, Selector.allReduce(cfg().algorithm(a).build(), bytes, 64, m));
            }
        }
        assertEquals(Plan.DETERMINISTIC, Selector.allReduce(cfg().deterministic(true).build(), 8, 64, m));
    }

    @Test
    void withoutAModelTheThresholdsDecide() {
        CommConfig c = cfg().build();
        assertEquals(Plan.TREE, Selector.allReduce(c, 1000, 4, null));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 1001, 4, null));
        assertEquals(Plan.RING, Selector.allReduce(c, 100_001, 4, null));
    }

    @Test
    void algorithmNamesParse() {
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse("hd"));
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse(" Rabenseifner "));
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse("halving-doubling"));
        assertEquals(Algorithm.TREE, Algorithm.parse("TREE"));
        assertEquals("hd", Algorithm.HALVING_DOUBLING.label());
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> Algorithm.parse("fast"));
        assertEquals(true, e.getMessage().contains("auto|ring|tree|hd|rd"), e.getMessage());
    }
}
