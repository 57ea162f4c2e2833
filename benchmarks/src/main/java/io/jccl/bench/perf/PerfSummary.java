package io.jccl.bench.perf;

import io.jccl.Collective;
import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.HostCosts;
import io.jccl.transport.HostLayout;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a sweep adds up over its rows, for the lines that end its table: the wrong elements (and so the exit
 * status), the average busbw, the cost model's prediction errors and the spread of the batches. It also makes a
 * row's prediction columns, whose errors it keeps. Not thread-safe: rank 0's sweep (every rank keeps one; only
 * rank 0's is printed).
 */
final class PerfSummary {
    private double busSum;
    private int busCount;
    private long wrongTotal;
    private final List<Double> predErrors = new ArrayList<>();
    // per row and placement, the slowest of its batches over the fastest: how much the batches varied (back to
    // back with --reps alone; spread over the passes, and so over the job, with --model fit --reps N)
    private final List<Double> spreads = new ArrayList<>();

    /** Counts {@code row} (bus factor {@code busFactor}), and the spread of its {@code batches} when there are several. */
    void add(PerfRow row, double busFactor, double[][] batches) {
        wrongTotal += row.wrong()[0] + row.wrong()[1];
        busSum += row.algbw(0) * busFactor + row.algbw(1) * busFactor;
        busCount += 2;
        if (batches[0].length > 1) {
            spreads.add(spread(batches[0]));
            spreads.add(spread(batches[1]));
        }
    }

    /**
     * The prediction columns of {@code row}: the time {@code model} predicts for the algorithm that ran, and its
     * error against both placements (kept for the median); empty without a model, N/A where it has no prediction.
     */
    String predicted(CostModel model, PerfCollective coll, PerfRow row, HostLayout hosts, long segmentBytes) {
        if (model == null) {
            return "";
        }
        // one rank moves nothing: no prediction to check (its time is the local copy's)
        double pus = hosts.size() < 2 ? Double.NaN : seconds(model, coll.collective, row, hosts, segmentBytes) * 1e6;
        if (Double.isNaN(pus)) {
            return String.format(Locale.ROOT, "  %9s  %6s  %6s", "N/A", "", "");
        }
        double e0 = (pus - row.us()[0]) / row.us()[0];
        double e1 = (pus - row.us()[1]) / row.us()[1];
        predErrors.add(Math.abs(e0));
        predErrors.add(Math.abs(e1));
        return String.format(Locale.ROOT, "  %9s  %+5.0f%%  %+5.0f%%", PerfTable.time(pus), e0 * 100, e1 * 100);
    }

    /**
     * The model's time for {@code row}: on several hosts with a model of both links, an all-reduce priced per link
     * class ({@link HostCosts}) and any other collective at the link between hosts (the slower one that its ring or
     * chain crosses); else the model's parameters for W ranks.
     */
    private static double seconds(CostModel model, Collective c, PerfRow row, HostLayout hosts, long segmentBytes) {
        int w = hosts.size();
        if (model.acrossHosts() != null && hosts.hosts() > 1) {
            return c == Collective.ALL_REDUCE ? HostCosts.allReduce(row.algo(), model, row.size(), hosts, segmentBytes)
                    : CollectiveCosts.predict(c, row.algo(), model.acrossHosts(row.size()), row.size(), w, segmentBytes, false);
        }
        return CollectiveCosts.predict(c, row.algo(), model.params(w, row.algo(), row.size()), row.size(), w,
                segmentBytes, model.sharedHost());
    }

    /** The exit status: 1 when any element was wrong, else 0. */
    int exitStatus() {
        return wrongTotal == 0 ? 0 : 1;
    }

    /** The lines that end the table ({@code withModel}: the median prediction error); nothing to a null stream. */
    void print(PrintStream out, boolean withModel, int reps) {
        if (out == null) {
            return;
        }
        out.printf(Locale.ROOT, "# Out of bounds values : %d %s%n", wrongTotal, wrongTotal == 0 ? "OK" : "FAILED");
        out.printf(Locale.ROOT, "# Avg bus bandwidth    : %.6f %n", busCount == 0 ? 0 : busSum / busCount);
        if (withModel && predErrors.isEmpty()) {
            out.println("# Median |prediction error| : none (no row has a prediction; one rank alone moves nothing to predict)");
        } else if (withModel) {
            double[] e = predErrors.stream().mapToDouble(Double::doubleValue).toArray();
            out.printf(Locale.ROOT, "# Median |prediction error| : %.1f%% over %d measurements (max %.1f%%)%n",
                    CostFit.median(e) * 100, e.length, Arrays.stream(e).max().orElse(Double.NaN) * 100);
        }
        if (!spreads.isEmpty()) {
            double[] sp = spreads.stream().mapToDouble(Double::doubleValue).toArray();
            out.printf(Locale.ROOT, "# Batch spread : the slowest of a row's %d batches took %.2fx the fastest (median"
                            + " over %d rows x 2 placements; %.2fx-%.2fx)%n",
                    reps, CostFit.median(sp), sp.length / 2, Arrays.stream(sp).min().orElseThrow(),
                    Arrays.stream(sp).max().orElseThrow());
        }
        out.println("#");
        out.flush();
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
}
