package io.jccl.bench.scaling;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.bench.Cli;
import io.jccl.bench.RankOptions;
import io.jccl.bench.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
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

    @Mixin
    ExchangeOptions exchange = new ExchangeOptions();

    @Mixin
    RankOptions ranks = new RankOptions(4);

    @Option(names = "--model", description = "cost model file (bin/jccl-tune); default: fit one in this run")
    String model;

    @Option(names = "--fit-max-bytes", defaultValue = "16M", description = "largest size of the in-run fit's x4 grid, to which the bucket sizes are added (default: ${DEFAULT-VALUE})")
    String fitMaxBytes;


    // ---- prediction past this machine
    @Mixin
    PredictionOptions prediction = new PredictionOptions();

    // ---- output
    @Option(names = "--out", defaultValue = "jccl-scaling-out", description = "folder of the CSV, JSON and PNG files (default: ${DEFAULT-VALUE})")
    String outDir;

    @Option(names = "--perf", description = "a jccl-perf output file whose all_reduce rows are charted (busbw against size)")
    List<String> perfFiles;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(Cli.run(new JcclScaling(), args));
    }

    @Override
    public Integer call() throws Exception {
        Stat.parse(stat); // a wrong --stat fails here, not after the measurement
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
        StudyWire wire = exchange.toWire(); // a wrong --wire fails here, not after the measurement
        if (wire.compresses(DataType.parse(dtype)) != (wire.format() != io.jccl.ddp.WireFormat.FP32)) {
            throw new IllegalArgumentException("--wire " + exchange.wire + " compresses float gradients only, not -d "
                    + dtype);
        }
        if (prediction.predictOnly) {
            atScale().predict(System.out, null, List.of(), null);
            return 0;
        }
        CommConfig config = CommConfig.builder().algorithm(Algorithm.parse(algo)).deterministic(false).build();
        ranks.run(config, RankOptions.Where.COUNTED, (comm, where, out) -> {
            study(comm, where, out);
            return 0;
        });
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

    /** Measures W = 1..N on every rank; rank 0 prints, predicts and writes the files (see {@link ScalingStudy}). */
    void study(Communicator comm, String transport, PrintStream out) throws IOException {
        DataType type = DataType.parse(dtype);
        StudySettings settings = new StudySettings(type, workload(), bucketMb, gemmSize, steps, warmup, Stat.parse(stat),
                algo, model, fitMaxBytes, exchange.toWire());
        new ScalingStudy(settings, atScale(), files()).run(comm, transport, out);
    }

    private StudyFiles files() {
        return new StudyFiles(Path.of(outDir), perfFiles);
    }

    /** The prediction past this machine, of the workload as the all-reduces see it (half the bytes for bf16). */
    private AtScale atScale() {
        DataType type = DataType.parse(dtype);
        StudyWire wire = exchange.toWire();
        ScalingModel.Workload onWire = wire.onWire(workload(), type);
        return new AtScale(prediction, onWire, wire.wireType(type), bucketMb * onWire.bytesPerParam() / type.bytes(),
                files());
    }
}
