package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A message received over shared memory: header fields and the payload, copied out of the ring's slots into a
 * buffer of the transport's {@link RecvBufferCache}. {@link #release()} gives the buffer back and this object to
 * its {@link Pool}, which fills it with a later message: a steady stream of messages allocates neither.
 *
 * <p>Threading: filled by the receiving thread, then owned by the one thread that takes it from its inbox, until
 * it releases it (once; it must not be used after).
 */
final class ShmSegment extends ReceivedSegment {
    private final Pool pool;
    private ByteBuffer payload;
    private boolean released = true;

    private ShmSegment(Pool pool) {
        this.pool = pool;
    }

    /** Takes {@code payload} (from the pool's buffer cache) and the header of a new message. */
    ShmSegment fill(ByteBuffer payload, long seq, long tag, Collective collective, DataType type, ReduceOp op, int root,
                    long count) {
        header(seq, tag, collective, type, op, root, count);
        this.payload = payload;
        this.released = false;
        return this;
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
            ByteBuffer b = payload;
            payload = null;
            pool.buffers.give(b);
            pool.give(this);
        }
    }

    /** Released segments kept for reuse (at most {@value #MAX_KEPT}); thread-safe. */
    static final class Pool {
        static final int MAX_KEPT = 1024;
        final RecvBufferCache buffers;
        private final ArrayDeque<ShmSegment> free = new ArrayDeque<>();

        Pool(RecvBufferCache buffers) {
            this.buffers = buffers;
        }

        /** A released segment, or a new one; {@link #fill} it before delivering it. */
        ShmSegment take() {
            ShmSegment s;
            synchronized (this) {
                s = free.pollLast();
            }
            return s != null ? s : new ShmSegment(this);
        }

        private synchronized void give(ShmSegment s) {
            if (free.size() < MAX_KEPT) {
                free.addLast(s);
            }
        }

        /** Segments kept now. */
        synchronized int kept() {
            return free.size();
        }
    }
}
