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
    /** Buffer holding the whole payload at {@link #offset()} (absolute index), in native byte order. */
    ByteBuffer buffer();

    /** Absolute index of the payload's first byte in {@link #buffer()}. */
    int offset();

    /** Payload length in bytes. */
    int length();

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
