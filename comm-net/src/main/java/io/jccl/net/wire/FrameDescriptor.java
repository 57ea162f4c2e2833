package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;

/**
 * The wire format between ranks: every frame is a fixed 48-byte header followed by its payload.
 * Big-endian header (Netty's default); the payload is raw elements in the sender's native byte order
 * (JCCL ranks of one job share an architecture).
 *
 * <pre>
 *  0       2     3     4           8                 16                24                32
 *  +-------+-----+-----+-----------+-----------------+-----------------+-----------------+
 *  | magic | ver |type | payloadLen| streamId        | seq             | tag             |
 *  +-------+-----+-----+-----------+-----------------+-----------------+-----------------+
 *  32  33  34  35  36      40                48
 *  +---+---+---+---+-------+-----------------+----------- ... ---+
 *  |col|dt |op |flg| root  | count           | payload (payloadLen bytes)
 *  +---+---+---+---+-------+-----------------+----------- ... ---+
 * </pre>
 *
 * <ul>
 *   <li>magic {@code 0x4A43} ("JC"), version {@link #VERSION}; anything else closes the connection.</li>
 *   <li>type: {@link #TYPE_DATA} (one segment of an operation) or a control frame. A connection opens
 *       with a handshake: the accepting side sends {@link #TYPE_CHALLENGE} (payload: 32-byte nonce A); the
 *       connecting side answers {@link #TYPE_HELLO} (payload: int rank, int worldSize, 32-byte nonce C,
 *       32-byte HMAC(key, "hello", A, rank, worldSize, C)); the accepting side checks it and answers
 *       {@link #TYPE_WELCOME} (payload: int rank, 32-byte HMAC(key, "welcome", C, its rank, peer rank)).
 *       No other frame is accepted before the handshake completes. After it, {@link #TYPE_ABORT}
 *       (streamId; payload: UTF-8 reason) fails the stream on the receiver, and {@link #TYPE_STATUS_REQUEST}
 *       / {@link #TYPE_STATUS_REPLY} (streamId, seq; reply payload: UTF-8 description) report how far a
 *       rank got. Control payloads are at most {@link #MAX_CONTROL_PAYLOAD} bytes.</li>
 *   <li>payloadLen: 0 .. {@link #MAX_PAYLOAD}.</li>
 *   <li>col, dt, op: {@link Collective#code()}, {@link DataType#ordinal()}, {@link ReduceOp#ordinal()} or
 *       255 for none; root: -1 when none; count: the call's element count. Receivers compare them with their
 *       own call to detect mismatched calls.</li>
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class FrameDescriptor {
    public static final int MAGIC = 0x4A43;
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 48;
    /** Largest payload accepted: the largest segment (64 MiB). */
    public static final int MAX_PAYLOAD = 64 << 20;

    public static final int TYPE_HELLO = 1;
    public static final int TYPE_DATA = 2;
    public static final int TYPE_CHALLENGE = 3;
    public static final int TYPE_WELCOME = 4;
    public static final int TYPE_ABORT = 5;
    public static final int TYPE_STATUS_REQUEST = 6;
    public static final int TYPE_STATUS_REPLY = 7;
    /** Largest payload of a control frame. */
    public static final int MAX_CONTROL_PAYLOAD = 4096;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int LENGTH_OFFSET = 4;
    public static final int STREAM_OFFSET = 8;
    public static final int SEQ_OFFSET = 16;
    public static final int TAG_OFFSET = 24;
    public static final int COLLECTIVE_OFFSET = 32;
    public static final int DTYPE_OFFSET = 33;
    public static final int OP_OFFSET = 34;
    public static final int FLAGS_OFFSET = 35;
    public static final int ROOT_OFFSET = 36;
    public static final int COUNT_OFFSET = 40;

    public static final int NO_OP = 255;

    private FrameDescriptor() {
    }

    /** Writes a DATA header for a payload of {@code payloadLen} bytes. */
    public static void writeData(ByteBuf out, int payloadLen, long streamId, long seq, long tag, Collective c,
                                 DataType t, ReduceOp op, int root, long count) {
        out.writeShort(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(TYPE_DATA);
        out.writeInt(payloadLen);
        out.writeLong(streamId);
        out.writeLong(seq);
        out.writeLong(tag);
        out.writeByte(c.code());
        out.writeByte(t.ordinal());
        out.writeByte(op == null ? NO_OP : op.ordinal());
        out.writeByte(0);
        out.writeInt(root);
        out.writeLong(count);
    }

    /** Writes the header of a control frame of {@code type} with a payload of {@code payloadLen} bytes. */
    public static void writeControl(ByteBuf out, int type, int payloadLen, long streamId, long seq) {
        out.writeShort(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(type);
        out.writeInt(payloadLen);
        out.writeLong(streamId);
        out.writeLong(seq);
        out.writeZero(HEADER_BYTES - SEQ_OFFSET - 8);
    }

    /** True for the control frame types. */
    public static boolean isControl(int type) {
        return type == TYPE_HELLO || (type >= TYPE_CHALLENGE && type <= TYPE_STATUS_REPLY);
    }

    private static final DataType[] TYPES = DataType.values();
    private static final ReduceOp[] OPS = ReduceOp.values();

    /** The data type with wire code {@code code}, or null. */
    public static DataType dataType(int code) {
        return code >= 0 && code < TYPES.length ? TYPES[code] : null;
    }

    /** The op with wire code {@code code}; null for {@link #NO_OP}. */
    public static ReduceOp reduceOp(int code) {
        return code >= 0 && code < OPS.length ? OPS[code] : null;
    }
}
