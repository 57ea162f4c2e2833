package io.jccl.bench.train;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.bench.RankOptions;
import io.jccl.buffer.HostBuffer;
import io.jccl.ddp.GradientReducer;
import io.jccl.ddp.WireFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-train}: data-parallel training of a small MLP ({@link Mlp}) on a Gaussian-mixture data set
 * ({@link SyntheticData}) with a {@link GradientReducer}. Every rank takes its 1/W shard of every global batch
 * (rank r: rows {@code [r B/W, (r+1) B/W)}), computes the gradient of its shard's mean loss, and the reducer
 * averages the gradients bucket by bucket while backward goes on; every rank then takes the same SGD step.
 *
 * <p>Per step rank 0 prints the loss (the mean over ranks of their shards' losses, one extra 8-byte all-reduce)
 * and the time split into compute (forward, backward, copies into buckets, the update), exposed communication
 * (time {@link GradientReducer#finish()} waited) and overlap (all-reduce time hidden behind compute: the
 * all-reduces' busy time minus the exposed part). {@code --no-overlap} marks gradients ready only after the whole
 * backward pass, so the exposed time is the all-reduce time; {@code --compare} alternates the two step by step
 * (so that a slow spell of a shared machine falls on both alike) and prints both medians and their ratio.
 *
 * <p>Across processes: {@code bin/jccl-run -n 2 bin/jccl-train ...}; without a launcher, {@code -t} ranks as
 * threads of one process.
 */
@Command(name = "jccl-train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Data-parallel training of an MLP with the gradient reducer: loss and time split per step.")
public final class DataParallelTrainer implements Callable<Integer> {
    @Option(names = "--hidden", defaultValue = "256,256", split = ",", description = "hidden layer sizes (default: ${DEFAULT-VALUE})")
    int[] hidden;

    @Option(names = "--inputs", defaultValue = "32", description = "input features (default: ${DEFAULT-VALUE})")
    int inputs;

    @Option(names = "--classes", defaultValue = "10", description = "classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--samples", defaultValue = "16384", description = "samples in the data set (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--noise", defaultValue = "1.5", description = "feature noise around class centers (default: ${DEFAULT-VALUE})")
    double noise;

    @Option(names = {"-b", "--batch"}, defaultValue = "64", description = "global batch, split evenly over the ranks (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "50", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate (default: ${DEFAULT-VALUE})")
    float lr;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the data and the weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--bucket-mb", defaultValue = "25", description = "bucket cap in MiB, DDP's bucket_cap_mb (default: ${DEFAULT-VALUE})")
    double bucketMb;

    @Option(names = "--wire", defaultValue = "fp32", description = "wire format of the gradients: fp32|bf16|fp16 (default: ${DEFAULT-VALUE})")
    String wire;

    @Option(names = "--wire-segment", defaultValue = "4M", description = "largest all-reduce of a compressed bucket, bytes of wire (default: ${DEFAULT-VALUE})")
    String wireSegment;

    @Option(names = "--error-feedback", description = "with --wire bf16|fp16: keep each rank's rounding residual for the next step")
    boolean errorFeedback;

    @Option(names = "--deterministic", description = "average in rank order (identical bits to a single-process run)")
    boolean deterministic;

    @Option(names = "--no-overlap", description = "mark gradients ready only after the whole backward pass")
    boolean noOverlap;

    @Option(names = "--compare", description = "alternate steps with and without overlap and print both medians and their ratio")
    boolean compare;

    @Option(names = "--warmup", defaultValue = "3", description = "first steps left out of the summary (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--quiet", description = "no line per step, only the summary")
    boolean quiet;

    @Option(names = "--single-process", paramLabel = "W",
            description = "no communicator: the single-process reference of a W-rank run (the W shards' gradients summed"
            + " in rank order, then divided by W)")
    Integer singleProcess;

    @Option(names = "--reducer-bench", paramLabel = "SIZE", description = "no training: time one all-reduce of a SIZE-byte fp32"
            + " gradient through the reducer per wire format (fp32, bf16, bf16 + error feedback, fp16), e.g. 64M")
    String reducerBench;

    @Option(names = "--reps", defaultValue = "10", description = "with --reducer-bench: measured steps per format (default: ${DEFAULT-VALUE})")
    int reps;

    @Mixin
    RankOptions ranks = new RankOptions(2);

    public static void main(String[] args) {
        System.exit(io.jccl.bench.Cli.run(new DataParallelTrainer(), args));
    }

    /** What one training run gives on one rank. */
    public record Result(float[][] weights, float[][] biases, double[] losses, Summary summary, Summary noOverlap) {
    }

    /** Medians over the measured steps of one schedule (after warm-up), in milliseconds, and the allocation per step. */
    public record Summary(int steps, double stepMs, double computeMs, double exposedMs, double commMs,
                          double overlapMs, double allocBytesPerStep) {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        if (singleProcess != null) {
            if (batch % singleProcess != 0) {
                throw new IllegalArgumentException("--batch " + batch + " must be a multiple of --single-process "
                        + singleProcess);
            }
            Result r = trainSingleProcess(singleProcess);
            System.out.printf(Locale.ROOT, "# jccl-train: single process, reference of %d ranks; MLP %s%n", singleProcess,
                    Arrays.toString(sizes()));
            for (int s = 0; s < steps && !quiet; s++) {
                System.out.printf(Locale.ROOT, "%7d  %10.6f%n", s, r.losses()[s]);
            }
            System.out.printf(Locale.ROOT, "# final loss %.9g; parameters crc32 %08x%n", r.losses()[steps - 1],
                    checksum(r));
            return 0;
        }
        CommConfig config = CommConfig.builder().deterministic(deterministic).build();
        ranks.run(config, RankOptions.Where.COUNTED, (comm, where, out) -> {
            run(comm, where, out);
            return null;
        });
        return 0;
    }

    void validate() {
        WireFormat w = wireFormat(); // a wrong --wire fails here, before any rank connects
        at(steps >= 1, "--steps " + steps + " must be at least 1");
        at(batch >= 1, "--batch " + batch + " must be at least 1");
        at(samples >= 1, "--samples " + samples + " must be at least 1");
        at(inputs >= 1, "--inputs " + inputs + " must be at least 1");
        at(classes >= 2, "--classes " + classes + " must be at least 2");
        at(Arrays.stream(hidden).allMatch(h -> h >= 1), "--hidden " + Arrays.toString(hidden) + ": every size must be"
                + " at least 1");
        at(lr > 0, "--lr " + lr + " must be above 0");
        at(bucketMb > 0, "--bucket-mb " + bucketMb + " must be above 0");
        at(warmup >= 0, "--warmup " + warmup + " must be at least 0");
        at(reps >= 1, "--reps " + reps + " must be at least 1");
        at(singleProcess == null || singleProcess >= 1, "--single-process " + singleProcess
                + " must be a world size of at least 1");
        at(!errorFeedback || w.compresses(), "--error-feedback needs --wire bf16 or fp16 (fp32 has no rounding to"
                + " feed back)");
        at(!(compare && noOverlap), "--compare already runs the steps without overlap: drop --no-overlap");
        at(singleProcess == null || (w == WireFormat.FP32 && !errorFeedback), "--single-process computes the fp32"
                + " reference (a run with a 16-bit wire rounds differently): drop --wire");
        at(reducerBench == null || (w == WireFormat.FP32 && !compare && !noOverlap && !errorFeedback),
                "--reducer-bench times every wire format, with and without error feedback, and trains nothing: drop"
                + " --wire, --error-feedback, --compare and --no-overlap");
        long segment;
        try {
            segment = io.jccl.Knob.parseSize(wireSegment);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--wire-segment '" + wireSegment + "': " + e.getMessage());
        }
        at(segment >= 2, "--wire-segment " + wireSegment + " must be at least 2 bytes (one 16-bit element)");
    }

    private static void at(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    WireFormat wireFormat() {
        try {
            return WireFormat.valueOf(wire.toUpperCase(Locale.ROOT).replace("FLOAT", "FP"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--wire '" + wire + "': expected fp32, bf16 or fp16");
        }
    }

    int[] sizes() {
        int[] s = new int[hidden.length + 2];
        s[0] = inputs;
        System.arraycopy(hidden, 0, s, 1, hidden.length);
        s[s.length - 1] = classes;
        return s;
    }

    /** Trains on {@code comm} (every rank); rank 0 passes {@code out} to print. */
    void run(Communicator comm, String transport, PrintStream out) {
        if (reducerBench != null) {
            ReducerBench.run(comm, io.jccl.Knob.parseSize(reducerBench), io.jccl.Knob.parseSize(wireSegment), warmup,
                    reps, out);
            return;
        }
        if (batch % comm.size() != 0) {
            throw new IllegalArgumentException("--batch " + batch + " must be a multiple of the world size "
                    + comm.size());
        }
        SyntheticData data = SyntheticData.gaussianMixture(inputs, classes, samples, noise, seed);
        Mlp model = new Mlp(sizes(), seed);
        if (out != null) {
            out.printf(Locale.ROOT, "# jccl-train: %s; MLP %s (%d parameters, %.1f MiB of fp32 gradients), batch %d"
                            + " (%d per rank), wire %s%s%s, bucket cap %s MiB%n", transport, Arrays.toString(sizes()),
                    model.parameterCount(), model.parameterCount() * 4.0 / (1 << 20), batch, batch / comm.size(),
                    wire, errorFeedback ? " + error feedback" : "", comm.config().deterministic() ? ", deterministic" : "",
                    bucketMb);
        }
        Result r = train(comm, model, data, compare ? Schedule.ALTERNATE : noOverlap ? Schedule.NO_OVERLAP
                : Schedule.OVERLAP, out);
        if (compare && out != null) {
            Summary a = r.summary();
            Summary b = r.noOverlap();
            out.printf(Locale.ROOT, "# compare (medians): exposed communication with overlap %.3f ms/step; without"
                            + " overlap %.3f ms/step exposed (ratio %.2f) of %.3f ms/step all-reduce (ratio %.2f);"
                            + " communication share of the step without overlap %.0f%%; step %.3f ms with overlap, %.3f"
                            + " without%n", a.exposedMs(), b.exposedMs(), a.exposedMs() / b.exposedMs(), b.commMs(),
                    a.exposedMs() / b.commMs(), 100 * b.exposedMs() / b.stepMs(), a.stepMs(), b.stepMs());
        }
    }

    /** When gradients are marked ready. */
    enum Schedule {
        /** Each gradient as soon as backward finishes it. */
        OVERLAP,
        /** All of them after backward. */
        NO_OVERLAP,
        /** Even steps OVERLAP, odd steps NO_OVERLAP, so that a slow spell of the machine falls on both alike. */
        ALTERNATE
    }

    /** One training run of {@code steps} steps on {@code model} (continuing from its weights). */
    Result train(Communicator comm, Mlp model, SyntheticData data, boolean afterBackward, PrintStream out) {
        return train(comm, model, data, afterBackward ? Schedule.NO_OVERLAP : Schedule.OVERLAP, out);
    }

    Result train(Communicator comm, Mlp model, SyntheticData data, Schedule schedule, PrintStream out) {
        int w = comm.size();
        int rows = batch / w;
        GradientReducer.Builder rb = GradientReducer.builder(comm)
                .bucketCapBytes(Math.max(1, (long) (bucketMb * (1 << 20)))).wireFormat(wireFormat())
                .wireSegmentBytes(io.jccl.Knob.parseSize(wireSegment)).errorFeedback(errorFeedback)
                .deterministic(deterministic).timed(true);
        for (int l = 0; l < model.layers(); l++) {
            rb.register("layer" + l + ".weight", model.gw[l]).register("layer" + l + ".bias", model.gb[l])
                    .parameter(model.w[l]).parameter(model.b[l]);
        }
        double[] losses = new double[steps];
        double[][] times = new double[5][steps]; // step, compute, exposed, all-reduce, overlap (ms)
        long[] allocated = new long[steps];
        boolean[] late = new boolean[steps];
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        try (GradientReducer reducer = rb.build(); HostBuffer lossBuf = HostBuffer.allocate(1, DataType.FLOAT64)) {
            reducer.broadcastParameters(0);
            Mlp.GradientSink early = reducer::markReady;
            Mlp.GradientSink none = g -> { };
            if (out != null && !quiet) {
                out.printf("# %d buckets; %s%n", reducer.bucketLayout().size(), schedule == Schedule.NO_OVERLAP
                        ? "no overlap: gradients marked ready after backward" : schedule == Schedule.OVERLAP
                        ? "overlap: each gradient marked ready when backward finishes it"
                        : "even steps overlap, odd steps (*) mark gradients ready after backward");
                out.println("#  step        loss   step(ms)  compute(ms)  exposed(ms)  overlap(ms)  allreduce(ms)");
            }
            for (int s = 0; s < steps; s++) {
                late[s] = schedule == Schedule.NO_OVERLAP || schedule == Schedule.ALTERNATE && s % 2 == 1;
                long a0 = mx.getThreadAllocatedBytes(tid);
                long t0 = System.nanoTime();
                long first = (long) s * batch + (long) comm.rank() * rows;
                double loss = model.forwardBackward(data, first, rows, late[s] ? none : early);
                if (late[s]) {
                    for (int l = model.layers() - 1; l >= 0; l--) {
                        reducer.markReady(model.gb[l]);
                        reducer.markReady(model.gw[l]);
                    }
                }
                reducer.finish();
                long a1 = mx.getThreadAllocatedBytes(tid);
                model.sgd(lr);
                long t2 = System.nanoTime();
                lossBuf.putDouble(0, loss);
                comm.allReduce(lossBuf, 1, DataType.FLOAT64, ReduceOp.AVG);
                losses[s] = lossBuf.getDouble(0);
                times[0][s] = (t2 - t0) / 1e6;
                times[2][s] = reducer.lastWaitNanos() / 1e6;
                times[3][s] = reducer.lastCommNanos() / 1e6;
                times[4][s] = Math.max(0, times[3][s] - times[2][s]);
                times[1][s] = times[0][s] - times[2][s];
                allocated[s] = a1 - a0;
                if (out != null && !quiet) {
                    out.printf(Locale.ROOT, "%7d%s %10.6f  %9.3f  %11.3f  %11.3f  %11.3f  %13.3f%n", s,
                            schedule == Schedule.ALTERNATE && late[s] ? "*" : " ", losses[s], times[0][s], times[1][s],
                            times[2][s], times[4][s], times[3][s]);
                }
            }
        }
        Summary withOverlap = summarize(times, allocated, late, false);
        Summary without = summarize(times, allocated, late, true);
        if (out != null) {
            for (Summary sum : schedule == Schedule.ALTERNATE ? new Summary[] {withOverlap, without}
                    : new Summary[] {schedule == Schedule.OVERLAP ? withOverlap : without}) {
                out.printf(Locale.ROOT, "# summary (%s, median of %d steps after %d): step %.3f ms = compute %.3f +"
                                + " exposed communication %.3f; all-reduce %.3f ms of which %.3f hidden by overlap;"
                                + " training thread allocated %.0f B/step (backward, reducer and finish)%n",
                        sum == without ? "no overlap" : "overlap", sum.steps(), skipped(), sum.stepMs(), sum.computeMs(),
                        sum.exposedMs(), sum.commMs(), sum.overlapMs(), sum.allocBytesPerStep());
            }
        }
        float[][] ws = new float[model.layers()][];
        float[][] bs = new float[model.layers()][];
        for (int l = 0; l < model.layers(); l++) {
            ws[l] = model.w[l].clone();
            bs[l] = model.b[l].clone();
        }
        Result result = new Result(ws, bs, losses, withOverlap, without);
        if (out != null) {
            out.printf(Locale.ROOT, "# final loss %.9g; parameters crc32 %08x%n", losses[steps - 1], checksum(result));
        }
        return result;
    }

    /**
     * The first steps the summary leaves out: {@code --warmup}, but never every step (a run of fewer steps than that,
     * such as a short timeline, is summarized over the steps after its first).
     */
    private int skipped() {
        return warmup < steps ? warmup : steps > 1 ? 1 : 0;
    }

    /** Medians of the steps after warm-up whose schedule was {@code late} (no overlap) or not. */
    private Summary summarize(double[][] times, long[] allocated, boolean[] late, boolean which) {
        int n = 0;
        for (int s = skipped(); s < late.length; s++) {
            n += late[s] == which ? 1 : 0;
        }
        if (n == 0) {
            return new Summary(0, 0, 0, 0, 0, 0, 0);
        }
        double[] m = new double[6];
        for (int k = 0; k < 6; k++) {
            double[] v = new double[n];
            int i = 0;
            for (int s = skipped(); s < late.length; s++) {
                if (late[s] == which) {
                    v[i++] = k < 5 ? times[k][s] : allocated[s];
                }
            }
            Arrays.sort(v);
            m[k] = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        }
        return new Summary(n, m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    /** CRC-32 of every weight's and bias's bits, layer by layer: equal checksums, equal parameters. */
    static long checksum(Result r) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
        for (int l = 0; l < r.weights().length; l++) {
            for (float[] t : new float[][] {r.weights()[l], r.biases()[l]}) {
                for (float v : t) {
                    b.clear();
                    b.putInt(Float.floatToRawIntBits(v));
                    crc.update(b.array());
                }
            }
        }
        return crc.getValue();
    }

    /**
     * The single-process reference of a {@code w}-rank run: each step computes the gradients of the w shards in
     * rank order with the same code, sums them in rank order ({@code ((g0 + g1) + g2) ...}) and divides by w, as
     * the deterministic all-reduce does; the loss is the mean of the shards' losses, summed the same way.
     */
    Result trainSingleProcess(int w) {
        int rows = batch / w;
        SyntheticData data = SyntheticData.gaussianMixture(inputs, classes, samples, noise, seed);
        Mlp model = new Mlp(sizes(), seed);
        int layers = model.layers();
        float[][] sumW = new float[layers][];
        float[][] sumB = new float[layers][];
        for (int l = 0; l < layers; l++) {
            sumW[l] = new float[model.gw[l].length];
            sumB[l] = new float[model.gb[l].length];
        }
        double[] losses = new double[steps];
        for (int s = 0; s < steps; s++) {
            double lossSum = 0;
            for (int r = 0; r < w; r++) {
                double loss = model.forwardBackward(data, (long) s * batch + (long) r * rows, rows, g -> { });
                lossSum = r == 0 ? loss : lossSum + loss;
                for (int l = 0; l < layers; l++) {
                    accumulate(sumW[l], model.gw[l], r == 0);
                    accumulate(sumB[l], model.gb[l], r == 0);
                }
            }
            for (int l = 0; l < layers; l++) {
                divide(sumW[l], model.gw[l], w);
                divide(sumB[l], model.gb[l], w);
            }
            model.sgd(lr);
            losses[s] = lossSum / w;
        }
        return new Result(model.w, model.b, losses, null, null);
    }

    private static void accumulate(float[] sum, float[] g, boolean first) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] = first ? g[i] : sum[i] + g[i];
        }
    }

    private static void divide(float[] sum, float[] into, int w) {
        float d = w;
        for (int i = 0; i < sum.length; i++) {
            into[i] = w == 1 ? sum[i] : sum[i] / d;
        }
    }
}
