package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;


/**
 * Ring reduce-scatter and reduce-scatter-v (the first half of ring all-reduce, NCCL ring; MPI_Reduce_scatter
 * semantics for per-rank counts): W-1 steps around the ring of {@link RingOrder} (below, r+1 is the rank after r on
 * it, block r-1 that of the rank before); in step s rank r sends partial block (r-s-1) to r+1 and reduces
 * the received block (r-s-2) with its own input, so that after the last step it holds the fully reduced
 * block r. Blocks may have different counts; each is segmented by its own count.
 *
 * <ul>
 *   <li>Cost: (W-1) alpha + (W-1)/W x n (beta + gamma), n the input size in bytes (uneven blocks: the
 *       largest block sets each step's time).</li>
 *   <li>Bytes on the wire per rank: every block but its own sent once (n - block(r)) and every block but
 *       block r-1 received once (n - block(r-1)): (W-1)/W x n each way for even blocks.</li>
 *   <li>Element order: block b is reduced x[b+1] op x[b+2] op ... op x[b] (ring order from its first
 *       sender), the same on every run of one layout.</li>
 *   <li>Partial results live in a workspace: the input itself for in-place, else communicator scratch.</li>
 *   <li>Degenerate cases: W=1 copies (AVG divides by 1); empty blocks send nothing.</li>
 * </ul>
 */
public final class RingReduceScatter {
    private static final int PHASE = 1;

    private RingReduceScatter() {
    }

    /**
     * Reduces block b (elements {@code [b*count, (b+1)*count)}) of every rank's {@code src} into rank b's
     * {@code dst} at element {@code dstAt}. In-place: {@code dst} is {@code src} and {@code dstAt} = r x count.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, long count) {
        if (count == 0) {
            return;
        }
        run(ctx, src, dst, dstAt, Blocks.uniform(ctx.size(), count));
    }

    /**
     * Reduces block b of {@code blocks} of every rank's {@code src} into rank b's {@code dst} at element
     * {@code dstAt} ({@code blocks.count(b)} elements). In place: {@code dst == src}, {@code dstAt ==
     * blocks.offset(r)}; the rest of the buffer is used as workspace and left unspecified.
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
        if (Steps.withoutPeers(ctx, src, dst, dstAt, blocks)) {
            return;
        }
        int w = ctx.size();
        int r = ctx.rank();
        HostBuffer work = src == dst ? src : ctx.scratch(blocks.total() * ctx.type().bytes());
        RingOrder ring = ctx.ringOrder();
        int v = ring.position(r);
        PeerLink next = ctx.link(ring.rank(v + 1));
        Primitives rs = ctx.primitives(PHASE, ctx.link(ring.rank(v - 1)), next);
        // staged input is read in ring order, block of position v-1, v-2, ..., v: its device-to-host copies are
        // queued in that order
        for (int s = 0; s < w; s++) {
            int b = ring.rank(v - 1 - s);
            ctx.prefetch(src, blocks.offset(b), blocks.count(b));
        }
        int first = ring.rank(v - 1);
        rs.send(0, src, blocks.offset(first), blocks.count(first));
        for (int s = 0; s < w - 2; s++) {
            int b = ring.rank(v - s - 2);
            rs.recvReduceSend(s, s + 1, src, work, blocks.offset(b), blocks.count(b));
        }
        // the last step reduces block r into the destination
        rs.recvReduce(w - 2, src, blocks.offset(r), dst, dstAt, blocks.count(r), true);
        rs.awaitSent();
    }
}
