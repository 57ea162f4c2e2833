package io.jccl.core;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

/**
 * Argument checks run once per call, before any data moves. Every message names the rank and the
 * operation. Cold code: kept out of the algorithms.
 */
final class Validation {
    private Validation() {
    }

    static void checkType(String what, DataType type) {
        if (type == null) {
            throw new InvalidUsageException(what + ": data type is null");
        }
    }

    static void checkOp(String what, ReduceOp op) {
        if (op == null) {
            throw new InvalidUsageException(what + ": reduce op is null");
        }
    }

    static void checkRoot(String what, int root, int size) {
        if (root < 0 || root >= size) {
            throw new InvalidUsageException(what + ": root=" + root + " outside [0, " + size + ")");
        }
    }

    /** Checks {@code count} is non-negative and {@code count x multiple} elements fit in a long byte size. */
    static long bytesOf(String what, long count, long multiple, DataType type) {
        if (count < 0) {
            throw new InvalidUsageException(what + ": count=" + count + " is negative");
        }
        long elements;
        long bytes;
        try {
            elements = Math.multiplyExact(count, multiple);
            bytes = Math.multiplyExact(elements, (long) type.bytes());
        } catch (ArithmeticException e) {
            throw new InvalidUsageException(what + ": count=" + count + " x " + multiple + " x " + type.bytes()
                    + " bytes overflows a 64-bit size");
        }
        if (bytes > HostBuffer.MAX_BYTES) {
            throw new InvalidUsageException(what + ": " + bytes + " bytes exceeds the largest buffer ("
                    + HostBuffer.MAX_BYTES + " bytes)");
        }
        return bytes;
    }

    /**
     * Checks the buffer is usable for {@code bytes} bytes and binds it: host memory directly, a
     * {@link StagedBuffer} through staging slot {@code slot}.
     */
    static Binding bind(String what, String name, CommBuffer buf, long bytes, boolean read, boolean written, int slot) {
        if (buf == null) {
            throw new InvalidUsageException(what + ": " + name + " buffer is null");
        }
        if (buf.isClosed()) {
            throw new InvalidUsageException(what + ": " + name + " buffer is closed");
        }
        if (written && buf.isReadOnly()) {
            throw new InvalidUsageException(what + ": " + name + " buffer is read-only but is written");
        }
        if (buf.byteSize() < bytes) {
            throw new InvalidUsageException(what + ": " + name + " buffer holds " + buf.byteSize()
                    + " bytes but the call needs " + bytes);
        }
        if (buf instanceof HostBuffer h) {
            return Binding.host(h);
        }
        if (buf instanceof StagedBuffer sb) {
            return Binding.staged(sb, bytes, read, written, slot);
        }
        throw new InvalidUsageException(what + ": " + name + " buffer is a " + buf.getClass().getName()
                + ", which is neither a HostBuffer nor a StagedBuffer");
    }
}
