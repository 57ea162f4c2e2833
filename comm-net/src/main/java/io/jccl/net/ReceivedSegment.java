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
 * <p>Immutable header; the payload's threading is the subclass's.
 */
abstract class ReceivedSegment implements Segment {
    private final long seq;
    private final long tag;
    private final Collective collective;
    private final DataType type;
    private final ReduceOp op;
    private final int root;
    private final long count;

    ReceivedSegment(long seq, long tag, Collective collective, DataType type, ReduceOp op, int root, long count) {
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
