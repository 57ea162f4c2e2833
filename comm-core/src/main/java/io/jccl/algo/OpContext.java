package io.jccl.algo;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;

import java.nio.ByteBuffer;

/**
 * Everything one running operation needs: who we are, the header its frames carry, its deadline, the
 * links by communicator rank, the pipelining unit, and scratch memory. Made by the communicator once per
 * operation and handed to one algorithm.
 *
 * <p>Threading: used by the one thread that runs the operation.
 */
public final class OpContext {
    /** Links by communicator rank, connected on first use. */
    public interface Links {
        PeerLink link(int commRank, long deadlineNanos);
    }

    /** Scratch memory owned by the communicator, reused across operations. */
    public interface Scratch {
        /** A native-order buffer of at least {@code bytes} bytes, valid until the operation ends. */
        ByteBuffer get(long bytes);
    }

    private final OpHeader header;
    private final int rank;
    private final int size;
    private final long deadlineNanos;
    private final Links links;
    private final Scratch scratch;
    private final long segmentBytes;

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

    public ByteBuffer scratch(long bytes) {
        return scratch.get(bytes);
    }

    /** Elements per segment for this operation's type (at least 1). */
    public int segmentElements() {
        return (int) Math.max(1, segmentBytes / header.type().bytes());
    }
}
