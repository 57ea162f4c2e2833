package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A message received from another process: the header fields its frame ({@link FrameDescriptor}) or ring slot
 * ({@code io.jccl.net.shm.ShmRing}) carried, and the payload, copied out of a TCP read buffer ({@link FrameDecoder}) or a
 * shared-memory ring's slots ({@code io.jccl.net.shm.ShmPipe}) into a buffer of the transport's {@link RecvBufferCache}.
 * {@link #release()} gives the buffer back and this object to its {@link Pool}, which fills it with a later
 * message: a steady stream of messages allocates neither.
 *
 * <p>Threading: filled by the receiving thread (an event loop, or the thread that drains a ring), then owned by the
 * one thread that takes it from its inbox, until it releases it (once; it must not be used after).
 */
public final class CopiedSegment implements Segment {
    private final Pool pool;
    private long stream;
    private long seq;
    private long tag;
    private Collective collective;
    private DataType type;
    private ReduceOp op;
    private int root;
    private long count;
    private ByteBuffer payload;
    private boolean released = true;

    private CopiedSegment(Pool pool) {
        this.pool = pool;
    }

    /**
     * Takes {@code payload} (from the pool's buffer cache, position 0, limit the payload's length) and the header
     * of a new message of {@code stream} (the communicator it belongs to; 0 over shared memory, whose rings are
     * per stream).
     */
    public CopiedSegment fill(long stream, ByteBuffer payload, long seq, long tag, Collective collective, DataType type,
                       ReduceOp op, int root, long count) {
        this.stream = stream;
        this.seq = seq;
        this.tag = tag;
        this.collective = collective;
        this.type = type;
        this.op = op;
        this.root = root;
        this.count = count;
        this.payload = payload;
        this.released = false;
        return this;
    }

    /** The stream (communicator) the message belongs to. */
    public long stream() {
        return stream;
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
            ByteBuffer b = payload;
            payload = null;
            pool.buffers.give(b);
            pool.give(this);
        }
    }

    /**
     * Released segments kept for reuse (at most {@value #MAX_KEPT}), with the transport's receive buffers;
     * thread-safe.
     */
    public static final class Pool {
        static final int MAX_KEPT = 1024;
        private final RecvBufferCache buffers;
        private final ArrayDeque<CopiedSegment> free = new ArrayDeque<>();

        public Pool(RecvBufferCache buffers) {
            this.buffers = buffers;
        }

        /** The receive buffers that payloads are copied into. */
        public RecvBufferCache buffers() {
            return buffers;
        }

        /** A released segment, or a new one; {@link #fill} it before delivering it. */
        public CopiedSegment take() {
            CopiedSegment s;
            synchronized (this) {
                s = free.pollLast();
            }
            return s != null ? s : new CopiedSegment(this);
        }

        private synchronized void give(CopiedSegment s) {
            if (free.size() < MAX_KEPT) {
                free.addLast(s);
            }
        }

        /** Segments kept now. */
        public synchronized int kept() {
            return free.size();
        }
    }
}
