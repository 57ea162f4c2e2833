package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.transport.HostLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Chooses the algorithm of each call from the configuration, the call's size in bytes and the world size W.
 * The only place where choices are made: algorithms never choose, and the communicator only asks. Every rank
 * computes the same choice from the same inputs (all ranks must share the configuration and the cost model).
 *
 * <table>
 *   <caption>Choices (n = bytes of the call as defined per method)</caption>
 *   <tr><th>collective</th><th>deterministic mode</th><th>forced ({@code JCCL_ALGO})</th><th>auto, cost model
 *       loaded</th><th>auto, no model</th></tr>
 *   <tr><td>all-reduce</td><td>deterministic</td><td>ring, tree, hd, rd or hier</td>
 *       <td>ranks on several hosts and a model with the link between hosts: lowest predicted time of ring, tree, hd,
 *       rd and hier ({@link HostCosts}); else ranks on several hosts, several on some host, n &gt; rd max: hier;
 *       else lowest predicted time of ring, tree, hd, rd ({@link Plan#allReduceSeconds})</td>
 *       <td>ranks on several hosts and n &gt; rd max: hier when several ranks share some host, else ring; then:
 *       n &lt;= rd max: rd; W &lt;= 2: ring; n &lt;= tree max: tree; n &lt;= hd max: hd; else ring</td></tr>
 *   <tr><td>reduce-scatter(v)</td><td>deterministic</td><td>-</td><td colspan="2">
 *       W a power of two and n &lt;= hd max: recursive halving; else ring</td></tr>
 *   <tr><td>reduce</td><td>deterministic</td><td>-</td><td colspan="2">chain</td></tr>
 *   <tr><td>broadcast</td><td>-</td><td>-</td><td colspan="2">n &lt;= tree max: binomial; else chain</td></tr>
 * </table>
 *
 * <p>The cost model is {@link CommConfig#costModel()} (by default the file named by {@code JCCL_COST_MODEL});
 * without one the thresholds {@link CommConfig#rdMaxBytes()}, {@link CommConfig#treeMaxBytes()} and
 * {@link CommConfig#hdMaxBytes()} ({@code JCCL_RD_MAX_BYTES}, {@code JCCL_TREE_MAX_BYTES},
 * {@code JCCL_HD_MAX_BYTES}) decide. With a model, each choice and the predicted times it compared are logged at
 * debug level (logger {@code io.jccl.algo.select.Selector}). The rest (gather, scatter, all-gather(v),
 * all-to-all(v), barrier, point-to-point) have one algorithm each. The algorithms themselves are listed, run and
 * costed by {@link Plan}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Selector {
    private static final Logger LOG = LoggerFactory.getLogger(Selector.class);

    /** The all-reduce algorithms the cost model chooses among, in the order that breaks ties. */
    private static final Plan[] AUTO_ALL_REDUCE = Arrays.stream(Plan.values())
            .filter(p -> p.autoAllReduce() && !p.needsHosts()).toArray(Plan[]::new);

    /** The same on several hosts, with the hierarchical all-reduce. */
    private static final Plan[] ACROSS_HOSTS_ALL_REDUCE = Arrays.stream(Plan.values())
            .filter(Plan::autoAllReduce).toArray(Plan[]::new);

    /** Why a collective with a single algorithm ran it. */
    public static final String ONLY_ALGORITHM = "only algorithm";
    private static final String DETERMINISTIC_MODE = "deterministic mode";
    private static final String FORCED = "forced by JCCL_ALGO";
    private static final String MODEL = "cost model";
    private static final String THRESHOLDS = "size thresholds";

    private Selector() {
    }

    /**
     * Why this configuration's choice for {@code c} is what it is (a constant, for the flight recorder):
     * deterministic mode, forced by JCCL_ALGO (all-reduce), cost model, or size thresholds.
     */
    public static String why(CommConfig config, Collective c) {
        boolean allReduce = c == Collective.ALL_REDUCE || c == Collective.ALL_REDUCE_COALESCED;
        boolean reduces = allReduce || c == Collective.REDUCE || c == Collective.REDUCE_SCATTER
                || c == Collective.REDUCE_SCATTERV || c == Collective.REDUCE_SCATTER_COALESCED;
        if (config.deterministic() && reduces) {
            return DETERMINISTIC_MODE;
        }
        if (allReduce && config.algorithm() != Algorithm.AUTO) {
            return FORCED;
        }
        if (c == Collective.REDUCE) {
            return ONLY_ALGORITHM;
        }
        return config.costModel() != null ? MODEL : THRESHOLDS;
    }

    /** All-reduce of {@code bytes} bytes over {@code w} ranks, with the configuration's cost model if any. */
    public static Plan allReduce(CommConfig config, long bytes, int w) {
        return allReduce(config, bytes, w, config.costModel());
    }

    /**
     * All-reduce of {@code bytes} bytes over the ranks of {@code hosts}. When neither deterministic mode nor
     * {@code JCCL_ALGO} decides and the ranks span several hosts:
     * <ul>
     *   <li>with a cost model that has the link between hosts ({@link CostModel#acrossHosts()}, fitted by
     *       {@code bin/jccl-tune} on a job over several hosts): the lowest time {@link HostCosts} predicts among
     *       ring, tree, hd, rd and, with more than one rank on some host, hier;</li>
     *   <li>otherwise, with more than one rank on some host ({@link HostLayout#hierarchical()}): the hierarchical
     *       all-reduce above {@link CommConfig#rdMaxBytes()} (it moves each byte across the host link once per
     *       rank, the flat ring 2(W-1)/W times, and it has fewer steps than the ring);</li>
     *   <li>with one rank per host and no cost model: the ring above {@link CommConfig#rdMaxBytes()} (the tree's
     *       and halving-doubling's synchronised exchanges do not pipeline over a slow host link).</li>
     * </ul>
     * Measured at 1 Gbit/s between emulated hosts (docs/multi-node.md): 2 x 2, hier beat the tree at 64 KiB; 4 x 1,
     * the ring beat hd from 256 KiB to 4 MiB, and the tree at 64 KiB by 1.5-1.7x in three sittings. Otherwise, or on one host, as
     * {@link #allReduce(CommConfig, long, int, CostModel)} with the configuration's cost model.
     */
    public static Plan allReduce(CommConfig config, long bytes, HostLayout hosts) {
        if (!config.deterministic() && config.algorithm() == Algorithm.AUTO && hosts.hosts() > 1) {
            CostModel model = config.costModel();
            if (model != null && model.acrossHosts() != null) {
                return acrossHosts(config, bytes, hosts, model);
            }
            if (hosts.hierarchical() && bytes > config.rdMaxBytes()) {
                LOG.debug("all_reduce bytes={} W={}: hier ({})", bytes, hosts.size(), hosts.describe());
                return Plan.HIERARCHICAL;
            }
            if (!hosts.hierarchical() && model == null && bytes > config.rdMaxBytes()) {
                return Plan.RING;
            }
        }
        return allReduce(config, bytes, hosts.size(), config.costModel());
    }

    /** The all-reduce plan with the lowest time predicted with two link classes ({@link HostCosts}). */
    private static Plan acrossHosts(CommConfig config, long bytes, HostLayout hosts, CostModel model) {
        Plan[] plans = hosts.hierarchical() ? ACROSS_HOSTS_ALL_REDUCE : AUTO_ALL_REDUCE;
        return cheapest(plans, p -> HostCosts.allReduce(p, model, bytes, hosts, config.segmentBytes()), bytes,
                hosts.size(), hosts);
    }

    /**
     * The plan of {@code plans} with the lowest {@code seconds} (ties: the first); the predictions compared are
     * logged at debug level with {@code bytes}, {@code w} and the layout {@code hosts} (null: one host).
     */
    private static Plan cheapest(Plan[] plans, ToDoubleFunction<Plan> seconds, long bytes, int w, HostLayout hosts) {
        Plan best = plans[0];
        double bestTime = Double.POSITIVE_INFINITY;
        for (Plan plan : plans) {
            double t = seconds.applyAsDouble(plan);
            if (t < bestTime) {
                bestTime = t;
                best = plan;
            }
        }
        if (LOG.isDebugEnabled()) {
            StringBuilder b = new StringBuilder();
            for (Plan plan : plans) {
                b.append(b.length() == 0 ? "" : ", ").append(plan.label())
                        .append(String.format(Locale.ROOT, " %.1f us", seconds.applyAsDouble(plan) * 1e6));
            }
            LOG.debug("all_reduce bytes={} W={}{}: {} (predicted {})", bytes, w,
                    hosts == null ? "" : " (" + hosts.describe() + ")", best.label(), b);
        }
        return best;
    }

    /**
     * All-reduce of {@code bytes} bytes over {@code w} ranks: deterministic mode, else the forced algorithm, else
     * the lowest predicted time under {@code model} (ties: in {@link Plan}'s order), else the size thresholds
     * when {@code model} is null: recursive doubling up to {@link CommConfig#rdMaxBytes()}; the ring for W
     * &lt;= 2 (ring, tree and hd are then one exchange); the double binary tree up to
     * {@link CommConfig#treeMaxBytes()} (2 log2(W) latencies); halving-doubling up to
     * {@link CommConfig#hdMaxBytes()} (2 log2(W) latencies, the ring's bytes for power-of-two W, less
     * pipelining); the ring above (best pipelined for large messages).
     */
    public static Plan allReduce(CommConfig config, long bytes, int w, CostModel model) {
        if (config.deterministic()) {
            return Plan.DETERMINISTIC;
        }
        if (config.algorithm() != Algorithm.AUTO) {
            return Plan.forced(config.algorithm());
        }
        if (model == null) {
            return byThresholds(config, bytes, w);
        }
        return cheapest(AUTO_ALL_REDUCE, p -> p.allReduceSeconds(model.params(w, p, bytes), bytes, w, config.segmentBytes(),
                model.sharedHost()), bytes, w, null);
    }

    private static Plan byThresholds(CommConfig config, long bytes, int w) {
        if (bytes <= config.rdMaxBytes()) {
            return Plan.RECURSIVE_DOUBLING;
        }
        if (w <= 2) {
            return Plan.RING;
        }
        if (bytes <= config.treeMaxBytes()) {
            return Plan.TREE;
        }
        return bytes <= config.hdMaxBytes() ? Plan.HALVING_DOUBLING : Plan.RING;
    }

    /**
     * Reduce-scatter(v) whose input (every block together) is {@code inputBytes} bytes: recursive halving only for
     * power-of-two W, chosen by the model's lower predicted time when one is loaded, else up to the hd threshold.
     */
    public static Plan reduceScatter(CommConfig config, long inputBytes, int w) {
        if (config.deterministic()) {
            return Plan.DETERMINISTIC;
        }
        if (w <= 1 || Integer.bitCount(w) != 1) {
            return Plan.RING;
        }
        CostModel model = config.costModel();
        if (model != null) {
            LinkParams p = model.params(w);
            return faster("reduce_scatter", inputBytes, w,
                    Plan.RECURSIVE_HALVING, CollectiveCosts.halvingReduceScatter(p, inputBytes, w),
                    Plan.RING, CollectiveCosts.ringReduceScatter(p, inputBytes, w));
        }
        return inputBytes <= config.hdMaxBytes() ? Plan.RECURSIVE_HALVING : Plan.RING;
    }

    /** Reduce of {@code bytes} bytes to a root. */
    public static Plan reduce(CommConfig config, long bytes, int w) {
        return config.deterministic() ? Plan.DETERMINISTIC : Plan.CHAIN;
    }

    /**
     * Broadcast of {@code bytes} bytes: binomial tree or pipelined chain, by the model's lower predicted time
     * when one is loaded, else binomial up to the tree threshold when W &gt; 2.
     */
    public static Plan broadcast(CommConfig config, long bytes, int w) {
        if (w <= 2) {
            return Plan.CHAIN;
        }
        CostModel model = config.costModel();
        if (model != null) {
            LinkParams p = model.params(w);
            return faster("broadcast", bytes, w,
                    Plan.BINOMIAL, CollectiveCosts.binomialBroadcast(p, bytes, w),
                    Plan.CHAIN, CollectiveCosts.chainBroadcast(p, bytes, w, config.segmentBytes()));
        }
        return bytes <= config.treeMaxBytes() ? Plan.BINOMIAL : Plan.CHAIN;
    }

    /** {@code a} when its predicted time is lower than {@code b}'s, else {@code b}; logs both at debug level. */
    private static Plan faster(String collective, long bytes, int w, Plan a, double aSeconds, Plan b, double bSeconds) {
        Plan best = aSeconds < bSeconds ? a : b;
        if (LOG.isDebugEnabled()) {
            LOG.debug(String.format(Locale.ROOT, "%s bytes=%d W=%d: %s (predicted %s %.1f us, %s %.1f us)",
                    collective, bytes, w, best.label(), a.label(), aSeconds * 1e6, b.label(), bSeconds * 1e6));
        }
        return best;
    }
}
