package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;

import java.nio.ByteBuffer;

/**
 * A message received over shared memory: header fields and the payload, copied out of the ring's slots into a
 * buffer of the transport's {@link RecvBufferCache}, which {@link #release()} gives back (once).
 *
 * <p>Threading: filled by the receiving thread, then owned by the one thread that takes it from its inbox.
 */
final class ShmSegment extends ReceivedSegment {
    private final RecvBufferCache cache;
    private final ByteBuffer payload;
    private boolean released;

    ShmSegment(RecvBufferCache cache, ByteBuffer payload, long seq, long tag, Collective collective, DataType type,
               ReduceOp op, int root, long count) {
        super(seq, tag, collective, type, op, root, count);
        this.cache = cache;
        this.payload = payload;
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
    public void release() {
        if (!released) {
            released = true;
            cache.give(payload);
        }
    }
}
