package io.jccl.bench.tune;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.bench.RankOptions;
import io.jccl.bench.SizeOptions;
import io.jccl.net.LaunchInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
 *   <li>alpha and beta at W (and with {@code --sub-worlds} at each W' = 2..W-1, a sub-communicator of ranks
 *       0..W'-1): the ring all-reduce, 2(W'-1)
 *       dependent hops, every rank sending 2(W'-1)/W' n bytes and reducing (W'-1)/W' n while all do; the kernel's
 *       gamma term is subtracted and t = 2(W'-1) alpha + 2(W'-1)/W' n beta fitted the same way. These are the
 *       parameters one rank sees while all W' share the host (cores, memory, loopback); the tree's and
 *       halving-doubling's predictions use them out of sample.</li>
 * </ol>
 *
 * <p>An existing model file keeps its other world sizes: run one job per W ({@code for n in 2 3 4; do bin/jccl-run
 * -n $n bin/jccl-tune -o model.properties; done}).
 *
 * <p>{@code --check FILE -a ALGO} fits nothing: it times the all-reduce with that algorithm at every size (each
 * size the median of {@code --reps} batches) and prints it next to the model's prediction, with the median error.
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

    @Mixin
    SizeOptions sizeOptions = new SizeOptions("8", "64M", 4);

    @Option(names = {"-n", "--iters"}, defaultValue = "50", description = "rounds per batch (fewer for large sizes)")
    int iters;

    @Option(names = "--reps", defaultValue = "5", description = "batches per size (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--stat", defaultValue = "min", description = "a size's time: min (the fastest batch: the least disturbed by"
            + " other processes) or median (default: ${DEFAULT-VALUE})")
    String stat;

    @Option(names = "--max-seconds-per-size", defaultValue = "0.15",
            description = "cap a batch at about this many seconds")
    double maxSecondsPerSize;

    @Option(names = {"-d", "--datatype"}, defaultValue = "float", description = "element type of the reduce-kernel probe")
    String datatype;

    @Mixin
    RankOptions ranks = new RankOptions(2);

    @Option(names = "--jit-warmup-ms", defaultValue = "20000",
            description = "exchange this long before measuring: 4 JVMs at nice 19 on 2 cores compile their hot paths for 10-20 s (default: ${DEFAULT-VALUE})")
    long jitWarmupMs;

    @Option(names = "--sub-worlds", description = "also fit W' = 2..W-1 inside this job (sub-communicators of the first W'"
            + " ranks; quicker, but on a small host the idle ranks' JVMs still take their share: prefer one job per W)")
    boolean subWorlds;

    @Option(names = "--check", description = "instead of fitting: time the all-reduce (-a) at every size and print it next to"
            + " this model file's prediction, with the median error")
    String check;

    @Option(names = {"-a", "--algo"}, defaultValue = "ring", description = "all-reduce algorithm of --check: ring|tree|hd|auto"
            + " (the fit always uses the ring)")
    String algo;

    public static void main(String[] args) {
        System.exit(io.jccl.bench.Cli.run(new JcclTune(), args));
    }

    @Override
    public Integer call() throws Exception {
        // the per-W probe is the ring all-reduce: force it (every other call of the probe has one algorithm)
        io.jccl.Algorithm forced = check != null ? io.jccl.Algorithm.parse(algo) : io.jccl.Algorithm.RING;
        if (check != null && forced == io.jccl.Algorithm.AUTO) {
            System.setProperty(Knob.COST_MODEL.propertyName(), check); // auto: the model chooses, as it would in a job
        }
        if (check == null && !"-".equals(output)) {
            checkWritable(Path.of(output));
        }
        CommConfig config = CommConfig.builder().algorithm(forced).deterministic(false).build();
        ranks.run(config, RankOptions.Where.WITH_KNOB, this::run);
        return 0;
    }

    /**
     * Fails now, before a minute of probing, when the model could not be written to {@code file}: it is a directory,
     * or exists and is not writable, or its folder does not exist or is not writable.
     *
     * @throws IllegalArgumentException naming the file and the reason
     */
    static void checkWritable(Path file) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        String why = null;
        if (java.nio.file.Files.isDirectory(abs)) {
            why = "it is a directory";
        } else if (java.nio.file.Files.exists(abs) && !java.nio.file.Files.isWritable(abs)) {
            why = "it is not writable";
        } else if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
            why = "its folder " + dir + " does not exist";
        } else if (dir != null && !java.nio.file.Files.isWritable(dir)) {
            why = "its folder " + dir + " is not writable";
        }
        if (why != null) {
            throw new IllegalArgumentException("-o " + file + ": cannot write the model there: " + why);
        }
    }

    /** The probe sizes: -b, -b*f, ..., and -e. */
    List<Long> sizes() {
        List<Long> out = new ArrayList<>();
        long lo = Math.max(1, sizeOptions.minBytes());
        long hi = sizeOptions.maxBytes();
        long factor = sizeOptions.stepFactor();
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
        DataType type = DataType.parse(datatype);
        if (check != null) {
            CostModel model = CostModel.load(Path.of(check));
            if (out != null) {
                out.printf(Locale.ROOT, "# jccl-tune --check %s: %d ranks, transport %s, all-reduce %s, sizes %d..%d B%n", check, w,
                        transport, algo, sizes.get(0), sizes.get(sizes.size() - 1));
            }
            try (Tuner tuner = new Tuner(comm, sizes, iters, reps, maxSecondsPerSize, type, !"median".equals(stat))) {
                tuner.warmUp(jitWarmupMs);
                tuner.check(model, out);
            }
            return model;
        }
        if (out != null) {
            out.printf(Locale.ROOT, "# jccl-tune: %d ranks, transport %s, sizes %d..%d B, %s%n", w, transport,
                    sizes.get(0), sizes.get(sizes.size() - 1), comm.config());
        }
        boolean fastest = !"median".equals(stat);
        try (Tuner tuner = new Tuner(comm, sizes, iters, reps, maxSecondsPerSize, type, fastest)) {
            CostModel model = HostLinkFit.applies(comm)
                    ? HostLinkFit.fit(comm, c -> new Tuner(c, sizes, iters, reps, maxSecondsPerSize, type, fastest),
                    jitWarmupMs, out)
                    : tuner.fit(subWorlds, jitWarmupMs, out);
            if (out == null) {
                return null;
            }
            // keep the other world sizes of an existing model file (one job per W: jccl-run -n 2, then -n 4, ...);
            // a model fitted across hosts is one job's layout and keeps nothing
            Path file = "-".equals(output) ? null : Path.of(output);
            if (file != null && model.acrossHosts() == null && java.nio.file.Files.isRegularFile(file)) {
                try {
                    CostModel old = CostModel.load(file);
                    for (Map.Entry<Integer, LinkParams> e : old.byWorld().entrySet()) {
                        int k = e.getKey();
                        if (!model.byWorld().containsKey(k)) {
                            model = model.with(k, e.getValue());
                            out.printf(Locale.ROOT, "# kept W=%d from %s: %s%n", k, file, e.getValue());
                            if (old.treeAlphaByWorld().containsKey(k)) {
                                model = model.withTreeAlpha(k, old.treeAlphaByWorld().get(k));
                            }
                            if (old.largeByWorld().containsKey(k)) {
                                model = model.withLarge(k, old.largeByWorld().get(k));
                            }
                        }
                    }
                } catch (io.jccl.InvalidUsageException e) {
                    out.println("# " + file + " is not a cost model; overwriting it (" + e.getMessage() + ")");
                }
            }
            Map<String, String> info = Map.of(
                    "transport", transport,
                    "host", hostName(),
                    "ranks", Integer.toString(w),
                    "created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    "segment.bytes", Long.toString(comm.config().segmentBytes()),
                    "kernel", type.ncclName() + " sum, HostReduce",
                    "cores", Integer.toString(LaunchInfo.hostCpus()));
            for (Map.Entry<String, String> e : info.entrySet()) {
                model = model.withInfo(e.getKey(), e.getValue());
            }
            out.println("#");
            out.println("# ranks on one host: " + model.sharedHost() + " (shared.host: the tree is costed by the host's total bytes)");
            out.println("# fitted: base (two ranks alone, ping-pong): " + model.base());
            model.byWorld().forEach((k, p) -> out.printf(Locale.ROOT, "# fitted: W=%d (ring all-reduce, all ranks at once): %s%n", k, p));
            if (model.acrossHosts() != null) {
                out.println("# fitted: between hosts (ring among one rank per host): " + model.acrossHosts()
                        + (model.acrossLarge() == null ? "" : String.format(Locale.ROOT, "; calls of %d B and more: beta=%.3g"
                        + " s/B (%.3f GB/s)", model.acrossLarge().fromBytes(), model.acrossLarge().betaSecondsPerByte(),
                        1e-9 / model.acrossLarge().betaSecondsPerByte())));
            }
            model.treeAlphaByWorld().forEach((k, a) -> out.printf(Locale.ROOT, "# fitted: W=%d tree latency per hop: %.2f us%n", k, a * 1e6));
            model.largeByWorld().forEach((k, l) -> out.printf(Locale.ROOT, "# fitted: W=%d calls of %d B and more: beta=%.3g s/B (%.3f GB/s)%n",
                    k, l.fromBytes(), l.betaSecondsPerByte(), 1e-9 / l.betaSecondsPerByte()));
            if (file != null) {
                model.save(file);
                out.println("# wrote " + file.toAbsolutePath() + "  (use: JCCL_COST_MODEL=" + file
                        + ", or bin/jccl-perf --model " + file + ")");
            }
            out.flush();
            return model;
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
