package io.jccl.algo;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

import java.util.Arrays;

/**
 * Everything one running operation needs: who we are, the header its frames carry, its deadline, the
 * links by communicator rank, the pipelining unit, and scratch memory; and what the algorithms build once and
 * reuse: one {@link Primitives} per tag phase, re-aimed by each operation, the send-ticket array and the plans
 * that depend only on W and the rank (the double binary tree). A communicator keeps one for its collectives and
 * {@linkplain #begin begins} it anew for each operation, so that an operation allocates no context; a
 * point-to-point call makes its own (and {@link PointToPoint} uses none of the reused parts).
 *
 * <p>Threading: used by the one thread that runs the operation; between operations, the communicator's
 * ordering of its calls hands it from one running thread to the next.
 */
public final class OpContext {
    /** Links by communicator rank, connected on first use. */
    public interface Links {
        PeerLink link(int commRank, long deadlineNanos);
    }

    /** Scratch memory owned by the communicator, reused across operations. */
    public interface Scratch {
        /** A native-order buffer of at least {@code bytes} bytes, valid until the operation ends. */
        HostBuffer get(long bytes);
    }

    /**
     * Hooks of a call whose buffers are staged segment by segment (docs/gpu.md, "The pipelined path"): the link
     * and local steps call them with the host memory they are about to read or write, or have finished. A buffer
     * that is not staged is ignored. Staging memory is one {@code ByteBuffer} ({@link HostBuffer#window
     * window(0)} of its host buffer), by which the hooks know it. Offsets and lengths in bytes. Called by the
     * thread running the operation.
     */
    public interface Staging {
        /** Returns when bytes {@code [byteOffset, byteOffset + bytes)} of {@code buf} hold the call's input. */
        void awaitInput(ByteBuffer buf, long byteOffset, long bytes);

        /** Before the range is written: as {@link #awaitInput}, and a copy of it already queued is void. */
        void willWrite(ByteBuffer buf, long byteOffset, long bytes);

        /** The range holds its final result (the algorithm will not write it again): its copy may be queued. */
        void outputReady(ByteBuffer buf, long byteOffset, long bytes);

        /**
         * The algorithm will read the range after the ranges announced before it: its input copy may be queued
         * now, behind theirs (copies of one direction complete in queue order, so the order of reads should be
         * the order of copies). A range never announced is copied in address order once it is first read.
         */
        void prefetchInput(ByteBuffer buf, long byteOffset, long bytes);

        /**
         * Reduces a received segment on the device when {@code local} is staged input that the algorithm has not
         * written and device reduction is on: {@code dst = local op received} ({@code received op local} when
         * {@code receivedFirst}), {@code bytes} bytes, {@code received} from absolute index {@code receivedIndex};
         * returns false (nothing done) when the host must reduce. The default: false.
         */
        default boolean reduceReceived(DataType type, ReduceOp op, ByteBuffer local, long localByteOffset,
                                       ByteBuffer dst, long dstByteOffset, ByteBuffer received, int receivedIndex,
                                       long bytes, boolean receivedFirst) {
            return false;
        }
    }

    private OpHeader header;
    /** The running operation's staging hooks, or null when nothing is staged segment by segment. */
    private Staging staging;
    private final int rank;
    private final int size;
    private long deadlineNanos;
    private final Links links;
    private final Scratch scratch;
    private final long segmentBytes;
    /** Send tickets of the running operation, by step ({@link #tickets}). */
    private long[] tickets = new long[0];
    /** The link steps of each tag phase, made on first use and re-aimed by every operation. */
    private final Primitives[] primitives = new Primitives[4];
    /** Which ranks share a host (one host unless {@linkplain #withLayout set}). */
    private HostLayout layout;
    /** The flat rings' order of the ranks, made from the layout on first use. */
    private RingOrder ringOrder;
    /** The double binary tree of this rank, made on first use. */
    private DoubleTreePlan treePlan;

    public OpContext(OpHeader header, int rank, int size, long deadlineNanos, Links links, Scratch scratch,
                     long segmentBytes) {
        this.header = header;
        this.rank = rank;
        this.size = size;
        this.deadlineNanos = deadlineNanos;
        this.links = links;
        this.scratch = scratch;
        this.segmentBytes = segmentBytes;
    }

    /**
     * Sets which ranks of this context share a host (by the context's ranks), for the hierarchical algorithms;
     * returns this context.
     *
     * @throws IllegalArgumentException when the layout has another size than this context
     */
    public OpContext withLayout(HostLayout hosts) {
        if (hosts.size() != size) {
            throw new IllegalArgumentException("host layout of " + hosts.size() + " ranks for a context of " + size);
        }
        this.layout = hosts;
        this.ringOrder = null;
        return this;
    }

    /** Which ranks of this context share a host: one host unless {@link #withLayout} set another. */
    public HostLayout layout() {
        if (layout == null) {
            layout = HostLayout.singleHost(size);
        }
        return layout;
    }

    /** The order of the ranks around the flat rings, from {@link #layout()} ({@link RingOrder}). */
    public RingOrder ringOrder() {
        if (ringOrder == null) {
            ringOrder = RingOrder.of(layout());
        }
        return ringOrder;
    }

    /**
     * Makes this context that of the next operation, {@code header}, due by {@code deadlineNanos}
     * ({@link System#nanoTime()} clock); returns this context.
     */
    public OpContext begin(OpHeader header, long deadlineNanos) {
        this.header = header;
        this.deadlineNanos = deadlineNanos;
        this.staging = null;
        return this;
    }

    /** The running operation's buffers are staged segment by segment through {@code hooks} (until the next begin). */
    public void useStaging(Staging hooks) {
        this.staging = hooks;
    }

    /** Before reading {@code n} elements of {@code buf} from element {@code at}: waits for staged input. */
    void reading(HostBuffer buf, long at, long n) {
        if (staging != null) {
            int eb = header.type().bytes();
            staging.awaitInput(buf.window(0), at * eb, n * eb);
        }
    }

    /** Before writing {@code n} elements of {@code buf} from element {@code at}. */
    void writing(HostBuffer buf, long at, long n) {
        if (staging != null) {
            int eb = header.type().bytes();
            staging.willWrite(buf.window(0), at * eb, n * eb);
        }
    }

    /**
     * Announces that {@code n} elements of {@code buf} from element {@code at} will be read after the ranges
     * announced before (an algorithm calls it, in its order of reads, before its first step): staged input is then
     * copied in that order.
     */
    void prefetch(HostBuffer buf, long at, long n) {
        if (staging != null) {
            int eb = header.type().bytes();
            staging.prefetchInput(buf.window(0), at * eb, n * eb);
        }
    }

    /**
     * Reduces {@code n} received elements ({@code received} from absolute index {@code rIndex}) with {@code local}
     * from element {@code lAt} into {@code dst} from element {@code dAt} on the device, when the staging can;
     * false: nothing was done and the caller reduces on the host. A staged call moves at most
     * {@link HostBuffer#MAX_VIEW_BYTES}, so window 0 of either buffer holds every byte it touches.
     */
    boolean reducedOnDevice(HostBuffer local, long lAt, HostBuffer dst, long dAt, ByteBuffer received, int rIndex,
                            int n, boolean receivedFirst) {
        if (staging == null) {
            return false;
        }
        int eb = header.type().bytes();
        return staging.reduceReceived(header.type(), header.op(), local.window(0), lAt * eb, dst.window(0), dAt * eb,
                received, rIndex, (long) n * eb, receivedFirst);
    }

    /** After the last write of {@code n} elements of {@code buf} from element {@code at}. */
    void finished(HostBuffer buf, long at, long n) {
        if (staging != null) {
            int eb = header.type().bytes();
            staging.outputReady(buf.window(0), at * eb, n * eb);
        }
    }

    /**
     * An array of at least {@code n} zeros, for an algorithm's send tickets; reused by the next call, so valid
     * until then within this operation. Not reentrant: an algorithm that holds it must not run another algorithm
     * that calls this too (its tickets would be zeroed, and a send still reading memory would go unawaited).
     */
    public long[] tickets(int n) {
        if (tickets.length < n) {
            tickets = new long[n];
        } else {
            Arrays.fill(tickets, 0, n, 0L);
        }
        return tickets;
    }

    /**
     * The link steps of tag phase {@code phase} (0..3), aimed to receive from {@code prev} and send to
     * {@code next} (null where unused) with this operation's header. One reused object per phase: re-aiming a
     * phase takes it from whoever held it, so two parts of one operation that run at once use two phases (as
     * their tags must differ anyway).
     */
    Primitives primitives(int phase, PeerLink prev, PeerLink next) {
        Primitives p = primitives[phase];
        if (p == null) {
            p = new Primitives(this, phase);
            primitives[phase] = p;
        }
        return p.aim(prev, next);
    }

    /** This rank's place in the double binary tree, planned on first use; links not yet resolved. */
    DoubleTreePlan treePlan() {
        if (treePlan == null) {
            treePlan = new DoubleTreePlan(size, rank);
        }
        return treePlan;
    }

    public OpHeader header() {
        return header;
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    public DataType type() {
        return header.type();
    }

    public ReduceOp op() {
        return header.op();
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    public PeerLink link(int commRank) {
        return links.link(commRank, deadlineNanos);
    }

    public HostBuffer scratch(long bytes) {
        return scratch.get(bytes);
    }

    /** Elements per segment for this operation's type (at least 1). */
    public int segmentElements() {
        return (int) Math.max(1, segmentBytes / header.type().bytes());
    }
}
