package io.jccl.buffer;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.reduce.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host memory for collectives: a direct {@link ByteBuffer} in native byte order, addressed with
 * {@code long} byte offsets and element indices.
 *
 * <p>One buffer is at most {@link #MAX_BYTES} bytes (the limit of a direct {@code ByteBuffer}); asking
 * for more throws {@link InvalidUsageException}. Buffers from {@link #allocate} own their memory and
 * free it on {@link #close()}; buffers from {@link #wrap} only borrow it and close frees nothing.
 *
 * <p>Threading: not synchronized. A buffer handed to a collective must not be written by any thread
 * (nor read, for a receive buffer) until the collective completes.
 */
public final class HostBuffer implements CommBuffer, AutoCloseable {
    /** Largest buffer in bytes. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final ByteBuffer bytes;
    private final boolean owner;
    /** The buffer that owns this memory: this one, the owner a view was made from, or null for wrapped memory. */
    private final HostBuffer memoryOwner;
    private volatile boolean closed;
    /** Set by {@link #leaveFreeToCollector()}: close() does not free the memory, the garbage collector does. */
    private volatile boolean freeByCollector;

    private HostBuffer(ByteBuffer bytes, boolean owner, HostBuffer viewOf) {
        this.bytes = bytes;
        this.owner = owner;
        this.memoryOwner = owner ? this : viewOf == null ? null : viewOf.memoryOwner;
    }

    /**
     * Allocates {@code byteSize} zeroed bytes of direct memory.
     *
     * @throws InvalidUsageException if {@code byteSize} is negative or above {@link #MAX_BYTES}
     */
    public static HostBuffer allocate(long byteSize) {
        if (byteSize < 0 || byteSize > MAX_BYTES) {
            throw new InvalidUsageException("host buffer of " + byteSize + " bytes: must be in [0, " + MAX_BYTES + "]");
        }
        return new HostBuffer(ByteBuffer.allocateDirect((int) byteSize).order(ByteOrder.nativeOrder()), true, null);
    }

    /**
     * Allocates room for {@code count} elements of {@code type}.
     *
     * @throws InvalidUsageException if the size in bytes overflows or is above {@link #MAX_BYTES}
     */
    public static HostBuffer allocate(long count, DataType type) {
        if (count < 0 || count > MAX_BYTES / type.bytes()) {
            throw new InvalidUsageException("host buffer of " + count + " x " + type + ": size must be in [0, "
                    + MAX_BYTES + "] bytes");
        }
        return allocate(count * type.bytes());
    }

    /**
     * Borrows the bytes between {@code buffer}'s position and limit. The buffer must be direct; a read-only
     * buffer gives a read-only {@code HostBuffer} (usable only as a send buffer).
     *
     * @throws InvalidUsageException if {@code buffer} is null or not direct
     */
    public static HostBuffer wrap(ByteBuffer buffer) {
        if (buffer == null) {
            throw new InvalidUsageException("buffer is null");
        }
        if (!buffer.isDirect()) {
            throw new InvalidUsageException("buffer must be direct (ByteBuffer.allocateDirect): heap buffers are not supported");
        }
        return new HostBuffer(buffer.slice().order(ByteOrder.nativeOrder()), false, null);
    }

    /**
     * Borrows {@code byteSize} bytes of native memory at {@code address}, as JavaCPP, ND4J, DJL or a framework's
     * own allocator hands it out: no copy, the caller keeps ownership (close frees nothing) and must keep the
     * memory allocated until every collective on it has returned and this buffer is no longer used.
     *
     * @throws InvalidUsageException if {@code address} is 0 or {@code byteSize} is negative or above
     *                               {@link #MAX_BYTES}
     */
    public static HostBuffer wrapAddress(long address, long byteSize) {
        if (address == 0) {
            throw new InvalidUsageException("native address is 0 (null)");
        }
        if (byteSize < 0 || byteSize > MAX_BYTES) {
            throw new InvalidUsageException("native memory of " + byteSize + " bytes: must be in [0, " + MAX_BYTES + "]");
        }
        ByteBuffer b = new com.sun.jna.Pointer(address).getByteBuffer(0, byteSize);
        return new HostBuffer(b.order(ByteOrder.nativeOrder()), false, null);
    }

    /**
     * The memory as a native-order {@code ByteBuffer} (position 0, limit {@link #byteSize()}); it shares
     * content with this buffer. Do not use it after {@link #close()}.
     */
    public ByteBuffer byteBuffer() {
        return bytes.duplicate().order(ByteOrder.nativeOrder());
    }

    /** The backing buffer itself, for JCCL's internals (no copy, no allocation). */
    public ByteBuffer unsafeBacking() {
        return bytes;
    }

    /**
     * A view of {@code length} bytes from {@code offset}, sharing memory; closing the view frees nothing.
     *
     * @throws InvalidUsageException if the range is outside this buffer
     */
    public HostBuffer slice(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > byteSize()) {
            throw new InvalidUsageException("slice [" + offset + ", " + (offset + length) + ") outside buffer of "
                    + byteSize() + " bytes");
        }
        return new HostBuffer(bytes.slice((int) offset, (int) length).order(ByteOrder.nativeOrder()), false, this);
    }

    /** A read-only view of the same memory. */
    public HostBuffer asReadOnly() {
        return new HostBuffer(bytes.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), false, this);
    }

    @Override
    public long byteSize() {
        return bytes.capacity();
    }

    @Override
    public boolean isReadOnly() {
        return bytes.isReadOnly();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    /** Number of whole elements of {@code type} that fit. */
    public long count(DataType type) {
        return byteSize() / type.bytes();
    }

    /**
     * Reads element {@code index} of {@code type} as a double (exact for every type but INT64 beyond 2^53).
     * FLOAT16 and BFLOAT16 are widened exactly; UINT8 reads 0..255.
     */
    public double getAsDouble(DataType type, long index) {
        int at = byteIndex(type, index);
        switch (type) {
            case FLOAT32: return bytes.getFloat(at);
            case FLOAT64: return bytes.getDouble(at);
            case FLOAT16: return HalfFloats.fp16ToFloat(bytes.getShort(at));
            case BFLOAT16: return HalfFloats.bf16ToFloat(bytes.getShort(at));
            case INT8: return bytes.get(at);
            case UINT8: return bytes.get(at) & 0xff;
            case INT32: return bytes.getInt(at);
            case INT64: return bytes.getLong(at);
            default: throw new AssertionError(type);
        }
    }

    /**
     * Stores {@code value} as element {@code index} of {@code type}: floats rounded to nearest-even
     * (FLOAT16, BFLOAT16 from the fp32 value), integers converted as Java's narrowing casts do.
     */
    public void putFromDouble(DataType type, long index, double value) {
        int at = byteIndex(type, index);
        switch (type) {
            case FLOAT32: bytes.putFloat(at, (float) value); break;
            case FLOAT64: bytes.putDouble(at, value); break;
            case FLOAT16: bytes.putShort(at, HalfFloats.floatToFp16((float) value)); break;
            case BFLOAT16: bytes.putShort(at, HalfFloats.floatToBf16((float) value)); break;
            case INT8: case UINT8: bytes.put(at, (byte) (long) value); break;
            case INT32: bytes.putInt(at, (int) (long) value); break;
            case INT64: bytes.putLong(at, (long) value); break;
            default: throw new AssertionError(type);
        }
    }

    /** Reads element {@code index} of an INT64 buffer, or any integer type sign- or zero-extended. */
    public long getAsLong(DataType type, long index) {
        int at = byteIndex(type, index);
        switch (type) {
            case INT8: return bytes.get(at);
            case UINT8: return bytes.get(at) & 0xff;
            case INT32: return bytes.getInt(at);
            case INT64: return bytes.getLong(at);
            default: return (long) getAsDouble(type, index);
        }
    }

    /** Stores the low bits of {@code value} as element {@code index} of an integer type. */
    public void putFromLong(DataType type, long index, long value) {
        int at = byteIndex(type, index);
        switch (type) {
            case INT8: case UINT8: bytes.put(at, (byte) value); break;
            case INT32: bytes.putInt(at, (int) value); break;
            case INT64: bytes.putLong(at, value); break;
            default: putFromDouble(type, index, value);
        }
    }

    /** The raw bits of element {@code index} (sign-extended for widths under 8 bytes). */
    public long getBits(DataType type, long index) {
        int at = byteIndex(type, index);
        switch (type.bytes()) {
            case 1: return bytes.get(at);
            case 2: return bytes.getShort(at);
            case 4: return bytes.getInt(at);
            default: return bytes.getLong(at);
        }
    }

    public float getFloat(long index) {
        return bytes.getFloat(byteIndex(DataType.FLOAT32, index));
    }

    public void putFloat(long index, float v) {
        bytes.putFloat(byteIndex(DataType.FLOAT32, index), v);
    }

    public double getDouble(long index) {
        return bytes.getDouble(byteIndex(DataType.FLOAT64, index));
    }

    public void putDouble(long index, double v) {
        bytes.putDouble(byteIndex(DataType.FLOAT64, index), v);
    }

    public int getInt(long index) {
        return bytes.getInt(byteIndex(DataType.INT32, index));
    }

    public void putInt(long index, int v) {
        bytes.putInt(byteIndex(DataType.INT32, index), v);
    }

    public long getLong(long index) {
        return bytes.getLong(byteIndex(DataType.INT64, index));
    }

    public void putLong(long index, long v) {
        bytes.putLong(byteIndex(DataType.INT64, index), v);
    }

    /** Sets every byte to {@code value}. */
    public void fill(byte value) {
        for (int i = 0; i < bytes.capacity(); i++) {
            bytes.put(i, value);
        }
    }

    private int byteIndex(DataType type, long index) {
        long at = index * type.bytes();
        if (index < 0 || at + type.bytes() > bytes.capacity()) {
            throw new IndexOutOfBoundsException("element " + index + " of " + type + " outside buffer of "
                    + bytes.capacity() + " bytes");
        }
        return (int) at;
    }

    /**
     * For JCCL's internals, after a failed collective whose transport may still read this memory (a write queued
     * to a peer that stopped reading): {@link #close()} of the buffer that owns the memory (this one or the one
     * this is a view of) will not free it at once but leave it to the garbage collector, which frees it once
     * nothing, the transport included, holds it. Closing stays safe at any moment. Wrapped memory is the
     * caller's: nothing changes for it.
     */
    public void leaveFreeToCollector() {
        HostBuffer o = memoryOwner;
        if (o != null) {
            o.freeByCollector = true;
        }
    }

    /** Calls in flight on this memory (guarded by this owner's monitor); see {@link #pin()}. */
    private int pins;

    /**
     * For JCCL's internals: marks the memory in use by a call until {@link #unpin()}; a {@link #close()} meanwhile
     * leaves the memory to the garbage collector instead of freeing it under the call. Nothing for wrapped memory.
     */
    public void pin() {
        HostBuffer o = memoryOwner;
        if (o != null) {
            synchronized (o) {
                o.pins++;
            }
        }
    }

    /** Ends one {@link #pin()}. */
    public void unpin() {
        HostBuffer o = memoryOwner;
        if (o != null) {
            synchronized (o) {
                o.pins--;
            }
        }
    }

    /**
     * Frees the memory now if this buffer owns it (from {@link #allocate}); views and wrapped buffers only
     * mark themselves closed. Idempotent. Any {@code ByteBuffer} obtained from {@link #byteBuffer()} must
     * not be used afterwards. Closing is safe at any moment: while a call still uses the memory (an async call not
     * yet complete, a failed call's write still queued to a peer that stopped reading) it is left to the garbage
     * collector, which frees it once nothing holds it; the call's results are then lost.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner) {
            synchronized (this) {
                if (pins > 0) {
                    freeByCollector = true;
                }
            }
            if (!freeByCollector) {
                DirectMemory.free(bytes);
            }
        }
    }

    @Override
    public String toString() {
        return "HostBuffer{bytes=" + byteSize() + (isReadOnly() ? ", read-only" : "") + (closed ? ", closed" : "") + "}";
    }
}
