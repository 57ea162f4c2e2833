package io.jccl.bench.perf;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Knob;
import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.CostModel;
import io.jccl.bench.Cli;
import io.jccl.bench.RankOptions;
import io.jccl.bench.ReductionOptions;
import io.jccl.bench.SizeOptions;
import io.jccl.bench.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    @Mixin
    SizeOptions sizes = new SizeOptions("32M", "32M", 2);

    @Option(names = {"-i", "--stepbytes"}, defaultValue = "0", description = "add this many bytes each step instead (when > 0)")
    String stepBytes;

    @Mixin
    ReductionOptions reduction = new ReductionOptions();

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

    @Option(names = {"-a", "--algo"}, description = "all-reduce algorithm auto|ring|tree|hd|rd|hier (default: JCCL_ALGO, else auto)")
    String algo;

    @Mixin
    RankOptions ranks = new RankOptions(1);

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

    @Option(names = "--memory", defaultValue = "host",
            description = "where the buffers live: host; device (this rank's GPU: local rank modulo the device count;"
                    + " staged by the communicator); device-sim (simulated device memory: copies of 5 us plus the bytes"
                    + " at --sim-gbps, to see what staging costs without a GPU)")
    String memory;

    @Option(names = "--sim-gbps", defaultValue = "12",
            description = "--memory device-sim: each direction's copy rate in GB/s (about PCIe 3 x16)")
    double simGBps;

    public static void main(String[] args) {
        System.exit(Cli.run(new JcclPerf(), args));
    }

    @Override
    public Integer call() throws Exception {
        boolean fitModel = "fit".equals(model);
        if (model != null && !fitModel) {
            CostModel.load(Path.of(model)); // a bad file fails here, named as --model gave it
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
        List<PerfCollective> collectives = PerfCollective.parseList(collective);
        PerfMemory.Kind kind = PerfMemory.Kind.parse(memory);
        if (kind != PerfMemory.Kind.HOST && collectives.contains(PerfCollective.SEND_RECV)) {
            throw new IllegalArgumentException("--memory " + memory + ": sendrecv runs on host memory only");
        }
        try (PerfMemory mem = new PerfMemory(kind, simGBps)) {
            return run(config, collectives, costModel, fitModel, mem);
        }
    }

    private int run(CommConfig config, List<PerfCollective> collectives, CostModel costModel, boolean fitModel,
                    PerfMemory mem) throws Exception {
        List<Sweep> sweeps = new ArrayList<>();
        for (PerfCollective c : collectives) {
            PerfCall perfCall = new PerfCall(c, reduction.type(), reduction.op(), root, mem);
            long min = sizes.minBytes();
            long max = sizes.maxBytes();
            long step = Knob.parseSize(stepBytes);
            PerfTiming timing = new PerfTiming(iters, warmup, warmupMs, jitWarmupMs, maxSecondsPerSize, reps,
                    Stat.parse(stat));
            sweeps.add(new Sweep(perfCall, new SizeRange(min, max, sizes.stepFactor(), step), timing, check != 0,
                    costModel, fitModel));
        }
        if (fitModel && ranks.worldSize() < 2) {
            throw new IllegalArgumentException("--model fit needs at least 2 ranks (this job has 1): there is no link to fit");
        }
        List<Integer> codes = ranks.run(config, RankOptions.Where.WITH_KNOB, (comm, where, out) -> {
            int code = 0;
            for (Sweep sweep : sweeps) {
                code = Math.max(code, sweep.run(comm, where, out));
            }
            return code;
        });
        return codes.stream().max(Integer::compare).orElse(0);
    }
}
