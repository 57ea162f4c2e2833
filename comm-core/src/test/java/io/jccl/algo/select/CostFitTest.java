package io.jccl.algo.select;

import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The least-squares fit recovers known alpha and beta from synthetic ping-pong times. */
class CostFitTest {
    private static double[] sizes() {
        double[] n = new double[12];
        for (int i = 0; i < n.length; i++) {
            n[i] = 8 * Math.pow(4, i); // 8 B .. 32 MiB
        }
        return n;
    }

    @Test
    void exactDataGivesExactAlphaAndBeta() {
        double alpha = 25e-6;
        double beta = 1 / 12.5e9; // 100 Gbit/s
        double[] n = sizes();
        double[] t = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            t[i] = alpha + beta * n[i];
        }
        CostFit.Line f = CostFit.fit(n, t);
        assertEquals(alpha, f.intercept(), alpha * 1e-9);
        assertEquals(beta, f.slope(), beta * 1e-9);
        assertEquals(0, f.maxRelativeError(), 1e-9);
    }

    @Test
    void noisyDataGivesAlphaAndBetaWithinTheNoise() {
        double alpha = 300e-6;
        double beta = 1.5e-9;
        Random rnd = new Random(42);
        double[] n = sizes();
        double[] t = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            t[i] = (alpha + beta * n[i]) * (1 + 0.05 * rnd.nextGaussian());
        }
        CostFit.Line f = CostFit.fit(n, t);
        assertEquals(alpha, f.intercept(), alpha * 0.08, "alpha");
        assertEquals(beta, f.slope(), beta * 0.08, "beta");
        assertTrue(f.medianRelativeError() < 0.08, "median error " + f.medianRelativeError());
    }

    @Test
    void relativeWeightsKeepTheSmallSizesInTheFit() {
        // an unweighted fit would let the 32 MiB point decide and miss the 8-byte latency entirely
        double[] n = {8, 1 << 25};
        double[] t = {20e-6 + 8e-9, 20e-6 + 1e-9 * (1 << 25)};
        CostFit.Line f = CostFit.fit(n, t);
        assertEquals(20e-6, f.intercept(), 1e-12);
        assertEquals(1e-9, f.slope(), 1e-18);
    }

    @Test
    void negativeInterceptIsClampedToAFitThroughTheOrigin() {
        double[] n = {1000, 2000, 4000};
        double[] t = {0.5e-6, 1.9e-6, 4.1e-6}; // unconstrained intercept < 0
        CostFit.Line f = CostFit.fit(n, t);
        assertEquals(0, f.intercept());
        // weighted by 1/t^2 the first point counts most: the slope lies between its 0.5e-9 and the others' 1e-9
        assertTrue(f.slope() > 0.5e-9 && f.slope() < 1.05e-9, "slope " + f.slope());
    }

    @Test
    void twoTermFitRecoversAlphaAndBetaFromRingAndTreeTimes() {
        LinkParams truth = new LinkParams(400e-6, 2e-9, 0);
        int w = 4;
        long seg = 512 * 1024;
        for (Plan plan : new Plan[] {Plan.RING, Plan.TREE}) {
            double[] lat = new double[12];
            double[] wire = new double[12];
            double[] t = new double[12];
            for (int i = 0; i < 12; i++) {
                long n = 8L << (2 * i);
                lat[i] = CollectiveCosts.allReduce(plan, new LinkParams(1, 0, 0), n, w, seg);
                wire[i] = CollectiveCosts.allReduce(plan, new LinkParams(0, 1, 0), n, w, seg);
                t[i] = CollectiveCosts.allReduce(plan, truth, n, w, seg);
            }
            CostFit.Line f = CostFit.fit2(lat, wire, t);
            assertEquals(truth.alphaSeconds(), f.intercept(), truth.alphaSeconds() * 1e-6, plan + " alpha");
            assertEquals(truth.betaSecondsPerByte(), f.slope(), truth.betaSecondsPerByte() * 1e-6, plan + " beta");
        }
    }

    @Test
    void latencyFitRecoversAlphaWithTheRestGiven() {
        double alpha = 7e-6;
        double[] hops = {2, 2, 5, 5, 5};
        double[] rest = {0, 1e-6, 3e-6, 2e-5, 1e-4};
        double[] t = new double[hops.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = hops[i] * alpha + rest[i];
        }
        assertEquals(alpha, CostFit.fitLatency(hops, rest, t), 1e-12);
        for (int i = 0; i < t.length; i++) {
            t[i] *= 1 + (i % 2 == 0 ? 0.05 : -0.05);
        }
        assertEquals(alpha, CostFit.fitLatency(hops, rest, t), alpha * 0.1, "within the 5% noise");
        assertEquals(0, CostFit.fitLatency(new double[] {2}, new double[] {5e-6}, new double[] {4e-6}), 0,
                "times below the rest: clamped to 0");
        assertThrows(IllegalArgumentException.class, () -> CostFit.fitLatency(new double[0], new double[0], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> CostFit.fitLatency(new double[1], new double[2], new double[1]));
    }

    @Test
    void badInputsFailClearly() {
        assertThrows(InvalidUsageException.class, () -> CostFit.fit(new double[] {8}, new double[] {1e-6}));
        assertThrows(InvalidUsageException.class, () -> CostFit.fit(new double[] {8, 8}, new double[] {1e-6, 2e-6}));
        assertThrows(InvalidUsageException.class, () -> CostFit.fit(new double[] {8, 16}, new double[] {1e-6, 0}));
    }

    @Test
    void medianOfOddAndEvenLengths() {
        assertEquals(2, CostFit.median(new double[] {3, 1, 2}));
        assertEquals(2.5, CostFit.median(new double[] {4, 1, 2, 3}));
        assertTrue(Double.isNaN(CostFit.median(new double[0])));
    }

    @Test
    void aSecondSlopeIsFittedOnlyWhereTheLargestPointsNeedIt() {
        // a ring all-reduce at W=4: 6 latencies and 1.5 n bytes on the wire; from 8 MiB on, 1.8x the time per byte
        double[] n = {8, 32, 128, 512, 2048, 8192, 32768, 131072, 524288, 2097152, 8388608, 33554432};
        double[] x = new double[n.length];
        double[] z = new double[n.length];
        double[] y = new double[n.length];
        double[] flat = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            x[i] = 6;
            z[i] = 1.5 * n[i];
            double beta = n[i] >= 8388608 ? 1.8 * 3e-10 : 3e-10;
            y[i] = 8e-6 * x[i] + beta * z[i];
            flat[i] = 8e-6 * x[i] + 3e-10 * z[i];
        }
        CostFit.Split s = CostFit.fit2Split(x, z, y, 6);
        assertEquals(10, s.from(), "the split falls where the slope changes");
        assertEquals(8e-6, s.a(), 8e-6 * 1e-6);
        assertEquals(3e-10, s.b(), 3e-10 * 1e-6);
        assertEquals(1.8 * 3e-10, s.bLarge(), 3e-10 * 1e-6);
        assertEquals(null, CostFit.fit2Split(x, z, flat, 6), "one slope fits: no split");
    }

    @Test
    void aSlowerTopIsFittedEvenWhenTheSmallSizesScatter() {
        // jccl-scaling's in-run fit at W=2 over shared memory on the 2-core VM (2026-12-07 03:47): the small sizes
        // scatter by up to 29% around one line, and from 2 MiB up the time per byte grows (2.98, 2.77, 2.53 GB/s algbw
        // at 2, 8 and 32 MiB). One slope missed the top three by -10%, -17% and -25%; the old test (the split must halve
        // the sum over all points, small sizes included) kept it, and the study's 25 MiB buckets were predicted short.
        double[] n = {8, 32, 128, 512, 2048, 8192, 32768, 131072, 524288, 2097152, 8388608, 33554432};
        double[] us = {14.32, 15.38, 11.35, 10.97, 11.15, 11.07, 17.66, 42.06, 153.71, 704.11, 3027.49, 13284.29};
        double gamma = 4.73e-11;
        double[] x = new double[n.length];
        double[] z = new double[n.length];
        double[] y = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            x[i] = 2;               // 2 (W - 1) latencies
            z[i] = n[i];            // 2 (W - 1) / W n bytes on the wire
            y[i] = us[i] * 1e-6 - 0.5 * n[i] * gamma;
        }
        CostFit.Split s = CostFit.fit2Split(x, z, y, 6);
        assertTrue(s != null, "the top's slower slope is fitted");
        for (int i = s.from(); i < n.length; i++) {
            double at = s.a() * x[i] + s.bLarge() * z[i];
            assertEquals(y[i], at, 0.12 * y[i], n[i] + " B within 12%: " + at * 1e6 + " us");
        }
        assertTrue(s.from() >= 9, "the split is at the top, not among the scattered small sizes: " + s.from());

        // the same scatter below, and the top on the small sizes' line: one slope
        CostFit.Line line = CostFit.fit2(java.util.Arrays.copyOf(x, 9), java.util.Arrays.copyOf(z, 9),
                java.util.Arrays.copyOf(y, 9));
        double[] onLine = y.clone();
        for (int i = 9; i < n.length; i++) {
            onLine[i] = line.intercept() * x[i] + line.slope() * z[i];
        }
        assertEquals(null, CostFit.fit2Split(x, z, onLine, 6), "no change of slope at the top: no split");
    }
}
