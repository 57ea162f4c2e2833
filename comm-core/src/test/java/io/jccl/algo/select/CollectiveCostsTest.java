package io.jccl.algo.select;

import io.jccl.Collective;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost formulas: degenerate cases, monotonicity, and the textbook values they reduce to. */
class CollectiveCostsTest {
    private static final LinkParams P = new LinkParams(20e-6, 1e-9, 0.2e-9);
    private static final long SEG = 512 * 1024;
    private static final Plan[] ALL_REDUCE = {Plan.RING, Plan.TREE, Plan.HALVING_DOUBLING, Plan.DETERMINISTIC};

    @Test
    void oneRankOrNoBytesCostNothing() {
        for (Plan plan : ALL_REDUCE) {
            assertEquals(0, CollectiveCosts.allReduce(plan, P, 1 << 20, 1, SEG), plan.name());
            assertEquals(0, CollectiveCosts.allReduce(plan, P, 0, 8, SEG), plan.name());
        }
        assertEquals(0, CollectiveCosts.ringAllGather(P, 1 << 20, 1));
        assertEquals(0, CollectiveCosts.chainBroadcast(P, 1 << 20, 1, SEG));
        assertEquals(0, CollectiveCosts.barrier(P, 1));
    }

    @Test
    void everyAllReduceIsMonotoneInSizeAndWorld() {
        for (Plan plan : ALL_REDUCE) {
            for (int w = 2; w <= 64; w++) {
                double prev = 0;
                for (long n = 8; n <= 1L << 30; n *= 2) {
                    double t = CollectiveCosts.allReduce(plan, P, n, w, SEG);
                    assertTrue(t > prev, plan + " W=" + w + " n=" + n + ": " + t + " <= " + prev);
                    prev = t;
                }
            }
            for (long n : new long[] {8, 1 << 20}) {
                double prev = 0;
                for (int w = 2; w <= 1024; w *= 2) {
                    double t = CollectiveCosts.allReduce(plan, P, n, w, SEG);
                    assertTrue(t >= prev, plan + " n=" + n + " W=" + w);
                    prev = t;
                }
            }
        }
    }

    @Test
    void ringIsTheTextbookFormula() {
        int w = 8;
        long n = 64L << 20;
        double want = 2 * 7 * P.alphaSeconds() + 2 * 7.0 / 8 * n * P.betaSecondsPerByte() + 7.0 / 8 * n * P.gammaSecondsPerByte();
        assertEquals(want, CollectiveCosts.ringAllReduce(P, n, w), want * 1e-12);
    }

    @Test
    void halvingDoublingPaysTheFoldOnlyForNonPowersOfTwo() {
        long n = 1 << 20;
        double pow2 = CollectiveCosts.halvingDoublingAllReduce(P, n, 8);
        double want = 6 * P.alphaSeconds() + 2 * 7.0 / 8 * n * P.betaSecondsPerByte() + 7.0 / 8 * n * P.gammaSecondsPerByte();
        assertEquals(want, pow2, want * 1e-12);
        double nine = CollectiveCosts.halvingDoublingAllReduce(P, n, 9);
        double fold = 2 * P.alphaSeconds() + 2.0 * n * P.betaSecondsPerByte() + n * P.gammaSecondsPerByte();
        assertEquals(pow2 + fold, nine, nine * 1e-12);
    }

    @Test
    void treeOfTwoMovesTheRingsBytesWithTheRingsLatency() {
        long n = 1 << 20; // two halves of 512 KiB: one segment each, no pipeline fill at depth 1
        LinkParams noLatency = new LinkParams(0, P.betaSecondsPerByte(), P.gammaSecondsPerByte());
        assertEquals(CollectiveCosts.ringAllReduce(noLatency, n, 2), CollectiveCosts.treeAllReduce(noLatency, n, 2, SEG), 1e-15);
        LinkParams latencyOnly = new LinkParams(1, 0, 0);
        assertEquals(2, CollectiveCosts.treeAllReduce(latencyOnly, 8, 2, SEG), 1e-12,
                "W=2: both ranks send up the half they are a leaf of, then down the half they are the root of");
        assertEquals(2, CollectiveCosts.ringAllReduce(latencyOnly, 8, 2), 1e-12);
    }

    @Test
    void onASharedHostTheTreeMovesTheRingsTotalBytes() {
        long n = 64L << 20;
        LinkParams bandwidthOnly = new LinkParams(0, 1e-9, 0.2e-9);
        double ring = CollectiveCosts.ringAllReduce(bandwidthOnly, n, 4);
        double shared = CollectiveCosts.treeAllReduce(bandwidthOnly, n, 4, SEG, true);
        double links = CollectiveCosts.treeAllReduce(bandwidthOnly, n, 4, SEG, false);
        assertEquals(ring, shared, shared * 1e-12, "host-bound: the ring's bandwidth terms, no pipeline fill");
        assertTrue(links > shared, "link-bound: the busiest rank moves more than the average");
        assertEquals(CollectiveCosts.allReduce(Plan.TREE, bandwidthOnly, n, 4, SEG, true), shared);
    }

    @Test
    void treeLatencyGrowsLikeLogWAndRingLikeW() {
        LinkParams latencyOnly = new LinkParams(1, 0, 0);
        double tree = CollectiveCosts.treeAllReduce(latencyOnly, 8, 1024, SEG);
        double ring = CollectiveCosts.ringAllReduce(latencyOnly, 8, 1024);
        assertEquals(2 * 1023, ring, 1e-9);
        assertTrue(tree >= 2 * 10 && tree <= 4 * 10, "tree hops for W=1024: " + tree);
        // bandwidth: about 2 n beta for a large tree, against the ring's 2(W-1)/W n beta
        LinkParams bandwidthOnly = new LinkParams(0, 1e-9, 0);
        long n = 1L << 30;
        double t = CollectiveCosts.treeAllReduce(bandwidthOnly, n, 1024, SEG);
        assertTrue(t > 2 * n * 1e-9 && t < 2.1 * n * 1e-9, "tree bandwidth term " + t);
    }

    @Test
    void recursiveDoublingExchangesTheWholeVectorLog2Times() {
        LinkParams p = new LinkParams(1, 1e-3, 1e-4);
        // W=8: 3 exchanges of n bytes, each reduced
        assertEquals(3 * (1 + 1000 * 1e-3 + 1000 * 1e-4), CollectiveCosts.recursiveDoublingAllReduce(p, 1000, 8), 1e-12);
        // W=6: pof2=4, 2 exchanges, plus the fold (n sent, reduced) and unfold (n sent)
        assertEquals(2 * (1 + 1.0 + 0.1) + 2 + 2.0 + 0.1, CollectiveCosts.recursiveDoublingAllReduce(p, 1000, 6), 1e-12);
        assertEquals(0, CollectiveCosts.recursiveDoublingAllReduce(p, 1000, 1));
        assertEquals(CollectiveCosts.recursiveDoublingAllReduce(p, 1000, 8),
                CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, "rd", p, 1000, 8, SEG), 0);
    }

    @Test
    void treeShapeMatchesTheDoubleBinaryTree() {
        TreeShape two = TreeShape.of(2);
        assertEquals(1, two.depth());
        assertEquals(2, two.hops(), "W=2: each rank sends the half it is a leaf of first, then the root's half down");
        for (int w = 2; w <= 200; w++) {
            TreeShape s = TreeShape.of(w);
            assertTrue(s.hops() >= 2 * s.depth(), "W=" + w + ": up and down the deeper tree at least, hops=" + s.hops()
                    + " depth=" + s.depth());
        }
        assertEquals(1, two.upSent());
        assertEquals(1, two.upRecv());
        TreeShape big = TreeShape.of(1000);
        assertEquals(2, big.upRecv(), "an interior rank has two children in one tree and none in the other");
        assertEquals(10, big.depth(), "depth of 1000 ranks");
    }

    @Test
    void predictDispatchesOnTheLabelThatRan() {
        long n = 1 << 20;
        assertEquals(CollectiveCosts.ringAllReduce(P, n, 4), CollectiveCosts.predict(Collective.ALL_REDUCE, "ring", P, n, 4, SEG));
        assertEquals(CollectiveCosts.treeAllReduce(P, n, 4, SEG), CollectiveCosts.predict(Collective.ALL_REDUCE, "tree", P, n, 4, SEG));
        assertEquals(CollectiveCosts.binomialBroadcast(P, n, 4), CollectiveCosts.predict(Collective.BROADCAST, "binomial", P, n, 4, SEG));
        assertEquals(CollectiveCosts.chainBroadcast(P, n, 4, SEG), CollectiveCosts.predict(Collective.BROADCAST, "ring-chain", P, n, 4, SEG));
        assertEquals(CollectiveCosts.pointToPoint(P, n), CollectiveCosts.predict(Collective.SEND_RECV, "p2p", P, n, 4, SEG));
        assertTrue(Double.isNaN(CollectiveCosts.predict(Collective.ALL_REDUCE, "nccl", P, n, 4, SEG)));
    }

    @Test
    void linkFromGbitAndMicroseconds() {
        LinkParams l = LinkParams.ofLink(100, 25, 0);
        assertEquals(25e-6, l.alphaSeconds(), 1e-15);
        assertEquals(8 / 100e9, l.betaSecondsPerByte(), 1e-20);
        assertEquals(12.5, l.bandwidthGBps(), 1e-9);
    }
}
