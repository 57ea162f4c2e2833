package io.jccl.bench.algos;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.bench.Cli;
import io.jccl.bench.RankOptions;
import io.jccl.bench.ReductionOptions;
import io.jccl.bench.SizeOptions;
import io.jccl.bench.WarmUp;
import io.jccl.buffer.HostBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-algos}: is {@code auto} as fast as the best all-reduce algorithm? At each size it times every
 * algorithm (ring, tree, halving-doubling, recursive doubling, each forced on its own communicator split from the
 * job's) and auto, side by side: in each of {@code --rounds} rounds every one runs {@code -n} timed iterations, in an
 * order that rotates from round to round, so that a drift of the machine touches all alike. A time is the slowest
 * rank's mean over a round's iterations (microseconds); the table gives each one's median over the rounds, the
 * algorithm auto ran, auto's time over the best forced algorithm's, and the spread of those two over the rounds
 * ((max - min) / median, the larger of the two): a ratio within the spread is not a measured difference. The last
 * line counts the sizes where auto is within {@code --tolerance} of the best.
 *
 * <p>Out of place (send and receive buffers apart), {@code -d} type and {@code -o} op. Started by a launcher
 * ({@code bin/jccl-run -n W}) it measures the job's transport; otherwise {@code -t W} ranks as threads. With
 * {@code JCCL_COST_MODEL} set, auto chooses by that model, as it would in a job.
 */
@Command(name = "jccl-algos", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Times every all-reduce algorithm and auto side by side at each size: is auto within the"
                + " tolerance of the best?")
public final class JcclAlgos implements Callable<Integer> {
    /** The forced algorithms, in the table's order; auto follows them. */
    private static final List<Algorithm> FORCED = List.of(Algorithm.RING, Algorithm.TREE,
            Algorithm.HALVING_DOUBLING, Algorithm.RECURSIVE_DOUBLING);

    @Mixin
    SizeOptions sizes = new SizeOptions("8", "32M", 4);

    @Mixin
    ReductionOptions reduction = new ReductionOptions();

    @Option(names = {"-n", "--iters"}, defaultValue = "20",
            description = "timed iterations per algorithm and round (a tenth, at least 2, from 4 MiB)")
    int iters;

    @Option(names = {"-w", "--warmup_iters"}, defaultValue = "5", description = "warm-up iterations per algorithm and size")
    int warmup;

    @Option(names = "--rounds", defaultValue = "5", description = "rounds per size; a time is the median over them")
    int rounds;

    @Option(names = "--tolerance", defaultValue = "0.10",
            description = "auto counts as good at a size when its time is at most (1 + this) x the best's")
    double tolerance;

    @Option(names = "--jit-warmup-ms", defaultValue = "2000",
            description = "before the sweep, run every algorithm at 1 KiB, 256 KiB and 4 MiB for about this long so"
                    + " the JIT has compiled them, then (when -b is at most 64K) up to 4000 small calls each, for at most"
                    + " this long again; 0 skips it")
    long jitWarmupMs;

    @Mixin
    RankOptions ranks = new RankOptions(2);

    public static void main(String[] args) {
        System.exit(Cli.run(new JcclAlgos(), args));
    }

    @Override
    public Integer call() throws Exception {
        DataType type = reduction.type();
        ReduceOp reduceOp = reduction.op();
        long min = sizes.minBytes();
        long max = sizes.maxBytes();
        long stepFactor = sizes.stepFactor();
        if (min < 1 || max < min || stepFactor < 2 || iters < 1 || warmup < 0 || rounds < 1
                || !(tolerance >= 0 && tolerance < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("need 1 <= -b <= -e, -f >= 2, -n >= 1, -w >= 0, --rounds >= 1 and a"
                    + " finite --tolerance >= 0");
        }
        if (!ranks.launched() && ranks.threads() < 2) {
            throw new IllegalArgumentException("-t " + ranks.threads() + ": needs at least 2 ranks (every algorithm is a copy on"
                    + " one)");
        }
        // deterministic mode runs one algorithm whatever is forced: the comparison needs it off
        CommConfig config = CommConfig.builder().deterministic(false).build();
        Sweep sweep = new Sweep(type, reduceOp, min, max, stepFactor, iters, warmup, rounds, tolerance, jitWarmupMs);
        ranks.run(config, RankOptions.Where.PLAIN, (comm, where, out) -> {
            sweep.run(comm, config, where, out);
            return 0;
        });
        return 0;
    }

    /** The sweep's settings; {@link #run} is called on every rank. */
    record Sweep(DataType type, ReduceOp op, long minBytes, long maxBytes, long factor, int iters, int warmup,
                 int rounds, double tolerance, long jitWarmupMs) {

        void run(Communicator world, CommConfig config, String transport, PrintStream out) {
            int w = world.size();
            if (w < 2) {
                throw new IllegalArgumentException("needs at least 2 ranks (this job has 1): every algorithm is a copy on"
                        + " one");
            }
            int a = FORCED.size() + 1;
            Communicator[] comms = new Communicator[a];
            try {
                for (int i = 0; i < a; i++) {
                    Algorithm alg = i < FORCED.size() ? FORCED.get(i) : Algorithm.AUTO;
                    comms[i] = world.split(0, world.rank(), config.toBuilder().algorithm(alg).build());
                }
                if (out != null) {
                    out.printf(Locale.ROOT, "# jccl-algos: all-reduce %s %s, out of place, W=%d, transport %s%n",
                            type.name().toLowerCase(Locale.ROOT), op.name().toLowerCase(Locale.ROOT), w, transport);
                    out.printf(Locale.ROOT, "# time: median over %d rounds of the slowest rank's mean over -n iterations"
                            + " (us); the algorithms take turns within each round%n", rounds);
                    if (Knob.DETERMINISTIC.getBoolean()) {
                        out.println("# JCCL_DETERMINISTIC is ignored here: in deterministic mode every algorithm runs"
                                + " the same deterministic one");
                    }
                    out.printf(Locale.ROOT, "#%11s %10s %10s %10s %10s %10s %9s %6s %9s %7s%n", "size(B)", "ring", "tree",
                            "hd", "rd", "auto", "auto ran", "best", "auto/best", "spread");
                }
                jitWarmup(world, comms);
                int good = 0;
                int sizes = 0;
                double worst = 0;
                String worstAt = "";
                long lastCount = 0;
                for (long bytes = minBytes; bytes <= maxBytes; bytes = next(bytes)) {
                    long count = Math.max(1, bytes / type.bytes());
                    if (count == lastCount) {
                        continue; // sizes below one element, or between two: the same call as the row before
                    }
                    lastCount = count;
                    Timing t = time(world, comms, count);
                    double[] us = t.median();
                    String ran = comms[a - 1].lastAlgorithm();
                    int best = 0;
                    for (int i = 1; i < FORCED.size(); i++) {
                        best = us[i] < us[best] ? i : best;
                    }
                    double ratio = us[a - 1] / us[best];
                    sizes++;
                    good += ratio <= 1 + tolerance ? 1 : 0;
                    if (ratio > worst) {
                        worst = ratio;
                        worstAt = count * type.bytes() + " B (auto ran " + ran + ", best " + FORCED.get(best).label() + ")";
                    }
                    if (out != null) {
                        double spread = Math.max(t.spread()[a - 1], t.spread()[best]);
                        out.printf(Locale.ROOT, " %11d %10.2f %10.2f %10.2f %10.2f %10.2f %9s %6s %9.2f %6.0f%%%n",
                                count * type.bytes(), us[0], us[1], us[2], us[3], us[4], ran, FORCED.get(best).label(),
                                ratio, 100 * spread);
                    }
                }
                if (out != null) {
                    out.printf(Locale.ROOT, "# auto within %.0f%% of the best algorithm at %d of %d sizes; the largest"
                            + " auto/best: %.2f at %s%n", 100 * tolerance, good, sizes, worst, worstAt);
                }
            } finally {
                for (Communicator c : comms) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }

        /** The next size: times the factor, and {@link #maxBytes} itself last (as jccl-perf). */
        private long next(long bytes) {
            long n = bytes * factor;
            return n > maxBytes && bytes < maxBytes ? maxBytes : n;
        }

        /** Per algorithm: the median time over the rounds (us), and (max - min) / median over them. */
        record Timing(double[] median, double[] spread) {
        }

        /** Each algorithm's times at {@code count} elements, rounds alternating; the same on every rank. */
        private Timing time(Communicator world, Communicator[] comms, long count) {
            int a = comms.length;
            int n = count * type.bytes() >= (4L << 20) ? Math.max(2, iters / 10) : iters;
            try (HostBuffer send = HostBuffer.allocate(count, type);
                 HostBuffer recv = HostBuffer.allocate(count, type);
                 HostBuffer times = HostBuffer.allocate((long) a * rounds, DataType.FLOAT64)) {
                send.fill((byte) 0); // zeros: every op (prod and avg too) gives zeros, at the speed of any values
                for (Communicator c : comms) {
                    for (int i = 0; i < warmup; i++) {
                        c.allReduce(send, recv, count, type, op);
                    }
                }
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < a; k++) {
                        int i = (r + k) % a;
                        Communicator c = comms[i];
                        c.barrier();
                        long t0 = System.nanoTime();
                        for (int it = 0; it < n; it++) {
                            c.allReduce(send, recv, count, type, op);
                        }
                        times.putDouble((long) i * rounds + r, (System.nanoTime() - t0) / 1e3 / n);
                    }
                }
                world.allReduce(times, (long) a * rounds, DataType.FLOAT64, ReduceOp.MAX);
                double[] median = new double[a];
                double[] spread = new double[a];
                for (int i = 0; i < a; i++) {
                    double[] xs = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        xs[r] = times.getDouble((long) i * rounds + r);
                    }
                    Arrays.sort(xs);
                    median[i] = rounds % 2 == 1 ? xs[rounds / 2] : (xs[rounds / 2 - 1] + xs[rounds / 2]) / 2;
                    spread[i] = (xs[rounds - 1] - xs[0]) / median[i];
                }
                return new Timing(median, spread);
            }
        }

        /**
         * Runs every algorithm at a small, a mid and a large size until rank 0 has spent {@link #jitWarmupMs}, then,
         * when -b is at most 64 KiB, up to 4,000 calls of each at min(-b, 1 KiB) (at most {@link #jitWarmupMs} more).
         */
        private void jitWarmup(Communicator world, Communicator[] comms) {
            if (jitWarmupMs <= 0) {
                return;
            }
            long[] counts = {Math.max(1, 1024 / type.bytes()), 256 * 1024 / type.bytes(), (4L << 20) / type.bytes()};
            try (HostBuffer send = HostBuffer.allocate(counts[2], type);
                 HostBuffer recv = HostBuffer.allocate(counts[2], type)) {
                send.fill((byte) 0);
                WarmUp.repeatFor(world, jitWarmupMs, () -> {
                    for (Communicator c : comms) {
                        for (long count : counts) {
                            for (int i = 0; i < (count == counts[2] ? 1 : 10); i++) {
                                c.allReduce(send, recv, count, type, op);
                            }
                        }
                    }
                });
                if (minBytes <= 64 * 1024) {
                    // then small calls in a row, as jccl-perf does: the first thousands run at several times the
                    // steady time (docs/performance.md); up to 4,000 per algorithm, at most jitWarmupMs more
                    long small = Math.max(1, Math.min(minBytes, 1024) / type.bytes());
                    WarmUp.repeatFor(world, jitWarmupMs, 8, () -> {
                        for (Communicator c : comms) {
                            for (int i = 0; i < 500; i++) {
                                c.allReduce(send, recv, small, type, op);
                            }
                        }
                    });
                }
            }
        }
    }
}
