package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;

/**
 * Chooses the all-reduce algorithm for one call outside deterministic mode: the forced one when the
 * configuration names one ({@code JCCL_ALGO}), else by size: the double binary tree up to
 * {@link CommConfig#treeMaxBytes()} bytes (2 log2(W) latencies), recursive halving-doubling up to
 * {@link CommConfig#hdMaxBytes()} (2 log2(W) latencies and the ring's 2(W-1)/W bytes per rank for power-of-two
 * W, less pipelining than the ring), and the ring above (best pipelined for large messages). With W &lt;= 2 all
 * three are the same exchange and the ring is used. {@link Selector} wraps this with deterministic mode.
 *
 * <p>Every rank computes the same choice from the same inputs. Stateless and thread-safe.
 */
public final class AllReduceSelector {
    private AllReduceSelector() {
    }

    /** The algorithm to run for {@code bytes} bytes over {@code worldSize} ranks (never AUTO). */
    public static Algorithm choose(CommConfig config, long bytes, int worldSize) {
        if (config.algorithm() != Algorithm.AUTO) {
            return config.algorithm();
        }
        if (bytes <= config.rdMaxBytes()) {
            return Algorithm.RECURSIVE_DOUBLING;
        }
        if (worldSize <= 2) {
            return Algorithm.RING;
        }
        if (bytes <= config.treeMaxBytes()) {
            return Algorithm.TREE;
        }
        return bytes <= config.hdMaxBytes() ? Algorithm.HALVING_DOUBLING : Algorithm.RING;
    }
}
