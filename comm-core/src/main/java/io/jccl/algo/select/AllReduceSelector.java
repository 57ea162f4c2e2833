package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;

/**
 * Chooses the all-reduce algorithm for one call: the forced one when the configuration names one
 * ({@code JCCL_ALGO}), else the double binary tree up to {@link CommConfig#treeMaxBytes()} bytes (where its
 * 2 log2(W) latency beats the ring's 2(W-1) steps) and the ring above (where its 2(W-1)/W bytes per rank
 * beat the tree's 2). With W &lt;= 2 the two are the same exchange and the ring is used.
 *
 * <p>Every rank computes the same choice from the same inputs. Stateless and thread-safe.
 */
public final class AllReduceSelector {
    private AllReduceSelector() {
    }

    /** The algorithm to run for {@code bytes} bytes over {@code worldSize} ranks. */
    public static Algorithm choose(CommConfig config, long bytes, int worldSize) {
        if (config.algorithm() != Algorithm.AUTO) {
            return config.algorithm();
        }
        if (worldSize <= 2) {
            return Algorithm.RING;
        }
        return bytes <= config.treeMaxBytes() ? Algorithm.TREE : Algorithm.RING;
    }
}
