package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.algo.BinomialBroadcast;
import io.jccl.algo.Blocks;
import io.jccl.algo.DeterministicCollectives;
import io.jccl.algo.HalvingDoublingAllReduce;
import io.jccl.algo.HierarchicalAllReduce;
import io.jccl.algo.OpContext;
import io.jccl.algo.RecursiveDoublingAllReduce;
import io.jccl.algo.RecursiveHalvingReduceScatter;
import io.jccl.algo.RingAllReduce;
import io.jccl.algo.RingBroadcast;
import io.jccl.algo.RingReduce;
import io.jccl.algo.RingReduceScatter;
import io.jccl.algo.TreeAllReduce;
import io.jccl.buffer.HostBuffer;

/**
 * The one table of JCCL's algorithms: each constant is an algorithm with the label that
 * {@code Communicator.lastAlgorithm()} reports, and, for the collectives that have a choice (all-reduce,
 * reduce-scatter, broadcast, reduce), the function that runs it and, for all-reduce, its predicted time. The
 * {@link Selector} returns a constant of this type and the communicator runs it through the method of the
 * collective; nothing else switches on algorithms (as Open MPI's {@code coll_tuned} decision file lists and
 * dispatches each collective's algorithms in one place).
 *
 * <p>Adding an all-reduce algorithm touches its own class, one constant here (its run function, its cost and
 * whether the cost model may choose it) and one constant of {@link Algorithm} (the name {@code JCCL_ALGO}
 * forces it by, the same as its label). {@code PlanTableTest} keeps this table, {@link Algorithm}, the
 * {@code JCCL_ALGO} knob and the README equal.
 *
 * <p>Collectives with one algorithm (gather, scatter, all-gather(v), all-to-all(v), barrier, point-to-point)
 * name it by its constant and call its class directly. Stateless and thread-safe.
 */
public enum Plan {
    /** Ring (all-reduce, reduce-scatter, all-gather). */
    RING("ring", true) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            RingAllReduce.run(ctx, src, dst, count);
        }

        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.ringAllReduce(p, n, w);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.ring(in, x, t, n);
        }

        @Override
        public void reduceScatter(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
            RingReduceScatter.run(ctx, src, dst, dstAt, blocks);
        }
    },
    /** Double binary tree all-reduce. */
    TREE("tree", true) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            TreeAllReduce.run(ctx, src, dst, count);
        }

        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.treeAllReduce(p, n, w, segmentBytes, sharedHost);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.tree(in, x, t, n, segmentBytes);
        }

        @Override
        public boolean usesTreeLatency() {
            return true;
        }
    },
    /** Recursive halving-doubling (Rabenseifner) all-reduce. */
    HALVING_DOUBLING("hd", true) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            HalvingDoublingAllReduce.run(ctx, src, dst, count);
        }

        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.halvingDoublingAllReduce(p, n, w);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.halvingDoubling(in, x, t, n);
        }
    },
    /** Recursive-doubling all-reduce (small messages). */
    RECURSIVE_DOUBLING("rd", true) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            RecursiveDoublingAllReduce.run(ctx, src, dst, count);
        }

        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.recursiveDoublingAllReduce(p, n, w);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.recursiveDoubling(in, x, t, n);
        }

        @Override
        public boolean usesTreeLatency() {
            return true;
        }
    },
    /**
     * Hierarchical all-reduce: reduce-scatter inside each host, one ring per local rank across hosts, all-gather
     * inside ({@link HierarchicalAllReduce}); the selector chooses it by the layout ({@link #needsHosts()}).
     */
    HIERARCHICAL("hier", true) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            HierarchicalAllReduce.run(ctx, src, dst, count);
        }

        /** Without a layout: the ranks on one host, where it is a ring all-reduce in two phases. */
        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.hierarchicalAllReduce(p, p, n, w, 1, segmentBytes);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.hierarchical(in, x, t, n, segmentBytes);
        }

        @Override
        public boolean needsHosts() {
            return true;
        }
    },
    /** Recursive-halving reduce-scatter (power-of-two worlds). */
    RECURSIVE_HALVING("halving", false) {
        @Override
        public void reduceScatter(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
            RecursiveHalvingReduceScatter.run(ctx, src, dst, dstAt, blocks);
        }
    },
    /** Binomial-tree broadcast. */
    BINOMIAL("binomial", false) {
        @Override
        public void broadcast(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
            BinomialBroadcast.run(ctx, src, dst, count, root);
        }
    },
    /** Pipelined chain (ring) broadcast or reduce. */
    CHAIN("ring-chain", false) {
        @Override
        public void broadcast(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
            RingBroadcast.run(ctx, src, dst, count, root);
        }

        @Override
        public void reduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
            RingReduce.run(ctx, src, dst, count, root);
        }
    },
    /** Deterministic mode's rank-order reduction (direct reduce-scatter, then ring all-gather or gather). */
    DETERMINISTIC("deterministic", false) {
        @Override
        public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
            DeterministicCollectives.allReduce(ctx, src, dst, count);
        }

        @Override
        public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
            return CollectiveCosts.deterministicAllReduce(p, n, w);
        }

        @Override
        double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
            return HostCosts.ring(in, x, t, n);
        }

        @Override
        public void reduceScatter(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
            DeterministicCollectives.reduceScatter(ctx, src, dst, dstAt, blocks);
        }

        @Override
        public void reduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
            DeterministicCollectives.reduce(ctx, src, dst, count, root);
        }
    },
    /** Linear gather or scatter. */
    LINEAR("linear", false),
    /** Pairwise-exchange all-to-all. */
    PAIRWISE("pairwise", false),
    /** Dissemination barrier. */
    DISSEMINATION("dissemination", false),
    /** Point-to-point message. */
    P2P("p2p", false);

    private static final Plan[] VALUES = values();

    private final String label;
    private final boolean autoAllReduce;

    Plan(String label, boolean autoAllReduce) {
        this.label = label;
        this.autoAllReduce = autoAllReduce;
    }

    /** The name {@code lastAlgorithm()} reports (and {@code JCCL_ALGO} takes, for the all-reduces). */
    public String label() {
        return label;
    }

    /**
     * Whether the selector may choose this all-reduce for {@code JCCL_ALGO=auto} (by predicted time with a
     * cost model); the candidates are compared in declaration order, which breaks ties.
     */
    public boolean autoAllReduce() {
        return autoAllReduce;
    }

    /**
     * Whether this all-reduce only differs from the flat ones across hosts: the selector considers it by the host
     * layout, not among the flat candidates it costs with one link class.
     */
    public boolean needsHosts() {
        return false;
    }

    /** Whether this plan's messages take the tree's per-hop latency of a cost model (one hop per step). */
    public boolean usesTreeLatency() {
        return false;
    }

    /** The plan with {@code label}, or null. */
    public static Plan byLabel(String label) {
        for (Plan p : VALUES) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        return null;
    }

    /** The all-reduce that {@code forced} names ({@link Algorithm#label()}), never null for a forcible algorithm. */
    public static Plan forced(Algorithm forced) {
        Plan p = byLabel(forced.label());
        if (p == null || !p.autoAllReduce) {
            throw new IllegalStateException("algorithm " + forced + " has no all-reduce plan");
        }
        return p;
    }

    /**
     * Runs this all-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer in place).
     *
     * @throws UnsupportedOperationException when this plan is not an all-reduce
     */
    public void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        throw notA("an all-reduce");
    }

    /**
     * Predicted time of this all-reduce of {@code n} bytes over {@code w} ranks, in seconds
     * ({@link CollectiveCosts}); {@code sharedHost}: all ranks share one host.
     *
     * @throws UnsupportedOperationException when this plan is not an all-reduce
     */
    public double allReduceSeconds(LinkParams p, long n, int w, long segmentBytes, boolean sharedHost) {
        throw notA("an all-reduce");
    }

    /**
     * Predicted time of this all-reduce of {@code n} bytes over ranks on several hosts, in seconds, with the link
     * inside a host {@code in} and between hosts {@code x} ({@link HostCosts}).
     *
     * @throws UnsupportedOperationException when this plan is not an all-reduce
     */
    double acrossHostsSeconds(LinkParams in, LinkParams x, HostTraffic t, long n, long segmentBytes) {
        throw notA("an all-reduce");
    }

    /**
     * Runs this reduce-scatter(v) of {@code blocks} from {@code src} into {@code dst} at element {@code dstAt}.
     *
     * @throws UnsupportedOperationException when this plan is not a reduce-scatter
     */
    public void reduceScatter(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
        throw notA("a reduce-scatter");
    }

    /**
     * Runs this broadcast of {@code count} elements from {@code root}'s {@code src} into every {@code dst}.
     *
     * @throws UnsupportedOperationException when this plan is not a broadcast
     */
    public void broadcast(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        throw notA("a broadcast");
    }

    /**
     * Runs this reduce of {@code count} elements into {@code root}'s {@code dst} (null on other ranks).
     *
     * @throws UnsupportedOperationException when this plan is not a reduce
     */
    public void reduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        throw notA("a reduce");
    }

    private UnsupportedOperationException notA(String what) {
        return new UnsupportedOperationException("plan " + label + " is not " + what);
    }
}
