package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The selection rules of {@link Selector}: thresholds, forced algorithm, deterministic mode, small worlds. */
class SelectorTest {
    private static CommConfig.Builder cfg() {
        return CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).treeMaxBytes(1000).hdMaxBytes(100_000);
    }

    @Test
    void allReduceBySizeAndWorld() {
        CommConfig c = cfg().build();
        assertEquals(Plan.TREE, Selector.allReduce(c, 1000, 4));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 1001, 4));
        assertEquals(Plan.HALVING_DOUBLING, Selector.allReduce(c, 100_000, 5));
        assertEquals(Plan.RING, Selector.allReduce(c, 100_001, 4));
        assertEquals(Plan.RING, Selector.allReduce(c, 10, 2), "W <= 2: the three are one exchange");
        assertEquals(Plan.RING, Selector.allReduce(c, 10, 1));
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

    @Test
    void algorithmNamesParse() {
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse("hd"));
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse(" Rabenseifner "));
        assertEquals(Algorithm.HALVING_DOUBLING, Algorithm.parse("halving-doubling"));
        assertEquals(Algorithm.TREE, Algorithm.parse("TREE"));
        assertEquals("hd", Algorithm.HALVING_DOUBLING.label());
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> Algorithm.parse("fast"));
        assertEquals(true, e.getMessage().contains("auto|ring|tree|hd"), e.getMessage());
    }
}
