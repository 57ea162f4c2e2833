package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.segmentCount;
import static io.jccl.algo.Partition.segments;

/**
 * The link steps of one phase of an operation, as NCCL's {@code Primitives} ({@code src/device/prims_simple.h}):
 * send, receive-and-copy, receive-and-reduce and their forwarding forms, between this rank and the phase's
 * previous peer (it receives from) and next peer (it sends to). It owns the tag layout and the header the frames
 * carry (the operation's, unless {@linkplain #header replaced}), so an algorithm names only steps, buffers and
 * element ranges.
 *
 * <p>Tags: segment {@code k} of step {@code s} of phase {@code p} is {@link #tag(int, int, int) tag(p, s, k)}:
 * the phase in the top 2 bits, the step in the next 30, the segment in the low 32 ({@code OpHeader.describeTag}
 * reads them back). A run of {@code n} elements travels as segments of {@link OpContext#segmentElements()}
 * elements; a forwarding step ({@link #recvReduceSend}, {@link #recvCopySend}) forwards each segment as soon as it
 * has landed. Offsets and counts are in elements; nothing is sent for {@code n = 0}.
 *
 * <p>One object per tag phase is held by the {@link OpContext} and re-aimed by {@link OpContext#primitives}
 * (setting peers and header allocates nothing). Threading: used by the thread running the operation only. Not
 * reentrant per phase: an algorithm that re-aims a phase takes it from anything that held it.
 */
final class Primitives {
    private final OpContext ctx;
    private final int phase;
    private OpHeader header;
    private PeerLink prev;
    private PeerLink next;
    /** Added to every step's number in this phase's tags (0 once re-aimed): a pipelined algorithm's piece. */
    private int stepBase;

    Primitives(OpContext ctx, int phase) {
        this.ctx = ctx;
        this.phase = phase;
    }

    /** Tag of segment {@code seg} of step {@code step} of phase {@code phase} (0..3). */
    static long tag(int phase, int step, int seg) {
        return ((long) phase << 62) | ((long) step << 32) | (seg & 0xffffffffL);
    }

    /** Receives from {@code prev} and sends to {@code next} (either may be null when unused), with the op's header. */
    Primitives aim(PeerLink prev, PeerLink next) {
        this.prev = prev;
        this.next = next;
        this.header = ctx.header();
        this.stepBase = 0;
        return this;
    }

    /**
     * This phase's steps are numbered from {@code base} in its tags (until re-aimed), so that the pieces of an
     * algorithm that runs a phase once per piece never share a tag: piece p of steps below S takes base p x S.
     */
    Primitives stepBase(int base) {
        this.stepBase = base;
        return this;
    }

    /** Tag of segment {@code seg} of step {@code step} of this phase. */
    private long tagOf(int step, int seg) {
        return tag(phase, stepBase + step, seg);
    }

    /** Frames of this phase carry {@code header} instead of the operation's (until re-aimed). */
    Primitives header(OpHeader header) {
        this.header = header;
        return this;
    }

    /** Sends {@code n} elements of {@code src} from {@code at} to next; the ticket of the last segment, or 0. */
    long send(int step, HostBuffer src, long at, long n) {
        return Segments.sendRun(ctx, header, next, tagOf(step, 0), src, at, n);
    }

    /** Receives {@code n} elements from prev into {@code dst} from {@code at}. */
    void recv(int step, HostBuffer dst, long at, long n) {
        int se = ctx.segmentElements();
        for (int k = 0, ns = segments(n, se); k < ns; k++) {
            long a = at + (long) k * se;
            int m = segmentCount(n, se, k);
            Segments.recvCopy(ctx, header, prev, tagOf(step, k), dst, a, m);
            ctx.finished(dst, a, m);
        }
    }

    /**
     * Receives {@code n} elements from prev and stores {@code dst[dAt+i] = local[lAt+i] op received[i]}; with
     * {@code postOp}, divides each stored segment for AVG (NCCL's postOp), for a step that finishes the result.
     */
    void recvReduce(int step, HostBuffer local, long lAt, HostBuffer dst, long dAt, long n, boolean postOp) {
        recvReduce(step, local, lAt, dst, dAt, n, false, postOp);
    }

    /**
     * As {@link #recvReduce} at one offset {@code at} in both buffers, with the received value as the left
     * operand when {@code receivedFirst} ({@code dst = received op local}): two ranks that reduce each other's
     * values with the lower rank's on the left get the same bits.
     */
    void recvReduceOrdered(int step, HostBuffer local, HostBuffer dst, long at, long n, boolean receivedFirst) {
        recvReduce(step, local, at, dst, at, n, receivedFirst, false);
    }

    private void recvReduce(int step, HostBuffer local, long lAt, HostBuffer dst, long dAt, long n,
                            boolean receivedFirst, boolean postOp) {
        int se = ctx.segmentElements();
        for (int k = 0, ns = segments(n, se); k < ns; k++) {
            long d = (long) k * se;
            int m = segmentCount(n, se, k);
            Segments.recvReduce(ctx, header, prev, tagOf(step, k), local, lAt + d, dst, dAt + d, m,
                    receivedFirst);
            if (postOp) {
                Steps.finishAvg(ctx, dst, dAt + d, m);
                ctx.finished(dst, dAt + d, m);
            }
        }
    }

    /**
     * Receives step {@code recvStep} from prev, stores {@code work = local op received} at {@code at} and sends
     * each reduced segment to next as step {@code sendStep}; the ticket of the last send, or 0.
     */
    long recvReduceSend(int recvStep, int sendStep, HostBuffer local, HostBuffer work, long at, long n) {
        return recvReduceSend(recvStep, local, work, at, n, false, this, sendStep);
    }

    /**
     * The step that finishes a reduction and starts its distribution: receives step {@code step} from prev,
     * stores {@code dst = local op received} at {@code at}, divides for AVG, and sends each finished segment as
     * step {@code onwardStep} of {@code onward} (another phase's primitives) to its next; the last ticket, or 0.
     */
    long recvReduceCopySend(int step, HostBuffer local, HostBuffer dst, long at, long n, Primitives onward,
                            int onwardStep) {
        return recvReduceSend(step, local, dst, at, n, true, onward, onwardStep);
    }

    private long recvReduceSend(int recvStep, HostBuffer local, HostBuffer dst, long at, long n, boolean postOp,
                                Primitives onward, int onwardStep) {
        int se = ctx.segmentElements();
        long ticket = 0;
        for (int k = 0, ns = segments(n, se); k < ns; k++) {
            long a = at + (long) k * se;
            int m = segmentCount(n, se, k);
            Segments.recvReduce(ctx, header, prev, tagOf(recvStep, k), local, a, dst, a, m, false);
            if (postOp) {
                Steps.finishAvg(ctx, dst, a, m);
                ctx.finished(dst, a, m);
            }
            ticket = Segments.send(ctx, onward.header, onward.next, onward.tagOf(onwardStep, k), dst, a, m);
        }
        return ticket;
    }

    /** Receives step {@code recvStep} into {@code dst} at {@code at}, forwarding each segment as {@code sendStep}. */
    long recvCopySend(int recvStep, int sendStep, HostBuffer dst, long at, long n) {
        int se = ctx.segmentElements();
        long ticket = 0;
        for (int k = 0, ns = segments(n, se); k < ns; k++) {
            long a = at + (long) k * se;
            int m = segmentCount(n, se, k);
            Segments.recvCopy(ctx, header, prev, tagOf(recvStep, k), dst, a, m);
            ctx.finished(dst, a, m);
            ticket = Segments.send(ctx, header, next, tagOf(sendStep, k), dst, a, m);
        }
        return ticket;
    }

    /** Sends one empty frame, segment 0 of {@code step}, to next (a message that carries only its arrival). */
    long sendEmpty(int step) {
        return Segments.sendEmpty(header, next, tagOf(step, 0));
    }

    /** Receives and releases segment 0 of {@code step} from prev, whatever its length. */
    void recvEmpty(int step) {
        prev.recv(header, tagOf(step, 0), ctx.deadlineNanos()).release();
    }

    /** Sends segment {@code k} of {@code step}, {@code n} elements of {@code src} from {@code at}, to {@code to}. */
    long sendSegment(PeerLink to, int step, int k, HostBuffer src, long at, int n) {
        return Segments.send(ctx, header, to, tagOf(step, k), src, at, n);
    }

    /** Receives segment {@code k} of {@code step} from {@code from} into {@code dst} at {@code at}. */
    void recvSegment(PeerLink from, int step, int k, HostBuffer dst, long at, int n) {
        Segments.recvCopy(ctx, header, from, tagOf(step, k), dst, at, n);
    }

    /** Receives segment {@code k} of {@code step} from {@code from}: {@code dst[dAt+i] = local[lAt+i] op recv[i]}. */
    void recvReduceSegment(PeerLink from, int step, int k, HostBuffer local, long lAt, HostBuffer dst, long dAt,
                           int n) {
        Segments.recvReduce(ctx, header, from, tagOf(step, k), local, lAt, dst, dAt, n, false);
    }

    /** Waits until send {@code ticket} (and every one before it) to next has left memory; no-op for 0. */
    void awaitSent(long ticket) {
        if (ticket > 0) {
            next.awaitSent(ticket, ctx.deadlineNanos());
        }
    }

    /** Waits until every send so far to next has left the caller's memory. */
    void awaitSent() {
        Segments.awaitAllSent(ctx, next);
    }
}
