package io.jccl.bench.perf;

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
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-perf}: JCCL's nccl-tests. Sweeps message sizes from {@code -b} to {@code -e} by factor
 * {@code -f} (or step {@code -i}), runs each size out-of-place then in-place ({@code -w} warm-up and
 * {@code -n} timed iterations), checks every element of one more run against the exact expected bits
 * ({@code -c 1}), and prints the nccl-tests table on rank 0.
 *
 * <p>Started by a launcher ({@code RANK} set: {@code bin/jccl-run}, torchrun, srun, mpirun) it joins the
 * job over TCP; otherwise it runs {@code -t} ranks as threads of this process.
 *
 * <p>time: the slowest rank's mean over the timed iterations (microseconds); algbw = size / time and
 * busbw = algbw x the collective's factor (decimal GB/s); #wrong: elements differing from the expected
 * bits, summed over ranks. Exit status 1 when any #wrong is above 0.
 *
 * <p>With a cost model ({@code --model FILE} or {@code JCCL_COST_MODEL}), each row also shows the time that
 * {@link CollectiveCosts} predicts for the algorithm that ran, and the error of the prediction against both
 * measured times; the sweep ends with the median absolute error over its rows.
 */
@Command(name = "jccl-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Collective bandwidth and latency sweep with the nccl-tests table (all_reduce_perf & co).")
public final class JcclPerf implements Callable<Integer> {
    @Option(names = {"-b", "--minbytes"}, defaultValue = "32M", description = "smallest size in bytes (K, M, G suffixes)")
    String minBytes;

    @Option(names = {"-e", "--maxbytes"}, defaultValue = "32M", description = "largest size in bytes")
    String maxBytes;

    @Option(names = {"-f", "--stepfactor"}, defaultValue = "2", description = "multiply the size by this each step")
    long stepFactor;

    @Option(names = {"-i", "--stepbytes"}, defaultValue = "0", description = "add this many bytes each step instead (when > 0)")
    String stepBytes;

    @Option(names = {"-d", "--datatype"}, defaultValue = "float",
            description = "float|double|half|bfloat16|int8|uint8|int32|int64 (also fp32, fp16, bf16, ...)")
    String datatype;

    @Option(names = {"-o", "--op"}, defaultValue = "sum", description = "sum|prod|min|max|avg")
    String op;

    @Option(names = {"-C", "--collective"}, defaultValue = "all_reduce",
            description = PerfCollective.NAMES + ", a comma-separated list of them, or all (one table each)")
    String collective;

    @Option(names = {"-r", "--root"}, defaultValue = "0", description = "root rank of broadcast, reduce, gather, scatter")
    int root;

    @Option(names = {"-n", "--iters"}, defaultValue = "20", description = "timed iterations per size")
    int iters;

    @Option(names = {"-w", "--warmup_iters"}, defaultValue = "5", description = "warm-up iterations per size")
    int warmup;

    @Option(names = "--warmup-ms", defaultValue = "0",
            description = "after the -w iterations of each size and placement, keep running it, in rounds of up to 50"
                    + " calls, until rank 0"
                    + " has spent this many milliseconds: the JIT compiles a call path fully only after some 10^4 calls in"
                    + " a row, so without it a size's first thousands of calls, which a sweep times, run slower than a"
                    + " training loop's (default 0: the -w iterations only, as nccl-tests)")
    long warmupMs;

    @Option(names = {"-c", "--check"}, defaultValue = "1", description = "1: check every element of one run per size")
    int check;

    @Option(names = {"-a", "--algo"}, description = "all-reduce algorithm auto|ring|tree|hd|rd (default: JCCL_ALGO, else auto)")
    String algo;

    @Option(names = {"-t", "--nthreads"}, defaultValue = "1",
            description = "ranks as threads of this process when no launcher set RANK")
    int threads;

    @Option(names = "--deterministic", description = "1: reduce in rank order, identical bits whatever the algorithm"
            + " (default: JCCL_DETERMINISTIC)")
    Integer deterministic;

    @Option(names = "--segment-bytes", description = "pipelining unit (default: JCCL_SEGMENT_BYTES)")
    String segmentBytes;

    @Option(names = "--jit-warmup-ms", defaultValue = "2000",
            description = "before the sweep, run small, mid-size and large operations this long so the JIT has compiled"
                    + " the hot paths (a JVM's first thousand calls are interpreted) and TCP has grown its socket"
                    + " buffers; then, when -b is at most 64K, 20000 small calls or as many as fit in this time again; 0"
                    + " skips it all")
    long jitWarmupMs;

    @Option(names = "--model",
            description = "cost model file (bin/jccl-tune): print the predicted time next to the measured one, and let"
                    + " algo=auto choose by it (default: JCCL_COST_MODEL); or 'fit': fit the model in this job, with"
                    + " bin/jccl-tune's probes, and predict with it (algo=auto still chooses as configured); with --reps N > 1"
                    + " the fit and the sweep take turns in N passes (see --reps)")
    String model;

    @Option(names = "--reps", defaultValue = "1",
            description = "timed batches of -n iterations per size; a batch's time is the slowest rank's mean (default: 1)."
                    + " With --model fit and N > 1: N passes, each one batch of every probe of the fit and then one batch of"
                    + " every size; the fit takes each probe's fastest batch, the rows the --stat of theirs")
    int reps;

    @Option(names = "--stat", defaultValue = "mean",
            description = "the time of a size over its --reps batches: mean (nccl-tests), median, or min (the batch least"
                    + " disturbed by other processes: what jccl-tune fits, for checking a cost model on a shared machine)")
    String stat;

    @Option(names = "--max-seconds-per-size", defaultValue = "0",
            description = "cap the timed iterations of large sizes to about this many seconds (0: no cap)")
    double maxSecondsPerSize;

    public static void main(String[] args) {
        System.exit(io.jccl.bench.Cli.run(new JcclPerf(), args));
    }

    @Override
    public Integer call() {
        boolean fitModel = "fit".equals(model);
        if (model != null && !fitModel) {
            CostModel.load(java.nio.file.Path.of(model)); // a bad file fails here, named as --model gave it
            System.setProperty(Knob.COST_MODEL.propertyName(), model); // and algo=auto selects with it too
        }
        CostModel costModel = fitModel ? null : CostModel.active();
        CommConfig.Builder b = CommConfig.builder();
        if (algo != null) {
            b.algorithm(Algorithm.parse(algo));
        }
        if (deterministic != null) {
            b.deterministic(deterministic != 0);
        }
        if (segmentBytes != null) {
            b.segmentBytes(Knob.parseSize(segmentBytes));
        }
        CommConfig config = b.build();
        List<Sweep> sweeps = new java.util.ArrayList<>();
        for (PerfCollective c : PerfCollective.parseList(collective)) {
            sweeps.add(new Sweep(c, DataType.parse(datatype), ReduceOp.parse(op), Knob.parseSize(minBytes),
                    Knob.parseSize(maxBytes), stepFactor, Knob.parseSize(stepBytes), root, iters, warmup, warmupMs, check != 0,
                    maxSecondsPerSize, jitWarmupMs, costModel, fitModel, reps, io.jccl.bench.Stat.parse(stat)));
        }
        boolean launched = LaunchInfo.launched();
        if (fitModel && (launched ? LaunchInfo.fromEnvironment().worldSize() : threads) < 2) {
            throw new IllegalArgumentException("--model fit needs at least 2 ranks (this job has 1): there is no link to fit");
        }
        if (launched) {
            try (Communicator comm = NetCommunicators.create(LaunchInfo.fromEnvironment(), config)) {
                int code = 0;
                for (Sweep sweep : sweeps) {
                    code = Math.max(code, sweep.run(comm, comm.transportDescription() + " (JCCL_TRANSPORT=" + Knob.TRANSPORT.get() + ")", System.out));
                }
                return code;
            }
        }
        List<Integer> codes = Jccl.runInProcess(threads, config, comm -> {
            int code = 0;
            for (Sweep sweep : sweeps) {
                code = Math.max(code, sweep.run(comm, "in-process", comm.rank() == 0 ? System.out : null));
            }
            return code;
        });
        return codes.stream().max(Integer::compare).orElse(0);
    }

    /** Small-call warm-up: with a sweep from at most SMALL_BYTES, this many calls of its first size come first. */
    static final int WARMUP_SMALL_CALLS = 20_000;
    static final long SMALL_BYTES = 64 * 1024;

    /** {@code --model fit} probes sizes up to at least this (bytes): below it beta hardly shows. */
    static final long FIT_MIN_MAX_BYTES = 4L << 20;
    /** {@code --model fit} warms the ring up at least this long (ms) before it probes. */
    static final long FIT_MIN_WARMUP_MS = 10_000;

    /** One sweep's settings; {@link #run} is called on every rank. */
    record Sweep(PerfCollective coll, DataType type, ReduceOp op, long minBytes, long maxBytes, long factor,
                 long stepBytes, int root, int iters, int warmup, long warmupMs, boolean check, double maxSecondsPerSize,
                 long jitWarmupMs, CostModel model, boolean fitModel, int reps, io.jccl.bench.Stat stat) {
        Sweep {
            if (reps < 1) {
                throw new IllegalArgumentException("--reps must be at least 1, not " + reps);
            }
            if (iters < 1) {
                throw new IllegalArgumentException("-n must be at least 1, not " + iters);
            }
            if (warmup < 0) {
                throw new IllegalArgumentException("-w must be at least 0, not " + warmup);
            }
            if (warmupMs < 0) {
                throw new IllegalArgumentException("--warmup-ms must be at least 0, not " + warmupMs);
            }
            if (jitWarmupMs < 0) {
                throw new IllegalArgumentException("--jit-warmup-ms must be at least 0, not " + jitWarmupMs);
            }
            if (minBytes > maxBytes) {
                throw new IllegalArgumentException("-b " + minBytes + " is larger than -e " + maxBytes);
            }
            if (stepBytes <= 0 && factor < 2 && minBytes != maxBytes) {
                throw new IllegalArgumentException("-f must be at least 2 (or give a step with -i), not " + factor);
            }
        }

        int run(Communicator comm, String transport, PrintStream printTo) {
            int w = comm.size();
            int r = comm.rank();
            if (root < 0 || root >= w) {
                throw new IllegalArgumentException("-r " + root + " is outside [0, " + w + ")");
            }
            PrintStream out = r == 0 ? printTo : null;
            header(comm, transport, out);
            if (out != null && jitWarmupMs > 0 && coll != PerfCollective.BARRIER) {
                // one line while the table is still to come (command 1 otherwise shows nothing for seconds)
                out.printf(Locale.ROOT, "# warming up (JIT, socket buffers) for up to %d ms (--jit-warmup-ms) ...%n",
                        minBytes <= SMALL_BYTES ? 2 * jitWarmupMs : jitWarmupMs);
                out.flush();
            }
            jitWarmup(comm);
            // --model fit with --reps N > 1: N passes, each the fit's probes (one batch) and then the sweep (one batch
            // per size and placement); the fit takes the fastest of its N batches, the rows the --stat of theirs. The
            // model and the rows then see the machine over the same span of time: a shared virtual machine's speed
            // moves during a job, and fitted first, then checked, the two saw different machines
            int passes = fitModel ? reps : 1;
            int batchesPerPass = reps / passes;
            // the batches of every size across passes (one pass: those of the size being timed only)
            double[][][] batches = new double[passes > 1 ? sizeCount() : 1][2][reps];
            CostModel model = this.model;
            Communicator fitComm = null;
            io.jccl.bench.tune.Tuner tuner = null;
            double busSum = 0;
            int busCount = 0;
            long wrongTotal = 0;
            java.util.List<Double> predErrors = new java.util.ArrayList<>();
            // per row and placement, the slowest of its batches over the fastest: how much the batches varied (back to
            // back with --reps alone; spread over the passes, and so over the job, with --model fit --reps N)
            java.util.List<Double> spreads = new java.util.ArrayList<>();
            try (HostBuffer times = HostBuffer.allocate(2L * batchesPerPass, DataType.FLOAT64);
                 HostBuffer wrongs = HostBuffer.allocate(2, DataType.INT64)) {
                if (fitModel) {
                    fitComm = comm.split(0, comm.rank(), comm.config().toBuilder().algorithm(Algorithm.RING).build());
                    tuner = new io.jccl.bench.tune.Tuner(fitComm, fitSizes(), 50, passes > 1 ? 1 : 5, 0.15, type, true);
                    tuner.keepBatchesAcrossCalls();
                }
                for (int pass = 0; pass < passes; pass++) {
                    boolean last = pass == passes - 1;
                    if (fitModel) {
                        model = fit(tuner, pass == 0, passes, last ? out : null);
                        if (last) { // its buffers (as large as the largest probe) are not held through the last sweep
                            tuner.close();
                            tuner = null;
                            fitComm.close();
                            fitComm = null;
                        }
                    }
                    if (last) {
                        if (out != null && model != null && !model.byWorld().containsKey(w)) {
                            out.printf(Locale.ROOT, "# note: the cost model has no parameters measured with W=%d (it has W=%s): the"
                                    + " predictions use its base parameters (two ranks alone); fit this W with bin/jccl-run -n %d"
                                    + " bin/jccl-tune%n", w, model.byWorld().keySet(), w);
                        }
                        columns(out, model != null);
                    }
                    int s = -1;
                    for (long bytes = minBytes; bytes <= maxBytes; bytes = next(bytes)) {
                        s = passes > 1 ? s + 1 : 0;
                        long total = coll.totalCount(bytes, type, w);
                        String algoUsed = "";
                        for (int placement = 0; placement < 2; placement++) {
                            boolean inPlace = placement == 1;
                            try (PerfCollective.Buffers bufs = coll.allocate(total, type, w, inPlace)) {
                                coll.fill(bufs, total, type, op, r, w, root);
                                for (int i = 0; i < warmup; i++) {
                                    coll.run(comm, bufs, total, type, op, root);
                                }
                                int n = iterations(comm, bufs, total);
                                if (warmupMs > 0) {
                                    int round = Math.min(50, n);
                                    io.jccl.bench.WarmUp.repeatFor(comm, warmupMs, () -> {
                                        for (int i = 0; i < round; i++) {
                                            coll.run(comm, bufs, total, type, op, root);
                                        }
                                    });
                                    n = iterations(comm, bufs, total); // from a warm call: the cap allows more of them
                                }
                                for (int rep = 0; rep < batchesPerPass; rep++) {
                                    comm.barrier();
                                    long t0 = System.nanoTime();
                                    for (int i = 0; i < n; i++) {
                                        coll.run(comm, bufs, total, type, op, root);
                                    }
                                    times.putDouble(placement * batchesPerPass + rep, (System.nanoTime() - t0) / 1e3 / n);
                                }
                                algoUsed = coll.algorithm(comm);
                                if (check && last) {
                                    coll.fill(bufs, total, type, op, r, w, root);
                                    coll.run(comm, bufs, total, type, op, root);
                                    wrongs.putLong(placement, coll.countWrong(bufs, total, type, op, r, w, root));
                                } else {
                                    wrongs.putLong(placement, 0);
                                }
                            }
                        }
                        comm.allReduce(times, 2L * batchesPerPass, DataType.FLOAT64, ReduceOp.MAX);
                        for (int p = 0; p < 2; p++) {
                            for (int rep = 0; rep < batchesPerPass; rep++) {
                                batches[s][p][pass * batchesPerPass + rep] = times.getDouble((long) p * batchesPerPass + rep);
                            }
                        }
                        if (last) {
                            comm.allReduce(wrongs, 2, DataType.INT64, ReduceOp.SUM);
                            double[] us = {stat.of(batches[s][0]), stat.of(batches[s][1])};
                            if (reps > 1) {
                                spreads.add(spread(batches[s][0]));
                                spreads.add(spread(batches[s][1]));
                            }
                            long[] wrong = {wrongs.getLong(0), wrongs.getLong(1)};
                            wrongTotal += wrong[0] + wrong[1];
                            long size = total * type.bytes();
                            double f = coll.busFactor(w);
                            double alg0 = size / (us[0] * 1e3);
                            double alg1 = size / (us[1] * 1e3);
                            busSum += alg0 * f + alg1 * f;
                            busCount += 2;
                            String predicted = "";
                            if (model != null) {
                                double pus = CollectiveCosts.predict(coll.collective, algoUsed, model.params(w, algoUsed, size), size, w,
                                        comm.config().segmentBytes(), model.sharedHost()) * 1e6;
                                if (Double.isNaN(pus)) {
                                    predicted = String.format(Locale.ROOT, "  %9s  %6s  %6s", "N/A", "", "");
                                } else {
                                    double e0 = (pus - us[0]) / us[0];
                                    double e1 = (pus - us[1]) / us[1];
                                    predErrors.add(Math.abs(e0));
                                    predErrors.add(Math.abs(e1));
                                    predicted = String.format(Locale.ROOT, "  %9s  %+5.0f%%  %+5.0f%%", time(pus), e0 * 100, e1 * 100);
                                }
                            }
                            if (out != null) {
                                out.printf(Locale.ROOT, "%12d  %12d  %8s  %6s  %6d  %7s  %6.2f  %6.2f  %6s  %7s  %6.2f  %6.2f  %6s  %s%s%n",
                                        size, total, type.ncclName(), coll.reduces() ? op.ncclName() : "none",
                                        coll.rooted() ? root : -1,
                                        time(us[0]), alg0, alg0 * f, check ? Long.toString(wrong[0]) : "N/A",
                                        time(us[1]), alg1, alg1 * f, check ? Long.toString(wrong[1]) : "N/A", algoUsed,
                                        predicted);
                                out.flush();
                            }
                        }
                        if (bytes == 0 || (stepBytes <= 0 && factor <= 1)) {
                            break;
                        }
                    }
                }
            } finally {
                if (tuner != null) {
                    tuner.close();
                }
                if (fitComm != null) {
                    fitComm.close();
                }
            }
            if (out != null) {
                out.printf(Locale.ROOT, "# Out of bounds values : %d %s%n", wrongTotal, wrongTotal == 0 ? "OK" : "FAILED");
                out.printf(Locale.ROOT, "# Avg bus bandwidth    : %.6f %n", busCount == 0 ? 0 : busSum / busCount);
                if (model != null) {
                    double[] e = predErrors.stream().mapToDouble(Double::doubleValue).toArray();
                    out.printf(Locale.ROOT, "# Median |prediction error| : %.1f%% over %d measurements (max %.1f%%)%n",
                            CostFit.median(e) * 100, e.length,
                            java.util.Arrays.stream(e).max().orElse(Double.NaN) * 100);
                }
                if (!spreads.isEmpty()) {
                    double[] sp = spreads.stream().mapToDouble(Double::doubleValue).toArray();
                    out.printf(Locale.ROOT, "# Batch spread : the slowest of a row's %d batches took %.2fx the fastest (median"
                                    + " over %d rows x 2 placements; %.2fx-%.2fx)%n",
                            reps, CostFit.median(sp), sp.length / 2, java.util.Arrays.stream(sp).min().orElseThrow(),
                            java.util.Arrays.stream(sp).max().orElseThrow());
                }
                out.println("#");
                out.flush();
            }
            return wrongTotal == 0 ? 0 : 1;
        }

        /** The slowest of {@code batches} over the fastest. */
        static double spread(double[] batches) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (double b : batches) {
                min = Math.min(min, b);
                max = Math.max(max, b);
            }
            return max / min;
        }

        /** The number of sizes of the sweep. */
        private int sizeCount() {
            int count = 0;
            for (long bytes = minBytes; bytes <= maxBytes; bytes = next(bytes)) {
                count++;
                if (bytes == 0 || (stepBytes <= 0 && factor <= 1)) {
                    break;
                }
            }
            return count;
        }

        /** The next size; a sweep whose steps overshoot -e ends with a row at exactly -e. */
        private long next(long bytes) {
            long n = stepBytes > 0 ? bytes + stepBytes : bytes * factor;
            return n > maxBytes && bytes < maxBytes ? maxBytes : n;
        }

        /**
         * Runs the collective at min(-b, 1 KiB), 256 KiB and min(max(-e, 256 KiB), 8 MiB) in turn until rank 0 has spent
         * {@code jitWarmupMs} (the ranks agree on when to stop through an all-reduce of rank 0's elapsed time), then,
         * when -b is at most {@link #SMALL_BYTES}, {@link #WARMUP_SMALL_CALLS} times at min(-b, 1 KiB) or for another
         * {@code jitWarmupMs}, whichever ends first.
         */
        private void jitWarmup(Communicator comm) {
            if (jitWarmupMs <= 0 || coll == PerfCollective.BARRIER) {
                return;
            }
            int w = comm.size();
            // small, mid-size and large messages in turn: the JIT compiles every path, and the kernel's TCP buffer
            // auto-tuning grows the socket buffers as they are in a job that has run for a while
            long large = Math.min(Math.max(maxBytes, 256 * 1024), 8 << 20);
            long[] sizes = {Math.min(minBytes, 1024), 256 * 1024, large};
            PerfCollective.Buffers[] bufs = new PerfCollective.Buffers[sizes.length];
            long[] totals = new long[sizes.length];
            try {
                for (int k = 0; k < sizes.length; k++) {
                    totals[k] = coll.totalCount(Math.max(sizes[k], (long) w * type.bytes()), type, w);
                    bufs[k] = coll.allocate(totals[k], type, w, false);
                    coll.fill(bufs[k], totals[k], type, op, comm.rank(), w, root);
                }
                io.jccl.bench.WarmUp.repeatFor(comm, jitWarmupMs, () -> {
                    for (int k = 0; k < sizes.length; k++) {
                        for (int i = 0; i < (k == sizes.length - 1 ? 2 : 20); i++) {
                            coll.run(comm, bufs[k], totals[k], type, op, root);
                        }
                    }
                });
                if (minBytes <= SMALL_BYTES) {
                    // last, right before the sweep: a small call's path is fully compiled only after some 10^4 calls
                    // in a row (large calls in between undo it); over TCP the first thousands took 2-10x the steady
                    // time (docs/performance.md), which a sweep of small sizes would measure. At most jitWarmupMs more.
                    // A barrier every 50 calls, as in the timed batches: without one, the barrier before the first
                    // batches undid part of the compiled path, and the first second of 8-byte batches over TCP at 2
                    // processes had a median batch mean of 42-43 us against 23-25 with it, and 20-24 later on (a test
                    // program, two runs each)
                    io.jccl.bench.WarmUp.repeatFor(comm, jitWarmupMs, WARMUP_SMALL_CALLS / 500, () -> {
                        for (int i = 0; i < 500; i++) {
                            if (i % 50 == 0) {
                                comm.barrier();
                            }
                            coll.run(comm, bufs[0], totals[0], type, op, root);
                        }
                    });
                }
            } finally {
                for (PerfCollective.Buffers b : bufs) {
                    if (b != null) {
                        b.close();
                    }
                }
            }
        }

        private int iterations(Communicator comm, PerfCollective.Buffers bufs, long total) {
            if (maxSecondsPerSize <= 0 || iters <= 1) {
                return iters;
            }
            try (HostBuffer t = HostBuffer.allocate(1, DataType.FLOAT64)) {
                long t0 = System.nanoTime();
                coll.run(comm, bufs, total, type, op, root);
                t.putDouble(0, (System.nanoTime() - t0) / 1e9);
                comm.allReduce(t, 1, DataType.FLOAT64, ReduceOp.MAX);
                double one = Math.max(1e-9, t.getDouble(0));
                return (int) Math.max(1, Math.min(iters, Math.floor(maxSecondsPerSize / one)));
            }
        }

        private static String time(double us) {
            if (us >= 1e6) {
                return String.format(Locale.ROOT, "%.0f", us);
            }
            return String.format(Locale.ROOT, us >= 1e4 ? "%.1f" : "%.2f", us);
        }

        private void header(Communicator comm, String transport, PrintStream out) {
            int w = comm.size();
            // every rank's pid and host, gathered to print the nccl-tests "Using devices" block
            byte[] me = String.format(Locale.ROOT, "%d %s", ProcessHandle.current().pid(), hostName())
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int slot = 64;
            try (HostBuffer mine = HostBuffer.allocate(slot); HostBuffer all = HostBuffer.allocate((long) slot * w)) {
                mine.unsafeBacking().put(0, me, 0, Math.min(slot, me.length));
                comm.allGather(mine, all, slot, DataType.UINT8);
                if (out == null) {
                    return;
                }
                out.printf(Locale.ROOT, "# jccl-perf %s: nRanks %d transport %s minBytes %d maxBytes %d step: %s warmup iters: %d iters: %d validation: %d%n",
                        coll.collective.label(), w, transport, minBytes, maxBytes,
                        stepBytes > 0 ? stepBytes + "(bytes)" : factor + "(factor)", warmup, iters, check ? 1 : 0);
                if (warmupMs > 0) {
                    out.printf(Locale.ROOT, "# each size and placement warmed up %d ms more before it is timed (--warmup-ms)%n",
                            warmupMs);
                }
                if (reps > 1) {
                    out.printf(Locale.ROOT, "# time: the %s of %d batches (each the slowest rank's mean over the iterations)%n",
                            stat.name().toLowerCase(Locale.ROOT), reps);
                }
                out.printf(Locale.ROOT, "# JCCL %s, Java %s, %s%n", comm.config(), Runtime.version(),
                        ManagementFactory.getRuntimeMXBean().getVmName());
                out.println("#");
                out.println("# Using ranks");
                for (int r = 0; r < w; r++) {
                    byte[] b = new byte[slot];
                    all.unsafeBacking().get(r * slot, b);
                    String s = new String(b, java.nio.charset.StandardCharsets.UTF_8).trim().replace("\0", "");
                    String[] parts = s.split(" ", 2);
                    out.printf(Locale.ROOT, "#  Rank %2d Pid %7s on %10s device cpu%n", r, parts[0],
                            parts.length > 1 ? parts[1] : "?");
                }
            }
        }

        /** The table's column header, with the prediction columns when there is a model. */
        private static void columns(PrintStream out, boolean predicted) {
            if (out == null) {
                return;
            }
            out.println("#");
            out.println("#                                                               out-of-place                       in-place");
            out.println("#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong  algo"
                    + (predicted ? "   predicted   error   error" : ""));
            out.println("#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)"
                    + (predicted ? "             (us)     oop      ip" : ""));
        }

        /** {@code --model fit}'s probe sizes: from 8 B by x4 up to -e or {@link JcclPerf#FIT_MIN_MAX_BYTES}, whichever is larger. */
        private List<Long> fitSizes() {
            List<Long> sizes = new java.util.ArrayList<>();
            for (long s = 8; s <= Math.max(maxBytes, FIT_MIN_MAX_BYTES); s *= 4) {
                sizes.add(s);
            }
            return sizes;
        }

        /**
         * {@code --model fit}, one pass: bin/jccl-tune's fit (50 rounds per batch, the fastest batch; sizes from
         * {@link #fitSizes}, so that beta is fitted on sizes where it shows) by {@code tuner}, on a ring communicator
         * split from the sweep's, which keeps its batches across passes. The first pass comes after at least
         * {@link JcclPerf#FIT_MIN_WARMUP_MS} of its warm-up (a fit of code the JIT has not compiled yet predicts its
         * interpreted times); the fit's tables go to {@code out} (the last pass's). A collective call on a world of 2
         * ranks or more ({@link JcclPerf#call} refuses one); every rank gets the same model.
         */
        private CostModel fit(io.jccl.bench.tune.Tuner tuner, boolean first, int passes, PrintStream out) {
            long warm = first ? Math.max(jitWarmupMs, FIT_MIN_WARMUP_MS) : 0;
            if (out != null) {
                List<Long> sizes = fitSizes();
                out.println("#");
                if (passes > 1) {
                    out.printf(Locale.ROOT, "# --model fit: the cost model is fitted in this job (bin/jccl-tune's probes on a ring"
                            + " communicator of the same ranks, %d..%d B, after %d ms of warm-up), in %d passes interleaved with"
                            + " the sweep's: each pass times one batch of every probe, then one batch of every size of the"
                            + " sweep; the fit takes the fastest batch of each probe, the rows the %s of theirs%n", sizes.get(0),
                            sizes.get(sizes.size() - 1), Math.max(jitWarmupMs, FIT_MIN_WARMUP_MS), passes,
                            stat.name().toLowerCase(Locale.ROOT));
                } else {
                    out.printf(Locale.ROOT, "# --model fit: the cost model is fitted in this job first (bin/jccl-tune's probes on a"
                            + " ring communicator of the same ranks, %d..%d B, after %d ms of warm-up)%n", sizes.get(0),
                            sizes.get(sizes.size() - 1), warm);
                }
            }
            CostModel m = tuner.fit(false, warm, out);
            if (out != null) {
                out.println("#");
                out.println("# fitted: " + m);
            }
            return m;
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "localhost";
            }
        }
    }
}
