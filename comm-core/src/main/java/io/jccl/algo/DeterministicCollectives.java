package io.jccl.algo;

import io.jccl.buffer.HostBuffer;

/**
 * The reductions of deterministic mode ({@code JCCL_DETERMINISTIC=1}), built on {@link DirectReduceScatter} so
 * that every element is reduced in rank order {@code ((x0 op x1) op ...) op x(W-1)} (then divided by W for
 * AVG) whatever the message size, segment size or element position, and every rank receives the owner's bits.
 *
 * <ul>
 *   <li>All-reduce: direct reduce-scatter of W near-equal chunks ({@link Partition}), then a ring all-gather of
 *       the chunks ({@link RingAllGather}). Cost: 2(W-1) alpha + 2(W-1)/W n beta + (W-1)/W n gamma, the ring's
 *       bytes on the wire (the reduce-scatter's W-1 latencies overlap).</li>
 *   <li>Reduce: direct reduce-scatter of the chunks, then a linear gather of the chunks to the root
 *       ({@link LinearGather}). Cost: 2(W-1) alpha + (W-1)/W n beta per rank (the root receives 2(W-1)/W n)
 *       + (W-1)/W n gamma.</li>
 *   <li>Reduce-scatter(v): {@link DirectReduceScatter} on the caller's blocks.</li>
 *   <li>Degenerate cases: W=1 copies (AVG divides by 1); count 0 sends nothing; count &lt; W leaves chunks empty.</li>
 * </ul>
 */
public final class DeterministicCollectives {
    private static final int PHASE_RS = 1;
    private static final int PHASE_GATHER = 2;

    private DeterministicCollectives() {
    }

    /** All-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer in place). */
    public static void allReduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (count == 0) {
            return;
        }
        Blocks chunks = Blocks.chunks(count, ctx.size());
        long own = chunks.offset(ctx.rank());
        DirectReduceScatter.run(ctx, src, dst, own, chunks, PHASE_RS);
        RingAllGather.run(ctx, dst, own, dst, chunks, PHASE_GATHER);
    }

    /**
     * Reduce of {@code count} elements of every rank's {@code src} into the root's {@code dst} ({@code dst} is
     * used only at the root; other ranks reduce their chunk into communicator scratch).
     */
    public static void reduce(OpContext ctx, HostBuffer src, HostBuffer dst, long count, int root) {
        if (count == 0) {
            return;
        }
        int r = ctx.rank();
        Blocks chunks = Blocks.chunks(count, ctx.size());
        long own = chunks.offset(r);
        HostBuffer out;
        long outAt;
        if (r == root) {
            out = dst;
            outAt = own;
        } else {
            out = ctx.scratch(Math.max(1, chunks.count(r)) * ctx.type().bytes());
            outAt = 0;
        }
        DirectReduceScatter.run(ctx, src, out, outAt, chunks, PHASE_RS);
        LinearGather.run(ctx, out, outAt, dst, chunks, root, PHASE_GATHER);
    }

    /** Reduce-scatter(v): block b of every rank's {@code src} reduced in rank order into rank b's {@code dst}. */
    public static void reduceScatter(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
        if (blocks.total() == 0) {
            return;
        }
        DirectReduceScatter.run(ctx, src, dst, dstAt, blocks, PHASE_RS);
    }
}
