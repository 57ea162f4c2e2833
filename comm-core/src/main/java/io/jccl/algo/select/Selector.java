package io.jccl.algo.select;

import io.jccl.CommConfig;

/**
 * Chooses the algorithm of each call from the configuration, the call's size in bytes and the world size W.
 * The only place where choices are made: algorithms never choose, and the communicator only asks. Every rank
 * computes the same choice from the same inputs (all ranks must share the configuration).
 *
 * <table>
 *   <caption>Choices (n = bytes of the call as defined per method)</caption>
 *   <tr><th>collective</th><th>deterministic mode</th><th>forced ({@code JCCL_ALGO})</th><th>auto</th></tr>
 *   <tr><td>all-reduce</td><td>deterministic</td><td>ring, tree or hd</td>
 *       <td>W &lt;= 2: ring; n &lt;= tree max: tree; n &lt;= hd max: hd; else ring</td></tr>
 *   <tr><td>reduce-scatter(v)</td><td>deterministic</td><td>-</td>
 *       <td>W a power of two and n &lt;= hd max: recursive halving; else ring</td></tr>
 *   <tr><td>reduce</td><td>deterministic</td><td>-</td><td>chain</td></tr>
 *   <tr><td>broadcast</td><td>-</td><td>-</td><td>n &lt;= tree max: binomial; else chain</td></tr>
 * </table>
 *
 * <p>Thresholds: {@link CommConfig#treeMaxBytes()} ({@code JCCL_TREE_MAX_BYTES}) and
 * {@link CommConfig#hdMaxBytes()} ({@code JCCL_HD_MAX_BYTES}). The rest (gather, scatter, all-gather(v),
 * all-to-all(v), barrier, point-to-point) have one algorithm each. A fitted cost model can replace these
 * rules behind the same methods.
 *
 * <p>Stateless and thread-safe.
 */
public final class Selector {
    private Selector() {
    }

    /** All-reduce of {@code bytes} bytes over {@code w} ranks. */
    public static Plan allReduce(CommConfig config, long bytes, int w) {
        if (config.deterministic()) {
            return Plan.DETERMINISTIC;
        }
        switch (AllReduceSelector.choose(config, bytes, w)) {
            case TREE: return Plan.TREE;
            case HALVING_DOUBLING: return Plan.HALVING_DOUBLING;
            default: return Plan.RING;
        }
    }

    /** Reduce-scatter(v) whose input (every block together) is {@code inputBytes} bytes. */
    public static Plan reduceScatter(CommConfig config, long inputBytes, int w) {
        if (config.deterministic()) {
            return Plan.DETERMINISTIC;
        }
        return w > 1 && Integer.bitCount(w) == 1 && inputBytes <= config.hdMaxBytes() ? Plan.RECURSIVE_HALVING
                : Plan.RING;
    }

    /** Reduce of {@code bytes} bytes to a root. */
    public static Plan reduce(CommConfig config, long bytes, int w) {
        return config.deterministic() ? Plan.DETERMINISTIC : Plan.CHAIN;
    }

    /** Broadcast of {@code bytes} bytes. */
    public static Plan broadcast(CommConfig config, long bytes, int w) {
        return w > 2 && bytes <= config.treeMaxBytes() ? Plan.BINOMIAL : Plan.CHAIN;
    }
}
