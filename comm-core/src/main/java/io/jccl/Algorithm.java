package io.jccl;

import java.util.Locale;

/**
 * All-reduce algorithms that a caller may force ({@code JCCL_ALGO} or {@link CommConfig.Builder#algorithm}).
 * {@link #AUTO} lets the selector ({@code io.jccl.algo.select}) choose by message size and world size. The
 * override applies to all-reduce only; the other collectives choose by size (see the README). With
 * {@link CommConfig#deterministic()} all-reduce runs its deterministic algorithm whatever is forced here.
 */
public enum Algorithm {
    /** Let the selector choose: recursive doubling (tiny), tree (small), halving-doubling (mid), ring (large). */
    AUTO("auto"),
    /** Ring: reduce-scatter then all-gather, 2(W-1) steps, 2(W-1)/W x bytes on the wire per rank. */
    RING("ring"),
    /** Double binary tree (NCCL 2.4): 2 log2(W) latency, about 2 x bytes sent per rank. */
    TREE("tree"),
    /**
     * Recursive halving-doubling (Rabenseifner): recursive-halving reduce-scatter then recursive-doubling
     * all-gather, 2 log2(W) steps and 2(W-1)/W x bytes per rank for W a power of two; other W fold the
     * ranks beyond the largest power of two first (two more steps, n more bytes for those ranks).
     */
    HALVING_DOUBLING("hd"),
    /**
     * Recursive doubling: log2(W) simultaneous exchanges of the whole vector (plus a fold for W not a power of
     * two): the fewest latencies, for small messages.
     */
    RECURSIVE_DOUBLING("rd");

    private final String label;

    Algorithm(String label) {
        this.label = label;
    }

    /**
     * Parses {@code auto}, {@code ring}, {@code tree} or {@code hd} (also {@code halving_doubling},
     * {@code rabenseifner}) in any case.
     *
     * @throws InvalidUsageException naming the accepted values
     */
    public static Algorithm parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        switch (t) {
            case "auto": return AUTO;
            case "ring": return RING;
            case "tree": return TREE;
            case "hd": case "halving_doubling": case "rabenseifner": return HALVING_DOUBLING;
            case "rd": case "recursive_doubling": return RECURSIVE_DOUBLING;
            default:
                throw new InvalidUsageException("unknown algorithm '" + s + "': expected one of auto|ring|tree|hd|rd");
        }
    }

    /** The short name that {@code JCCL_ALGO} takes and {@link Communicator#lastAlgorithm()} reports. */
    public String label() {
        return label;
    }
}
