package io.jccl.algo.select;

import io.jccl.algo.HierarchicalAllReduce;
import io.jccl.transport.HostLayout;

/**
 * Predicted time, in seconds, of the all-reduce algorithms on ranks spread over several hosts, with two link
 * classes ({@link CostModel#acrossHosts()}): {@code in} between the ranks of one host ({@link CostModel#insideHost}
 * at the ranks per host), {@code x} between hosts. A step in which every rank exchanges with a partner costs the
 * slower of its two kinds of message: inside a host {@code a_in + m b_in}, across {@code a_x + c m b_x}, where c is
 * the number of the busiest host's ranks that send across in that step and so share its link
 * ({@link HostTraffic}); reductions run at the host's gamma. As NCCL's tuner prices its algorithms per link class
 * ({@code src/graph/tuning.cc}: intra- and inter-node bandwidths and latencies), here per step:
 * <ul>
 *   <li>ring (host-aware order: one link out of each host): 2(W-1) steps of n/W bytes, each
 *       max(a_in + n/W b_in, a_x + n/W b_x), plus (W-1)/W n gamma. 2 hosts x 2 ranks: 1.5 n across;</li>
 *   <li>halving-doubling: the reduce-scatter's step at distance d moves n d/pof2 bytes, the all-gather's the same;
 *       steps whose partners sit on other hosts put c of them on one link (2 x 2: the first and last steps, n/2 from
 *       each of 2 ranks: 2 n across), at {@link #HD_ACROSS_BANDWIDTH_FACTOR} times the link's beta;</li>
 *   <li>recursive doubling: log2(pof2) exchanges of n bytes, the ones across shared by c ranks;</li>
 *   <li>double binary tree: its hops at the slower alpha, then the slower of the tree at the inside link and the
 *       busiest host's halves across (both phases) with the tree's reductions and pipeline fill;</li>
 *   <li>hierarchical: a ring reduce-scatter and all-gather inside each host of L ranks (2(L-1) a_in +
 *       2(L-1)/L n b_in + (L-1)/L n gamma) and L rings across the H hosts at once, each on its n/L slice, sharing
 *       each host's link: 2(H-1) (a_x + n/H b_x) + (H-1)/H n/L gamma. 2 x 2: n across. In P pieces the bytes of
 *       the two overlap: P latencies, the longer bytes' time and 1/P of the shorter's.</li>
 * </ul>
 * Uneven hosts are priced with the most ranks on any host. Stateless and thread-safe.
 */
public final class HostCosts {
    /**
     * Halving-doubling's time per byte across hosts over the ring's, as NCCL's tuner corrects its algorithms'
     * bandwidths by measured factors ({@code src/graph/tuning.cc}): its exchanges stop at every step, where the ring's
     * segments keep the link busy. Measured on the emulated cluster, 4 hosts x 1 rank at 1 Gbit/s (tbf), hd against
     * the ring at 4, 16 and 64 MiB in 5 jobs: hd 0.93-1.40x the ring's time, median 1.10x, with and without TCP's slow
     * start after idle. With one factor for both, a model fitted there made auto run hd from 256 KiB, 8-16% slower
     * than the ring from 4 MiB.
     */
    static final double HD_ACROSS_BANDWIDTH_FACTOR = 1.1;

    private HostCosts() {
    }

    /**
     * The all-reduce algorithm {@code plan} of {@code n} bytes over the ranks of {@code hosts}, under {@code model}:
     * with two link classes when the ranks span several hosts and the model has {@link CostModel#acrossHosts()},
     * else {@link Plan#allReduceSeconds} with the model's parameters for W ranks.
     */
    public static double allReduce(Plan plan, CostModel model, long n, HostLayout hosts, long segmentBytes) {
        int w = hosts.size();
        LinkParams x = model.acrossHosts(n);
        if (hosts.hosts() == 1 || x == null) {
            return plan.allReduceSeconds(model.params(w, plan, n), n, w, segmentBytes, model.sharedHost());
        }
        if (n <= 0) {
            return 0;
        }
        LinkParams in = model.insideHost(hosts.maxLocalSize(), plan, n);
        return plan.acrossHostsSeconds(in, x, HostTraffic.of(hosts), n, segmentBytes);
    }

    /**
     * As {@link #allReduce(Plan, CostModel, long, HostLayout, long)} for the all-reduce algorithm that
     * {@code Communicator.lastAlgorithm()} names; NaN for a name that is no costed all-reduce.
     */
    public static double allReduce(String algorithm, CostModel model, long n, HostLayout hosts, long segmentBytes) {
        Plan plan = algorithm == null ? null : Plan.byLabel(algorithm);
        boolean costed = plan != null && (plan.autoAllReduce() || plan == Plan.DETERMINISTIC);
        return costed ? allReduce(plan, model, n, hosts, segmentBytes) : Double.NaN;
    }

    /** One step: {@code bytes} per rank, {@code cross} ranks of the busiest host sending across (0: all inside). */
    static double step(LinkParams in, LinkParams x, double bytes, int cross, boolean anyInside) {
        double inside = anyInside ? in.alphaSeconds() + bytes * in.betaSecondsPerByte() : 0;
        double across = cross > 0 ? x.alphaSeconds() + cross * bytes * x.betaSecondsPerByte() : 0;
        return Math.max(inside, across);
    }

    /** Ring all-reduce in host-aware order. */
    static double ring(LinkParams in, LinkParams x, HostTraffic t, long n) {
        int w = t.layout().size();
        double chunk = (double) n / w;
        return 2 * (w - 1) * step(in, x, chunk, 1, t.layout().maxLocalSize() > 1)
                + (w - 1) * chunk * in.gammaSecondsPerByte();
    }

    /** Halving-doubling (Rabenseifner) all-reduce. */
    static double halvingDoubling(LinkParams in, LinkParams x, HostTraffic t, long n) {
        int pof2 = Integer.highestOneBit(t.layout().size());
        double s = fold(in, x, t, n, pof2);
        LinkParams slower = x.withBeta(x.betaSecondsPerByte() * HD_ACROSS_BANDWIDTH_FACTOR);
        for (int d = pof2 >> 1; d > 0; d >>= 1) {
            double bytes = (double) n * d / pof2;
            double one = step(in, slower, bytes, t.crossAtDistance(d), true);
            s += 2 * one + bytes * in.gammaSecondsPerByte();
        }
        return s;
    }

    /** Recursive-doubling all-reduce. */
    static double recursiveDoubling(LinkParams in, LinkParams x, HostTraffic t, long n) {
        int pof2 = Integer.highestOneBit(t.layout().size());
        double s = fold(in, x, t, n, pof2);
        for (int d = 1; d < pof2; d <<= 1) {
            s += step(in, x, n, t.crossAtDistance(d), true) + n * in.gammaSecondsPerByte();
        }
        return s;
    }

    /** The fold and unfold of a world that is not a power of two: 2 messages of n bytes and one reduction. */
    private static double fold(LinkParams in, LinkParams x, HostTraffic t, long n, int pof2) {
        return pof2 == t.layout().size() ? 0 : 2 * step(in, x, n, t.foldCross(), true) + n * in.gammaSecondsPerByte();
    }

    /**
     * Double binary tree all-reduce: its hops at the slower alpha, then the slower of its bandwidth inside a host
     * ({@link CollectiveCosts#treeAllReduce} at the inside link) and across: the busiest host's halves sent across in
     * the reduce-up and broadcast-down phases at the link between hosts, plus the tree's reductions and fill.
     */
    static double tree(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
        int w = t.layout().size();
        double inside = CollectiveCosts.treeAllReduce(in.withAlpha(0), n, w, segmentBytes);
        // across: the reductions and pipeline fill (gamma alone), plus the halves the busiest host sends across
        double across = CollectiveCosts.treeAllReduce(new LinkParams(0, 0, in.gammaSecondsPerByte()), n, w, segmentBytes)
                + (t.treeUpCross() + t.treeDownCross()) * (n / 2.0) * x.betaSecondsPerByte();
        return TreeShape.of(w).hops() * Math.max(in.alphaSeconds(), x.alphaSeconds()) + Math.max(inside, across);
    }

    /**
     * Hierarchical all-reduce: inside ring reduce-scatter, L rings across hosts at once, inside ring all-gather; in P
     * pieces ({@link HierarchicalAllReduce#piecesFor}) the phases inside overlap the traffic across, so the bytes'
     * time is the longer of the two plus the shorter's share of one piece, and every piece pays the latencies.
     */
    static double hierarchical(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
        HostLayout l = t.layout();
        int local = l.maxLocalSize();
        int h = l.hosts();
        double insideLatency = 0;
        double insideBytes = 0;
        if (local > 1) {
            double f = (local - 1.0) / local;
            insideLatency = 2 * (local - 1) * in.alphaSeconds();
            insideBytes = 2 * f * n * in.betaSecondsPerByte() + f * n * in.gammaSecondsPerByte();
        }
        double acrossLatency = h <= 1 ? 0 : 2 * (h - 1) * x.alphaSeconds();
        double acrossBytes = h <= 1 ? 0 : 2 * (h - 1) * ((double) n / h * x.betaSecondsPerByte())
                + (h - 1.0) / h * n / local * in.gammaSecondsPerByte();
        int pieces = HierarchicalAllReduce.piecesFor(l, n, segmentBytes);
        return pieces * (insideLatency + acrossLatency) + Math.max(insideBytes, acrossBytes)
                + Math.min(insideBytes, acrossBytes) / pieces;
    }
}
