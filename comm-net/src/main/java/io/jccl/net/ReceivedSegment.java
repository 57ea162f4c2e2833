package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.Segment;

/**
 * The header fields of a message received from another process, as its frame ({@link FrameDescriptor}) or
 * shared-memory slot ({@link ShmRing}) carried them; the payload is the subclass's ({@link NetSegment} over TCP,
 * {@link ShmSegment} over shared memory).
 *
 * <p>Threading: the header is set before the segment is delivered to an inbox and read by the one thread that
 * takes it ({@link ShmSegment} sets it again when it is reused); the payload's threading is the subclass's.
 */
abstract class ReceivedSegment implements Segment {
    private long seq;
    private long tag;
    private Collective collective;
    private DataType type;
    private ReduceOp op;
    private int root;
    private long count;

    ReceivedSegment() {
    }

    ReceivedSegment(long seq, long tag, Collective collective, DataType type, ReduceOp op, int root, long count) {
        header(seq, tag, collective, type, op, root, count);
    }

    /** Sets the header fields. */
    final void header(long seq, long tag, Collective collective, DataType type, ReduceOp op, int root, long count) {
        this.seq = seq;
        this.tag = tag;
        this.collective = collective;
        this.type = type;
        this.op = op;
        this.root = root;
        this.count = count;
    }

    @Override
    public final long seq() {
        return seq;
    }

    @Override
    public final long tag() {
        return tag;
    }

    @Override
    public final Collective collective() {
        return collective;
    }

    @Override
    public final DataType type() {
        return type;
    }

    @Override
    public final ReduceOp op() {
        return op;
    }

    @Override
    public final int root() {
        return root;
    }

    @Override
    public final long count() {
        return count;
    }
}
