package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;

/**
 * A message received over shared memory: header fields and the payload, copied out of the ring's slots into a
 * buffer of the transport's {@link RecvBufferCache}, which {@link #release()} gives back (once).
 *
 * <p>Threading: filled by the receiving thread, then owned by the one thread that takes it from its inbox.
 */
final class ShmSegment implements Segment {
    private final RecvBufferCache cache;
    private final ByteBuffer payload;
    private final long seq;
    private final long tag;
    private final Collective collective;
    private final DataType type;
    private final ReduceOp op;
    private final int root;
    private final long count;
    private boolean released;

    ShmSegment(RecvBufferCache cache, ByteBuffer payload, long seq, long tag, Collective collective, DataType type,
               ReduceOp op, int root, long count) {
        this.cache = cache;
        this.payload = payload;
        this.seq = seq;
        this.tag = tag;
        this.collective = collective;
        this.type = type;
        this.op = op;
        this.root = root;
        this.count = count;
    }

    @Override
    public ByteBuffer buffer() {
        return payload;
    }

    @Override
    public int offset() {
        return 0;
    }

    @Override
    public int length() {
        return payload.limit();
    }

    @Override
    public long seq() {
        return seq;
    }

    @Override
    public long tag() {
        return tag;
    }

    @Override
    public Collective collective() {
        return collective;
    }

    @Override
    public DataType type() {
        return type;
    }

    @Override
    public ReduceOp op() {
        return op;
    }

    @Override
    public int root() {
        return root;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            cache.give(payload);
        }
    }
}
