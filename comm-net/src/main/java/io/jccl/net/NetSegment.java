package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.Segment;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A received DATA frame: header fields and the payload, a retained slice of Netty's receive buffer that
 * {@link #release()} gives back.
 *
 * <p>Threading: created on the event loop, then owned by the one thread that takes it from its inbox.
 */
final class NetSegment implements Segment {
    private final long stream;
    private final long seq;
    private final long tag;
    private final Collective collective;
    private final DataType type;
    private final ReduceOp op;
    private final int root;
    private final long count;
    private ByteBuf payload;
    private ByteBuffer nio;

    NetSegment(long stream, long seq, long tag, Collective collective, DataType type, ReduceOp op, int root,
               long count, ByteBuf payload) {
        this.stream = stream;
        this.seq = seq;
        this.tag = tag;
        this.collective = collective;
        this.type = type;
        this.op = op;
        this.root = root;
        this.count = count;
        this.payload = payload;
    }

    long stream() {
        return stream;
    }

    @Override
    public ByteBuffer buffer() {
        if (nio == null) {
            if (payload.nioBufferCount() == 1 && payload.isDirect()) {
                nio = payload.nioBuffer().order(ByteOrder.nativeOrder());
            } else {
                ByteBuffer copy = ByteBuffer.allocateDirect(payload.readableBytes()).order(ByteOrder.nativeOrder());
                payload.getBytes(payload.readerIndex(), copy);
                copy.flip();
                nio = copy;
            }
        }
        return nio;
    }

    @Override
    public int offset() {
        return buffer().position();
    }

    @Override
    public int length() {
        return payload == null ? 0 : payload.readableBytes();
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
        if (payload != null) {
            payload.release();
            payload = null;
            nio = null;
        }
    }
}
