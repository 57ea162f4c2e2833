package io.jccl.bench.tune;

import io.jccl.Algorithm;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.CostFit;
import io.jccl.algo.select.HostCosts;
import io.jccl.algo.select.LinkParams;
import io.jccl.buffer.HostBuffer;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The fits behind {@code bin/jccl-tune}, usable from other tools ({@code jccl-scaling} fits in the same run as
 * its study). Every method is called on every rank of the communicator it is given, with the same arguments;
 * printing happens where {@code out} is not null (rank 0).
 *
 * <p>Not thread-safe: one instance per rank.
 */
public final class Tuner implements AutoCloseable {
    /**
     * The fit of one world size.
     *
     * @param params     the fitted parameters (gamma from the kernel probe)
     * @param large      the beta of large calls, when a second beta fits the largest sizes better (else null)
     * @param sizes      probe sizes in bytes
     * @param measured   measured all-reduce times, seconds
     * @param predicted  the fitted model's times, seconds
     * @param algorithms the algorithm that ran at each size
     */
    public record WorldFit(LinkParams params, io.jccl.algo.select.CostModel.Large large, double[] sizes, double[] measured,
                           double[] predicted, String[] algorithms) {
        /** Median over the sizes of |predicted - measured| / measured. */
        public double medianError() {
            double[] e = new double[sizes.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = Math.abs(predicted[i] - measured[i]) / measured[i];
            }
            return CostFit.median(e);
        }
    }

    private final Communicator comm;
    private final List<Long> sizes;
    private final DataType type;
    private final Probe probe;
    /** The probes' buffer (all-reduces in place, ping-pong). */
    private final HostBuffer a;
    private final boolean sharedHost;

    /**
     * @param sizes             probe sizes in bytes (ascending)
     * @param iters             rounds per batch
     * @param reps              batches per size
     * @param maxSecondsPerSize cap of one batch
     * @param type              element type of the all-reduce and kernel probes
     * @param fastest           true: a size's time is its fastest batch (least disturbed); false: the median batch
     */
    public Tuner(Communicator comm, List<Long> sizes, int iters, int reps, double maxSecondsPerSize, DataType type,
                 boolean fastest) {
        this.comm = comm;
        this.sizes = List.copyOf(sizes);
        this.type = type;
        this.probe = new Probe(comm, iters, reps, maxSecondsPerSize, fastest);
        long max = Math.max(sizes.get(sizes.size() - 1), 256 * 1024);
        this.a = HostBuffer.allocate(max);
        this.sharedHost = sameHost(comm);
    }

    /**
     * True when every rank of {@code comm} runs on this host: the same host name, and LOCAL_WORLD_SIZE (set by
     * launchers) unset or equal to W; a collective call.
     */
    static boolean sameHost(Communicator comm) {
        String name;
        try {
            name = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            name = "localhost";
        }
        try (HostBuffer mine = HostBuffer.allocate(1, DataType.INT64);
             HostBuffer all = HostBuffer.allocate(comm.size(), DataType.INT64)) {
            String local = System.getenv("LOCAL_WORLD_SIZE");
            boolean allLocal = local == null || local.isBlank() || local.trim().equals(Integer.toString(comm.size()));
            mine.putLong(0, allLocal ? name.hashCode() : comm.rank() + 0x5eed_0000_0000L); // not local: differ
            comm.allGather(mine, all, 1, DataType.INT64);
            for (int r = 0; r < comm.size(); r++) {
                if (all.getLong(r) != mine.getLong(0)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * From now on every probe's time is taken over its batches of all calls so far (as {@code fastest} says: the
     * fastest or the median), not only the current call's: a job that calls {@link #fit} once per pass, between
     * passes of its own measurements, fits what the machine did over the same span of time as those measurements.
     */
    public void keepBatchesAcrossCalls() {
        probe.keepBatchesAcrossCalls();
    }

    /** True when every rank runs on one host (found at construction): see {@code CostModel.sharedHost()}. */
    public boolean sharedHost() {
        return sharedHost;
    }

    /**
     * bin/jccl-tune's fit on this tuner's communicator, whose configuration must force the ring (its all-reduce is
     * the probe of every W): warm-up for {@code warmUpMillis}, gamma per number of ranks reducing at once, the base
     * parameters from a ping-pong of ranks 0 and 1, and for W (and, with {@code subWorlds}, every W' = 2..W-1 on
     * sub-communicators of the first W' ranks) alpha and beta from the ring all-reduce and the tree's own latency
     * ({@link #treeLatency}, after a quarter of {@code warmUpMillis} of the tree). A collective call; every rank gets
     * the same model (each probe's time is agreed on by all ranks), printed where {@code out} is not null.
     */
    public io.jccl.algo.select.CostModel fit(boolean subWorlds, long warmUpMillis, PrintStream out) {
        int w = comm.size();
        warmUp(warmUpMillis);
        double[] gamma = gammas(w, 4 << 20, out);
        LinkParams base = new LinkParams(0, 0, gamma[1]);
        java.util.Map<Integer, LinkParams> byWorld = new java.util.TreeMap<>();
        java.util.Map<Integer, Double> treeAlpha = new java.util.TreeMap<>();
        java.util.Map<Integer, io.jccl.algo.select.CostModel.Large> large = new java.util.TreeMap<>();
        if (w >= 2) {
            CostFit.Line pp = pingPong(out);
            base = new LinkParams(pp.intercept(), pp.slope(), gamma[1]);
            for (int k = subWorlds ? 2 : w; k <= w; k++) {
                Communicator sub = k == w ? comm : comm.split(comm.rank() < k ? 0 : -1, comm.rank());
                if (sub != null) {
                    WorldFit f = allReduce(sub, gamma[k], out);
                    LinkParams ring = f.params();
                    byWorld.put(k, ring);
                    if (f.large() != null) {
                        large.put(k, f.large());
                    }
                    treeAlpha.put(k, treeLatency(sub, ring, TREE_FIT_MAX_BYTES, warmUpMillis / 4, out));
                    if (sub != comm) {
                        sub.close();
                    }
                }
                comm.barrier();
            }
        }
        return new io.jccl.algo.select.CostModel(base, byWorld, treeAlpha, large, java.util.Map.of(), sharedHost);
    }

    /** The tree's own latency is fitted on its all-reduce up to this size, where latency dominates. */
    static final long TREE_FIT_MAX_BYTES = 65536;

    /**
     * Runs small, mid-size and large exchanges until rank 0 has spent {@code millis}: the JIT compiles the hot paths
     * and TCP's buffer auto-tuning grows the socket buffers, as they are in a job that has run for a while.
     */
    public void warmUp(long millis) {
        Probe quick = new Probe(comm, 20, 1, 0.05, false);
        io.jccl.bench.WarmUp.repeatFor(comm, millis, () -> {
            quick.allReduce(comm, a, 64, type);
            quick.allReduce(comm, a, 256 * 1024, type);
            // large messages too: the JIT's large-message paths and the kernel's TCP buffer auto-tuning
            quick.allReduce(comm, a, Math.min(a.byteSize(), 8 << 20), type);
            quick.pingPong(a, 64);
            quick.reduceKernel(type, 256 * 1024, comm.size());
        });
    }

    /**
     * Runs {@code c}'s all-reduce at 64 B and {@code maxBytes}, untimed, until rank 0 of {@code c} has spent
     * {@code millis}; a collective call over {@code c}.
     */
    private void warmUp(Communicator c, long millis, long maxBytes) {
        Probe quick = new Probe(c, 20, 1, 0.05, false);
        io.jccl.bench.WarmUp.repeatFor(c, millis, () -> {
            quick.allReduce(c, a, 64, type);
            quick.allReduce(c, a, Math.min(a.byteSize(), maxBytes), type);
        });
    }

    /** gamma (seconds per byte) with k = 1..maxK ranks reducing at once, at index k; prints a table. */
    public double[] gammas(int maxK, int kernelBytes, PrintStream out) {
        double[] gamma = new double[maxK + 1];
        for (int k = 1; k <= maxK; k++) {
            gamma[k] = probe.reduceKernel(type, kernelBytes, k);
        }
        if (out != null) {
            out.printf(Locale.ROOT, "#%n# reduce kernel (%s sum, %d B operands): gamma per rank with k ranks reducing at once%n",
                    type.ncclName(), kernelBytes);
            out.println("#   k   gamma (s/B)   GB/s");
            for (int k = 1; k <= maxK; k++) {
                out.printf(Locale.ROOT, "  %3d   %10.3e  %6.2f%n", k, gamma[k], 1e-9 / gamma[k]);
            }
        }
        return gamma;
    }

    /** Ping-pong between ranks 0 and 1 fitted to alpha + n beta (half round trips); prints the table. */
    public CostFit.Line pingPong(PrintStream out) {
        double[] n = new double[sizes.size()];
        double[] t = new double[sizes.size()];
        for (int i = 0; i < sizes.size(); i++) {
            n[i] = sizes.get(i);
            t[i] = probe.pingPong(a, sizes.get(i));
        }
        CostFit.Line fit = CostFit.fit(n, t);
        double[] pred = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            pred[i] = fit.at(n[i]);
        }
        table(out, String.format(Locale.ROOT, "ping-pong rank 0 <-> rank 1 (half round trip), fit alpha + n beta:"
                + " alpha=%.2f us, beta=%.3e s/B (%.3f GB/s)", fit.intercept() * 1e6, fit.slope(),
                1e-9 / fit.slope()), n, t, pred, null);
        return fit;
    }

    /**
     * All-reduce among the ranks of {@code sub} at every probe size with the algorithm its configuration selects,
     * then alpha and beta fitted to that algorithm's formula ({@link CollectiveCosts}: time = latencies x alpha +
     * bytes x beta + reduced bytes x gamma, with gamma given); prints the table.
     */
    public WorldFit allReduce(Communicator sub, double gamma, PrintStream out) {
        return allReduce(sub, gamma, 0, 0.5, out);
    }

    /**
     * As {@link #allReduce(Communicator, double, PrintStream)}, the second beta of the largest sizes tried from
     * {@code minBelow} points below (0: half the sizes, at least 4) and taken when it cuts their squared error to
     * {@code largeShare} of one beta's ({@link CostFit#fit2Split(double[], double[], double[], int, double)}).
     */
    public WorldFit allReduce(Communicator sub, double gamma, int minBelow, double largeShare, PrintStream out) {
        int k = sub.size();
        long seg = sub.config().segmentBytes();
        Timed timed = timeAllReduce(sub);
        double[] n = timed.n();
        double[] t = timed.t();
        String[] algos = timed.algos();
        int m = n.length;
        double[] lat = new double[m];
        double[] wire = new double[m];
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            long bytes = (long) n[i];
            // the formula's coefficients of alpha, beta and gamma at this size
            lat[i] = CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, algos[i], new LinkParams(1, 0, 0), bytes, k, seg,
                    sharedHost);
            wire[i] = CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, algos[i], new LinkParams(0, 1, 0), bytes, k, seg,
                    sharedHost);
            double red = CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, algos[i], new LinkParams(0, 0, 1), bytes, k,
                    seg, sharedHost);
            y[i] = Math.max(t[i] * 0.05, t[i] - red * gamma);
        }
        CostFit.Line f = CostFit.fit2(lat, wire, y);
        LinkParams p = new LinkParams(f.intercept(), f.slope(), gamma);
        io.jccl.algo.select.CostModel.Large large = null;
        // a second beta for the largest sizes, when their data leaves the caches and one beta fits both badly
        CostFit.Split split = CostFit.fit2Split(lat, wire, y, minBelow > 0 ? minBelow : Math.max(4, m / 2), largeShare);
        if (split != null) {
            p = new LinkParams(split.a(), split.b(), gamma);
            large = new io.jccl.algo.select.CostModel.Large((long) Math.sqrt(n[split.from() - 1] * n[split.from()]),
                    split.bLarge());
        }
        double[] pred = new double[m];
        for (int i = 0; i < m; i++) {
            LinkParams pi = large != null && n[i] >= large.fromBytes() ? p.withBeta(large.betaSecondsPerByte()) : p;
            pred[i] = CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, algos[i], pi, (long) n[i], k, seg, sharedHost);
        }
        table(out, "all-reduce among " + k + " ranks, all at once (" + String.join(",", new java.util.TreeSet<>(List.of(algos)))
                + "), fitted: " + p + (large == null ? "" : String.format(Locale.ROOT, "; from %d B: beta=%.3g s/B (%.3f GB/s)",
                large.fromBytes(), large.betaSecondsPerByte(), 1e-9 / large.betaSecondsPerByte())), n, t, pred, algos);
        return new WorldFit(p, large, n, t, pred, algos);
    }

    /**
     * The double binary tree's latency per hop among the ranks of {@code sub}: the tree all-reduce at the probe
     * sizes up to {@code maxBytes} (where latency dominates), fitted to the tree's formula with beta and gamma of
     * {@code p} kept and alpha free ({@link CostFit#fitLatency}); prints the table. A collective call over
     * {@code sub}. The tree first runs {@code warmUpMillis} at those sizes, untimed, so that the JIT has compiled it.
     *
     * @return alpha in seconds, for {@code CostModel.withTreeAlpha}
     */
    public double treeLatency(Communicator sub, LinkParams p, long maxBytes, long warmUpMillis, PrintStream out) {
        int k = sub.size();
        long seg = sub.config().segmentBytes();
        List<Long> small = sizes.stream().filter(s -> s <= maxBytes).toList();
        double[] n = new double[small.size()];
        double[] t = new double[n.length];
        double[] hops = new double[n.length];
        double[] rest = new double[n.length];
        try (Communicator tree = sub.split(0, sub.rank(), sub.config().toBuilder().algorithm(Algorithm.TREE).build())) {
            // the tree's code has not run yet (the ring and recursive doubling served every earlier probe): without
            // this, its times are those of interpreted and C1 code, about twice the compiled ones at W=2
            warmUp(tree, warmUpMillis, maxBytes);
            for (int i = 0; i < n.length; i++) {
                long bytes = Math.max(small.get(i), type.bytes());
                n[i] = bytes;
                t[i] = probe.allReduce(tree, a, bytes, type);
                hops[i] = CollectiveCosts.treeAllReduce(new LinkParams(1, 0, 0), bytes, k, seg, sharedHost);
                rest[i] = CollectiveCosts.treeAllReduce(p.withAlpha(0), bytes, k, seg, sharedHost);
            }
        }
        double alpha = CostFit.fitLatency(hops, rest, t);
        double[] pred = new double[n.length];
        String[] algos = new String[n.length];
        for (int i = 0; i < n.length; i++) {
            pred[i] = hops[i] * alpha + rest[i];
            algos[i] = "tree";
        }
        table(out, String.format(Locale.ROOT, "tree all-reduce among %d ranks, %d B and below, its own latency fitted"
                + " (beta, gamma kept): alpha=%.2f us per hop (the ring's: %.2f us)", k, maxBytes, alpha * 1e6,
                p.alphaSeconds() * 1e6), n, t, pred, algos);
        return alpha;
    }

    /**
     * Times the all-reduce of every probe size with the algorithm {@code comm}'s configuration selects and prints
     * it next to {@code model}'s prediction for the algorithm that ran; returns the median over the sizes of
     * |predicted - measured| / measured (on every rank). Each size is timed as the fit was (fastest or median
     * batch), so a batch that another process on the machine disturbed does not decide it.
     */
    public double check(io.jccl.algo.select.CostModel model, PrintStream out) {
        int w = comm.size();
        long seg = comm.config().segmentBytes();
        Timed m = timeAllReduce(comm);
        // ranks on several hosts and a model of both links: each algorithm priced per link class
        boolean acrossHosts = model.acrossHosts() != null && comm.hostLayout().hosts() > 1;
        double[] pred = new double[m.n().length];
        for (int i = 0; i < pred.length; i++) {
            String algo = m.algos()[i];
            long bytes = (long) m.n()[i];
            pred[i] = acrossHosts ? HostCosts.allReduce(algo, model, bytes, comm.hostLayout(), seg)
                    : CollectiveCosts.predict(io.jccl.Collective.ALL_REDUCE, algo, model.params(w, algo, bytes), bytes, w, seg,
                    model.sharedHost());
        }
        WorldFit r = new WorldFit(model.params(w), model.largeByWorld().get(w), m.n(), m.t(), pred, m.algos());
        if (out != null) {
            table(out, "all-reduce among " + w + " ranks against the model's prediction (" + model.params(w) + ")", m.n(),
                    m.t(), pred, m.algos());
            out.printf(Locale.ROOT, "# Median |prediction error| : %.1f%% over %d sizes (W=%d, %s)%n", r.medianError() * 100,
                    pred.length, w, String.join(",", new java.util.TreeSet<>(List.of(m.algos()))));
        }
        return r.medianError();
    }

    /** Sizes in bytes (each at least one element), the times in seconds and the algorithm that ran, by probe size. */
    private record Timed(double[] n, double[] t, String[] algos) {
    }

    /** The all-reduce among the ranks of {@code c} at every probe size, with the algorithm its configuration selects. */
    private Timed timeAllReduce(Communicator c) {
        int m = sizes.size();
        Timed r = new Timed(new double[m], new double[m], new String[m]);
        for (int i = 0; i < m; i++) {
            long bytes = Math.max(sizes.get(i), type.bytes());
            r.n()[i] = bytes;
            r.t()[i] = probe.allReduce(c, a, bytes, type);
            r.algos()[i] = c.lastAlgorithm();
        }
        return r;
    }

    /** Prints measured against fitted times with the relative error and the median absolute error. */
    static void table(PrintStream out, String title, double[] n, double[] t, double[] fit, String[] algos) {
        if (out == null) {
            return;
        }
        double[] err = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            err[i] = Math.abs(fit[i] - t[i]) / t[i];
        }
        out.printf(Locale.ROOT, "#%n# %s%n# median |error| %.1f%%%n", title, CostFit.median(err) * 100);
        out.println("#         size (B)   measured (us)   model (us)   error  algbw (GB/s)" + (algos != null ? "  algo" : ""));
        for (int i = 0; i < n.length; i++) {
            out.printf(Locale.ROOT, "  %15.0f  %14.2f  %11.2f  %+5.1f%%  %6.3f%s%n", n[i], t[i] * 1e6, fit[i] * 1e6,
                    (fit[i] - t[i]) / t[i] * 100, n[i] / t[i] / 1e9, algos != null ? "  " + algos[i] : "");
        }
    }

    @Override
    public void close() {
        a.close();
    }
}
