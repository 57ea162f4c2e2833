package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;

import java.util.List;

import static io.jccl.net.FrameDescriptor.HEADER_BYTES;

/**
 * Cuts the byte stream into frames ({@link FrameDescriptor}) and emits {@link NetSegment} for DATA frames
 * and {@link Hello} for HELLO frames. A bad magic, version, type, length or header field raises
 * {@link CorruptedFrameException}, which closes the connection; nothing of a bad frame is delivered.
 *
 * <p>Threading: runs on the channel's event loop.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    /** A decoded HELLO frame. */
    record Hello(int rank, int worldSize) {
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= HEADER_BYTES) {
            int at = in.readerIndex();
            int magic = in.getUnsignedShort(at + FrameDescriptor.MAGIC_OFFSET);
            if (magic != FrameDescriptor.MAGIC) {
                throw new CorruptedFrameException("bad frame magic 0x" + Integer.toHexString(magic));
            }
            int version = in.getUnsignedByte(at + FrameDescriptor.VERSION_OFFSET);
            if (version != FrameDescriptor.VERSION) {
                throw new CorruptedFrameException("unsupported frame version " + version + " (this build speaks "
                        + FrameDescriptor.VERSION + ")");
            }
            int type = in.getUnsignedByte(at + FrameDescriptor.TYPE_OFFSET);
            int len = in.getInt(at + FrameDescriptor.LENGTH_OFFSET);
            if (len < 0 || len > FrameDescriptor.MAX_PAYLOAD) {
                throw new CorruptedFrameException("frame payload length " + len + " outside [0, "
                        + FrameDescriptor.MAX_PAYLOAD + "]");
            }
            if (type == FrameDescriptor.TYPE_HELLO) {
                if (len != 8) {
                    throw new CorruptedFrameException("HELLO payload of " + len + " bytes, expected 8");
                }
                if (in.readableBytes() < HEADER_BYTES + 8) {
                    return;
                }
                in.skipBytes(HEADER_BYTES);
                out.add(new Hello(in.readInt(), in.readInt()));
                continue;
            }
            if (type != FrameDescriptor.TYPE_DATA) {
                throw new CorruptedFrameException("unknown frame type " + type);
            }
            if (in.readableBytes() < HEADER_BYTES + len) {
                return;
            }
            Collective c = Collective.fromCode(in.getUnsignedByte(at + FrameDescriptor.COLLECTIVE_OFFSET));
            DataType t = FrameDescriptor.dataType(in.getUnsignedByte(at + FrameDescriptor.DTYPE_OFFSET));
            int opCode = in.getUnsignedByte(at + FrameDescriptor.OP_OFFSET);
            ReduceOp op = FrameDescriptor.reduceOp(opCode);
            if (c == null || t == null || (op == null && opCode != FrameDescriptor.NO_OP)) {
                throw new CorruptedFrameException("DATA frame with unknown collective, type or op code");
            }
            long stream = in.getLong(at + FrameDescriptor.STREAM_OFFSET);
            long seq = in.getLong(at + FrameDescriptor.SEQ_OFFSET);
            long tag = in.getLong(at + FrameDescriptor.TAG_OFFSET);
            int root = in.getInt(at + FrameDescriptor.ROOT_OFFSET);
            long count = in.getLong(at + FrameDescriptor.COUNT_OFFSET);
            in.skipBytes(HEADER_BYTES);
            ByteBuf payload = in.readRetainedSlice(len);
            out.add(new NetSegment(stream, seq, tag, c, t, op, root, count, payload));
        }
    }
}
