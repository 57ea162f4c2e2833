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

    /**
     * Send and recv buffers of {@code bytes} each from their starts must be one buffer (in place) or not overlap:
     * two buffers over partly the same memory (slices of one buffer at different offsets) would have the algorithm
     * read what it already wrote, a wrong answer without an error. The same memory at the same address through two
     * buffer objects is in place, and allowed.
     *
     * @throws InvalidUsageException naming both ranges
     */
    static void checkNoPartialOverlap(String what, CommBuffer send, CommBuffer recv, long bytes) {
        if (send == recv || bytes == 0 || !(send instanceof HostBuffer s) || !(recv instanceof HostBuffer r)) {
            return;
        }
        long a = s.address();
        long b = r.address();
        if (a != b && a < b + bytes && b < a + bytes) {
            throw new InvalidUsageException(what + ": send and recv buffers overlap in memory (recv starts "
                    + (b - a) + " bytes after send, and " + bytes + " bytes of each are used): pass one buffer for"
                    + " in place, or buffers that do not overlap");
        }
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

    /**
     * Checks a per-rank counts array (length {@code size}, entries &gt;= 0) and returns a copy; the sum must
     * be a valid size in bytes ({@link #bytesOf}).
     */
    static long[] checkCounts(String what, String name, long[] counts, int size, DataType type) {
        if (counts == null) {
            throw new InvalidUsageException(what + ": " + name + " is null");
        }
        if (counts.length != size) {
            throw new InvalidUsageException(what + ": " + name + " has " + counts.length
                    + " entries, expected one per rank (" + size + ")");
        }
        long[] copy = counts.clone();
        long sum = 0;
        for (int b = 0; b < copy.length; b++) {
            if (copy[b] < 0) {
                throw new InvalidUsageException(what + ": " + name + "[" + b + "]=" + copy[b] + " is negative");
            }
            try {
                sum = Math.addExact(sum, copy[b]);
            } catch (ArithmeticException e) {
                throw new InvalidUsageException(what + ": the sum of " + name + " overflows a 64-bit count");
            }
        }
        bytesOf(what, sum, 1, type);
        return copy;
    }

    /** The sum of a checked counts array. */
    static long sum(long[] counts) {
        long s = 0;
        for (long c : counts) {
            s += c;
        }
        return s;
    }

    /** Checks a point-to-point peer: in range and not this rank. */
    static void checkPeer(String what, int peer, int rank, int size) {
        if (peer < 0 || peer >= size) {
            throw new InvalidUsageException(what + ": peer=" + peer + " outside [0, " + size + ")");
        }
        if (peer == rank) {
            throw new InvalidUsageException(what + ": peer=" + peer + " is this rank; point-to-point needs two ranks");
        }
    }

    /** Checks a point-to-point user tag: non-negative. */
    static void checkTag(String what, int tag) {
        if (tag < 0) {
            throw new InvalidUsageException(what + ": tag=" + tag + " is negative (tags are 0.." + Integer.MAX_VALUE + ")");
        }
    }

    /**
     * Checks {@code count} is non-negative and {@code count x multiple} elements fit in a long byte size (host
     * buffers have no other limit; a staged buffer's is checked by {@link #bind}).
     */
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
        return bytes;
    }

    /**
     * Checks the buffer is usable for {@code bytes} bytes and binds it: host memory directly, a
     * {@link StagedBuffer} (of at most {@link HostBuffer#MAX_VIEW_BYTES} bytes) through staging slot {@code slot}.
     */
    static Binding bind(String what, String name, CommBuffer buf, long bytes, boolean read, boolean written, int slot) {
        checkBuffer(what, name, buf, bytes, written);
        if (buf instanceof HostBuffer h) {
            return Binding.host(h);
        }
        if (buf instanceof StagedBuffer sb) {
            if (bytes > HostBuffer.MAX_VIEW_BYTES) {
                throw new InvalidUsageException(what + ": " + name + " buffer is staged through host memory, which"
                        + " takes at most " + HostBuffer.MAX_VIEW_BYTES + " bytes, but the call needs " + bytes);
            }
            return Binding.staged(sb, bytes, read, written, slot);
        }
        throw new InvalidUsageException(what + ": " + name + " buffer is a " + buf.getClass().getName()
                + ", which is neither a HostBuffer nor a StagedBuffer");
    }

    /**
     * Checks that {@code buf} is usable for {@code bytes} bytes, and writable when {@code written}.
     *
     * @throws InvalidUsageException naming {@code what} and the argument {@code name} when it is null, closed,
     *                               read-only but written, or smaller than {@code bytes}
     */
    static void checkBuffer(String what, String name, CommBuffer buf, long bytes, boolean written) {
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
    }
}
