package io.jccl.bench.scaling;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.bench.tune.Tuner;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-scaling}: the compute/communication study. Under {@code bin/jccl-run -n N} (or with
 * {@code -t N} ranks as threads) it measures a data-parallel training step ({@link TrainingStep}: GEMM compute of
 * a stated FLOP count, gradients all-reduced in buckets overlapped with the backward pass) on W = 1..N ranks
 * (sub-communicators of the first W ranks; the others wait), fits the cost model in the same run (or reads
 * {@code --model}), prints the measured table, the model's prediction for W = 2..N next to it with the error,
 * and predictions past this machine (W = 8 .. 100,000; ring, tree, hierarchical) from the fitted or given link,
 * with the W at which efficiency falls below a threshold and the link bandwidth that keeps R when compute grows.
 * {@code --predict-only} skips the measurement. Writes CSV, JSON and PNG charts.
 */
@Command(name = "jccl-scaling", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Data-parallel training step: compute vs communication on W = 1..N ranks, and predictions at scale.")
public final class JcclScaling implements Callable<Integer> {
    // ---- the workload measured here
    @Option(names = {"-P", "--params"}, defaultValue = "16M",
            description = "parameters per rank (gradient elements); K/M/G = 2^10/2^20/2^30, or 1e9 style (default: ${DEFAULT-VALUE})")
    String params;

    @Option(names = {"-d", "--dtype"}, defaultValue = "float", description = "gradient type (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--bucket-mb", defaultValue = "25", description = "bucket size in MiB, as PyTorch DDP's bucket_cap_mb (default: ${DEFAULT-VALUE})")
    double bucketMb;

    @Option(names = "--flops", defaultValue = "1e9", description = "FLOP per step and rank (default: ${DEFAULT-VALUE})")
    double flops;

    @Option(names = "--forward-fraction", defaultValue = "0.3333333333",
            description = "forward pass's share of the FLOP; the rest is the backward pass, overlapped (default: 1/3)")
    double forwardFraction;

    @Option(names = "--gemm-size", defaultValue = "128", description = "s of the s x s fp32 GEMMs (default: ${DEFAULT-VALUE})")
    int gemmSize;

    @Option(names = "--steps", defaultValue = "5", description = "measured steps per W, taken in rounds over W; --stat takes one time of them (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--stat", defaultValue = "median",
            description = "the time of each W over its --steps: median, mean, or min (the step least disturbed by other"
                    + " processes: what the in-run fit takes of its probes, for validating the model on a shared machine;"
                    + " default: ${DEFAULT-VALUE})")
    String stat;

    @Option(names = "--warmup", defaultValue = "2", description = "warm-up rounds, one step of each W (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = {"-a", "--algo"}, defaultValue = "ring", description = "all-reduce algorithm of the study: auto|ring|tree|hd (default: ${DEFAULT-VALUE})")
    String algo;

    @Option(names = {"-t", "--nthreads"}, defaultValue = "4", description = "ranks as threads when no launcher set RANK")
    int threads;

    @Option(names = "--model", description = "cost model file (bin/jccl-tune); default: fit one in this run")
    String model;

    @Option(names = "--fit-max-bytes", defaultValue = "16M", description = "largest size of the in-run fit's x4 grid, to which the bucket sizes are added (default: ${DEFAULT-VALUE})")
    String fitMaxBytes;

    // ---- prediction past this machine
    @Option(names = "--predict-only", description = "no measurement: predictions from the given link and model only")
    boolean predictOnly;

    @Option(names = "--link-gbps", description = "network bandwidth per rank, decimal Gbit/s (default: the fitted two-rank link; 100 with --predict-only)")
    Double linkGbps;

    @Option(names = "--link-latency-us", description = "network latency per message, us (default: the fitted two-rank link; 25 with --predict-only)")
    Double linkLatencyUs;

    @Option(names = "--reduce-gbps", description = "reduction rate, decimal GB/s of one operand (default: the fitted kernel; 100 with --predict-only)")
    Double reduceGBps;

    @Option(names = "--intra-gbps", defaultValue = "2400", description = "intra-node link (hierarchical), Gbit/s (default: ${DEFAULT-VALUE}, NVLink-class)")
    double intraGbps;

    @Option(names = "--intra-latency-us", defaultValue = "3", description = "intra-node latency, us (default: ${DEFAULT-VALUE})")
    double intraLatencyUs;

    @Option(names = "--ranks-per-node", defaultValue = "8", description = "ranks per node for the predictions (default: ${DEFAULT-VALUE})")
    int ranksPerNode;

    @Option(names = "--predict-params", description = "parameters of the predicted model (default: -P; 1e9 with --predict-only)")
    String predictParams;

    @Option(names = "--predict-flops", description = "FLOP per step and rank of the predicted model (default: the measured FLOP scaled by"
            + " the parameters; 6 x params x --tokens with --predict-only)")
    Double predictFlops;

    @Option(names = "--tokens", defaultValue = "16384",
            description = "tokens per rank and step behind --predict-only's default FLOP (6 x params x tokens; default: ${DEFAULT-VALUE})")
    double tokens;

    @Option(names = "--flops-rate", description = "achieved FLOP/s per rank (default: measured at W=1; 1e14 with --predict-only)")
    Double flopsRate;

    @Option(names = "--max-w", defaultValue = "100000", description = "largest W predicted (default: ${DEFAULT-VALUE})")
    int maxW;

    @Option(names = "--threshold", defaultValue = "0.5", description = "report the W where efficiency falls below this (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--grow", defaultValue = "1000", description = "compute growth factor of the bandwidth question (default: ${DEFAULT-VALUE})")
    double grow;

    @Option(names = "--grow-at-w", defaultValue = "1024", description = "W at which R is kept in the bandwidth question (default: ${DEFAULT-VALUE})")
    int growAtW;

    // ---- output
    @Option(names = "--out", defaultValue = "jccl-scaling-out", description = "folder of the CSV, JSON and PNG files (default: ${DEFAULT-VALUE})")
    String outDir;

    @Option(names = "--perf", description = "a jccl-perf output file whose all_reduce rows are charted (busbw against size)")
    List<String> perfFiles;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(io.jccl.bench.Cli.run(new JcclScaling(), args));
    }

    /** What rank 0 measured at one W. */
    record Measured(int w, double step, double compute, double comm, double flopRate, String algorithm) {
        ScalingModel.StepTimes times() {
            return new ScalingModel.StepTimes(compute, comm, step);
        }
    }

    @Override
    public Integer call() throws Exception {
        io.jccl.bench.Stat.parse(stat); // a wrong --stat fails here, not after the measurement
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("--steps must be at least 1 and --warmup at least 0, not " + steps + " and "
                    + warmup);
        }
        if (!(bucketMb * 1024 * 1024 >= DataType.parse(dtype).bytes()) || parseCount(params) < 1 || !(flops >= 0)
                || !(forwardFraction >= 0 && forwardFraction <= 1)) {
            throw new IllegalArgumentException("--bucket-mb must hold one gradient element (not " + bucketMb + "), -P be at"
                    + " least 1 (not " + params + "), --flops at least 0 (not " + flops + ") and --forward-fraction in [0, 1]"
                    + " (not " + forwardFraction + ")");
        }
        if (predictOnly) {
            predictPastThisMachine(System.out, null, List.of(), null);
            return 0;
        }
        CommConfig config = CommConfig.builder().algorithm(Algorithm.parse(algo)).deterministic(false).build();
        boolean launched = LaunchInfo.launched();
        if (launched) {
            try (Communicator comm = NetCommunicators.create(LaunchInfo.fromEnvironment(), config)) {
                study(comm, comm.transportDescription() + ", " + comm.size() + " processes", comm.rank() == 0 ? System.out : null);
            }
        } else {
            Jccl.runInProcess(threads, config, comm -> {
                study(comm, "in-process, " + comm.size() + " threads", comm.rank() == 0 ? System.out : null);
                return 0;
            });
        }
        return 0;
    }

    static long parseCount(String s) {
        String t = s.trim();
        if (t.matches("(?i)[0-9.]+e[0-9]+")) {
            return (long) Double.parseDouble(t);
        }
        return Knob.parseSize(t);
    }

    ScalingModel.Workload workload() {
        DataType type = DataType.parse(dtype);
        return new ScalingModel.Workload(parseCount(params), type.bytes(), (long) (bucketMb * 1024 * 1024), flops,
                forwardFraction);
    }

    /** Measures W = 1..N on every rank; rank 0 prints, predicts and writes the files. */
    void study(Communicator comm, String transport, PrintStream out) throws IOException {
        int n = comm.size();
        DataType type = DataType.parse(dtype);
        ScalingModel.Workload work = workload();
        if (out != null) {
            out.printf(Locale.ROOT, "# jccl-scaling: %s, %d cores, all-reduce %s%n", transport,
                    io.jccl.net.LaunchInfo.hostCpus(), algo);
        }
        // the cost model: given, or fitted now on the same ranks
        CostModel costModel = model != null ? CostModel.load(Path.of(model)) : null;
        Map<Integer, Tuner.WorldFit> fits = new LinkedHashMap<>();
        Communicator[] subs = new Communicator[n + 1];
        for (int k = 1; k <= n; k++) {
            subs[k] = k == n ? comm : comm.split(comm.rank() < k ? 0 : -1, comm.rank());
        }
        if (costModel == null) {
            // the x4 grid, and the workload's own bucket sizes: their time per byte is what the study's
            // communication is made of, and it grows past the caches (a second beta, when the fit finds one)
            java.util.TreeSet<Long> grid = new java.util.TreeSet<>();
            for (long s = 8; s <= Knob.parseSize(fitMaxBytes); s *= 4) {
                grid.add(s);
            }
            for (long b : work.buckets()) {
                grid.add(b);
            }
            List<Long> sizes = new ArrayList<>(grid);
            try (Tuner tuner = new Tuner(comm, sizes, 20, 5, 0.1, type, true)) {
                if (out != null) {
                    out.println("#\n# fitting the cost model in this run (bin/jccl-tune's probes)");
                }
                tuner.warmUp(15000);
                double[] gamma = tuner.gammas(n, 4 << 20, out);
                LinkParams base = new LinkParams(0, 0, gamma[1]);
                if (n >= 2) {
                    CostFit.Line pp = tuner.pingPong(out);
                    base = new LinkParams(pp.intercept(), pp.slope(), gamma[1]);
                }
                Map<Integer, LinkParams> byWorld = new LinkedHashMap<>();
                Map<Integer, CostModel.Large> large = new LinkedHashMap<>();
                for (int k = 2; k <= n; k++) {
                    if (subs[k] != null) {
                        Tuner.WorldFit f = tuner.allReduce(subs[k], gamma[k], out);
                        fits.put(k, f);
                        byWorld.put(k, f.params());
                        if (f.large() != null) {
                            large.put(k, f.large());
                        }
                    }
                    comm.barrier();
                }
                costModel = new CostModel(base, byWorld, Map.of(), large, Map.of("transport", transport), tuner.sharedHost());
            }
        }
        // the study at W = 1..N, in rounds (one step of each W per round): a drift of the machine's speed during the
        // run then reaches every W alike, where W after W would charge it to the W measured at the time
        TrainingStep[] ts = new TrainingStep[n + 1];
        List<Measured> measured = new ArrayList<>();
        double statedFlops;
        try (HostBuffer grads = HostBuffer.allocate(work.params(), type)) {
            for (int k = 1; k <= n; k++) {
                if (subs[k] != null) {
                    ts[k] = new TrainingStep(subs[k], work, type, gemmSize, grads);
                }
            }
            statedFlops = (ts[1] != null ? ts[1] : ts[n]).flopsPerStep();
            double[][][] t = new double[n + 1][3][steps];
            String[] algorithm = new String[n + 1];
            for (int round = -warmup; round < steps; round++) {
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
            io.jccl.bench.Stat of = io.jccl.bench.Stat.parse(stat);
            for (int k = 1; k <= n; k++) {
                if (ts[k] != null) {
                    double compute = of.of(t[k][0]);
                    measured.add(new Measured(k, of.of(t[k][2]), compute, k == 1 ? 0 : of.of(t[k][1]),
                            ts[k].flopsPerStep() / compute, k == 1 ? "-" : algorithm[k]));
                    ts[k].close();
                }
            }
        }
        for (int k = 1; k < n; k++) {
            if (subs[k] != null) {
                subs[k].close();
            }
        }
        if (out == null) {
            return;
        }
        out.printf(Locale.ROOT, "#%n# workload per rank: %d parameters (%s, %.1f MiB of gradients) in %d buckets of up to %.0f MiB"
                        + " (all-reduce AVG, issued as each bucket's backward part ends); %.3e FLOP per step as %dx%d fp32 GEMMs"
                        + " (EJML, one thread per rank), %.0f%% forward%n", work.params(), type.ncclName(),
                work.gradientBytes() / 1048576.0, work.buckets().length, bucketMb, statedFlops, gemmSize, gemmSize,
                forwardFraction * 100);
        printMeasured(out, measured, io.jccl.bench.Stat.parse(stat).name().toLowerCase(Locale.ROOT));
        List<double[]> validation = validate(out, measured, costModel, work, comm.config().segmentBytes());
        predictPastThisMachine(out, costModel, measured, statedFlops);
        writeMeasured(measured, validation);
        chartBusbw(fits, costModel, comm.config().segmentBytes(), n);
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

    private static String num(double v, String fmt) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, fmt, v) : "-";
    }

    private static void printMeasured(PrintStream out, List<Measured> ms, String statName) {
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
     * for the algorithm that ran; the step from {@link ScalingModel#simulate} while a core is free, else compute +
     * communication (on a CPU-only host the communication is CPU work: with every core computing nothing hides it). Returns rows of
     * {W, predicted step, predicted comm, predicted E, error step, error comm, error E}.
     */
    private List<double[]> validate(PrintStream out, List<Measured> ms, CostModel m, ScalingModel.Workload work, long seg) {
        List<double[]> rows = new ArrayList<>();
        if (ms.size() < 2) {
            return rows;
        }
        int cores = io.jccl.net.LaunchInfo.hostCpus();
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
            ScalingModel.StepTimes pr = ScalingModel.step(work, rate, b -> CollectiveCosts.allReduce(plan, m.params(w, plan, b), b,
                    w, seg, m.sharedHost()));
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

    private static Plan planOf(String label) {
        switch (label) {
            case "tree": return Plan.TREE;
            case "hd": return Plan.HALVING_DOUBLING;
            case "deterministic": return Plan.DETERMINISTIC;
            default: return Plan.RING;
        }
    }

    // ------------------------------------------------------------------ past this machine

    /** The W grid: 8, 16, ..., powers of two up to maxW, and maxW. */
    List<Integer> grid() {
        List<Integer> g = new ArrayList<>();
        for (int w = 8; w < maxW; w *= 2) {
            g.add(w);
        }
        g.add(maxW);
        return g;
    }

    void predictPastThisMachine(PrintStream out, CostModel fitted, List<Measured> ms, Double statedFlops) throws IOException {
        LinkParams base = fitted != null ? fitted.base() : null;
        double alpha = linkLatencyUs != null ? linkLatencyUs * 1e-6 : base != null ? base.alphaSeconds() : 25e-6;
        double beta = linkGbps != null ? 8 / (linkGbps * 1e9) : base != null ? base.betaSecondsPerByte() : 8 / 100e9;
        double gamma = reduceGBps != null ? 1e-9 / reduceGBps : base != null ? base.gammaSecondsPerByte() : 1e-9 / 100;
        LinkParams inter = new LinkParams(alpha, beta, gamma);
        LinkParams intra = LinkParams.ofLink(intraGbps, intraLatencyUs, gamma);
        DataType type = DataType.parse(dtype);
        long pParams = predictParams != null ? parseCount(predictParams) : predictOnly ? 1_000_000_000L : parseCount(params);
        double pFlops = predictFlops != null ? predictFlops
                : predictOnly ? 6.0 * pParams * tokens
                : (statedFlops != null ? statedFlops : flops) * pParams / (double) parseCount(params);
        double rate = flopsRate != null ? flopsRate : !ms.isEmpty() ? ms.get(0).flopRate() : 1e14;
        ScalingModel.Workload work = new ScalingModel.Workload(pParams, type.bytes(), (long) (bucketMb * 1024 * 1024),
                pFlops, forwardFraction);
        long seg = Knob.SEGMENT_BYTES.getLong();
        int g = ranksPerNode;
        out.println("#");
        out.printf(Locale.ROOT, "# prediction past this machine: link %s (%s), intra-node %s, %d ranks per node%n", inter,
                linkGbps != null || predictOnly ? "given" : "fitted: two ranks alone, ping-pong", intra, g);
        out.printf(Locale.ROOT, "#   model: %.3e parameters (%s), %.3e FLOP per step and rank at %.3e FLOP/s per rank: compute %.2f ms"
                        + " per step; %d buckets of up to %.0f MiB%n", (double) pParams, type.ncclName(), pFlops, rate,
                pFlops / rate * 1e3, work.buckets().length, bucketMb);
        out.println("#   ring and tree are flat over all W ranks (every hop at the network's alpha and beta); hierarchical ="
                + " intra-node reduce-scatter, inter-node all-reduce of 1/G per rank (ring or tree, the cheaper), intra-node all-gather");
        out.println("#       W   ring step (ms)     R     E   tree step (ms)     R     E   hier step (ms)     R     E");
        ScalingModel.Algo[] algos = ScalingModel.Algo.values();
        List<Integer> grid = grid();
        double[][] e = new double[algos.length][grid.size()];
        StringBuilder csv = new StringBuilder("w,algorithm,compute_s,comm_s,step_s,exposed_fraction,ratio_r,efficiency\n");
        for (int i = 0; i < grid.size(); i++) {
            int w = grid.get(i);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %6d", w));
            for (int a = 0; a < algos.length; a++) {
                ScalingModel.StepTimes st = stepAt(algos[a], inter, intra, work, rate, w, g, seg);
                e[a][i] = st.compute() / st.step();
                line.append(String.format(Locale.ROOT, "  %15.2f  %5s  %4.2f", st.step() * 1e3, num(st.ratio(), "%.2f"), e[a][i]));
                csv.append(String.format(Locale.ROOT, "%d,%s,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f%n", w, algos[a].label(), st.compute(),
                        st.comm(), st.step(), st.exposedFraction(), st.ratio(), e[a][i]));
            }
            out.println(line);
        }
        out.printf(Locale.ROOT, "# efficiency falls below %.2f at:", threshold);
        Map<String, Object> json = new LinkedHashMap<>();
        for (ScalingModel.Algo a : algos) {
            long step = a == ScalingModel.Algo.HIERARCHICAL ? g : 1;
            long lo = a == ScalingModel.Algo.HIERARCHICAL ? g : 2;
            long first = ScalingModel.firstBelow(w -> {
                ScalingModel.StepTimes st = stepAt(a, inter, intra, work, rate, (int) w, g, seg);
                return st.compute() / st.step();
            }, lo, Math.max(lo, maxW) / step * step, step, threshold);
            out.printf(Locale.ROOT, "  %s W=%s", a.label(), first < 0 ? "never (up to " + maxW + ")" : Long.toString(first));
            json.put("first_w_below_" + a.label(), first);
        }
        out.println();
        growth(out, inter, intra, work, rate, seg, json);
        // files
        Path dir = Path.of(outDir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("prediction.csv"), csv.toString());
        json.put("link_alpha_s", inter.alphaSeconds());
        json.put("link_beta_s_per_byte", inter.betaSecondsPerByte());
        json.put("gamma_s_per_byte", gamma);
        json.put("params", pParams);
        json.put("flops_per_step", pFlops);
        json.put("flops_per_second_per_rank", rate);
        json.put("ranks_per_node", g);
        json.put("threshold", threshold);
        Files.writeString(dir.resolve("prediction.json"), toJson(json));
        Map<String, double[][]> series = new LinkedHashMap<>();
        double[] xs = grid.stream().mapToDouble(Integer::doubleValue).toArray();
        for (int a = 0; a < algos.length; a++) {
            series.put(algos[a].label() + " (predicted)", new double[][] {xs, e[a]});
        }
        if (ms.size() > 1) {
            double[] mx = ms.stream().mapToDouble(Measured::w).toArray();
            double t1 = ms.get(0).step();
            double[] my = ms.stream().mapToDouble(m -> t1 / m.step()).toArray();
            series.put("measured on this machine", new double[][] {mx, my});
        }
        Charts.xy(dir.resolve("efficiency.png"), "Weak-scaling efficiency E(W) = T(1)/T(W)", "W (ranks)", "efficiency",
                true, false, series, 900, 560);
        out.println("# wrote " + dir.resolve("prediction.csv") + ", " + dir.resolve("prediction.json") + ", "
                + dir.resolve("efficiency.png"));
        if (predictOnly) {
            chartBusbw(Map.of(), CostModel.uniform(inter), seg, 0);
        }
    }

    private static ScalingModel.StepTimes stepAt(ScalingModel.Algo a, LinkParams inter, LinkParams intra,
                                                 ScalingModel.Workload work, double rate, int w, int g, long seg) {
        return ScalingModel.step(work, rate, b -> ScalingModel.allReduce(a, inter, intra, b, w, g, seg));
    }

    /**
     * "If compute per step grows {@code grow}x, what link bandwidth keeps R?" at W = growAtW with the algorithm
     * that is fastest there now, solving for the links' speed: (a) a {@code grow}x larger model on {@code grow}x
     * faster accelerators (gradients and buckets grow {@code grow}x, the number of buckets, the compute time per step
     * and the reduction time per bucket byte over the accelerator's speed stay);
     * (b) {@code grow}x more FLOP per step with the same parameters and accelerators (a larger batch: compute time
     * grows, gradients stay). The network's and the intra-node link's beta are scaled by the same factor (the
     * answer is given for the network link).
     */
    private void growth(PrintStream out, LinkParams inter, LinkParams intra, ScalingModel.Workload work, double rate,
                        long seg, Map<String, Object> json) {
        int w = Math.max(ranksPerNode, growAtW / ranksPerNode * ranksPerNode);
        int g = ranksPerNode;
        ScalingModel.Algo best = ScalingModel.Algo.RING;
        double bestStep = Double.POSITIVE_INFINITY;
        for (ScalingModel.Algo a : ScalingModel.Algo.values()) {
            double s = stepAt(a, inter, intra, work, rate, w, g, seg).step();
            if (s < bestStep) {
                bestStep = s;
                best = a;
            }
        }
        ScalingModel.Algo algoUsed = best;
        double r0 = stepAt(best, inter, intra, work, rate, w, g, seg).ratio();
        double beta0 = inter.betaSecondsPerByte();
        double gbps0 = 8e-9 / beta0;
        out.printf(Locale.ROOT, "# if compute per step grows %.0fx, what link keeps R = %.3f (W=%d, %s, now %.1f Gbit/s per rank)?%n",
                grow, r0, w, algoUsed.label(), gbps0);
        ScalingModel.Workload bigModel = new ScalingModel.Workload((long) Math.min(Long.MAX_VALUE / 16.0, work.params() * grow),
                work.bytesPerParam(), (long) Math.min(Long.MAX_VALUE / 16.0, work.bucketBytes() * grow), work.flopsPerStep() * grow,
                work.forwardFraction());
        LinkParams fastInter = new LinkParams(inter.alphaSeconds(), beta0, inter.gammaSecondsPerByte() / grow);
        LinkParams fastIntra = new LinkParams(intra.alphaSeconds(), intra.betaSecondsPerByte(), intra.gammaSecondsPerByte() / grow);
        double betaA = ScalingModel.solveBeta(b -> stepAt(algoUsed, fastInter.withBeta(b), scaled(fastIntra, b / beta0),
                bigModel, rate * grow, w, g, seg).ratio(), r0);
        out.printf(Locale.ROOT, "#   (a) %.0fx parameters on %.0fx faster accelerators (same compute time per step, %.0fx gradients"
                + " in as many buckets, each %.0fx larger): %s%n", grow, grow, grow, grow, answer(betaA, gbps0));
        ScalingModel.Workload bigBatch = new ScalingModel.Workload(work.params(), work.bytesPerParam(), work.bucketBytes(),
                work.flopsPerStep() * grow, work.forwardFraction());
        double betaB = ScalingModel.solveBeta(b -> stepAt(algoUsed, inter.withBeta(b), scaled(intra, b / beta0), bigBatch,
                rate, w, g, seg).ratio(), r0);
        out.printf(Locale.ROOT, "#   (b) %.0fx FLOP per step, same parameters and accelerators (a larger batch): %s%n", grow,
                answer(betaB, gbps0));
        out.println("#   (the intra-node link is scaled by the same factor as the network; latencies stay)");
        json.put("grow", grow);
        json.put("grow_at_w", w);
        json.put("grow_algorithm", algoUsed.label());
        json.put("ratio_r_now", r0);
        json.put("link_gbps_now", gbps0);
        json.put("link_gbps_keeping_r_bigger_model", betaA > 0 && Double.isFinite(betaA) ? 8e-9 / betaA : betaA == 0 ? -1 : 0);
        json.put("link_gbps_keeping_r_bigger_batch", betaB > 0 && Double.isFinite(betaB) ? 8e-9 / betaB : betaB == 0 ? -1 : 0);
    }

    private static LinkParams scaled(LinkParams p, double betaFactor) {
        return p.withBeta(p.betaSecondsPerByte() * betaFactor);
    }

    private static String answer(double beta, double gbpsNow) {
        if (beta == 0) {
            return "no link does: the latency terms alone take longer than R allows";
        }
        if (Double.isInfinite(beta)) {
            return "any link does";
        }
        double gbps = 8e-9 / beta;
        return String.format(Locale.ROOT, "%.4g Gbit/s per rank (%.3gx today's)", gbps, gbps / gbpsNow);
    }

    // ------------------------------------------------------------------ files

    private void writeMeasured(List<Measured> ms, List<double[]> validation) throws IOException {
        Path dir = Path.of(outDir);
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("w,step_s,compute_s,comm_s,exposed_fraction,ratio_r,efficiency,flops_per_second,"
                + "algorithm,predicted_step_s,predicted_comm_s,predicted_efficiency\n");
        double t1 = ms.get(0).step();
        for (Measured m : ms) {
            double[] v = validation.stream().filter(r -> (int) r[0] == m.w()).findFirst().orElse(null);
            csv.append(String.format(Locale.ROOT, "%d,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f,%.4e,%s,%s,%s,%s%n", m.w(), m.step(),
                    m.compute(), m.comm(), m.times().exposedFraction(), m.w() == 1 ? Double.NaN : m.times().ratio(),
                    t1 / m.step(), m.flopRate(), m.algorithm(), v == null ? "" : String.format(Locale.ROOT, "%.6e", v[1]),
                    v == null ? "" : String.format(Locale.ROOT, "%.6e", v[2]), v == null ? "" : String.format(Locale.ROOT, "%.4f", v[3])));
        }
        Files.writeString(dir.resolve("measured.csv"), csv.toString());
        System.out.println("# wrote " + dir.resolve("measured.csv"));
    }

    /** busbw against size: the in-run probe's measurements, the model at the largest W, and --perf files. */
    private void chartBusbw(Map<Integer, Tuner.WorldFit> fits, CostModel m, long seg, int n) throws IOException {
        Map<String, double[][]> series = new LinkedHashMap<>();
        fits.forEach((k, f) -> {
            double[] bw = new double[f.sizes().length];
            for (int i = 0; i < bw.length; i++) {
                bw[i] = f.sizes()[i] / f.measured()[i] / 1e9 * 2.0 * (k - 1) / k;
            }
            series.put("measured W=" + k + " (" + f.algorithms()[f.algorithms().length - 1] + ", in-run probe)",
                    new double[][] {f.sizes(), bw});
        });
        int w = n >= 2 ? n : 8;
        double[] sizes = new double[17]; // 8 B .. 128 MiB
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 8 * Math.pow(2, i * 1.5);
        }
        for (Plan plan : new Plan[] {Plan.RING, Plan.TREE}) {
            double[] bw = new double[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                double t = CollectiveCosts.allReduce(plan, m.params(w, plan, (long) sizes[i]), (long) sizes[i], w, seg, m.sharedHost());
                bw[i] = sizes[i] / t / 1e9 * 2.0 * (w - 1) / w;
            }
            series.put("model " + plan.label() + " W=" + w, new double[][] {sizes, bw});
        }
        if (perfFiles != null) {
            for (String f : perfFiles) {
                series.putAll(PerfLog.busbw(Path.of(f)));
            }
        }
        Path png = Path.of(outDir).resolve("busbw.png");
        Charts.xy(png, "All-reduce bus bandwidth against message size", "size (bytes)", "busbw (GB/s)", true, false,
                series, 900, 560);
        System.out.println("# wrote " + png);
    }

    /** A flat JSON object of numbers and strings. */
    static String toJson(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            String s = v instanceof Number num && Double.isFinite(num.doubleValue()) ? v.toString()
                    : v instanceof Number ? "null" : "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            sb.append("  \"").append(e.getKey()).append("\": ").append(s).append(++i < m.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }
}
