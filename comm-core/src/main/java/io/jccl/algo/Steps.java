package io.jccl.algo;

import io.jccl.PeerFailureException;
import io.jccl.reduce.HostReduce;
import io.jccl.transport.OpHeader;
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
        return send(ctx, ctx.header(), link, tag, buf, at, n);
    }

    /** As {@link #send(OpContext, PeerLink, long, ByteBuffer, long, int)} with a per-link header. */
    public static long send(OpContext ctx, OpHeader header, PeerLink link, long tag, ByteBuffer buf, long at, int n) {
        int eb = ctx.type().bytes();
        return link.send(header, tag, buf, (int) (at * eb), n * eb);
    }

    /**
     * Sends {@code n} elements of {@code buf} from element {@code at} as segments of
     * {@link OpContext#segmentElements()}, segment k tagged {@code tag(phase, step, k)}; nothing for n = 0.
     *
     * @return the ticket of the last send, or 0 when nothing was sent
     */
    public static long sendRun(OpContext ctx, OpHeader header, PeerLink link, int phase, int step, ByteBuffer buf,
                               long at, long n) {
        int se = ctx.segmentElements();
        long ticket = 0;
        for (int k = 0, ns = Partition.segments(n, se); k < ns; k++) {
            ticket = send(ctx, header, link, tag(phase, step, k), buf, at + (long) k * se,
                    Partition.segmentCount(n, se, k));
        }
        return ticket;
    }

    /** Receives a run that {@link #sendRun} sent, copying it to {@code dst} from element {@code dAt}. */
    public static void recvCopyRun(OpContext ctx, OpHeader header, PeerLink link, int phase, int step,
                                   ByteBuffer dst, long dAt, long n) {
        int se = ctx.segmentElements();
        for (int k = 0, ns = Partition.segments(n, se); k < ns; k++) {
            recvCopy(ctx, header, link, tag(phase, step, k), dst, dAt + (long) k * se, Partition.segmentCount(n, se, k));
        }
    }

    /**
     * Receives a run that {@link #sendRun} sent and stores {@code dst[dAt+i] = local[lAt+i] op received[i]}
     * segment by segment.
     */
    public static void recvReduceRun(OpContext ctx, OpHeader header, PeerLink link, int phase, int step,
                                     ByteBuffer local, long lAt, ByteBuffer dst, long dAt, long n) {
        int se = ctx.segmentElements();
        for (int k = 0, ns = Partition.segments(n, se); k < ns; k++) {
            long d = (long) k * se;
            recvReduce(ctx, header, link, tag(phase, step, k), local, lAt + d, dst, dAt + d,
                    Partition.segmentCount(n, se, k));
        }
    }

    /** Receives {@code n} elements and stores {@code dst[dAt+i] = local[lAt+i] op received[i]}. */
    public static void recvReduce(OpContext ctx, PeerLink link, long tag, ByteBuffer local, long lAt,
                                  ByteBuffer dst, long dAt, int n) {
        recvReduce(ctx, ctx.header(), link, tag, local, lAt, dst, dAt, n);
    }

    /** As {@link #recvReduce(OpContext, PeerLink, long, ByteBuffer, long, ByteBuffer, long, int)} with a header. */
    public static void recvReduce(OpContext ctx, OpHeader header, PeerLink link, long tag, ByteBuffer local, long lAt,
                                  ByteBuffer dst, long dAt, int n) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(header, tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            HostReduce.reduce(ctx.type(), ctx.op(), local, (int) (lAt * eb), s.buffer(), s.offset(), dst, (int) (dAt * eb), n);
        } finally {
            s.release();
        }
    }

    /**
     * As {@link #recvReduce(OpContext, PeerLink, long, ByteBuffer, long, ByteBuffer, long, int)}, with the
     * received value as the left operand when {@code receivedFirst}: {@code dst = received op local}. Two ranks
     * that reduce each other's values this way, the lower rank's value on the left on both, get the same bits
     * even for operations that are not bitwise commutative (NaN payloads under MIN and MAX).
     */
    public static void recvReduceOrdered(OpContext ctx, PeerLink link, long tag, ByteBuffer local, long lAt,
                                         ByteBuffer dst, long dAt, int n, boolean receivedFirst) {
        if (!receivedFirst) {
            recvReduce(ctx, link, tag, local, lAt, dst, dAt, n);
            return;
        }
        int eb = ctx.type().bytes();
        Segment s = link.recv(ctx.header(), tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            HostReduce.reduce(ctx.type(), ctx.op(), s.buffer(), s.offset(), local, (int) (lAt * eb), dst, (int) (dAt * eb), n);
        } finally {
            s.release();
        }
    }

    /** Receives {@code n} elements into {@code dst} from element {@code dAt}. */
    public static void recvCopy(OpContext ctx, PeerLink link, long tag, ByteBuffer dst, long dAt, int n) {
        recvCopy(ctx, ctx.header(), link, tag, dst, dAt, n);
    }

    /** As {@link #recvCopy(OpContext, PeerLink, long, ByteBuffer, long, int)} with a per-link header. */
    public static void recvCopy(OpContext ctx, OpHeader header, PeerLink link, long tag, ByteBuffer dst, long dAt,
                                int n) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(header, tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            copyPayload(s, dst, (int) (dAt * eb));
        } finally {
            s.release();
        }
    }

    /** Copies a received segment's payload to {@code dst} from byte {@code at}. */
    public static void copyPayload(Segment s, ByteBuffer dst, int at) {
        HostReduce.copy(s.buffer(), s.offset(), dst, at, s.length());
    }

    /** {@code dst[dAt+i] = a[aAt+i] op b[bAt+i]} for {@code n} local elements (dst may be a or b, same offset). */
    public static void reduceLocal(OpContext ctx, ByteBuffer a, long aAt, ByteBuffer b, long bAt, ByteBuffer dst,
                                   long dAt, long n) {
        int eb = ctx.type().bytes();
        HostReduce.reduce(ctx.type(), ctx.op(), a, (int) (aAt * eb), b, (int) (bAt * eb), dst, (int) (dAt * eb),
                (int) n);
    }

    /** Waits until every send so far on {@code link} has left the caller's memory (no-op for null). */
    public static void awaitAllSent(OpContext ctx, PeerLink link) {
        if (link != null && link.lastTicket() > 0) {
            link.awaitSent(link.lastTicket(), ctx.deadlineNanos());
        }
    }

    /** Copies {@code n} elements between host buffers (no-op when the ranges are the same memory). */
    public static void copy(OpContext ctx, ByteBuffer src, long sAt, ByteBuffer dst, long dAt, long n) {
        int eb = ctx.type().bytes();
        HostReduce.copy(src, (int) (sAt * eb), dst, (int) (dAt * eb), (int) (n * eb));
    }

    /** Applies the AVG division to {@code n} elements from {@code at} when the op is AVG. */
    public static void finishAvg(OpContext ctx, ByteBuffer buf, long at, long n) {
        if (ctx.op() == io.jccl.ReduceOp.AVG) {
            int eb = ctx.type().bytes();
            HostReduce.divide(ctx.type(), buf, (int) (at * eb), (int) n, ctx.size());
        }
    }

    /**
     * Fails with {@link PeerFailureException} naming both sizes when a received segment is not
     * {@code expected} bytes long (the peer called with a different count or layout).
     */
    public static void checkLength(OpContext ctx, PeerLink link, Segment s, int expected) {
        if (s.length() != expected) {
            throw new PeerFailureException("rank=" + ctx.rank() + " " + ctx.header().describe() + ": peer="
                    + link.peer() + " sent " + s.length() + " bytes for " + ctx.header().describeTag(s.tag())
                    + ", expected " + expected);
        }
    }
}
