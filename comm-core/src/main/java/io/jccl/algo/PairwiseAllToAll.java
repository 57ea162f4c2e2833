package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.mod;

/**
 * Pairwise-exchange all-to-all and all-to-all-v (MPICH {@code MPIR_Alltoall_intra_pairwise} and
 * {@code MPIR_Alltoallv_intra_scattered}; Thakur, Rabenseifner and Gropp 2005, section 4.6): in step
 * s = 1..W-1 rank r sends its block for rank r+s to r+s and receives rank r-s's block for it from r-s; its own
 * block is copied locally. Every step pairs each rank with one sender and one receiver, so no link carries
 * two blocks at once.
 *
 * <ul>
 *   <li>Steps: W-1. Cost: (W-1) alpha + (W-1)/W x n beta, n the bytes one rank sends.</li>
 *   <li>Bytes on the wire per rank: every block but its own sent once and received once.</li>
 *   <li>Mismatch checking (all-to-all-v): each block travels with a header whose count is that block's count
 *       (the sender's send count, the receiver's receive count), so a pair of ranks that disagree on a block's
 *       size fails at its first segment with both counts named, though the operation's own header carries no
 *       count (-1).</li>
 *   <li>In place: the caller copies the input to scratch first (n bytes) and runs out of place from it.</li>
 *   <li>Degenerate cases: W=1 copies; empty blocks send nothing.</li>
 * </ul>
 */
public final class PairwiseAllToAll {
    private static final int PHASE = 1;

    private PairwiseAllToAll() {
    }

    /**
     * Sends block p of {@code src} (layout {@code send}) to rank p and receives rank p's block into block p of
     * {@code dst} (layout {@code recv}); {@code send.count(r)} must equal {@code recv.count(r)}. {@code src}
     * and {@code dst} must not overlap.
     *
     * @param perBlockHeaders true for all-to-all-v: each link's frames carry that block's count
     */
    public static void run(OpContext ctx, HostBuffer src, Blocks send, HostBuffer dst, Blocks recv,
                           boolean perBlockHeaders) {
        int w = ctx.size();
        int r = ctx.rank();
        Steps.copy(ctx, src, send.offset(r), dst, recv.offset(r), recv.count(r));
        OpHeader h = ctx.header();
        for (int s = 1; s < w; s++) {
            int to = mod(r + s, w);
            int from = mod(r - s, w);
            long out = send.count(to);
            long in = recv.count(from);
            if (out > 0) {
                ctx.primitives(PHASE, null, ctx.link(to)).header(perBlockHeaders ? withCount(h, out) : h)
                        .send(0, src, send.offset(to), out);
            }
            if (in > 0) {
                ctx.primitives(PHASE, ctx.link(from), null).header(perBlockHeaders ? withCount(h, in) : h)
                        .recv(0, dst, recv.offset(from), in);
            }
        }
        for (int s = 1; s < w; s++) {
            Segments.awaitAllSent(ctx, ctx.link(mod(r + s, w)));
        }
    }

    private static OpHeader withCount(OpHeader h, long count) {
        return new OpHeader(h.streamId(), h.seq(), h.collective(), h.type(), h.op(), h.root(), count);
    }
}
