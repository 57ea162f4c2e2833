package io.jccl.algo.select;

import io.jccl.CommConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Chooses the algorithm of each call from the configuration, the call's size in bytes and the world size W.
 * The only place where choices are made: algorithms never choose, and the communicator only asks. Every rank
 * computes the same choice from the same inputs (all ranks must share the configuration and the cost model).
 *
 * <table>
 *   <caption>Choices (n = bytes of the call as defined per method)</caption>
 *   <tr><th>collective</th><th>deterministic mode</th><th>forced ({@code JCCL_ALGO})</th><th>auto, cost model
 *       loaded</th><th>auto, no model</th></tr>
 *   <tr><td>all-reduce</td><td>deterministic</td><td>ring, tree or hd</td>
 *       <td>lowest predicted time of ring, tree, hd ({@link CollectiveCosts})</td>
 *       <td>W &lt;= 2: ring; n &lt;= tree max: tree; n &lt;= hd max: hd; else ring</td></tr>
 *   <tr><td>reduce-scatter(v)</td><td>deterministic</td><td>-</td><td colspan="2">
 *       W a power of two and n &lt;= hd max: recursive halving; else ring</td></tr>
 *   <tr><td>reduce</td><td>deterministic</td><td>-</td><td colspan="2">chain</td></tr>
 *   <tr><td>broadcast</td><td>-</td><td>-</td><td colspan="2">n &lt;= tree max: binomial; else chain</td></tr>
 * </table>
 *
 * <p>The cost model is the file named by {@code JCCL_COST_MODEL} ({@link CostModel#active()}); without one the
 * thresholds {@link CommConfig#treeMaxBytes()} ({@code JCCL_TREE_MAX_BYTES}) and {@link CommConfig#hdMaxBytes()}
 * ({@code JCCL_HD_MAX_BYTES}) decide. With a model, each choice and the predicted times it compared are
 * logged at debug level (logger {@code io.jccl.algo.select.Selector}). The rest (gather, scatter, all-gather(v),
 * all-to-all(v), barrier, point-to-point) have one algorithm each.
 *
 * <p>Stateless and thread-safe.
 */
public final class Selector {
    private static final Logger LOG = LoggerFactory.getLogger(Selector.class);

    /** The all-reduce algorithms the cost model chooses among, in the order that breaks ties. */
    private static final Plan[] ALL_REDUCE_PLANS = {Plan.RING, Plan.TREE, Plan.HALVING_DOUBLING, Plan.RECURSIVE_DOUBLING};

    private Selector() {
    }

    /** All-reduce of {@code bytes} bytes over {@code w} ranks, with the model of {@code JCCL_COST_MODEL} if any. */
    public static Plan allReduce(CommConfig config, long bytes, int w) {
        if (config.deterministic() || config.algorithm() != io.jccl.Algorithm.AUTO) {
            return allReduce(config, bytes, w, null);
        }
        return allReduce(config, bytes, w, CostModel.active());
    }

    /**
     * All-reduce of {@code bytes} bytes over {@code w} ranks: deterministic mode, else the forced algorithm, else
     * the lowest predicted time under {@code model} (ties: ring, then tree, then hd, then rd), else the size thresholds
     * when {@code model} is null.
     */
    public static Plan allReduce(CommConfig config, long bytes, int w, CostModel model) {
        if (config.deterministic()) {
            return Plan.DETERMINISTIC;
        }
        if (config.algorithm() != io.jccl.Algorithm.AUTO || model == null) {
            switch (AllReduceSelector.choose(config, bytes, w)) {
                case TREE: return Plan.TREE;
                case HALVING_DOUBLING: return Plan.HALVING_DOUBLING;
                case RECURSIVE_DOUBLING: return Plan.RECURSIVE_DOUBLING;
                default: return Plan.RING;
            }
        }
        Plan best = Plan.RING;
        double bestTime = Double.POSITIVE_INFINITY;
        double[] t = new double[ALL_REDUCE_PLANS.length];
        for (int i = 0; i < ALL_REDUCE_PLANS.length; i++) {
            t[i] = CollectiveCosts.allReduce(ALL_REDUCE_PLANS[i], model.params(w, ALL_REDUCE_PLANS[i], bytes), bytes, w,
                    config.segmentBytes(), model.sharedHost());
            if (t[i] < bestTime) {
                bestTime = t[i];
                best = ALL_REDUCE_PLANS[i];
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug(String.format(Locale.ROOT, "all_reduce bytes=%d W=%d: %s (predicted ring %.1f us, tree %.1f us, hd %.1f us,"
                    + " rd %.1f us)", bytes, w, best.label(), t[0] * 1e6, t[1] * 1e6, t[2] * 1e6, t[3] * 1e6));
        }
        return best;
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
        CostModel model = CostModel.active();
        if (model != null) {
            LinkParams p = model.params(w);
            double ring = CollectiveCosts.ringReduceScatter(p, inputBytes, w);
            double halving = CollectiveCosts.halvingReduceScatter(p, inputBytes, w);
            Plan best = halving < ring ? Plan.RECURSIVE_HALVING : Plan.RING;
            if (LOG.isDebugEnabled()) {
                LOG.debug(String.format(Locale.ROOT, "reduce_scatter bytes=%d W=%d: %s (predicted ring %.1f us, halving %.1f us)",
                        inputBytes, w, best.label(), ring * 1e6, halving * 1e6));
            }
            return best;
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
        CostModel model = CostModel.active();
        if (model != null) {
            LinkParams p = model.params(w);
            double binomial = CollectiveCosts.binomialBroadcast(p, bytes, w);
            double chain = CollectiveCosts.chainBroadcast(p, bytes, w, config.segmentBytes());
            Plan best = binomial < chain ? Plan.BINOMIAL : Plan.CHAIN;
            if (LOG.isDebugEnabled()) {
                LOG.debug(String.format(Locale.ROOT, "broadcast bytes=%d W=%d: %s (predicted binomial %.1f us, chain %.1f us)",
                        bytes, w, best.label(), binomial * 1e6, chain * 1e6));
            }
            return best;
        }
        return bytes <= config.treeMaxBytes() ? Plan.BINOMIAL : Plan.CHAIN;
    }
}
