package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

import java.nio.ByteBuffer;

import static io.jccl.net.wire.FrameDescriptor.HEADER_BYTES;

/**
 * Cuts the byte stream into frames ({@link FrameDescriptor}) and fires {@link CopiedSegment} for DATA frames
 * and {@link Control} for control frames down the pipeline, or hands them to a {@link FrameSink} when a rank
 * decodes what it read itself ({@link SharedRead}).
 *
 * <p>A DATA payload is copied, as it arrives, into a buffer of the transport's {@link RecvBufferCache} (kept for reuse,
 * so steady traffic allocates nothing and touches no fresh pages), and each read buffer is released as soon as it is
 * copied; a rank that reads the socket itself reads the rest of a large payload straight into that buffer instead
 * ({@link #payloadToFill}). Control payloads are copied into a pooled Netty buffer of exactly their size. A bad magic, version, type,
 * length or header field raises {@link CorruptedFrameException}, which closes the connection; nothing of a bad frame
 * is delivered, and memory held at any time is one header plus at most one payload of
 * {@link FrameDescriptor#MAX_PAYLOAD}.
 *
 * <p>Threading: runs on the channel's event loop, and with a {@link SharedRead} also on ranks that read the
 * connection themselves ({@link #decode}, {@link #payloadToFill}, {@link #payloadFilled}); the reader's lock orders
 * the two.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {
    /** A decoded control frame; the receiver releases {@code payload}. */
    public record Control(int type, long stream, long seq, ByteBuf payload) {
    }

    /** Releases whatever this decoder emitted ({@link Control}, {@link CopiedSegment}) or any reference-counted message. */
    public static void release(Object msg) {
        if (msg instanceof Control c) {
            c.payload().release();
        } else if (msg instanceof CopiedSegment s) {
            s.release();
        } else {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private final CopiedSegment.Pool segments;
    /** The reader that lets ranks read this connection too, or null. */
    private final SharedRead reader;
    private ByteBufAllocator alloc;
    /** Where the event loop's decoding goes: down the pipeline. */
    private FrameSink toPipeline;
    private ByteBuf header;
    /** The control frame's payload being read, or null. */
    private ByteBuf payload;
    /** The DATA frame's payload being read (position: the bytes so far), or null. */
    private ByteBuffer data;
    private int payloadLen;
    private boolean failed;
    private boolean dataAllowed;

    /**
     * A decoder that accepts only control frames until {@link #allowData()}.
     *
     * @param segments where DATA payloads are copied to
     */
    public FrameDecoder(CopiedSegment.Pool segments) {
        this(segments, null);
    }

    /**
     * @param reader the connection's other reader ({@link SharedRead}), whose lock the event loop holds from each socket read to
     *               the end of its {@link #channelRead}; null when only the event loop reads
     */
    public FrameDecoder(CopiedSegment.Pool segments, SharedRead reader) {
        this(segments, reader, false);
    }

    /** @param dataAllowed accept DATA frames from the start (tests of a connection already trusted) */
    public FrameDecoder(CopiedSegment.Pool segments, boolean dataAllowed) {
        this(segments, null, dataAllowed);
    }

    private FrameDecoder(CopiedSegment.Pool segments, SharedRead reader, boolean dataAllowed) {
        this.segments = segments;
        this.reader = reader;
        this.dataAllowed = dataAllowed;
    }

    /**
     * Accept DATA frames from now on; called when the handshake succeeds. Before that, a DATA header closes
     * the connection, so an unauthenticated peer can make this rank hold at most one control frame
     * ({@link FrameDescriptor#MAX_CONTROL_PAYLOAD} bytes).
     */
    public void allowData() {
        dataAllowed = true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // a plain heap buffer: copying into it from any read buffer takes no NIO view (a pooled one's does)
        header = Unpooled.buffer(HEADER_BYTES, HEADER_BYTES);
        alloc = ctx.alloc();
        toPipeline = new PipelineSink(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            decode(in, toPipeline);
        } finally {
            in.release();
            if (reader != null) {
                reader.readDone();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (reader != null) {
            reader.burstDone();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * Consumes {@code in} (its reader index moves; it is not released) and passes each complete frame to {@code out}.
     * After a bad frame, which throws {@link CorruptedFrameException}, nothing more is decoded.
     */
    public void decode(ByteBuf in, FrameSink out) {
        if (header == null) {
            in.skipBytes(in.readableBytes()); // removed or closed: nothing more is delivered
            return;
        }
        try {
            while (!failed && in.isReadable()) {
                if (data != null) {
                    int n = Math.min(in.readableBytes(), payloadLen - data.position());
                    data.limit(data.position() + n);
                    in.readBytes(data);
                    if (data.position() == payloadLen) {
                        fireData(out);
                    }
                    continue;
                }
                if (payload == null) {
                    int n = Math.min(in.readableBytes(), HEADER_BYTES - header.readableBytes());
                    header.writeBytes(in, n);
                    if (header.readableBytes() < HEADER_BYTES) {
                        return;
                    }
                    startFrame(out);
                    continue;
                }
                int n = Math.min(in.readableBytes(), payloadLen - payload.readableBytes());
                payload.writeBytes(in, n);
                if (payload.readableBytes() == payloadLen) {
                    finishFrame(out);
                }
            }
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /**
     * The DATA payload being received, for a reader that reads the socket straight into it ({@link SharedRead}),
     * skipping the copy out of a read buffer: position at the bytes received so far, limit at the payload's end.
     * Null when no DATA payload is in progress, or after a bad frame or removal. Call {@link #payloadFilled} after
     * the read, before anything else is decoded.
     */
    public ByteBuffer payloadToFill() {
        if (data == null || failed || header == null) {
            return null;
        }
        return data.limit(payloadLen);
    }

    /** {@code n} more bytes of the payload from {@link #payloadToFill} were read into it; delivers it when whole. */
    public void payloadFilled(int n, FrameSink out) {
        data.position(data.position() + n);
        if (data.position() == payloadLen) {
            try {
                fireData(out);
            } catch (RuntimeException e) {
                failed = true; // as after a failure in decode: nothing more is delivered
                throw e;
            }
        }
    }

    /** Parses a complete header; allocates the payload buffer (or emits a frame without payload). */
    private void startFrame(FrameSink out) {
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
        if (type == FrameDescriptor.TYPE_DATA) {
            data = segments.buffers().take(len).limit(0);
            if (len == 0) {
                fireData(out);
            }
            return;
        }
        payload = alloc.directBuffer(len, len);
        if (len == 0) {
            finishFrame(out);
        }
    }

    /** Delivers the DATA frame whose payload {@link #data} now holds whole. */
    private void fireData(FrameSink out) {
        ByteBuffer p = data;
        data = null;
        p.position(0).limit(payloadLen);
        CopiedSegment s = segments.take().fill(header.getLong(FrameDescriptor.STREAM_OFFSET), p,
                header.getLong(FrameDescriptor.SEQ_OFFSET), header.getLong(FrameDescriptor.TAG_OFFSET),
                Collective.fromCode(header.getUnsignedByte(FrameDescriptor.COLLECTIVE_OFFSET)),
                FrameDescriptor.dataType(header.getUnsignedByte(FrameDescriptor.DTYPE_OFFSET)),
                FrameDescriptor.reduceOp(header.getUnsignedByte(FrameDescriptor.OP_OFFSET)),
                header.getInt(FrameDescriptor.ROOT_OFFSET), header.getLong(FrameDescriptor.COUNT_OFFSET));
        header.clear();
        out.onData(s);
    }

    private void finishFrame(FrameSink out) {
        ByteBuf p = payload;
        payload = null;
        Control frame = new Control(header.getUnsignedByte(FrameDescriptor.TYPE_OFFSET),
                header.getLong(FrameDescriptor.STREAM_OFFSET), header.getLong(FrameDescriptor.SEQ_OFFSET), p);
        header.clear();
        out.onControl(frame);
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

    /** Frees what a frame in progress holds; ranks stop reading first (they decode under the reader's lock). */
    private void release() {
        if (reader != null) {
            reader.close();
        }
        if (payload != null) {
            payload.release();
            payload = null;
        }
        if (data != null) {
            segments.buffers().give(data);
            data = null;
        }
        if (header != null) {
            header.release();
            header = null;
        }
    }

    /** The event loop's decoding: every frame goes down the pipeline, to the handshake or the connection's handler. */
    private static final class PipelineSink implements FrameSink {
        private final ChannelHandlerContext ctx;

        PipelineSink(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void onData(CopiedSegment segment) {
            ctx.fireChannelRead(segment);
        }

        @Override
        public void onControl(Control control) {
            ctx.fireChannelRead(control);
        }
    }
}
