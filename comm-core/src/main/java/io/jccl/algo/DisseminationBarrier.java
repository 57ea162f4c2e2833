package io.jccl.algo;

import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.mod;

/**
 * Dissemination barrier (Hensgen, Finkel and Manber, 1988; Gloo {@code barrier_all_to_one} is the
 * simpler alternative): in round k rank r sends an empty message to r+2^k and waits for one from r-2^k.
 * After ceil(log2 W) rounds every rank has heard, directly or not, from every other.
 *
 * <ul>
 *   <li>Cost: ceil(log2 W) alpha; no payload bytes.</li>
 *   <li>Degenerate case: W=1 returns at once.</li>
 * </ul>
 */
public final class DisseminationBarrier {
    private static final int PHASE = 1;

    private DisseminationBarrier() {
    }

    /** Returns when every rank of the communicator has entered the barrier. */
    public static void run(OpContext ctx) {
        int w = ctx.size();
        int r = ctx.rank();
        for (int k = 0, d = 1; d < w; k++, d <<= 1) {
            PeerLink to = ctx.link(mod(r + d, w));
            Primitives round = ctx.primitives(PHASE, ctx.link(mod(r - d, w)), to);
            round.sendEmpty(k);
            round.recvEmpty(k);
        }
        for (int d = 1; d < w; d <<= 1) {
            Segments.awaitAllSent(ctx, ctx.link(mod(r + d, w)));
        }
    }
}
