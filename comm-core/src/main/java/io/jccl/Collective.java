package io.jccl;

/**
 * The operations a communicator runs, as they appear in frame headers, error messages and
 * {@code jccl-perf}. The wire code of each is its {@link #code()}, fixed forever. The "v" variants have codes of
 * their own, so a rank that calls {@code allGather} never matches a peer that calls {@code allGatherv}.
 * {@link #SEND_RECV} marks point-to-point messages.
 */
public enum Collective {
    ALL_REDUCE(1, "all_reduce"),
    BROADCAST(2, "broadcast"),
    REDUCE(3, "reduce"),
    ALL_GATHER(4, "all_gather"),
    REDUCE_SCATTER(5, "reduce_scatter"),
    BARRIER(6, "barrier"),
    GATHER(7, "gather"),
    SCATTER(8, "scatter"),
    ALL_TO_ALL(9, "alltoall"),
    SEND_RECV(10, "sendrecv"),
    ALL_GATHERV(11, "all_gatherv"),
    REDUCE_SCATTERV(12, "reduce_scatterv"),
    GATHERV(13, "gatherv"),
    SCATTERV(14, "scatterv"),
    ALL_TO_ALLV(15, "alltoallv"),
    /** A coalesced call's packed all-reduce: its header's root field carries the layout (the per-buffer counts). */
    ALL_REDUCE_COALESCED(16, "all_reduce_coalesced"),
    /** A coalesced call's packed all-gather; the layout in the root field. */
    ALL_GATHER_COALESCED(17, "all_gather_coalesced"),
    /** A coalesced call's packed reduce-scatter; the layout in the root field. */
    REDUCE_SCATTER_COALESCED(18, "reduce_scatter_coalesced");

    private final int code;
    private final String label;

    Collective(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** Wire code (one byte). */
    public int code() {
        return code;
    }

    /**
     * True for the packed calls of coalesced collectives, whose header's root field is a fingerprint of the
     * per-buffer counts rather than a rank: ranks that split the same total differently fail as a mismatch.
     */
    public boolean layoutInRoot() {
        return this == ALL_REDUCE_COALESCED || this == ALL_GATHER_COALESCED || this == REDUCE_SCATTER_COALESCED;
    }

    /** Lower-case name as nccl-tests spells it ("all_reduce"). */
    public String label() {
        return label;
    }

    private static final Collective[] BY_CODE = new Collective[256];

    static {
        for (Collective c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    /** Inverse of {@link #code()}; null for an unknown code. */
    public static Collective fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    @Override
    public String toString() {
        return label;
    }
}
