package io.jccl.buffer;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host memory for collectives, of any {@code long} length, addressed with {@code long} byte offsets and element
 * indices, in native byte order.
 *
 * <p>A buffer of at most {@link #MAX_VIEW_BYTES} bytes is one direct {@link ByteBuffer} ({@link #byteBuffer()}).
 * A larger one is native memory (from the C library's {@code calloc}, or borrowed by {@link #wrapAddress}) that
 * JCCL reads and writes through overlapping {@code ByteBuffer} windows of at most {@link Integer#MAX_VALUE} bytes,
 * one starting every {@link #WINDOW_REACH_BYTES} bytes ({@link #window}); its {@link #byteBuffer()} throws, and
 * {@code slice(offset, length).byteBuffer()} views any range of up to {@link #MAX_VIEW_BYTES} bytes. The size is
 * limited only by the machine's memory: {@link #allocate} throws {@link InvalidUsageException} when the C library
 * refuses. Native memory is not counted against {@code -XX:MaxDirectMemorySize}.
 *
 * <p>Buffers from {@link #allocate} own their memory and free it on {@link #close()} (or, never closed, when the
 * garbage collector finds them unreachable); buffers from {@link #wrap} and {@link #wrapAddress} only borrow it
 * and close frees nothing.
 *
 * <p>Threading: not synchronized. A buffer handed to a collective must not be written by any thread
 * (nor read, for a receive buffer) until the collective completes.
 */
public final class HostBuffer implements CommBuffer, AutoCloseable {
    /** Largest buffer that is one {@code ByteBuffer}: device staging and coalesced calls' packs stay under it. */
    public static final long MAX_VIEW_BYTES = Integer.MAX_VALUE - 8;
    /** Every range of at most this many bytes lies whole in the one {@link #window} of its first byte. */
    public static final int WINDOW_REACH_BYTES = 1 << 30;
    private static final int WINDOW_SHIFT = 30;

    /** The windows: one (the whole buffer) up to {@link #MAX_VIEW_BYTES}, else window k from byte k x 2^30. */
    private final ByteBuffer[] windows;
    private final long size;
    /** Shift from a byte offset to its window: 63 (always window 0) for one window, else {@link #WINDOW_SHIFT}. */
    private final int shift;
    /** Native address of byte 0 of a buffer of several windows; 0 for one window. */
    private final long address;
    /** The native memory this buffer or its owner allocated, or null (a direct buffer, borrowed memory). */
    private final NativeMemory memory;
    private final boolean owner;
    /** The buffer that owns this memory: this one, the owner a view was made from, or null for wrapped memory. */
    private final HostBuffer memoryOwner;
    private volatile boolean closed;
    /** Set by {@link #leaveFreeToCollector()}: close() does not free the memory, the garbage collector does. */
    private volatile boolean freeByCollector;

    private HostBuffer(ByteBuffer bytes, boolean owner, HostBuffer viewOf) {
        this.windows = new ByteBuffer[]{bytes};
        this.size = bytes.capacity();
        this.shift = 63;
        this.address = 0;
        this.memory = viewOf == null ? null : viewOf.memory;
        this.owner = owner;
        this.memoryOwner = owner ? this : viewOf == null ? null : viewOf.memoryOwner;
    }

    /** Several windows over {@code size} bytes of native memory at {@code address}, part of {@code memory} or borrowed. */
    private HostBuffer(long address, long size, NativeMemory memory, boolean readOnly, HostBuffer viewOf) {
        this.windows = new ByteBuffer[(int) ((size - 1) >>> WINDOW_SHIFT) + 1];
        for (int k = 0; k < windows.length; k++) {
            long at = (long) k << WINDOW_SHIFT;
            windows[k] = NativeMemory.window(address, memory, at, (int) Math.min(Integer.MAX_VALUE, size - at), readOnly);
        }
        this.size = size;
        this.shift = WINDOW_SHIFT;
        this.address = address;
        this.memory = memory;
        this.owner = viewOf == null && memory != null;
        this.memoryOwner = owner ? this : viewOf == null ? null : viewOf.memoryOwner;
        if (owner) {
            memory.freeWithOwner(this);
        }
    }

    /**
     * Allocates {@code byteSize} zeroed bytes: direct memory up to {@link #MAX_VIEW_BYTES}, native memory above.
     *
     * @throws InvalidUsageException if {@code byteSize} is negative, or the C library cannot allocate it (more than
     *                               the machine's memory)
     */
    public static HostBuffer allocate(long byteSize) {
        if (byteSize < 0) {
            throw new InvalidUsageException("host buffer of " + byteSize + " bytes: the size is negative");
        }
        if (byteSize <= MAX_VIEW_BYTES) {
            return new HostBuffer(ByteBuffer.allocateDirect((int) byteSize).order(ByteOrder.nativeOrder()), true, null);
        }
        NativeMemory m = NativeMemory.allocate(byteSize);
        if (m == null) {
            throw new InvalidUsageException("host buffer of " + byteSize + " bytes: the C library could not allocate"
                    + " it (more than this machine's free memory and swap?)");
        }
        return new HostBuffer(m.address(), byteSize, m, false, null);
    }

    /**
     * Allocates room for {@code count} elements of {@code type}.
     *
     * @throws InvalidUsageException if {@code count} is negative, {@code count x type.bytes()} overflows a
     *                               {@code long}, or the memory cannot be allocated ({@link #allocate(long)})
     */
    public static HostBuffer allocate(long count, DataType type) {
        if (count < 0 || count > Long.MAX_VALUE / type.bytes()) {
            throw new InvalidUsageException("host buffer of " + count + " x " + type + ": "
                    + (count < 0 ? "the count is negative" : "the size in bytes overflows a 64-bit long"));
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
     * memory allocated until every collective on it has returned and this buffer is no longer used. Any size:
     * above {@link #MAX_VIEW_BYTES} bytes it is seen through windows.
     *
     * @throws InvalidUsageException if {@code address} is 0 or {@code byteSize} is negative
     */
    public static HostBuffer wrapAddress(long address, long byteSize) {
        if (address == 0) {
            throw new InvalidUsageException("native address is 0 (null)");
        }
        if (byteSize < 0) {
            throw new InvalidUsageException("native memory of " + byteSize + " bytes: the size is negative");
        }
        if (byteSize <= MAX_VIEW_BYTES) {
            return new HostBuffer(NativeMemory.viewOf(address, (int) byteSize), false, null);
        }
        return new HostBuffer(address, byteSize, null, false, null);
    }

    /**
     * The memory as a native-order {@code ByteBuffer} (position 0, limit {@link #byteSize()}); it shares
     * content with this buffer. Do not use it after {@link #close()}.
     *
     * @throws InvalidUsageException if the buffer is larger than {@link #MAX_VIEW_BYTES} (view a part of it with
     *                               {@code slice(offset, length).byteBuffer()})
     */
    public ByteBuffer byteBuffer() {
        return unsafeBacking().duplicate().order(ByteOrder.nativeOrder());
    }

    /**
     * The backing buffer itself, for JCCL's internals (no copy, no allocation).
     *
     * @throws InvalidUsageException as {@link #byteBuffer()}
     */
    public ByteBuffer unsafeBacking() {
        if (windows.length > 1) {
            throw new InvalidUsageException(this + " is larger than one ByteBuffer (" + MAX_VIEW_BYTES
                    + " bytes): view a part of it with slice(offset, length)");
        }
        return windows[0];
    }

    /**
     * For JCCL's data path: the {@code ByteBuffer} that holds the bytes from {@code byteOffset} on, at index
     * {@link #windowOffset windowOffset(byteOffset)}, for at least {@link #WINDOW_REACH_BYTES} bytes or to the end
     * of this buffer. A buffer of one window returns it for every offset. No allocation.
     */
    public ByteBuffer window(long byteOffset) {
        return windows[(int) (byteOffset >>> shift)];
    }

    /** The index of byte {@code byteOffset} in {@link #window window(byteOffset)}. */
    public int windowOffset(long byteOffset) {
        return (int) (byteOffset - ((byteOffset >>> shift) << shift));
    }

    /**
     * A view of {@code length} bytes from {@code offset}, sharing memory; closing the view frees nothing.
     *
     * @throws InvalidUsageException if the range is outside this buffer
     */
    public HostBuffer slice(long offset, long length) {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new InvalidUsageException("slice of " + length + " bytes from " + offset + " outside buffer of "
                    + size + " bytes");
        }
        if (windows.length == 1) {
            return new HostBuffer(windows[0].slice((int) offset, (int) length).order(ByteOrder.nativeOrder()), false,
                    this);
        }
        if (length <= MAX_VIEW_BYTES) {
            return new HostBuffer(NativeMemory.window(address, memory, offset, (int) length, isReadOnly()), false, this);
        }
        return new HostBuffer(address + offset, length, memory, isReadOnly(), this);
    }

    /** A read-only view of the same memory. */
    public HostBuffer asReadOnly() {
        if (windows.length == 1) {
            return new HostBuffer(windows[0].asReadOnlyBuffer().order(ByteOrder.nativeOrder()), false, this);
        }
        return new HostBuffer(address, size, memory, true, this);
    }

    @Override
    public long byteSize() {
        return size;
    }

    @Override
    public boolean isReadOnly() {
        return windows[0].isReadOnly();
    }

    /**
     * The native address of byte 0 (allocated, wrapped or borrowed memory alike; 0 for an empty buffer): what tells
     * whether two buffers share memory. Valid while the buffer is open.
     */
    public long address() {
        long a = baseAddress;
        if (a == 0 && size > 0) {
            a = address != 0 ? address
                    : com.sun.jna.Pointer.nativeValue(com.sun.jna.Native.getDirectBufferPointer(windows[0]));
            baseAddress = a; // a benign race: every thread computes the same value
        }
        return a;
    }

    /** {@link #address()} once computed (a JNI call), else 0. */
    private long baseAddress;

    /** True once this buffer, or the buffer that owns its memory (a view's parent), was closed. */
    @Override
    public boolean isClosed() {
        HostBuffer o = memoryOwner;
        return closed || (o != null && o.closed);
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
        long i = byteIndex(type, index);
        return Elements.getAsDouble(window(i), windowOffset(i), type);
    }

    /**
     * Stores {@code value} as element {@code index} of {@code type}: floats rounded to nearest-even
     * (FLOAT16, BFLOAT16 from the fp32 value), integers converted as Java's narrowing casts do.
     */
    public void putFromDouble(DataType type, long index, double value) {
        long i = byteIndex(type, index);
        Elements.putFromDouble(window(i), windowOffset(i), type, value);
    }

    /** Reads element {@code index} of an INT64 buffer, or any integer type sign- or zero-extended. */
    public long getAsLong(DataType type, long index) {
        long i = byteIndex(type, index);
        return Elements.getAsLong(window(i), windowOffset(i), type);
    }

    /** Stores the low bits of {@code value} as element {@code index} of an integer type. */
    public void putFromLong(DataType type, long index, long value) {
        long i = byteIndex(type, index);
        Elements.putFromLong(window(i), windowOffset(i), type, value);
    }

    /** The raw bits of element {@code index} (sign-extended for widths under 8 bytes). */
    public long getBits(DataType type, long index) {
        long i = byteIndex(type, index);
        return Elements.getBits(window(i), windowOffset(i), type);
    }

    public float getFloat(long index) {
        return (float) getAsDouble(DataType.FLOAT32, index);
    }

    public void putFloat(long index, float v) {
        putFromDouble(DataType.FLOAT32, index, v);
    }

    public double getDouble(long index) {
        return getAsDouble(DataType.FLOAT64, index);
    }

    public void putDouble(long index, double v) {
        putFromDouble(DataType.FLOAT64, index, v);
    }

    public int getInt(long index) {
        return (int) getAsLong(DataType.INT32, index);
    }

    public void putInt(long index, int v) {
        putFromLong(DataType.INT32, index, v);
    }

    public long getLong(long index) {
        return getAsLong(DataType.INT64, index);
    }

    public void putLong(long index, long v) {
        putFromLong(DataType.INT64, index, v);
    }

    /**
     * @throws InvalidUsageException when this buffer or the one that owns its memory was closed: its memory may be
     *                               freed, and reading it would crash the JVM
     */
    private void checkOpen() {
        if (isClosed()) {
            throw new InvalidUsageException(this + (closed ? "" : ", a view of a closed buffer")
                    + ": closed, its memory may be freed");
        }
    }

    /** Sets every byte to {@code value}. */
    public void fill(byte value) {
        checkOpen();
        if (windows.length > 1) {
            new com.sun.jna.Pointer(address).setMemory(0, size, value);
            return;
        }
        ByteBuffer bytes = windows[0];
        for (int i = 0; i < bytes.capacity(); i++) {
            bytes.put(i, value);
        }
    }

    /** The byte offset of element {@code index} of {@code type}, checked to lie in this buffer. */
    private long byteIndex(DataType type, long index) {
        checkOpen();
        if (index < 0 || index >= size / type.bytes()) {
            throw new IndexOutOfBoundsException("element " + index + " of " + type + " outside buffer of "
                    + size + " bytes");
        }
        return index * type.bytes();
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
            if (memory != null) {
                if (freeByCollector) {
                    memory.freeWhenUnreachable();
                } else {
                    memory.freeNow();
                }
            } else if (!freeByCollector) {
                DirectMemory.free(windows[0]);
            }
        }
    }

    @Override
    public String toString() {
        return "HostBuffer{bytes=" + byteSize() + (isReadOnly() ? ", read-only" : "") + (isClosed() ? ", closed" : "") + "}";
    }
}
