package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A received DATA frame: header fields and the payload as one or more pieces, each a retained slice of one
 * of Netty's receive buffers (or, for small frames and elements split across reads, a small copy) holding
 * whole elements. {@link #release()} gives them back.
 *
 * <p>Threading: created on the event loop, then owned by the one thread that takes it from its inbox.
 */
final class NetSegment extends ReceivedSegment {
    private final long stream;
    private final ByteBuf[] parts;
    private final int length;
    private ByteBuffer[] nio;
    private ByteBuffer gathered;
    private boolean released;

    NetSegment(long stream, long seq, long tag, Collective collective, DataType type, ReduceOp op, int root,
               long count, ByteBuf[] parts) {
        super(seq, tag, collective, type, op, root, count);
        this.stream = stream;
        this.parts = parts;
        int len = 0;
        for (ByteBuf p : parts) {
            len += p.readableBytes();
        }
        this.length = len;
    }

    long stream() {
        return stream;
    }

    @Override
    public int pieces() {
        return parts.length;
    }

    @Override
    public ByteBuffer pieceBuffer(int i) {
        if (nio == null) {
            nio = new ByteBuffer[parts.length];
        }
        if (nio[i] == null) {
            ByteBuf p = parts[i];
            if (p.nioBufferCount() == 1 && p.isDirect()) {
                nio[i] = p.nioBuffer().order(ByteOrder.nativeOrder());
            } else {
                ByteBuffer copy = ByteBuffer.allocateDirect(p.readableBytes()).order(ByteOrder.nativeOrder());
                p.getBytes(p.readerIndex(), copy);
                copy.flip();
                nio[i] = copy;
            }
        }
        return nio[i];
    }

    @Override
    public int pieceOffset(int i) {
        return pieceBuffer(i).position();
    }

    @Override
    public int pieceLength(int i) {
        return parts[i].readableBytes();
    }

    @Override
    public ByteBuffer buffer() {
        if (parts.length == 1) {
            return pieceBuffer(0);
        }
        if (gathered == null) {
            gathered = ByteBuffer.allocateDirect(length).order(ByteOrder.nativeOrder());
            int at = 0;
            for (int i = 0; i < parts.length; i++) {
                gathered.put(at, pieceBuffer(i), pieceOffset(i), pieceLength(i));
                at += pieceLength(i);
            }
        }
        return gathered;
    }

    @Override
    public int offset() {
        return parts.length == 1 ? pieceOffset(0) : 0;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            for (ByteBuf p : parts) {
                p.release();
            }
            nio = null;
            gathered = null;
        }
    }
}
