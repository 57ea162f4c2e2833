package io.jccl.algo;

import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HostReduce;

/**
 * The local steps of an algorithm, on host memory and no link: copy a range, reduce two local ranges, apply the
 * AVG division; and the opening every algorithm shares, the cases that need no peer (count 0, W = 1). Offsets
 * and counts are in elements; the element size comes from the operation's type. The link steps are
 * {@link Primitives}.
 *
 * <p>Stateless; each call runs on the thread of the operation that passes its {@link OpContext}.
 */
public final class Steps {
    private Steps() {
    }

    /**
     * The opening of an all-reduce, reduce or broadcast of {@code count} elements: nothing for count 0, a copy of
     * {@code src} to {@code dst} for W = 1 (no AVG division: it would divide by 1).
     *
     * @return true when that was the whole operation and the caller returns
     */
    static boolean withoutPeers(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (count == 0) {
            return true;
        }
        if (ctx.size() == 1) {
            copy(ctx, src, 0, dst, 0, count);
            return true;
        }
        return false;
    }

    /**
     * The opening of a reduce-scatter(v) of {@code blocks}: nothing when every block is empty; for W = 1 block 0
     * is copied to {@code dst} at {@code dstAt} and divided for AVG.
     *
     * @return true when that was the whole operation and the caller returns
     */
    static boolean withoutPeers(OpContext ctx, HostBuffer src, HostBuffer dst, long dstAt, Blocks blocks) {
        if (blocks.total() == 0) {
            return true;
        }
        if (ctx.size() == 1) {
            copy(ctx, src, 0, dst, dstAt, blocks.count(0));
            finishAvg(ctx, dst, dstAt, blocks.count(0));
            return true;
        }
        return false;
    }

    /** Copies {@code n} elements between host buffers (no-op when the ranges are the same memory). */
    public static void copy(OpContext ctx, HostBuffer src, long sAt, HostBuffer dst, long dAt, long n) {
        int eb = ctx.type().bytes();
        ctx.reading(src, sAt, n);
        ctx.writing(dst, dAt, n);
        HostReduce.copy(src, sAt * eb, dst, dAt * eb, n * eb);
    }

    /** {@code dst[dAt+i] = a[aAt+i] op b[bAt+i]} for {@code n} local elements (dst may be a or b, same offset). */
    public static void reduceLocal(OpContext ctx, HostBuffer a, long aAt, HostBuffer b, long bAt, HostBuffer dst,
                                   long dAt, long n) {
        int eb = ctx.type().bytes();
        ctx.reading(a, aAt, n);
        ctx.reading(b, bAt, n);
        ctx.writing(dst, dAt, n);
        int piece = HostBuffer.WINDOW_REACH_BYTES / eb;
        for (long i = 0; i < n; i += piece) {
            long x = (aAt + i) * eb;
            long y = (bAt + i) * eb;
            long d = (dAt + i) * eb;
            HostReduce.reduce(ctx.type(), ctx.op(), a.window(x), a.windowOffset(x), b.window(y), b.windowOffset(y),
                    dst.window(d), dst.windowOffset(d), (int) Math.min(piece, n - i));
        }
    }

    /** Applies the AVG division to {@code n} elements from {@code at} when the op is AVG. */
    public static void finishAvg(OpContext ctx, HostBuffer buf, long at, long n) {
        if (ctx.op() == ReduceOp.AVG) {
            int eb = ctx.type().bytes();
            ctx.writing(buf, at, n);
            int piece = HostBuffer.WINDOW_REACH_BYTES / eb;
            for (long i = 0; i < n; i += piece) {
                long b = (at + i) * eb;
                HostReduce.divide(ctx.type(), buf.window(b), buf.windowOffset(b), (int) Math.min(piece, n - i),
                        ctx.size());
            }
        }
    }
}
