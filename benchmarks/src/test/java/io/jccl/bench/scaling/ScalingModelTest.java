package io.jccl.bench.scaling;

import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.LinkParams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The study's arithmetic: buckets, the overlapped timeline, E(W), exposed fraction, R, and the solvers. */
class ScalingModelTest {
    private static final long MIB = 1 << 20;

    @Test
    void bucketsAreFullFirstThenTheRemainder() {
        ScalingModel.Workload w = new ScalingModel.Workload(16 * MIB, 4, 25 * MIB, 1e9, 1 / 3.0);
        assertArrayEquals(new long[] {25 * MIB, 25 * MIB, 14 * MIB}, w.buckets());
        double[] f = w.backwardFlops();
        assertEquals(2e9 / 3, f[0] + f[1] + f[2], 1);
        assertEquals(f[0] * 14.0 / 25, f[2], 1e-3);
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Workload(0, 4, 25, 1, 0.3));
    }

    @Test
    void timelineHidesCommunicationBehindTheRestOfTheBackwardPass() {
        // forward 1, three backward parts of 1, all-reduces of 0.5: each hidden behind the next part but the last
        ScalingModel.StepTimes t = ScalingModel.simulate(1, new double[] {1, 1, 1}, new double[] {0.5, 0.5, 0.5});
        assertEquals(4, t.compute(), 1e-12);
        assertEquals(1.5, t.comm(), 1e-12);
        assertEquals(4.5, t.step(), 1e-12);
        assertEquals(0.5, t.exposed(), 1e-12);
        assertEquals(1.0 / 3, t.exposedFraction(), 1e-12);
        assertEquals(4 / 1.5, t.ratio(), 1e-12);
    }

    @Test
    void allReducesQueueBehindEachOther() {
        // all-reduces of 2 after backward parts of 1: they pile up; the step ends 2 + 2 + 2 after the first part ends
        ScalingModel.StepTimes t = ScalingModel.simulate(0, new double[] {1, 1, 1}, new double[] {2, 2, 2});
        assertEquals(7, t.step(), 1e-12);
        assertEquals(4.0 / 6, t.exposedFraction(), 1e-12);
        // one bucket: nothing to overlap with, the whole all-reduce is exposed
        ScalingModel.StepTimes one = ScalingModel.simulate(1, new double[] {2}, new double[] {3});
        assertEquals(6, one.step(), 1e-12);
        assertEquals(1, one.exposedFraction(), 1e-12);
        // no communication: R infinite, nothing exposed
        ScalingModel.StepTimes none = ScalingModel.simulate(1, new double[] {2}, new double[] {0});
        assertEquals(0, none.exposedFraction());
        assertTrue(Double.isInfinite(none.ratio()));
    }

    @Test
    void efficiencyIsTOneOverTW() {
        assertEquals(0.8, ScalingModel.efficiency(0.4, 0.5), 1e-12);
        assertEquals(1, ScalingModel.efficiency(2, 2), 0);
    }

    @Test
    void solveBetaInvertsAKnownRatio() {
        // R(beta) = 10 / (1e-3 + 1e9 beta): R = 5 at beta = (10/5 - 1e-3) / 1e9
        double beta = ScalingModel.solveBeta(b -> 10 / (1e-3 + 1e9 * b), 5);
        assertEquals((2 - 1e-3) / 1e9, beta, 1e-9 * beta);
        // the latency alone is too slow: no link reaches R = 1e5
        assertEquals(0, ScalingModel.solveBeta(b -> 10 / (1e-3 + 1e9 * b), 1e5));
    }

    @Test
    void solvedBandwidthKeepsTheRatioOfARealStep() {
        ScalingModel.Workload work = new ScalingModel.Workload(1_000_000_000L, 2, 25 * MIB, 6e9 * 16384, 1 / 3.0);
        LinkParams link = LinkParams.ofLink(100, 25, 1e-11);
        int w = 64;
        double r0 = ScalingModel.step(work, 1e14, b -> CollectiveCosts.ringAllReduce(link, b, w)).ratio();
        ScalingModel.Workload big = new ScalingModel.Workload(work.params() * 10, 2, 25 * MIB * 10, work.flopsPerStep() * 10, 1 / 3.0);
        double beta = ScalingModel.solveBeta(b -> ScalingModel.step(big, 1e15,
                n -> CollectiveCosts.ringAllReduce(link.withBeta(b), n, w)).ratio(), r0);
        double r1 = ScalingModel.step(big, 1e15, n -> CollectiveCosts.ringAllReduce(link.withBeta(beta), n, w)).ratio();
        assertEquals(r0, r1, r0 * 1e-6);
        assertTrue(beta < link.betaSecondsPerByte() / 10, "10x the gradients need a link more than 10x faster: " + beta);
    }

    @Test
    void firstBelowFindsTheCrossing() {
        // E(W) = 100 / (100 + W): below 0.5 from W = 101
        assertEquals(101, ScalingModel.firstBelow(w -> 100.0 / (100 + w), 2, 100_000, 1, 0.5));
        assertEquals(104, ScalingModel.firstBelow(w -> 100.0 / (100 + w), 8, 100_000, 8, 0.5));
        assertEquals(-1, ScalingModel.firstBelow(w -> 1.0, 2, 100_000, 1, 0.5));
        assertEquals(2, ScalingModel.firstBelow(w -> 0.1, 2, 100_000, 1, 0.5));
    }

    @Test
    void hierarchicalBeatsFlatRingAtScaleAndEqualsItsPiecesOnOneNode() {
        LinkParams net = LinkParams.ofLink(100, 25, 1e-11);
        LinkParams nvlink = LinkParams.ofLink(2400, 3, 1e-11);
        long n = 100 * MIB;
        double flat = ScalingModel.allReduce(ScalingModel.Algo.RING, net, nvlink, n, 4096, 8, 512 * 1024);
        double hier = ScalingModel.allReduce(ScalingModel.Algo.HIERARCHICAL, net, nvlink, n, 4096, 8, 512 * 1024);
        assertTrue(hier < flat / 5, "hierarchical " + hier + " vs flat ring " + flat);
        // one node: only the intra-node ring (reduce-scatter + all-gather) = a ring all-reduce on the intra link
        double oneNode = ScalingModel.allReduce(ScalingModel.Algo.HIERARCHICAL, net, nvlink, n, 8, 8, 512 * 1024);
        assertEquals(CollectiveCosts.ringAllReduce(nvlink, n, 8), oneNode, oneNode * 1e-12);
    }
}
