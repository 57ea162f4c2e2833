package io.jccl.bench.scaling;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.algo.select.CostModel;
import io.jccl.bench.tune.Tuner;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.transport.HostLayout;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jccl-scaling}'s study on this machine: a data-parallel training step ({@link TrainingStep}) on W = 1..N
 * ranks (sub-communicators of the first W ranks; the others wait), measured in rounds, one step of each W per round
 * (a drift of the machine's speed during the run then reaches every W alike, where W after W would charge it to the
 * W measured at the time); the cost model given or fitted in the run ({@link StudyFit}); then on rank 0 the
 * measured table and its validation ({@link Validation}), the prediction past this machine ({@link AtScale}) and
 * the files ({@link StudyFiles}).
 *
 * <p>Not thread-safe; {@link #run} is a collective call over a communicator, on every rank.
 */
final class ScalingStudy {
    private final StudySettings s;
    private final AtScale atScale;
    private final StudyFiles files;

    ScalingStudy(StudySettings s, AtScale atScale, StudyFiles files) {
        this.s = s;
        this.atScale = atScale;
        this.files = files;
    }

    /** What the rounds measured, and the FLOP per step the workload runs. */
    private record Rounds(List<Measured> measured, double statedFlops) {
    }

    /** Measures W = 1..N on every rank of {@code comm}; rank 0 prints to {@code out} (null on the others), predicts and writes the files. */
    void run(Communicator comm, String transport, PrintStream out) throws IOException {
        int n = comm.size();
        // the cost model: given (read first, so that a bad file is the only line), or fitted now on the same ranks
        CostModel costModel = s.model() != null ? CostModel.load(Path.of(s.model())) : null;
        if (out != null) {
            out.printf(Locale.ROOT, "# jccl-scaling: %s, %d cores, all-reduce %s; gradients through %s%n", transport,
                    LaunchInfo.hostCpus(), s.algo(), s.wire().label(s.type()));
        }
        Map<Integer, Tuner.WorldFit> fits = new LinkedHashMap<>();
        Communicator[] subs = new Communicator[n + 1];
        for (int k = 1; k <= n; k++) {
            subs[k] = k == n ? comm : comm.split(comm.rank() < k ? 0 : -1, comm.rank());
        }
        if (costModel == null) {
            costModel = StudyFit.fit(comm, subs, s.wireWork(), s.wire(), s.type(),
                    Knob.parseSize(s.fitMaxBytes()), transport, out, fits);
        }
        Rounds rounds = measure(comm, subs);
        double convert = 0;
        if (s.wire().compresses(s.type())) {
            comm.barrier(); // every rank converts at once, as in the steps
            convert = ConversionProbe.secondsPerElement(s.wire().wireType(s.type()), s.wire().errorFeedback());
            comm.barrier();
        }
        HostLayout[] layouts = new HostLayout[n + 1];
        for (int k = 1; k <= n; k++) {
            if (subs[k] != null) {
                layouts[k] = subs[k].hostLayout();
                if (k < n) {
                    subs[k].close();
                }
            }
        }
        if (out == null) {
            return;
        }
        report(out, rounds, costModel, comm.config().segmentBytes(), convert, layouts);
        files.chartBusbw(fits, costModel, comm.config().segmentBytes(), n);
    }

    private Rounds measure(Communicator comm, Communicator[] subs) {
        int n = comm.size();
        TrainingStep[] ts = new TrainingStep[n + 1];
        List<Measured> measured = new ArrayList<>();
        double statedFlops;
        try (HostBuffer grads = HostBuffer.allocate(s.work().params(), s.type())) {
            for (int k = 1; k <= n; k++) {
                if (subs[k] != null) {
                    ts[k] = new TrainingStep(subs[k], s.work(), s.type(), s.gemmSize(), grads, s.wire());
                }
            }
            statedFlops = (ts[1] != null ? ts[1] : ts[n]).flopsPerStep();
            double[][][] t = new double[n + 1][3][s.steps()];
            String[] algorithm = new String[n + 1];
            for (int round = -s.warmup(); round < s.steps(); round++) {
                for (int k = 1; k <= n; k++) {
                    if (ts[k] != null) {
                        double[] times = stepTimes(subs[k], ts[k]);
                        algorithm[k] = ts[k].lastAlgorithm();
                        if (round >= 0) {
                            for (int j = 0; j < 3; j++) {
                                t[k][j][round] = times[j];
                            }
                        }
                    }
                    comm.barrier(); // the ranks outside W wait here: they take no core from it
                }
            }
            for (int k = 1; k <= n; k++) {
                if (ts[k] != null) {
                    double compute = s.stat().of(t[k][0]);
                    measured.add(new Measured(k, s.stat().of(t[k][2]), compute, k == 1 ? 0 : s.stat().of(t[k][1]),
                            ts[k].flopsPerStep() / compute, k == 1 ? "-" : algorithm[k]));
                    ts[k].close();
                }
            }
        }
        return new Rounds(measured, statedFlops);
    }

    /**
     * One step of each kind on the ranks of {@code c}, each after a barrier: compute alone, communication alone, the
     * overlapped step; returns their times in seconds, the slowest rank's (a collective call over {@code c}).
     */
    private static double[] stepTimes(Communicator c, TrainingStep ts) {
        try (HostBuffer buf = HostBuffer.allocate(3, DataType.FLOAT64)) {
            c.barrier();
            buf.putDouble(0, ts.computeOnly());
            c.barrier();
            buf.putDouble(1, ts.commOnly());
            c.barrier();
            buf.putDouble(2, ts.step());
            c.allReduce(buf, 3, DataType.FLOAT64, ReduceOp.MAX);
            return new double[] {buf.getDouble(0), buf.getDouble(1), buf.getDouble(2)};
        }
    }

    /** Rank 0: the workload, the measured table, its validation, the prediction past this machine, measured.csv. */
    private void report(PrintStream out, Rounds rounds, CostModel costModel, long seg, double convert,
                        HostLayout[] layouts) throws IOException {
        ScalingModel.Workload work = s.work();
        out.printf(Locale.ROOT, "#%n# workload per rank: %d parameters (%s, %.1f MiB of gradients) in %d buckets of up to %.0f MiB"
                        + " (all-reduce AVG, issued as each bucket's backward part ends); %.3e FLOP per step as %dx%d fp32 GEMMs"
                        + " (EJML, one thread per rank), %.0f%% forward%n", work.params(), s.type().ncclName(),
                work.gradientBytes() / 1048576.0, work.buckets().length, s.bucketMb(), rounds.statedFlops(), s.gemmSize(),
                s.gemmSize(), work.forwardFraction() * 100);
        Validation.printMeasured(out, rounds.measured(), s.stat().name().toLowerCase(Locale.ROOT));
        if (convert > 0) {
            out.printf(Locale.ROOT, "#%n# the wire's narrowing + widening on the calling thread: %.3f ns per element"
                    + " (%.2f ms per step), added to the predicted communication%n", convert * 1e9,
                    convert * work.params() * 1e3);
        }
        List<double[]> validation = Validation.validate(out, rounds.measured(), costModel, s.wireWork(),
                (b, call) -> s.wire().bucketSeconds(b, s.type(), convert, call), seg, w -> layouts[w]);
        atScale.predict(out, costModel, rounds.measured(), rounds.statedFlops());
        files.writeMeasured(rounds.measured(), validation);
    }
}
