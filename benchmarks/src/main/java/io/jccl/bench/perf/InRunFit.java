package io.jccl.bench.perf;

import io.jccl.Algorithm;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.algo.select.CostModel;
import io.jccl.bench.Stat;
import io.jccl.bench.tune.Tuner;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --model fit}: bin/jccl-tune's fit (50 rounds per batch, the fastest batch; sizes from {@link #fitSizes},
 * so that beta is fitted on sizes where it shows) in this job, on a ring communicator split from the sweep's, in
 * one or more passes that keep their batches. The first pass comes after at least {@link #MIN_WARMUP_MS} of
 * warm-up (a fit of code the JIT has not compiled yet predicts its interpreted times). Every method is a collective
 * call on a world of 2 ranks or more ({@link JcclPerf} refuses one); every rank gets the same model.
 *
 * <p>Not thread-safe: one per rank's sweep. Its communicator and buffers (as large as the largest probe) are
 * freed after the last pass, or by {@link #close()}.
 */
final class InRunFit implements AutoCloseable {
    /** The probes reach at least this size (bytes): below it beta hardly shows. */
    static final long MIN_MAX_BYTES = 4L << 20;
    /** The first pass warms the ring up at least this long (ms) before it probes. */
    static final long MIN_WARMUP_MS = 10_000;

    private final List<Long> sizes;
    private final int passes;
    private final long jitWarmupMs;
    private final Stat stat;
    private Communicator fitComm;
    private Tuner tuner;

    /** Splits the ring communicator from {@code comm} (a collective call) and sets up the probes of a sweep to {@code maxBytes}. */
    InRunFit(Communicator comm, long maxBytes, DataType type, int passes, long jitWarmupMs, Stat stat) {
        this.sizes = fitSizes(maxBytes);
        this.passes = passes;
        this.jitWarmupMs = jitWarmupMs;
        this.stat = stat;
        this.fitComm = comm.split(0, comm.rank(), comm.config().toBuilder().algorithm(Algorithm.RING).build());
        try {
            this.tuner = new Tuner(fitComm, sizes, 50, passes > 1 ? 1 : 5, 0.15, type, true);
        } catch (RuntimeException e) {
            fitComm.close();
            throw e;
        }
        tuner.keepBatchesAcrossCalls();
    }

    /** The probe sizes: from 8 B by x4 up to {@code maxBytes} or {@link #MIN_MAX_BYTES}, whichever is larger. */
    static List<Long> fitSizes(long maxBytes) {
        List<Long> sizes = new ArrayList<>();
        for (long s = 8; s <= Math.max(maxBytes, MIN_MAX_BYTES); s *= 4) {
            sizes.add(s);
        }
        return sizes;
    }

    /**
     * One pass: times one batch (or, in a single pass, all batches) of every probe and fits the model on the fastest
     * batches so far; prints the fit's tables to {@code out} (the last pass's: null before). After the last pass the
     * communicator and buffers are freed.
     */
    CostModel pass(boolean first, boolean last, PrintStream out) {
        long warm = first ? Math.max(jitWarmupMs, MIN_WARMUP_MS) : 0;
        if (out != null) {
            describe(out, warm);
        }
        CostModel m = tuner.fit(false, warm, out);
        if (out != null) {
            out.println("#");
            out.println("# fitted: " + m);
        }
        if (last) { // its buffers (as large as the largest probe) are not held through the last sweep
            close();
        }
        return m;
    }

    private void describe(PrintStream out, long warm) {
        out.println("#");
        if (passes > 1) {
            out.printf(java.util.Locale.ROOT, "# --model fit: the cost model is fitted in this job (bin/jccl-tune's probes on a ring"
                    + " communicator of the same ranks, %d..%d B, after %d ms of warm-up), in %d passes interleaved with"
                    + " the sweep's: each pass times one batch of every probe, then one batch of every size of the"
                    + " sweep; the fit takes the fastest batch of each probe, the rows the %s of theirs%n", sizes.get(0),
                    sizes.get(sizes.size() - 1), Math.max(jitWarmupMs, MIN_WARMUP_MS), passes,
                    stat.name().toLowerCase(java.util.Locale.ROOT));
        } else {
            out.printf(java.util.Locale.ROOT, "# --model fit: the cost model is fitted in this job first (bin/jccl-tune's probes on a"
                    + " ring communicator of the same ranks, %d..%d B, after %d ms of warm-up)%n", sizes.get(0),
                    sizes.get(sizes.size() - 1), warm);
        }
    }

    @Override
    public void close() {
        if (tuner != null) {
            tuner.close();
            tuner = null;
        }
        if (fitComm != null) {
            fitComm.close();
            fitComm = null;
        }
    }
}
