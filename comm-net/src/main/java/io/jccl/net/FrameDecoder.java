package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

import static io.jccl.net.FrameDescriptor.HEADER_BYTES;

/**
 * Cuts the byte stream into frames ({@link FrameDescriptor}) and fires {@link NetSegment} for DATA frames
 * and {@link Control} for control frames.
 *
 * <p>A DATA payload of at least {@link #ZERO_COPY_MIN_BYTES} is not copied at all: it is handed over as retained
 * slices of Netty's read buffers, cut at element boundaries (an element split between two reads is copied into
 * a small piece of its own). Smaller payloads and control frames are copied once into a pooled buffer of
 * exactly their size. Read buffers are released when the last piece that uses them is. A bad magic, version, type, length or header field raises
 * {@link CorruptedFrameException}, which closes the connection; nothing of a bad frame is delivered, and
 * memory held at any time is one header plus at most one payload of {@link FrameDescriptor#MAX_PAYLOAD}.
 *
 * <p>Threading: runs on the channel's event loop.
 */
final class FrameDecoder extends ChannelInboundHandlerAdapter {
    /** A decoded control frame; the receiver releases {@code payload}. */
    record Control(int type, long stream, long seq, ByteBuf payload) {
    }

    /** Releases whatever this decoder emitted ({@link Control}, {@link NetSegment}) or any reference-counted message. */
    static void release(Object msg) {
        if (msg instanceof Control c) {
            c.payload().release();
        } else if (msg instanceof NetSegment s) {
            s.release();
        } else {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    /** DATA payloads from this size on are handed over as slices of the read buffers, not copied. */
    static final int ZERO_COPY_MIN_BYTES = 16 * 1024;

    private ByteBuf header;
    private ByteBuf payload;
    private int payloadLen;
    /** Zero-copy state: the pieces so far, the bytes they hold, the element size, a partial element. */
    private java.util.ArrayList<ByteBuf> pieces;
    private int collected;
    private int elementBytes;
    private ByteBuf carry;
    private boolean failed;
    private boolean dataAllowed;

    /** A decoder that accepts only control frames until {@link #allowData()}. */
    FrameDecoder() {
        this(false);
    }

    /** @param dataAllowed accept DATA frames from the start (tests of a connection already trusted) */
    FrameDecoder(boolean dataAllowed) {
        this.dataAllowed = dataAllowed;
    }

    /**
     * Accept DATA frames from now on; called when the handshake succeeds. Before that, a DATA header closes
     * the connection, so an unauthenticated peer can make this rank hold at most one control frame
     * ({@link FrameDescriptor#MAX_CONTROL_PAYLOAD} bytes).
     */
    void allowData() {
        dataAllowed = true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        header = ctx.alloc().heapBuffer(HEADER_BYTES, HEADER_BYTES);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            while (!failed && in.isReadable()) {
                if (pieces != null) {
                    collect(ctx, in);
                    continue;
                }
                if (payload == null) {
                    int n = Math.min(in.readableBytes(), HEADER_BYTES - header.readableBytes());
                    header.writeBytes(in, n);
                    if (header.readableBytes() < HEADER_BYTES) {
                        return;
                    }
                    startFrame(ctx);
                    continue;
                }
                int n = Math.min(in.readableBytes(), payloadLen - payload.readableBytes());
                payload.writeBytes(in, n);
                if (payload.readableBytes() == payloadLen) {
                    finishFrame(ctx);
                }
            }
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            in.release();
        }
    }

    /** Parses a complete header; allocates the payload buffer (or emits a frame without payload). */
    private void startFrame(ChannelHandlerContext ctx) {
        int magic = header.getUnsignedShort(FrameDescriptor.MAGIC_OFFSET);
        if (magic != FrameDescriptor.MAGIC) {
            throw new CorruptedFrameException("bad frame magic 0x" + Integer.toHexString(magic));
        }
        int version = header.getUnsignedByte(FrameDescriptor.VERSION_OFFSET);
        if (version != FrameDescriptor.VERSION) {
            throw new CorruptedFrameException("unsupported frame version " + version + " (this build speaks "
                    + FrameDescriptor.VERSION + ")");
        }
        int type = header.getUnsignedByte(FrameDescriptor.TYPE_OFFSET);
        int len = header.getInt(FrameDescriptor.LENGTH_OFFSET);
        if (len < 0 || len > FrameDescriptor.MAX_PAYLOAD) {
            throw new CorruptedFrameException("frame payload length " + len + " outside [0, "
                    + FrameDescriptor.MAX_PAYLOAD + "]");
        }
        if (FrameDescriptor.isControl(type)) {
            if (len > FrameDescriptor.MAX_CONTROL_PAYLOAD) {
                throw new CorruptedFrameException("control frame type " + type + " with payload of " + len
                        + " bytes (at most " + FrameDescriptor.MAX_CONTROL_PAYLOAD + ")");
            }
        } else if (type == FrameDescriptor.TYPE_DATA) {
            if (!dataAllowed) {
                throw new CorruptedFrameException("DATA frame before the handshake");
            }
            if (Collective.fromCode(header.getUnsignedByte(FrameDescriptor.COLLECTIVE_OFFSET)) == null
                    || FrameDescriptor.dataType(header.getUnsignedByte(FrameDescriptor.DTYPE_OFFSET)) == null) {
                throw new CorruptedFrameException("DATA frame with unknown collective or type code");
            }
            int op = header.getUnsignedByte(FrameDescriptor.OP_OFFSET);
            if (op != FrameDescriptor.NO_OP && FrameDescriptor.reduceOp(op) == null) {
                throw new CorruptedFrameException("DATA frame with unknown op code " + op);
            }
        } else {
            throw new CorruptedFrameException("unknown frame type " + type);
        }
        payloadLen = len;
        if (type == FrameDescriptor.TYPE_DATA && len >= ZERO_COPY_MIN_BYTES) {
            pieces = new java.util.ArrayList<>(8);
            collected = 0;
            elementBytes = FrameDescriptor.dataType(header.getUnsignedByte(FrameDescriptor.DTYPE_OFFSET)).bytes();
            return;
        }
        payload = ctx.alloc().directBuffer(len, len);
        if (len == 0) {
            finishFrame(ctx);
        }
    }

    /** Zero-copy payload: takes whole elements of {@code in} as retained slices, completes split elements. */
    private void collect(ChannelHandlerContext ctx, ByteBuf in) {
        int want = payloadLen - collected;
        if (carry != null) {
            int n = Math.min(Math.min(elementBytes - carry.readableBytes(), in.readableBytes()), want);
            carry.writeBytes(in, n);
            collected += n;
            if (carry.readableBytes() == elementBytes || collected == payloadLen) {
                pieces.add(carry);
                carry = null;
            }
        } else {
            int avail = Math.min(in.readableBytes(), want);
            int whole = avail - avail % elementBytes;
            if (whole > 0) {
                pieces.add(in.readRetainedSlice(whole));
                collected += whole;
            }
            int rest = avail - whole;
            if (rest > 0) {
                carry = ctx.alloc().directBuffer(elementBytes, elementBytes);
                carry.writeBytes(in, rest);
                collected += rest;
                if (collected == payloadLen) {
                    pieces.add(carry);
                    carry = null;
                }
            }
        }
        if (collected == payloadLen) {
            ByteBuf[] parts = pieces.toArray(new ByteBuf[0]);
            pieces = null;
            fireData(ctx, parts);
        }
    }

    private void fireData(ChannelHandlerContext ctx, ByteBuf[] parts) {
        Collective c = Collective.fromCode(header.getUnsignedByte(FrameDescriptor.COLLECTIVE_OFFSET));
        DataType t = FrameDescriptor.dataType(header.getUnsignedByte(FrameDescriptor.DTYPE_OFFSET));
        ReduceOp op = FrameDescriptor.reduceOp(header.getUnsignedByte(FrameDescriptor.OP_OFFSET));
        NetSegment s = new NetSegment(header.getLong(FrameDescriptor.STREAM_OFFSET), header.getLong(FrameDescriptor.SEQ_OFFSET),
                header.getLong(FrameDescriptor.TAG_OFFSET), c, t, op, header.getInt(FrameDescriptor.ROOT_OFFSET),
                header.getLong(FrameDescriptor.COUNT_OFFSET), parts);
        header.clear();
        ctx.fireChannelRead(s);
    }

    private void finishFrame(ChannelHandlerContext ctx) {
        ByteBuf p = payload;
        payload = null;
        int type = header.getUnsignedByte(FrameDescriptor.TYPE_OFFSET);
        Object frame;
        if (type != FrameDescriptor.TYPE_DATA) {
            frame = new Control(type, header.getLong(FrameDescriptor.STREAM_OFFSET),
                    header.getLong(FrameDescriptor.SEQ_OFFSET), p);
        } else {
            fireData(ctx, new ByteBuf[] {p});
            return;
        }
        header.clear();
        ctx.fireChannelRead(frame);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    private void release() {
        if (payload != null) {
            payload.release();
            payload = null;
        }
        if (pieces != null) {
            pieces.forEach(ByteBuf::release);
            pieces = null;
        }
        if (carry != null) {
            carry.release();
            carry = null;
        }
        if (header != null) {
            header.release();
            header = null;
        }
    }
}
