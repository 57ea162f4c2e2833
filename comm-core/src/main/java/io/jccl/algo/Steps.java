package io.jccl.algo;

import io.jccl.PeerFailureException;
import io.jccl.reduce.HostReduce;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;

/**
 * The three step kinds every algorithm is made of, on host memory: send a range, receive a range and
 * reduce it with local data into a destination, receive a range and copy it. Offsets are element
 * indices; the element size comes from the operation's type. Also the tag layout shared by all.
 */
public final class Steps {
    private Steps() {
    }

    /** Tag of segment {@code seg} of step {@code step} of phase {@code phase} (0..3). */
    public static long tag(int phase, int step, int seg) {
        return ((long) phase << 62) | ((long) step << 32) | (seg & 0xffffffffL);
    }

    /** Sends {@code n} elements of {@code buf} from element {@code at}; returns the ticket. */
    public static long send(OpContext ctx, PeerLink link, long tag, ByteBuffer buf, long at, int n) {
        int eb = ctx.type().bytes();
        return link.send(ctx.header(), tag, buf, (int) (at * eb), n * eb);
    }

    /** Receives {@code n} elements and stores {@code dst[dAt+i] = local[lAt+i] op received[i]}. */
    public static void recvReduce(OpContext ctx, PeerLink link, long tag, ByteBuffer local, long lAt,
                                  ByteBuffer dst, long dAt, int n) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(ctx.header(), tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            HostReduce.reduce(ctx.type(), ctx.op(), local, (int) (lAt * eb), s.buffer(), s.offset(), dst,
                    (int) (dAt * eb), n);
        } finally {
            s.release();
        }
    }

    /** Receives {@code n} elements into {@code dst} from element {@code dAt}. */
    public static void recvCopy(OpContext ctx, PeerLink link, long tag, ByteBuffer dst, long dAt, int n) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(ctx.header(), tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            HostReduce.copy(s.buffer(), s.offset(), dst, (int) (dAt * eb), n * eb);
        } finally {
            s.release();
        }
    }

    /** Copies {@code n} elements between host buffers (no-op when the ranges are the same memory). */
    public static void copy(OpContext ctx, ByteBuffer src, long sAt, ByteBuffer dst, long dAt, long n) {
        int eb = ctx.type().bytes();
        HostReduce.copy(src, (int) (sAt * eb), dst, (int) (dAt * eb), (int) (n * eb));
    }

    /** Applies the AVG division to {@code n} elements from {@code at} when the op is AVG. */
    public static void finishAvg(OpContext ctx, ByteBuffer buf, long at, int n) {
        if (ctx.op() == io.jccl.ReduceOp.AVG) {
            int eb = ctx.type().bytes();
            HostReduce.divide(ctx.type(), buf, (int) (at * eb), n, ctx.size());
        }
    }

    private static void checkLength(OpContext ctx, PeerLink link, Segment s, int expected) {
        if (s.length() != expected) {
            throw new PeerFailureException("rank=" + ctx.rank() + " " + ctx.header().describe() + ": peer="
                    + link.peer() + " sent " + s.length() + " bytes for tag=" + s.tag() + ", expected " + expected);
        }
    }
}
