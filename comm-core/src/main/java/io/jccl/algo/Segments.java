package io.jccl.algo;

import io.jccl.PeerFailureException;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HostReduce;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;

/**
 * One segment between a {@link PeerLink} and host memory, with its tag given: send it, receive it and copy it,
 * receive it and reduce it with local data. Offsets and counts are in elements of the operation's type; a
 * received segment is checked against the expected length and always released. A segment (at most 64 MiB) lies in
 * one {@linkplain HostBuffer#window window} of each buffer, so a buffer of any length moves as {@code ByteBuffer}
 * ranges with {@code int} offsets. {@link Primitives} builds the
 * tags and runs of segments on top; {@link PointToPoint} uses these directly.
 *
 * <p>Stateless; each call runs on the thread of the operation that passes its {@link OpContext}.
 */
final class Segments {
    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);

    private Segments() {
    }

    /** Sends one empty frame (a message that carries only its arrival, or an empty point-to-point message). */
    static long sendEmpty(OpHeader header, PeerLink link, long tag) {
        return link.send(header, tag, EMPTY, 0, 0);
    }

    /** Sends {@code n} elements of {@code buf} from element {@code at}; returns the ticket. */
    static long send(OpContext ctx, OpHeader header, PeerLink link, long tag, HostBuffer buf, long at, int n) {
        int eb = ctx.type().bytes();
        ctx.reading(buf, at, n);
        long b = at * eb;
        return link.send(header, tag, buf.window(b), buf.windowOffset(b), n * eb);
    }

    /**
     * Sends {@code n} elements of {@code buf} from element {@code at} as segments of
     * {@link OpContext#segmentElements()}, segment k tagged {@code stepTag + k}; nothing for n = 0.
     *
     * @return the ticket of the last send, or 0 when nothing was sent
     */
    static long sendRun(OpContext ctx, OpHeader header, PeerLink link, long stepTag, HostBuffer buf, long at, long n) {
        int se = ctx.segmentElements();
        long ticket = 0;
        for (int k = 0, ns = Partition.segments(n, se); k < ns; k++) {
            ticket = send(ctx, header, link, stepTag | k, buf, at + (long) k * se, Partition.segmentCount(n, se, k));
        }
        return ticket;
    }

    /** Receives {@code n} elements into {@code dst} from element {@code dAt}. */
    static void recvCopy(OpContext ctx, OpHeader header, PeerLink link, long tag, HostBuffer dst, long dAt, int n) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(header, tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            ctx.writing(dst, dAt, n);
            copyPayload(s, dst, dAt * eb);
        } finally {
            s.release();
        }
    }

    /**
     * Receives {@code n} elements and stores {@code dst[dAt+i] = local[lAt+i] op received[i]}, or
     * {@code received[i] op local[lAt+i]} when {@code receivedFirst}. Two ranks that reduce each other's values,
     * the lower rank's value on the left on both, get the same bits even for operations that are not bitwise
     * commutative (NaN payloads under MIN and MAX).
     */
    static void recvReduce(OpContext ctx, OpHeader header, PeerLink link, long tag, HostBuffer local, long lAt,
                           HostBuffer dst, long dAt, int n, boolean receivedFirst) {
        int eb = ctx.type().bytes();
        Segment s = link.recv(header, tag, ctx.deadlineNanos());
        try {
            checkLength(ctx, link, s, n * eb);
            if (ctx.reducedOnDevice(local, lAt, dst, dAt, s.buffer(), s.offset(), n, receivedFirst)) {
                return;
            }
            ctx.reading(local, lAt, n);
            ctx.writing(dst, dAt, n);
            long l = lAt * eb;
            long d = dAt * eb;
            ByteBuffer lw = local.window(l);
            int lo = local.windowOffset(l);
            if (receivedFirst) {
                HostReduce.reduce(ctx.type(), ctx.op(), s.buffer(), s.offset(), lw, lo, dst.window(d),
                        dst.windowOffset(d), n);
            } else {
                HostReduce.reduce(ctx.type(), ctx.op(), lw, lo, s.buffer(), s.offset(), dst.window(d),
                        dst.windowOffset(d), n);
            }
        } finally {
            s.release();
        }
    }

    /** Copies a received segment's payload to {@code dst} from byte {@code at}. */
    static void copyPayload(Segment s, HostBuffer dst, long at) {
        HostReduce.copy(s.buffer(), s.offset(), dst.window(at), dst.windowOffset(at), s.length());
    }

    /** Waits until every send so far on {@code link} has left the caller's memory (no-op for null). */
    static void awaitAllSent(OpContext ctx, PeerLink link) {
        if (link != null && link.lastTicket() > 0) {
            link.awaitSent(link.lastTicket(), ctx.deadlineNanos());
        }
    }

    /**
     * Fails with {@link PeerFailureException} naming both sizes when a received segment is not
     * {@code expected} bytes long (the peer called with a different count or layout).
     */
    static void checkLength(OpContext ctx, PeerLink link, Segment s, int expected) {
        if (s.length() != expected) {
            throw new PeerFailureException("rank=" + ctx.rank() + " " + ctx.header().describe() + ": peer="
                    + link.peer() + " sent " + s.length() + " bytes for " + ctx.header().describeTag(s.tag())
                    + ", expected " + expected);
        }
    }
}
