package io.jccl.bench.perf;

import io.jccl.Communicator;
import io.jccl.algo.select.CostModel;

import java.io.PrintStream;
import java.util.List;

/**
 * One {@code jccl-perf} table: {@code call} at every size of {@code sizes}, timed as {@code timing} says, checked
 * when {@code check}, with the predictions of {@code model} or of a model fitted in the job ({@code fitModel}).
 *
 * <p>With {@code --model fit --reps N > 1} the sweep runs in N passes, each the fit's probes (one batch) and then
 * the sweep (one batch per size and placement); the fit takes the fastest of its N batches, the rows the --stat of
 * theirs. The model and the rows then see the machine over the same span of time: a shared virtual machine's speed
 * moves during a job, and fitted first, then checked, the two saw different machines. Otherwise one pass.
 *
 * <p>Immutable; {@link #run} is called on every rank of a communicator.
 */
record Sweep(PerfCall call, SizeRange sizes, PerfTiming timing, boolean check, CostModel model, boolean fitModel) {
    /**
     * Runs the sweep (a collective call over {@code comm}); rank 0 prints the table to {@code printTo} (null: not
     * at all). Returns the exit status: 1 when any element was wrong, else 0.
     *
     * @throws IllegalArgumentException if the root is not a rank of {@code comm}
     */
    int run(Communicator comm, String transport, PrintStream printTo) {
        int w = comm.size();
        if (call.root() < 0 || call.root() >= w) {
            throw new IllegalArgumentException("-r " + call.root() + " is outside [0, " + w + ")");
        }
        PrintStream out = comm.rank() == 0 ? printTo : null;
        PerfTable.header(comm, transport, this, out);
        if (timing.jitWarmupMs() > 0 && call.coll() != PerfCollective.BARRIER) {
            PerfTable.warmingUp(out, JitWarmup.maxMillis(sizes, timing.jitWarmupMs()));
        }
        JitWarmup.run(comm, call, sizes, timing.jitWarmupMs());
        int passes = fitModel ? timing.reps() : 1;
        List<Long> sizeList = sizes.sizes();
        // the batches of every size across passes (one pass: those of the size being timed only)
        double[][][] batches = new double[passes > 1 ? sizeList.size() : 1][2][timing.reps()];
        CostModel m = model;
        PerfSummary summary = new PerfSummary();
        try (SizeTimer timer = new SizeTimer(call, timing, timing.reps() / passes);
             InRunFit fit = fitModel ? new InRunFit(comm, sizes.maxBytes(), call.type(), passes, timing.jitWarmupMs(),
                     timing.stat()) : null) {
            for (int pass = 0; pass < passes; pass++) {
                boolean last = pass == passes - 1;
                if (fit != null) {
                    m = fit.pass(pass == 0, last, last ? out : null);
                }
                if (last) {
                    PerfTable.modelNote(out, m, comm.hostLayout());
                    PerfTable.columns(out, m != null);
                }
                for (int s = 0; s < sizeList.size(); s++) {
                    double[][] b = batches[passes > 1 ? s : 0];
                    long total = call.totalCount(sizeList.get(s), w);
                    String algo = timer.time(comm, total, check && last);
                    timer.reduceTimes(comm, b, pass);
                    if (last) {
                        PerfRow row = new PerfRow(total * call.type().bytes(), total,
                                new double[] {timing.stat().of(b[0]), timing.stat().of(b[1])}, timer.reduceWrongs(comm), algo);
                        double f = call.coll().busFactor(w);
                        summary.add(row, f, b);
                        PerfTable.row(out, call, check, row, f, summary.predicted(m, call.coll(), row, comm.hostLayout(),
                                comm.config().segmentBytes()));
                    }
                }
            }
        }
        summary.print(out, m != null, timing.reps());
        return summary.exitStatus();
    }
}
