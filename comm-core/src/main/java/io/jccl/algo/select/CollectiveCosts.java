package io.jccl.algo.select;

import io.jccl.Collective;

/**
 * Predicted time, in seconds, of every algorithm of every collective in the alpha-beta-gamma model: the one
 * place where JCCL's algorithms are costed. n is the bytes of the call as the README's collective table
 * defines it, W the world size, {@code segmentBytes} the pipelining unit ({@code JCCL_SEGMENT_BYTES}), p the
 * {@link LinkParams} for W ranks ({@link CostModel#params(int)}).
 *
 * <p>Sources: Thakur, Rabenseifner and Gropp, "Optimization of collective communication operations in MPICH",
 * IJHPCA 19(1), 2005 (ring, recursive halving/doubling, Rabenseifner's all-reduce, binomial trees, pairwise
 * exchange: alpha, beta and gamma terms per step); Patarasuk and Yuan 2009 (the bandwidth-optimal ring);
 * NCCL's tuning model ({@code src/graph/tuning.cc}: per algorithm a base latency, a per-hop latency times the
 * number of steps, and a bus bandwidth; the tree's latency grows with log2 W, the ring's with W).
 *
 * <p>What the formulas capture beyond the textbook ones:
 * <ul>
 *   <li>The tree is costed on the actual double binary tree ({@link TreeShape}): its depth, and the busiest
 *       rank's halves sent, received and reduced in each of its two phases, which do not overlap (the
 *       broadcast starts when the reduction has left every rank). Each phase is a pipeline of segments, so
 *       it also pays (depth - 1) segment times to fill.</li>
 *   <li>Parameters measured with W ranks at once ({@link CostModel#params(int)}) carry the sharing of cores
 *       and loopback bandwidth among the W ranks of one host; when all ranks share one host
 *       ({@link CostModel#sharedHost()}) the tree's bandwidth is the host's total bytes, not its busiest rank's,
 *       and it pays no pipeline fill (a rank that waits leaves its core to the others).</li>
 *   <li>W = 1 and n = 0 cost nothing (the algorithms copy locally or return).</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class CollectiveCosts {
    private CollectiveCosts() {
    }

    private static double log2ceil(int w) {
        return w <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(w - 1);
    }

    /**
     * The all-reduce algorithm {@code plan} (RING, TREE, HALVING_DOUBLING, RECURSIVE_DOUBLING, DETERMINISTIC), ranks
     * on separate hosts.
     */
    public static double allReduce(Plan plan, LinkParams p, long n, int w, long segmentBytes) {
        return allReduce(plan, p, n, w, segmentBytes, false);
    }

    /**
     * The all-reduce algorithm {@code plan}; {@code sharedHost}: all W ranks share one host's cores and copies
     * (see {@link #treeAllReduce(LinkParams, long, int, long, boolean)}).
     */
    public static double allReduce(Plan plan, LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
        return plan.allReduceSeconds(p, n, w, segmentBytes, sharedHost);
    }

    /**
     * Ring all-reduce (reduce-scatter then all-gather): 2(W-1) alpha + 2(W-1)/W n beta + (W-1)/W n gamma.
     * Segments keep every link busy at every step, so there is no pipeline fill beyond the first hop.
     */
    public static double ringAllReduce(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        double f = (w - 1.0) / w;
        return 2 * (w - 1) * p.alphaSeconds() + 2 * f * n * p.betaSecondsPerByte() + f * n * p.gammaSecondsPerByte();
    }

    /**
     * Double binary tree all-reduce ({@link io.jccl.algo.TreeAllReduce}), two phases that do not overlap:
     * {@link TreeShape#hops()} latencies (the critical path of the algorithm's loop order: 2 for W = 2, about
     * 2 log2(W) plus the wait between the two trees for larger W); per phase the busiest rank's halves (n/2
     * bytes each) moved, plus the pipeline fill of (depth - 1) segments; the reduce-up phase adds the busiest
     * rank's reduction. For W = 2 the bandwidth terms are n beta + n/2 gamma (the ring's); for large W about
     * 2 n beta + n gamma.
     */
    public static double treeAllReduce(LinkParams p, long n, int w, long segmentBytes) {
        return treeAllReduce(p, n, w, segmentBytes, false);
    }

    /**
     * As {@link #treeAllReduce(LinkParams, long, int, long)}; with {@code sharedHost} (all W ranks on one host,
     * whose cores do every copy and reduction: loopback or shared memory) the bandwidth terms are the host's,
     * not the busiest rank's: the tree moves 2(W-1) halves per phase over all ranks, the same total as the ring,
     * and beta (one rank's share while all W exchange) is a W-th of the host's time per byte, so the bandwidth
     * terms are the ring's, 2(W-1)/W n beta + (W-1)/W n gamma. Nor is there a pipeline fill to add: a rank that
     * waits for its first segment leaves its core to the ranks that are moving theirs, as it does in the ring.
     * (Checked on a 2-core host at W=4, fitted and swept in one job: the fill term over-predicted 512 KiB and
     * 2 MiB by 17-60%; without it the sweep's median error fell from 27.7% to 20.4% and from 19.6% to 17.6%.)
     */
    public static double treeAllReduce(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        TreeShape s = TreeShape.of(w);
        double half = n / 2.0;
        double seg = Math.min(segmentBytes, half);
        double b = p.betaSecondsPerByte();
        double g = p.gammaSecondsPerByte();
        if (sharedHost) {
            double f = (w - 1.0) / w;
            return s.hops() * p.alphaSeconds() + 2 * f * n * b + f * n * g;
        }
        double fill = (s.depth() - 1) * seg * (2 * b + g);
        double up = Math.max(s.upSent(), s.upRecv()) * half * b + s.upRecv() * half * g;
        double down = Math.max(s.downSent(), s.downRecv()) * half * b;
        return s.hops() * p.alphaSeconds() + up + down + fill;
    }

    /**
     * Recursive halving-doubling all-reduce (Rabenseifner): with pof2 the largest power of two &lt;= W,
     * 2 log2(pof2) alpha + 2 (pof2-1)/pof2 n beta + (pof2-1)/pof2 n gamma, plus 2 alpha + 2 n beta + n gamma
     * for the fold and unfold when W is not a power of two.
     */
    public static double halvingDoublingAllReduce(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        int pof2 = Integer.highestOneBit(w);
        double f = (pof2 - 1.0) / pof2;
        double steps = 2 * (31 - Integer.numberOfLeadingZeros(pof2));
        double t = steps * p.alphaSeconds() + 2 * f * n * p.betaSecondsPerByte() + f * n * p.gammaSecondsPerByte();
        if (pof2 != w) {
            t += 2 * p.alphaSeconds() + 2.0 * n * p.betaSecondsPerByte() + n * p.gammaSecondsPerByte();
        }
        return t;
    }

    /**
     * Recursive-doubling all-reduce ({@link io.jccl.algo.RecursiveDoublingAllReduce}; MPICH's small-message
     * all-reduce): with pof2 the largest power of two &lt;= W, log2(pof2) exchanges of the whole vector, each
     * alpha + n beta + n gamma, plus 2 alpha + 2 n beta + n gamma for the fold and unfold when W is not a power of
     * two. The fewest latencies of any all-reduce; log2(pof2) n bytes per rank, so it loses to the ring and
     * halving-doubling as n grows.
     */
    public static double recursiveDoublingAllReduce(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        int pof2 = Integer.highestOneBit(w);
        int steps = 31 - Integer.numberOfLeadingZeros(pof2);
        double t = steps * (p.alphaSeconds() + n * p.betaSecondsPerByte() + n * p.gammaSecondsPerByte());
        if (pof2 != w) {
            t += 2 * p.alphaSeconds() + 2.0 * n * p.betaSecondsPerByte() + n * p.gammaSecondsPerByte();
        }
        return t;
    }

    /** Deterministic all-reduce (direct reduce-scatter, then ring all-gather): the ring's terms. */
    public static double deterministicAllReduce(LinkParams p, long n, int w) {
        return ringAllReduce(p, n, w);
    }

    /** Ring reduce-scatter, n = the input bytes: (W-1) alpha + (W-1)/W n (beta + gamma). */
    public static double ringReduceScatter(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        double f = (w - 1.0) / w;
        return (w - 1) * p.alphaSeconds() + f * n * (p.betaSecondsPerByte() + p.gammaSecondsPerByte());
    }

    /** Recursive-halving reduce-scatter (power-of-two W), n = the input: log2(W) alpha + (W-1)/W n (beta + gamma). */
    public static double halvingReduceScatter(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        double f = (w - 1.0) / w;
        return log2ceil(w) * p.alphaSeconds() + f * n * (p.betaSecondsPerByte() + p.gammaSecondsPerByte());
    }

    /** Ring all-gather, n = the output bytes: (W-1) alpha + (W-1)/W n beta. */
    public static double ringAllGather(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        return (w - 1) * p.alphaSeconds() + (w - 1.0) / w * n * p.betaSecondsPerByte();
    }

    /** Binomial-tree broadcast: ceil(log2 W) (alpha + n beta). */
    public static double binomialBroadcast(LinkParams p, long n, int w) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        return log2ceil(w) * (p.alphaSeconds() + n * p.betaSecondsPerByte());
    }

    /** Pipelined chain broadcast with S = ceil(n / segmentBytes) segments: (W-2+S)(alpha + n/S beta). */
    public static double chainBroadcast(LinkParams p, long n, int w, long segmentBytes) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        long s = Math.max(1, (n + segmentBytes - 1) / segmentBytes);
        return (w - 2 + s) * (p.alphaSeconds() + (double) n / s * p.betaSecondsPerByte());
    }

    /** Pipelined chain reduce: (W-2+S)(alpha + n/S (beta + gamma)). */
    public static double chainReduce(LinkParams p, long n, int w, long segmentBytes) {
        if (w <= 1 || n <= 0) {
            return 0;
        }
        long s = Math.max(1, (n + segmentBytes - 1) / segmentBytes);
        return (w - 2 + s) * (p.alphaSeconds() + (double) n / s * (p.betaSecondsPerByte() + p.gammaSecondsPerByte()));
    }

    /** Linear gather or scatter, n = the root's gathered output or scattered input: (W-1) alpha + (W-1)/W n beta. */
    public static double linearGatherScatter(LinkParams p, long n, int w) {
        return ringAllGather(p, n, w);
    }

    /** Pairwise-exchange all-to-all, n = one rank's send buffer: (W-1) alpha + (W-1)/W n beta. */
    public static double pairwiseAllToAll(LinkParams p, long n, int w) {
        return ringAllGather(p, n, w);
    }

    /** Dissemination barrier: ceil(log2 W) alpha. */
    public static double barrier(LinkParams p, int w) {
        return log2ceil(w) * p.alphaSeconds();
    }

    /** One point-to-point message: alpha + n beta. */
    public static double pointToPoint(LinkParams p, long n) {
        return p.alphaSeconds() + Math.max(0, n) * p.betaSecondsPerByte();
    }

    /**
     * Hierarchical (two-level) all-reduce over {@code nodes} nodes of {@code ranksPerNode} ranks each, as NCCL's
     * tree/collnet and Horovod's hierarchical all-reduce do it; not one of JCCL's algorithms yet, costed here for
     * predictions past one host. Three phases: a ring reduce-scatter inside each node over the intra-node link,
     * then each rank all-reduces its 1/G shard with the ranks of the same local index on the other nodes (one
     * all-reduce per local index, all at once, each rank on its own share of the network), then a ring all-gather
     * inside each node:
     * <pre>
     * (G-1) a_i + (G-1)/G n (b_i + g)  +  AR_inter(n / G over N nodes)  +  (G-1) a_i + (G-1)/G n b_i
     * </pre>
     * with G = ranksPerNode, N = nodes, and AR_inter the cheaper of the ring and the double binary tree.
     *
     * @param intra parameters of the link between ranks of one node (NVLink, shared memory)
     * @param inter parameters of one rank's share of the network between nodes
     */
    public static double hierarchicalAllReduce(LinkParams intra, LinkParams inter, long n, int ranksPerNode, int nodes,
                                               long segmentBytes) {
        if (n <= 0 || (long) ranksPerNode * nodes <= 1) {
            return 0;
        }
        int g = ranksPerNode;
        double local = 0;
        if (g > 1) {
            double f = (g - 1.0) / g;
            local = 2 * (g - 1) * intra.alphaSeconds() + 2 * f * n * intra.betaSecondsPerByte()
                    + f * n * intra.gammaSecondsPerByte();
        }
        long shard = Math.max(1, n / g);
        double across = nodes <= 1 ? 0 : Math.min(ringAllReduce(inter, shard, nodes),
                treeAllReduce(inter, shard, nodes, segmentBytes));
        return local + across;
    }

    /**
     * The predicted time of one call, in seconds, from the label of the algorithm that ran it (as
     * {@code Communicator.lastAlgorithm()} reports it); NaN when the pair is not costed here. {@code bytes} is
     * the size as jccl-perf's size column defines it (all-gather and gather: the output; reduce-scatter and
     * scatter: the input; all-to-all: one rank's send buffer; sendrecv: one message, sent and received by every
     * rank at once, the ring shift).
     */
    public static double predict(Collective c, String algorithm, LinkParams p, long bytes, int w, long segmentBytes) {
        return predict(c, algorithm, p, bytes, w, segmentBytes, false);
    }

    /** As {@link #predict(Collective, String, LinkParams, long, int, long)}; {@code sharedHost} as in {@link #allReduce}. */
    public static double predict(Collective c, String algorithm, LinkParams p, long bytes, int w, long segmentBytes,
                                 boolean sharedHost) {
        String a = algorithm == null ? "" : algorithm;
        switch (c) {
            case ALL_REDUCE: {
                Plan plan = Plan.byLabel(a);
                boolean costed = plan != null && (plan.autoAllReduce() || plan == Plan.DETERMINISTIC);
                return costed ? plan.allReduceSeconds(p, bytes, w, segmentBytes, sharedHost) : Double.NaN;
            }
            case REDUCE_SCATTER:
            case REDUCE_SCATTERV:
                return "halving".equals(a) ? halvingReduceScatter(p, bytes, w) : ringReduceScatter(p, bytes, w);
            case ALL_GATHER:
            case ALL_GATHERV:
                return ringAllGather(p, bytes, w);
            case BROADCAST:
                return "binomial".equals(a) ? binomialBroadcast(p, bytes, w) : chainBroadcast(p, bytes, w, segmentBytes);
            case REDUCE:
                return "deterministic".equals(a) ? deterministicAllReduce(p, bytes, w) : chainReduce(p, bytes, w, segmentBytes);
            case GATHER:
            case GATHERV:
            case SCATTER:
            case SCATTERV:
                return linearGatherScatter(p, bytes, w);
            case ALL_TO_ALL:
            case ALL_TO_ALLV:
                return pairwiseAllToAll(p, bytes, w);
            case BARRIER:
                return barrier(p, w);
            case SEND_RECV:
                return w <= 1 ? 0 : pointToPoint(p, bytes);
            default:
                return Double.NaN;
        }
    }
}
