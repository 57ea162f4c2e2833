package io.jccl.bench.scaling;

import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jccl-scaling}'s prediction past this machine: the step time, R and efficiency of ring, tree and
 * hierarchical all-reduce on W = 8 .. --max-w ranks ({@link ScalingModel}), the W at which efficiency falls below
 * --threshold, and the link bandwidth that keeps R when compute per step grows --grow times. Times in seconds (ms
 * in the table), bandwidths as the options name them. Not thread-safe: rank 0's.
 */
final class AtScale {
    private final PredictionOptions o;
    private final ScalingModel.Workload measured;
    private final DataType type;
    private final double bucketMb;
    private final StudyFiles files;

    /**
     * Predictions as {@code o} sets them, for the workload {@code measured} here (its parameters, FLOP, buckets of
     * {@code bucketMb} MiB of {@code type} gradients) unless {@code o} gives another, written to {@code files}.
     */
    AtScale(PredictionOptions o, ScalingModel.Workload measured, DataType type, double bucketMb, StudyFiles files) {
        this.o = o;
        this.measured = measured;
        this.type = type;
        this.bucketMb = bucketMb;
        this.files = files;
    }

    /** The W grid: 8, 16, ..., powers of two up to --max-w, and --max-w. */
    List<Integer> grid() {
        List<Integer> g = new ArrayList<>();
        for (int w = 8; w < o.maxW; w *= 2) {
            g.add(w);
        }
        g.add(o.maxW);
        return g;
    }

    /**
     * Prints the prediction table and both questions to {@code out} and writes prediction.csv, prediction.json and
     * efficiency.png (with --predict-only also busbw.png). The link is {@code fitted}'s two-rank base unless given
     * (null: the --predict-only defaults); compute is at the W=1 FLOP rate of {@code ms} unless given, for
     * {@code statedFlops} (null: -P's --flops) scaled to the predicted parameters.
     */
    void predict(PrintStream out, CostModel fitted, List<Measured> ms, Double statedFlops) throws IOException {
        // a model fitted on several hosts (bin/jccl-tune) has both links: between hosts for the network, inside a
        // host for the intra-node link; its large calls' beta where it has one (the buckets are large calls)
        boolean twoLinks = fitted != null && fitted.acrossHosts() != null;
        LinkParams base = fitted == null ? null : twoLinks ? fitted.acrossHosts(measured.bucketBytes()) : fitted.base();
        LinkParams inside = twoLinks ? fitted.params(fitted.byWorld().isEmpty() ? 2 : fitted.byWorld().lastKey()) : null;
        double alpha = o.linkLatencyUs != null ? o.linkLatencyUs * 1e-6 : base != null ? base.alphaSeconds() : 25e-6;
        double beta = o.linkGbps != null ? 8 / (o.linkGbps * 1e9) : base != null ? base.betaSecondsPerByte() : 8 / 100e9;
        double gamma = o.reduceGBps != null ? 1e-9 / o.reduceGBps
                : twoLinks ? inside.gammaSecondsPerByte() : base != null ? base.gammaSecondsPerByte() : 1e-9 / 100;
        LinkParams inter = new LinkParams(alpha, beta, gamma);
        LinkParams intra = LinkParams.ofLink(o.intraGbps != null ? o.intraGbps : inside != null ? 8e-9 / inside.betaSecondsPerByte() : 2400,
                o.intraLatencyUs != null ? o.intraLatencyUs : inside != null ? inside.alphaSeconds() * 1e6 : 3, gamma);
        long pParams = o.predictParams != null ? JcclScaling.parseCount(o.predictParams) : o.predictOnly ? 1_000_000_000L : measured.params();
        double pFlops = o.predictFlops != null ? o.predictFlops
                : o.predictOnly ? 6.0 * pParams * o.tokens
                : (statedFlops != null ? statedFlops : measured.flopsPerStep()) * pParams / (double) measured.params();
        double rate = o.flopsRate != null ? o.flopsRate : !ms.isEmpty() ? ms.get(0).flopRate() : 1e14;
        ScalingModel.Workload work = new ScalingModel.Workload(pParams, measured.bytesPerParam(), measured.bucketBytes(),
                pFlops, measured.forwardFraction());
        long seg = Knob.SEGMENT_BYTES.getLong();
        int g = o.ranksPerNode;
        out.println("#");
        out.printf(Locale.ROOT, "# prediction past this machine: link %s (%s), intra-node %s (%s), %d ranks per node%n", inter,
                o.linkGbps != null || o.predictOnly ? "given" : twoLinks ? "fitted: between hosts, per rank at scale"
                        : "fitted: two ranks alone, ping-pong", intra,
                o.intraGbps == null ? (twoLinks ? "fitted: inside a host" : "default")
                        : twoLinks && o.intraLatencyUs == null ? "bandwidth given, latency fitted inside a host" : "given", g);
        out.printf(Locale.ROOT, "#   model: %.3e parameters (%s), %.3e FLOP per step and rank at %.3e FLOP/s per rank: compute %.2f ms"
                        + " per step; %d buckets of up to %.0f MiB%n", (double) pParams, type.ncclName(), pFlops, rate,
                pFlops / rate * 1e3, work.buckets().length, bucketMb);
        out.println("#   ring and tree are flat over all W ranks (every hop at the network's alpha and beta); hierarchical ="
                + " intra-node reduce-scatter, inter-node all-reduce of 1/G per rank (ring or tree, the cheaper), intra-node all-gather");
        out.println("#       W   ring step (ms)     R     E   tree step (ms)     R     E   hier step (ms)     R     E");
        ScalingModel.Algo[] algos = ScalingModel.Algo.values();
        List<Integer> grid = grid();
        double[][] e = new double[algos.length][grid.size()];
        StringBuilder csv = new StringBuilder("w,algorithm,compute_s,comm_s,step_s,exposed_fraction,ratio_r,efficiency\n");
        for (int i = 0; i < grid.size(); i++) {
            int w = grid.get(i);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %6d", w));
            for (int a = 0; a < algos.length; a++) {
                ScalingModel.StepTimes st = stepAt(algos[a], inter, intra, work, rate, w, g, seg);
                e[a][i] = st.compute() / st.step();
                line.append(String.format(Locale.ROOT, "  %15.2f  %5s  %4.2f", st.step() * 1e3, Validation.num(st.ratio(), "%.2f"), e[a][i]));
                csv.append(String.format(Locale.ROOT, "%d,%s,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f%n", w, algos[a].label(), st.compute(),
                        st.comm(), st.step(), st.exposedFraction(), st.ratio(), e[a][i]));
            }
            out.println(line);
        }
        out.printf(Locale.ROOT, "# efficiency falls below %.2f at:", o.threshold);
        Map<String, Object> json = new LinkedHashMap<>();
        for (ScalingModel.Algo a : algos) {
            long step = a == ScalingModel.Algo.HIERARCHICAL ? g : 1;
            long lo = a == ScalingModel.Algo.HIERARCHICAL ? g : 2;
            long first = ScalingModel.firstBelow(w -> {
                ScalingModel.StepTimes st = stepAt(a, inter, intra, work, rate, (int) w, g, seg);
                return st.compute() / st.step();
            }, lo, Math.max(lo, o.maxW) / step * step, step, o.threshold);
            out.printf(Locale.ROOT, "  %s W=%s", a.label(), first < 0 ? "never (up to " + o.maxW + ")" : Long.toString(first));
            json.put("first_w_below_" + a.label(), first);
        }
        out.println();
        growth(out, inter, intra, work, rate, seg, json);
        // files
        Path dir = files.dir();
        json.put("link_alpha_s", inter.alphaSeconds());
        json.put("link_beta_s_per_byte", inter.betaSecondsPerByte());
        json.put("gamma_s_per_byte", gamma);
        json.put("params", pParams);
        json.put("flops_per_step", pFlops);
        json.put("flops_per_second_per_rank", rate);
        json.put("ranks_per_node", g);
        json.put("threshold", o.threshold);
        files.writePrediction(csv.toString(), json);
        Map<String, double[][]> series = new LinkedHashMap<>();
        double[] xs = grid.stream().mapToDouble(Integer::doubleValue).toArray();
        for (int a = 0; a < algos.length; a++) {
            series.put(algos[a].label() + " (predicted)", new double[][] {xs, e[a]});
        }
        if (ms.size() > 1) {
            double[] mx = ms.stream().mapToDouble(Measured::w).toArray();
            double t1 = ms.get(0).step();
            double[] my = ms.stream().mapToDouble(m -> t1 / m.step()).toArray();
            series.put("measured on this machine", new double[][] {mx, my});
        }
        Charts.xy(dir.resolve("efficiency.png"), "Weak-scaling efficiency E(W) = T(1)/T(W)", "W (ranks)", "efficiency",
                true, false, series, 900, 560);
        out.println("# wrote " + dir.resolve("prediction.csv") + ", " + dir.resolve("prediction.json") + ", "
                + dir.resolve("efficiency.png"));
        if (o.predictOnly) {
            files.chartBusbw(Map.of(), CostModel.uniform(inter), seg, 0);
        }
    }

    private static ScalingModel.StepTimes stepAt(ScalingModel.Algo a, LinkParams inter, LinkParams intra,
                                                 ScalingModel.Workload work, double rate, int w, int g, long seg) {
        return ScalingModel.step(work, rate, b -> ScalingModel.allReduce(a, inter, intra, b, w, g, seg));
    }

    /**
     * "If compute per step grows {@code grow}x, what link bandwidth keeps R?" at W = growAtW with the algorithm
     * that is fastest there now, solving for the links' speed: (a) a {@code grow}x larger model on {@code grow}x
     * faster accelerators (gradients and buckets grow {@code grow}x, the number of buckets, the compute time per step
     * and the reduction time per bucket byte over the accelerator's speed stay);
     * (b) {@code grow}x more FLOP per step with the same parameters and accelerators (a larger batch: compute time
     * grows, gradients stay). The network's and the intra-node link's beta are scaled by the same factor (the
     * answer is given for the network link).
     */
    private void growth(PrintStream out, LinkParams inter, LinkParams intra, ScalingModel.Workload work, double rate,
                        long seg, Map<String, Object> json) {
        int w = Math.max(o.ranksPerNode, o.growAtW / o.ranksPerNode * o.ranksPerNode);
        int g = o.ranksPerNode;
        ScalingModel.Algo best = ScalingModel.Algo.RING;
        double bestStep = Double.POSITIVE_INFINITY;
        for (ScalingModel.Algo a : ScalingModel.Algo.values()) {
            double s = stepAt(a, inter, intra, work, rate, w, g, seg).step();
            if (s < bestStep) {
                bestStep = s;
                best = a;
            }
        }
        ScalingModel.Algo algoUsed = best;
        double r0 = stepAt(best, inter, intra, work, rate, w, g, seg).ratio();
        double beta0 = inter.betaSecondsPerByte();
        double gbps0 = 8e-9 / beta0;
        out.printf(Locale.ROOT, "# if compute per step grows %.0fx, what link keeps R = %.3f (W=%d, %s, now %.1f Gbit/s per rank)?%n",
                o.grow, r0, w, algoUsed.label(), gbps0);
        ScalingModel.Workload bigModel = new ScalingModel.Workload((long) Math.min(Long.MAX_VALUE / 16.0, work.params() * o.grow),
                work.bytesPerParam(), (long) Math.min(Long.MAX_VALUE / 16.0, work.bucketBytes() * o.grow), work.flopsPerStep() * o.grow,
                work.forwardFraction());
        LinkParams fastInter = new LinkParams(inter.alphaSeconds(), beta0, inter.gammaSecondsPerByte() / o.grow);
        LinkParams fastIntra = new LinkParams(intra.alphaSeconds(), intra.betaSecondsPerByte(), intra.gammaSecondsPerByte() / o.grow);
        double betaA = ScalingModel.solveBeta(b -> stepAt(algoUsed, fastInter.withBeta(b), scaled(fastIntra, b / beta0),
                bigModel, rate * o.grow, w, g, seg).ratio(), r0);
        out.printf(Locale.ROOT, "#   (a) %.0fx parameters on %.0fx faster accelerators (same compute time per step, %.0fx gradients"
                + " in as many buckets, each %.0fx larger): %s%n", o.grow, o.grow, o.grow, o.grow, answer(betaA, gbps0));
        ScalingModel.Workload bigBatch = new ScalingModel.Workload(work.params(), work.bytesPerParam(), work.bucketBytes(),
                work.flopsPerStep() * o.grow, work.forwardFraction());
        double betaB = ScalingModel.solveBeta(b -> stepAt(algoUsed, inter.withBeta(b), scaled(intra, b / beta0), bigBatch,
                rate, w, g, seg).ratio(), r0);
        out.printf(Locale.ROOT, "#   (b) %.0fx FLOP per step, same parameters and accelerators (a larger batch): %s%n", o.grow,
                answer(betaB, gbps0));
        out.println("#   (the intra-node link is scaled by the same factor as the network; latencies stay)");
        json.put("grow", o.grow);
        json.put("grow_at_w", w);
        json.put("grow_algorithm", algoUsed.label());
        json.put("ratio_r_now", r0);
        json.put("link_gbps_now", gbps0);
        json.put("link_gbps_keeping_r_bigger_model", betaA > 0 && Double.isFinite(betaA) ? 8e-9 / betaA : betaA == 0 ? -1 : 0);
        json.put("link_gbps_keeping_r_bigger_batch", betaB > 0 && Double.isFinite(betaB) ? 8e-9 / betaB : betaB == 0 ? -1 : 0);
    }

    private static LinkParams scaled(LinkParams p, double betaFactor) {
        return p.withBeta(p.betaSecondsPerByte() * betaFactor);
    }

    private static String answer(double beta, double gbpsNow) {
        if (beta == 0) {
            return "no link does: the latency terms alone take longer than R allows";
        }
        if (Double.isInfinite(beta)) {
            return "any link does";
        }
        double gbps = 8e-9 / beta;
        return String.format(Locale.ROOT, "%.4g Gbit/s per rank (%.3gx today's)", gbps, gbps / gbpsNow);
    }
}
