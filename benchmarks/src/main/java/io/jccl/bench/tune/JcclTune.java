package io.jccl.bench.tune;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.Knob;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-tune}: fits the cost model's alpha (seconds per message), beta (seconds per byte on the wire)
 * and gamma (seconds per byte reduced) for the transport in use, prints the fit, and saves it as a
 * {@link CostModel} file for {@code JCCL_COST_MODEL} and {@code jccl-perf --model}.
 *
 * <ol>
 *   <li>gamma: the host reduction kernel ({@code -d} type, sum) on 4 MiB buffers, on 1, 2, ..., W ranks at once;</li>
 *   <li>base alpha and beta: a ping-pong between rank 0 and rank 1 at sizes {@code -b} .. {@code -e}, fitted by
 *       least squares with relative residuals ({@link CostFit});</li>
 *   <li>alpha and beta at each W' = 2..W: the ring all-reduce among ranks 0..W'-1 (a sub-communicator): 2(W'-1)
 *       dependent hops, every rank sending 2(W'-1)/W' n bytes and reducing (W'-1)/W' n while all do; the kernel's
 *       gamma term is subtracted and t = 2(W'-1) alpha + 2(W'-1)/W' n beta fitted the same way. These are the
 *       parameters one rank sees while all W' share the host (cores, memory, loopback); the tree's and
 *       halving-doubling's predictions use them out of sample.</li>
 * </ol>
 *
 * <p>Started by a launcher ({@code bin/jccl-run -n W}) it measures TCP between processes; otherwise {@code -t W}
 * ranks as threads over the in-process transport. Rank 0 prints and writes the file.
 */
@Command(name = "jccl-tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fits the alpha-beta-gamma cost model of the transport in use and saves it (JCCL_COST_MODEL).")
public final class JcclTune implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, defaultValue = "jccl-cost-model.properties",
            description = "model file to write (default: ${DEFAULT-VALUE}); '-' writes none")
    String output;

    @Option(names = {"-b", "--minbytes"}, defaultValue = "8", description = "smallest message (bytes; K, M suffixes)")
    String minBytes;

    @Option(names = {"-e", "--maxbytes"}, defaultValue = "16M", description = "largest message")
    String maxBytes;

    @Option(names = {"-f", "--stepfactor"}, defaultValue = "4", description = "size factor between probes")
    long factor;

    @Option(names = {"-n", "--iters"}, defaultValue = "50", description = "rounds per batch (fewer for large sizes)")
    int iters;

    @Option(names = "--reps", defaultValue = "3", description = "batches per size; the median batch counts")
    int reps;

    @Option(names = "--max-seconds-per-size", defaultValue = "0.15",
            description = "cap a batch at about this many seconds")
    double maxSecondsPerSize;

    @Option(names = {"-d", "--datatype"}, defaultValue = "float", description = "element type of the reduce-kernel probe")
    String datatype;

    @Option(names = {"-t", "--nthreads"}, defaultValue = "2",
            description = "ranks as threads of this process when no launcher set RANK")
    int threads;

    @Option(names = "--jit-warmup-ms", defaultValue = "1500", description = "exchange this long before measuring")
    long jitWarmupMs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new JcclTune()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        // the per-W probe is the ring all-reduce: force it (every other call of the probe has one algorithm)
        CommConfig config = CommConfig.builder().algorithm(io.jccl.Algorithm.RING).deterministic(false).build();
        String rankVar = System.getenv("RANK");
        boolean launched = rankVar != null && !rankVar.isBlank()
                || System.getenv("SLURM_PROCID") != null || System.getenv("OMPI_COMM_WORLD_RANK") != null;
        if (launched) {
            try (Communicator comm = NetCommunicators.create(LaunchInfo.fromEnvironment(), config)) {
                run(comm, "tcp", comm.rank() == 0 ? System.out : null);
            }
        } else {
            Jccl.runInProcess(threads, config, comm -> {
                run(comm, "in-process", comm.rank() == 0 ? System.out : null);
                return 0;
            });
        }
        return 0;
    }

    /** The probe sizes: -b, -b*f, ..., and -e. */
    List<Long> sizes() {
        List<Long> out = new ArrayList<>();
        long lo = Math.max(1, Knob.parseSize(minBytes));
        long hi = Knob.parseSize(maxBytes);
        for (long s = lo; s <= hi; s = s * Math.max(2, factor)) {
            out.add(s);
            if (s * Math.max(2, factor) > hi && s < hi) {
                out.add(hi);
                break;
            }
        }
        return out;
    }

    /** Runs every probe on this rank; rank 0 ({@code out} not null) prints and saves. Returns the model on rank 0. */
    CostModel run(Communicator comm, String transport, PrintStream out) throws Exception {
        int w = comm.size();
        List<Long> sizes = sizes();
        long max = sizes.get(sizes.size() - 1);
        DataType type = DataType.parse(datatype);
        Probe probe = new Probe(comm, iters, reps, maxSecondsPerSize);
        if (out != null) {
            out.printf(Locale.ROOT, "# jccl-tune: %d ranks, transport %s, sizes %d..%d B, %s%n", w, transport,
                    sizes.get(0), max, comm.config());
        }
        try (HostBuffer a = HostBuffer.allocate(max); HostBuffer b = HostBuffer.allocate(max)) {
            warmUp(comm, probe, a, b);
            // gamma on 1..W ranks at once
            double[] gamma = new double[w + 1];
            int kernelBytes = 4 << 20;
            for (int k = 1; k <= w; k++) {
                gamma[k] = probe.reduceKernel(type, kernelBytes, k);
            }
            if (out != null) {
                out.printf(Locale.ROOT, "#%n# reduce kernel (%s sum, %d B operands): gamma per rank with k ranks reducing at once%n",
                        type.ncclName(), kernelBytes);
                out.println("#   k   gamma (s/B)   GB/s");
                for (int k = 1; k <= w; k++) {
                    out.printf(Locale.ROOT, "  %3d   %10.3e  %6.2f%n", k, gamma[k], 1e-9 / gamma[k]);
                }
            }
            // base alpha, beta: ping-pong between ranks 0 and 1
            LinkParams base = new LinkParams(0, 0, gamma[1]);
            Map<Integer, LinkParams> byWorld = new LinkedHashMap<>();
            if (w >= 2) {
                double[] n = new double[sizes.size()];
                double[] t = new double[sizes.size()];
                for (int i = 0; i < sizes.size(); i++) {
                    n[i] = sizes.get(i);
                    t[i] = probe.pingPong(a, sizes.get(i));
                }
                CostFit.Line fit = CostFit.fit(n, t);
                base = new LinkParams(fit.intercept(), fit.slope(), gamma[1]);
                double[] pred = new double[n.length];
                for (int i = 0; i < n.length; i++) {
                    pred[i] = fit.at(n[i]);
                }
                table(out, String.format(Locale.ROOT, "ping-pong rank 0 <-> rank 1 (half round trip), fit alpha + n beta:"
                        + " alpha=%.2f us, beta=%.3e s/B (%.3f GB/s)", fit.intercept() * 1e6, fit.slope(),
                        1e-9 / fit.slope()), n, t, pred);
                for (int k = 2; k <= w; k++) {
                    Communicator sub = k == w ? comm : comm.split(comm.rank() < k ? 0 : -1, comm.rank());
                    if (sub != null) {
                        // ring all-reduce of n bytes: t - (k-1)/k n gamma = 2(k-1) alpha + 2(k-1)/k n beta
                        double[] y = new double[sizes.size()];
                        double[] m = new double[sizes.size()];
                        for (int i = 0; i < sizes.size(); i++) {
                            long bytes = Math.max(sizes.get(i), type.bytes());
                            n[i] = bytes;
                            m[i] = probe.ringAllReduce(sub, a, bytes, type);
                            y[i] = Math.max(m[i] * 0.05, m[i] - (k - 1.0) / k * bytes * gamma[k]);
                        }
                        CostFit.Line f = CostFit.fit(n, y);
                        LinkParams pk = new LinkParams(f.intercept() / (2 * (k - 1)), f.slope() / (2 * (k - 1.0) / k),
                                gamma[k]);
                        byWorld.put(k, pk);
                        double[] predK = new double[n.length];
                        for (int i = 0; i < n.length; i++) {
                            predK[i] = io.jccl.algo.select.CollectiveCosts.ringAllReduce(pk, (long) n[i], k);
                        }
                        table(out, "ring all-reduce among " + k + " ranks (2(W-1) hops, all ranks at once), fit 2(W-1) alpha"
                                + " + 2(W-1)/W n beta + (W-1)/W n gamma: " + pk, n, m, predK);
                        if (sub != comm) {
                            sub.close();
                        }
                    }
                    comm.barrier();
                }
            }
            if (out == null) {
                return null;
            }
            CostModel model = new CostModel(base, byWorld, Map.of(
                    "transport", transport,
                    "host", hostName(),
                    "ranks", Integer.toString(w),
                    "created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    "segment.bytes", Long.toString(comm.config().segmentBytes()),
                    "kernel", type.ncclName() + " sum, HostReduce",
                    "cores", Integer.toString(Runtime.getRuntime().availableProcessors())));
            out.println("#");
            out.println("# fitted: base (two ranks alone): " + base);
            byWorld.forEach((k, p) -> out.printf(Locale.ROOT, "# fitted: W=%d (all ranks at once): %s%n", k, p));
            if (!"-".equals(output)) {
                Path file = Path.of(output);
                model.save(file);
                out.println("# wrote " + file.toAbsolutePath() + "  (use: JCCL_COST_MODEL=" + file
                        + ", or bin/jccl-perf --model " + file + ")");
            }
            out.flush();
            return model;
        }
    }

    private void warmUp(Communicator comm, Probe probe, HostBuffer a, HostBuffer b) {
        long t0 = System.nanoTime();
        Probe quick = new Probe(comm, 20, 1, 0.05);
        try (HostBuffer flag = HostBuffer.allocate(1, DataType.FLOAT64)) {
            while (true) {
                quick.ringAllReduce(comm, a, 64, DataType.FLOAT32);
                quick.ringAllReduce(comm, a, Math.min(a.byteSize(), 256 * 1024), DataType.FLOAT32);
                quick.pingPong(a, 64);
                quick.reduceKernel(DataType.parse(datatype), 256 * 1024, comm.size());
                flag.putDouble(0, comm.rank() == 0 ? (System.nanoTime() - t0) / 1e6 : 0);
                comm.allReduce(flag, 1, DataType.FLOAT64, io.jccl.ReduceOp.MAX);
                if (flag.getDouble(0) > jitWarmupMs) {
                    return;
                }
            }
        }
    }

    /** Prints measured against fitted times with the relative error and the median absolute error. */
    private static void table(PrintStream out, String title, double[] n, double[] t, double[] fit) {
        if (out == null) {
            return;
        }
        double[] err = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            err[i] = Math.abs(fit[i] - t[i]) / t[i];
        }
        out.printf(Locale.ROOT, "#%n# %s%n# median |error| of the fit %.1f%%%n", title, CostFit.median(err) * 100);
        out.println("#         size (B)   measured (us)     fit (us)   error  algbw (GB/s)");
        for (int i = 0; i < n.length; i++) {
            out.printf(Locale.ROOT, "  %15.0f  %14.2f  %11.2f  %+5.1f%%  %6.3f%n", n[i], t[i] * 1e6, fit[i] * 1e6,
                    (fit[i] - t[i]) / t[i] * 100, n[i] / t[i] / 1e9);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
