package io.jccl.bench.scaling;

import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.LinkParams;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * The arithmetic of the compute/communication study, shared by the measurement, the validation and the
 * prediction past this machine. Times are in seconds, sizes in bytes, compute in FLOP and FLOP/s.
 *
 * <p>A data-parallel step (PyTorch DDP's schedule): the forward pass, then the backward pass bucket by bucket in
 * reverse order of the parameters; as soon as a bucket's gradients are computed its all-reduce is issued, and the
 * all-reduces run one after another (one communicator) while the backward pass goes on. The step ends when both
 * the backward pass and the last all-reduce have finished. {@link #simulate} plays this timeline.
 *
 * <ul>
 *   <li>compute time: forward + backward alone; communication time: every bucket's all-reduce alone, back to back;</li>
 *   <li>exposed communication: step time - compute time (the part of the communication not hidden behind the
 *       backward pass), and its fraction of the communication time;</li>
 *   <li>R = compute time / communication time;</li>
 *   <li>weak-scaling efficiency E(W) = T(1) / T(W): every rank keeps its work, so with perfect overlap E = 1.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ScalingModel {
    private ScalingModel() {
    }

    /**
     * What one rank computes and communicates per step.
     *
     * @param params          parameters P (gradients all-reduced per step)
     * @param bytesPerParam   bytes of one gradient element (4 for fp32, 2 for bf16)
     * @param bucketBytes     bucket size (PyTorch DDP: 25 MiB)
     * @param flopsPerStep    FLOP per step and rank (forward + backward)
     * @param forwardFraction the forward pass's share of the FLOP (1/3: backward costs about twice the forward)
     */
    public record Workload(long params, int bytesPerParam, long bucketBytes, double flopsPerStep, double forwardFraction) {
        public Workload {
            if (params < 1 || bytesPerParam < 1 || bucketBytes < 1 || !(flopsPerStep >= 0)
                    || !(forwardFraction >= 0 && forwardFraction <= 1)) {
                throw new IllegalArgumentException("workload: params, bytes per parameter and bucket bytes must be >= 1,"
                        + " FLOP >= 0, forward fraction in [0, 1]");
            }
        }

        /** Bytes of all gradients. */
        public long gradientBytes() {
            return params * bytesPerParam;
        }

        /**
         * Bucket sizes in bytes, in the order their all-reduces are issued: full buckets first (the last layers'
         * gradients are ready first), the remainder last; each a multiple of the element size.
         */
        public long[] buckets() {
            long total = gradientBytes();
            long full = Math.max(bytesPerParam, bucketBytes / bytesPerParam * bytesPerParam);
            List<Long> out = new ArrayList<>();
            for (long done = 0; done < total; done += full) {
                out.add(Math.min(full, total - done));
            }
            return out.stream().mapToLong(Long::longValue).toArray();
        }

        /** The backward FLOP of each bucket, in issue order, proportional to its parameters. */
        public double[] backwardFlops() {
            long[] b = buckets();
            double[] f = new double[b.length];
            for (int i = 0; i < b.length; i++) {
                f[i] = flopsPerStep * (1 - forwardFraction) * b[i] / (double) gradientBytes();
            }
            return f;
        }
    }

    /**
     * The times of one step.
     *
     * @param compute compute time alone (forward + backward)
     * @param comm    communication time alone (the buckets' all-reduces back to back)
     * @param step    time of the overlapped step
     */
    public record StepTimes(double compute, double comm, double step) {
        /** Communication not hidden behind compute: max(0, step - compute). */
        public double exposed() {
            return Math.max(0, step - compute);
        }

        /** Exposed communication over communication time (0 without communication; at most 1 plus noise). */
        public double exposedFraction() {
            return comm > 0 ? exposed() / comm : 0;
        }

        /** R = compute / communication (infinite without communication). */
        public double ratio() {
            return comm > 0 ? compute / comm : Double.POSITIVE_INFINITY;
        }
    }

    /**
     * Plays the step's timeline: forward, then backward bucket by bucket; bucket i's all-reduce starts when its
     * backward part is done and the previous all-reduce has finished.
     *
     * @param forward   forward time
     * @param backward  backward time of each bucket, in issue order
     * @param allReduce all-reduce time of each bucket, same order
     */
    public static StepTimes simulate(double forward, double[] backward, double[] allReduce) {
        if (backward.length != allReduce.length) {
            throw new IllegalArgumentException("one backward time and one all-reduce time per bucket");
        }
        double t = forward;
        double commEnd = 0;
        double comm = 0;
        double compute = forward;
        for (int i = 0; i < backward.length; i++) {
            t += backward[i];
            compute += backward[i];
            commEnd = Math.max(commEnd, t) + allReduce[i];
            comm += allReduce[i];
        }
        return new StepTimes(compute, comm, Math.max(t, commEnd));
    }

    /** The step of {@code work} at {@code flopRate} FLOP/s per rank with each bucket's all-reduce time given. */
    public static StepTimes step(Workload work, double flopRate, java.util.function.LongToDoubleFunction allReduceSeconds) {
        long[] b = work.buckets();
        double[] bw = work.backwardFlops();
        double[] back = new double[b.length];
        double[] ar = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            back[i] = bw[i] / flopRate;
            ar[i] = allReduceSeconds.applyAsDouble(b[i]);
        }
        return simulate(work.flopsPerStep() * work.forwardFraction() / flopRate, back, ar);
    }

    /** Weak-scaling efficiency E(W) = T(1) / T(W). */
    public static double efficiency(double stepTimeOne, double stepTimeW) {
        return stepTimeOne / stepTimeW;
    }

    /** All-reduce algorithms for predictions at scale. */
    public enum Algo {
        RING("ring"), TREE("tree"), HIERARCHICAL("hierarchical");

        final String label;

        Algo(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One all-reduce of {@code bytes} over W = nodes x ranksPerNode ranks. Flat ring and tree pay the
     * network's alpha and beta on every hop (a step of a flat algorithm waits for its slowest hop, which crosses
     * the network); hierarchical uses the intra-node link inside a node ({@link CollectiveCosts#hierarchicalAllReduce}).
     */
    public static double allReduce(Algo algo, LinkParams inter, LinkParams intra, long bytes, int w, int ranksPerNode,
                                   long segmentBytes) {
        switch (algo) {
            case RING: return CollectiveCosts.ringAllReduce(inter, bytes, w);
            case TREE: return CollectiveCosts.treeAllReduce(inter, bytes, w, segmentBytes);
            default: {
                int g = Math.max(1, Math.min(ranksPerNode, w));
                return CollectiveCosts.hierarchicalAllReduce(intra, inter, bytes, g, Math.max(1, w / g), segmentBytes);
            }
        }
    }

    /**
     * The beta (seconds per byte) at which {@code ratioOfBeta} reaches {@code targetRatio}, by bisection on a
     * log scale; {@code ratioOfBeta} must decrease as beta grows (a slower link lowers R). Returns 0 when even an
     * infinitely fast link stays below the target (the latency terms alone are too slow), and
     * {@code Double.POSITIVE_INFINITY} when any link reaches it.
     */
    public static double solveBeta(DoubleUnaryOperator ratioOfBeta, double targetRatio) {
        if (ratioOfBeta.applyAsDouble(0) < targetRatio) {
            return 0;
        }
        double lo = 1e-18; // 1 EB/s
        double hi = 1e-3;  // 1 kB/s
        if (ratioOfBeta.applyAsDouble(hi) >= targetRatio) {
            return Double.POSITIVE_INFINITY;
        }
        for (int i = 0; i < 200; i++) {
            double mid = Math.sqrt(lo * hi);
            if (ratioOfBeta.applyAsDouble(mid) >= targetRatio) {
                lo = mid;
            } else {
                hi = mid;
            }
            if (hi / lo < 1 + 1e-9) {
                break;
            }
        }
        return Math.sqrt(lo * hi);
    }

    /**
     * The smallest W in [wLo, wHi] (both on the grid {@code step}: multiples of it) whose efficiency is below
     * {@code threshold}, found by bisection assuming E falls with W; -1 when E(wHi) is not below it.
     */
    public static long firstBelow(java.util.function.LongToDoubleFunction efficiencyOfW, long wLo, long wHi, long step,
                                  double threshold) {
        if (efficiencyOfW.applyAsDouble(wHi) >= threshold) {
            return -1;
        }
        if (efficiencyOfW.applyAsDouble(wLo) < threshold) {
            return wLo;
        }
        long lo = wLo / step; // E(lo * step) >= threshold
        long hi = wHi / step; // E(hi * step) < threshold
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (efficiencyOfW.applyAsDouble(mid * step) < threshold) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi * step;
    }
}
