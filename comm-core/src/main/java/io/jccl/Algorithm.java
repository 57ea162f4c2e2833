package io.jccl;

import java.util.Locale;

/**
 * All-reduce algorithms that a caller may force ({@code JCCL_ALGO} or {@link CommConfig.Builder#algorithm}).
 * {@link #AUTO} lets the selector choose by message size and world size.
 */
public enum Algorithm {
    /** Let the selector choose. */
    AUTO,
    /** Ring: reduce-scatter then all-gather, 2(W-1) steps, 2(W-1)/W x bytes on the wire per rank. */
    RING,
    /** Double binary tree (NCCL 2.4): 2 log2(W) latency, about 2 x bytes sent per rank. */
    TREE;

    /**
     * Parses {@code auto}, {@code ring} or {@code tree} in any case.
     *
     * @throws InvalidUsageException naming the accepted values
     */
    public static Algorithm parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidUsageException("unknown algorithm '" + s + "': expected one of auto|ring|tree");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
