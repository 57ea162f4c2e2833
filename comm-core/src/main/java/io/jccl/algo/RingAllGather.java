package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;


/**
 * Ring all-gather and all-gather-v (NCCL ring, Gloo {@code allgather_ring}, MPICH
 * {@code MPIR_Allgatherv_intra_ring}): W-1 steps around the ring of {@link RingOrder} (r below is a ring
 * position, the block of a position that of the rank there); in step s rank r sends block (r-s) to r+1 and receives
 * block (r-s-1) from r-1, segment by segment, forwarding each segment as soon as it lands. Blocks may have
 * different counts (all-gather-v): each block is segmented by its own count.
 *
 * <ul>
 *   <li>Cost: (W-1) alpha + (W-1)/W x n beta, n the output size in bytes (for uneven blocks the step time
 *       is set by the largest block: (W-1) x max block bytes x beta).</li>
 *   <li>Bytes on the wire per rank: every block but the one it receives last is sent once, every block but
 *       its own received once: n - block(r+1) sent, n - block(r) received.</li>
 *   <li>Degenerate cases: W=1 copies; empty blocks (count 0, or a zero in the v counts) send nothing.</li>
 * </ul>
 */
public final class RingAllGather {
    private static final int PHASE = 1;

    private RingAllGather() {
    }

    /**
     * Gathers {@code count} elements from every rank: block b of {@code dst} (elements
     * {@code [b*count, (b+1)*count)}) receives rank b's input. {@code src} is this rank's input; for
     * in-place it is {@code dst} and the input is already in block r ({@code srcAt} = r x count).
     */
    public static void run(OpContext ctx, HostBuffer src, long srcAt, HostBuffer dst, long count) {
        if (count == 0) {
            return;
        }
        run(ctx, src, srcAt, dst, Blocks.uniform(ctx.size(), count));
    }

    /**
     * Gathers block b of {@code blocks} from rank b into {@code dst} at {@code blocks.offset(b)}. This rank's
     * input is {@code blocks.count(r)} elements of {@code src} from element {@code srcAt} (in place:
     * {@code src == dst} and {@code srcAt == blocks.offset(r)}).
     */
    public static void run(OpContext ctx, HostBuffer src, long srcAt, HostBuffer dst, Blocks blocks) {
        run(ctx, src, srcAt, dst, blocks, PHASE);
    }

    /** As {@link #run(OpContext, HostBuffer, long, HostBuffer, Blocks)} with tag phase {@code phase} (0..3). */
    public static void run(OpContext ctx, HostBuffer src, long srcAt, HostBuffer dst, Blocks blocks, int phase) {
        int w = ctx.size();
        int r = ctx.rank();
        Steps.copy(ctx, src, srcAt, dst, blocks.offset(r), blocks.count(r));
        if (w == 1 || blocks.total() == 0) {
            return;
        }
        RingOrder ring = ctx.ringOrder();
        int v = ring.position(r);
        PeerLink next = ctx.link(ring.rank(v + 1));
        Primitives ag = ctx.primitives(phase, ctx.link(ring.rank(v - 1)), next);
        ag.send(0, dst, blocks.offset(r), blocks.count(r));
        for (int s = 0; s < w - 2; s++) {
            int b = ring.rank(v - s - 1);
            ag.recvCopySend(s, s + 1, dst, blocks.offset(b), blocks.count(b));
        }
        int last = ring.rank(v + 1);
        ag.recv(w - 2, dst, blocks.offset(last), blocks.count(last));
        ag.awaitSent();
    }
}
