package io.jccl.bench.scaling;

import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.HostCosts;
import io.jccl.algo.select.Plan;
import io.jccl.net.LaunchInfo;
import io.jccl.transport.HostLayout;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * {@code jccl-scaling}'s tables of this machine: what was measured at W = 1..N, and the model's prediction of the
 * same runs next to it, with the errors. Times in seconds (ms in the tables). Stateless.
 */
final class Validation {
    private Validation() {
    }

    /** {@code v} in {@code fmt}, or - when it is not finite. */
    static String num(double v, String fmt) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, fmt, v) : "-";
    }

    /** The measured table: a row per W, E(W) against the first row's step. */
    static void printMeasured(PrintStream out, List<Measured> ms, String statName) {
        out.println("#");
        out.println("# measured (slowest rank, " + statName + " of the steps, taken in rounds over W); E(W) = T(1) / T(W);"
                + " exposed = (step - compute) / comm");
        out.println("#   W    step (ms)  compute (ms)  comm (ms)  exposed   R = comp/comm   E(W)   GFLOP/s/rank  algo");
        double t1 = ms.get(0).step();
        for (Measured m : ms) {
            ScalingModel.StepTimes st = m.times();
            out.printf(Locale.ROOT, "  %3d  %11.1f  %12.1f  %9.1f  %7s  %14s  %5.2f  %13.2f  %s%n", m.w(), m.step() * 1e3,
                    m.compute() * 1e3, m.comm() * 1e3, m.w() == 1 ? "-" : num(st.exposedFraction(), "%.2f"),
                    m.w() == 1 ? "-" : num(st.ratio(), "%.2f"), ScalingModel.efficiency(t1, m.step()),
                    m.flopRate() / 1e9, m.algorithm());
        }
    }

    /**
     * The model's prediction of W = 2..N next to the measurement: compute from the W=1 compute time, slowed by
     * max(1, W / cores) when W ranks share the host's cores; communication from the cost model's parameters at W
     * for the algorithm that ran (ranks on several hosts, {@code layoutAt(W)}, and a model of both links: each link
     * class where the algorithm crosses it, {@link HostCosts}); the step from {@link ScalingModel#simulate} while a core is free, else compute +
     * communication (on a CPU-only host the communication is CPU work: with every core computing nothing hides it). Returns rows of
     * {W, predicted step, predicted comm, predicted E, error step, error comm, error E}. {@code work} is the workload
     * as the all-reduces see it (its buckets in wire bytes); {@code bucket} turns a bucket's wire bytes and the cost
     * of one all-reduce of a given size into the bucket's seconds ({@link StudyWire#bucketSeconds}).
     */
    static List<double[]> validate(PrintStream out, List<Measured> ms, CostModel m, ScalingModel.Workload work,
                                   BucketCost bucket, long seg, IntFunction<HostLayout> layoutAt) {
        List<double[]> rows = new ArrayList<>();
        if (ms.size() < 2) {
            return rows;
        }
        int cores = LaunchInfo.hostCpus();
        Measured one = ms.get(0);
        out.println("#");
        out.println("# validation: the model's prediction for this machine next to the measurement above (error = pred/meas - 1)");
        out.println("#   compute(W) = compute(1) x max(1, W / " + cores + " cores); comm = sum over buckets of the cost model's"
                + " all-reduce time at W; step = the DDP timeline (ScalingModel.simulate) while W < " + cores
                + " cores, else compute + comm (no core is left to hide the communication's CPU work)");
        out.println("#   W   step meas  step pred   err   comm meas  comm pred   err   exposed m/p    R m/p         E meas  E pred   err");
        for (Measured me : ms) {
            if (me.w() < 2) {
                continue;
            }
            int w = me.w();
            // compute(1) exactly as measured (the workload's FLOP at the W=1 rate), shared cores slow it beyond W = cores
            double rate = work.flopsPerStep() / one.compute() / Math.max(1.0, (double) w / cores);
            Plan plan = planOf(me.algorithm());
            // ranks on several hosts and a model of both links: each link class where it is crossed (HostCosts)
            HostLayout hosts = layoutAt.apply(w);
            ScalingModel.StepTimes pr = ScalingModel.step(work, rate, b -> bucket.seconds(b,
                    c -> HostCosts.allReduce(plan, m, c, hosts, seg)));
            if (w >= cores) {
                // every core already computes: the communication's copies and reductions (CPU work on a host without
                // a network card or accelerator doing them) cannot hide behind the compute
                pr = new ScalingModel.StepTimes(pr.compute(), pr.comm(), pr.compute() + pr.comm());
            }
            double ePred = ScalingModel.efficiency(one.step(), pr.step());
            double eMeas = ScalingModel.efficiency(one.step(), me.step());
            double[] row = {w, pr.step(), pr.comm(), ePred, pr.step() / me.step() - 1, pr.comm() / me.comm() - 1,
                    ePred / eMeas - 1};
            rows.add(row);
            out.printf(Locale.ROOT, "  %3d  %9.1f  %9.1f  %+4.0f%%  %9.1f  %9.1f  %+4.0f%%   %4.2f/%4.2f   %5.2f/%5.2f   %6.2f  %6.2f  %+4.0f%%%n",
                    w, me.step() * 1e3, pr.step() * 1e3, row[4] * 100, me.comm() * 1e3, pr.comm() * 1e3, row[5] * 100,
                    me.times().exposedFraction(), pr.exposedFraction(), me.times().ratio(), pr.ratio(), eMeas, ePred,
                    row[6] * 100);
        }
        return rows;
    }

    /** A bucket's predicted seconds from its wire bytes and the predicted seconds of one all-reduce of a size. */
    interface BucketCost {
        double seconds(long wireBytes, java.util.function.LongToDoubleFunction callSeconds);
    }

    /** The all-reduce plan that {@code lastAlgorithm()} named, or the ring for a name that is no costed all-reduce. */
    private static Plan planOf(String label) {
        Plan p = Plan.byLabel(label);
        return p != null && (p.autoAllReduce() || p == Plan.DETERMINISTIC) ? p : Plan.RING;
    }
}
