package io.jccl.transport;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;

import java.nio.ByteBuffer;

/**
 * One received transfer: its payload and the header fields it arrived with. The payload is valid until
 * {@link #release()}; the receiver must release every segment exactly once (for the in-process transport
 * the release is what completes the sender's send).
 *
 * <p>Threading: owned by the thread that received it.
 */
public interface Segment {
    /**
     * Buffer holding the whole payload at {@link #offset()} (absolute index), in native byte order. For a payload
     * delivered in several {@link #pieces()} this gathers them into one buffer (a copy): prefer the pieces.
     */
    ByteBuffer buffer();

    /** Absolute index of the payload's first byte in {@link #buffer()}. */
    int offset();

    /** Payload length in bytes. */
    int length();

    /**
     * Number of pieces the payload arrived in (1 unless the transport hands over its receive buffers without
     * copying). Every piece holds whole elements of {@link #type()}; together, in order, they are the payload.
     */
    default int pieces() {
        return 1;
    }

    /** Buffer holding piece {@code i} at {@link #pieceOffset(int)} (absolute index), native byte order. */
    default ByteBuffer pieceBuffer(int i) {
        return buffer();
    }

    /** Absolute index of piece {@code i}'s first byte in {@link #pieceBuffer(int)}. */
    default int pieceOffset(int i) {
        return offset();
    }

    /** Length of piece {@code i} in bytes. */
    default int pieceLength(int i) {
        return length();
    }

    long seq();

    long tag();

    Collective collective();

    DataType type();

    /** Null when the sender's operation does not reduce. */
    ReduceOp op();

    int root();

    long count();

    /** Returns the payload to its owner. Idempotent. */
    void release();
}
