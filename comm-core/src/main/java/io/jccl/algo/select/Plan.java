package io.jccl.algo.select;

/**
 * The algorithms the selector picks from, with the label that {@code Communicator.lastAlgorithm()} reports.
 */
public enum Plan {
    /** Ring (all-reduce, reduce-scatter, all-gather). */
    RING("ring"),
    /** Double binary tree all-reduce. */
    TREE("tree"),
    /** Recursive halving-doubling (Rabenseifner) all-reduce. */
    HALVING_DOUBLING("hd"),
    /** Recursive-doubling all-reduce (small messages). */
    RECURSIVE_DOUBLING("rd"),
    /** Recursive-halving reduce-scatter (power-of-two worlds). */
    RECURSIVE_HALVING("halving"),
    /** Binomial-tree broadcast. */
    BINOMIAL("binomial"),
    /** Pipelined chain (ring) broadcast or reduce. */
    CHAIN("ring-chain"),
    /** Deterministic mode's rank-order reduction (direct reduce-scatter, then ring all-gather or gather). */
    DETERMINISTIC("deterministic"),
    /** Linear gather or scatter. */
    LINEAR("linear"),
    /** Pairwise-exchange all-to-all. */
    PAIRWISE("pairwise"),
    /** Dissemination barrier. */
    DISSEMINATION("dissemination"),
    /** Point-to-point message. */
    P2P("p2p");

    private final String label;

    Plan(String label) {
        this.label = label;
    }

    /** The name {@code lastAlgorithm()} reports. */
    public String label() {
        return label;
    }
}
