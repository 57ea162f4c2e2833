package io.jccl.algo;

import io.jccl.ReduceOp;
import io.jccl.reduce.HostReduce;

import java.nio.ByteBuffer;

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
    static boolean withoutPeers(OpContext ctx, ByteBuffer src, ByteBuffer dst, long count) {
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
    static boolean withoutPeers(OpContext ctx, ByteBuffer src, ByteBuffer dst, long dstAt, Blocks blocks) {
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
    public static void copy(OpContext ctx, ByteBuffer src, long sAt, ByteBuffer dst, long dAt, long n) {
        int eb = ctx.type().bytes();
        ctx.reading(src, sAt, n);
        ctx.writing(dst, dAt, n);
        HostReduce.copy(src, (int) (sAt * eb), dst, (int) (dAt * eb), (int) (n * eb));
    }

    /** {@code dst[dAt+i] = a[aAt+i] op b[bAt+i]} for {@code n} local elements (dst may be a or b, same offset). */
    public static void reduceLocal(OpContext ctx, ByteBuffer a, long aAt, ByteBuffer b, long bAt, ByteBuffer dst,
                                   long dAt, long n) {
        int eb = ctx.type().bytes();
        ctx.reading(a, aAt, n);
        ctx.reading(b, bAt, n);
        ctx.writing(dst, dAt, n);
        HostReduce.reduce(ctx.type(), ctx.op(), a, (int) (aAt * eb), b, (int) (bAt * eb), dst, (int) (dAt * eb),
                (int) n);
    }

    /** Applies the AVG division to {@code n} elements from {@code at} when the op is AVG. */
    public static void finishAvg(OpContext ctx, ByteBuffer buf, long at, long n) {
        if (ctx.op() == ReduceOp.AVG) {
            int eb = ctx.type().bytes();
            ctx.writing(buf, at, n);
            HostReduce.divide(ctx.type(), buf, (int) (at * eb), (int) n, ctx.size());
        }
    }
}
