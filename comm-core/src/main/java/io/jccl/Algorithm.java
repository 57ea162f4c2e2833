package io.jccl;

import java.util.Locale;

/**
 * All-reduce algorithms that a caller may force ({@code JCCL_ALGO} or {@link CommConfig.Builder#algorithm}), by the
 * label of their plan in the algorithm table ({@code io.jccl.algo.select.Plan}, which runs them).
 * {@link #AUTO} lets the selector ({@code io.jccl.algo.select}) choose by message size and world size. The
 * override applies to all-reduce only; the other collectives choose by size (see the README). With
 * {@link CommConfig#deterministic()} all-reduce runs its deterministic algorithm whatever is forced here.
 */
public enum Algorithm {
    /**
     * Let the selector choose: recursive doubling (tiny), tree (small), halving-doubling (mid), ring (large); across
     * hosts with several ranks on a host, hierarchical above the tree's sizes.
     */
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
    HALVING_DOUBLING("hd", "rabenseifner"),
    /**
     * Recursive doubling: log2(W) simultaneous exchanges of the whole vector (plus a fold for W not a power of
     * two): the fewest latencies, for small messages.
     */
    RECURSIVE_DOUBLING("rd"),
    /**
     * Hierarchical: reduce-scatter inside each host, one ring all-reduce per local rank across hosts (all at once),
     * all-gather inside; each byte crosses the host link once per rank. On one host it is a ring all-reduce.
     */
    HIERARCHICAL("hier", "hierarchical");

    private final String label;
    private final java.util.List<String> aliases;

    Algorithm(String label, String... aliases) {
        this.label = label;
        this.aliases = java.util.List.of(aliases);
    }

    /**
     * Parses {@code auto}, {@code ring}, {@code tree}, {@code hd} (also {@code halving_doubling},
     * {@code rabenseifner}), {@code rd} (also {@code recursive_doubling}) or {@code hier} (also
     * {@code hierarchical}) in any case.
     *
     * @throws InvalidUsageException naming the accepted values
     */
    public static Algorithm parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        StringBuilder expected = new StringBuilder();
        for (Algorithm a : values()) {
            if (t.equals(a.label) || t.equals(a.name().toLowerCase(Locale.ROOT)) || a.aliases.contains(t)) {
                return a;
            }
            expected.append(expected.length() == 0 ? "" : "|").append(a.label);
        }
        throw new InvalidUsageException("unknown algorithm '" + s + "': expected one of " + expected);
    }

    /** Every label, in declaration order, comma-separated ("auto, ring, ..."): the knob's description lists them. */
    static String labels() {
        StringBuilder b = new StringBuilder();
        for (Algorithm a : values()) {
            b.append(b.length() == 0 ? "" : ", ").append(a.label);
        }
        return b.toString();
    }

    /** The short name that {@code JCCL_ALGO} takes and {@link Communicator#lastAlgorithm()} reports. */
    public String label() {
        return label;
    }
}
