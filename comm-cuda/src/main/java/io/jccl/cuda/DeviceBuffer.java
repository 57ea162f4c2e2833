package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.DeviceReduction;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * GPU memory for collectives: {@code cuMemAlloc}'d device memory with one owner, released by {@link #close()}, or
 * a framework's memory ({@link #wrap}, {@link #slice}, {@link #onStream}). Every {@link io.jccl.Communicator}
 * collective accepts it wherever it accepts a {@link HostBuffer}, and stages it through host memory from
 * {@link #allocateStaging} (pinned when the driver grants it) segment by segment ({@link StagedBuffer}, docs/gpu.md
 * "The pipelined path"): device-to-host copies run under the algorithm's sends, and finished output goes back while
 * it still runs, on the context's two copy streams ({@link CopyLanes}). Results: the bits of host buffers.
 *
 * <pre>{@code
 * try (CudaContext ctx = CudaContext.forLocalRank();
 *      DeviceBuffer grads = DeviceBuffer.allocate(ctx, count, DataType.FLOAT32)) {
 *     // ... kernels write grads; synchronise their stream ...
 *     comm.allReduce(grads, count, DataType.FLOAT32, ReduceOp.SUM);   // in place, on every rank
 * }
 * }</pre>
 *
 * <p>Sizes and offsets are bytes ({@code long}); a collective's byte size must be at most
 * {@link HostBuffer#MAX_VIEW_BYTES} (the staging limit). {@link #allocate} does not zero the memory.
 *
 * <p>Ordering: the synchronous copies and {@link #fill} run on the legacy default stream and the copy lanes are
 * blocking streams, so all wait for work on blocking streams but not on non-blocking ones: synchronise such a
 * stream before handing the buffer to a collective, or bind it ({@link #onStream}).
 *
 * <p>Threading: not synchronized. A buffer handed to a collective must not be written (nor read, if it is
 * the receive buffer) until the collective completes; {@link #close()} must not race with any other use.
 * Any thread may use the buffer: each call makes its context current on the calling thread.
 */
public final class DeviceBuffer implements StagedBuffer, AutoCloseable {
    private final CudaContext context;
    private final CUdeviceptr base;
    private final long byteSize;
    /** True when {@link #close()} frees the memory ({@link #allocate}); false for wrapped memory and views. */
    private final boolean owner;
    /** The buffer this one is a view of ({@link #slice}, {@link #onStream}), or null. */
    private final DeviceBuffer parent;
    /** The stream that produces and consumes the data ({@link #onStream}), or null. */
    private final StreamOrder order;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Device-side reduction of received segments ({@link #deviceReduction}), made on first use. */
    private SegmentReducer reducer;

    private DeviceBuffer(CudaContext context, CUdeviceptr base, long byteSize, boolean owner, DeviceBuffer parent,
                         StreamOrder order) {
        this.context = context;
        this.base = base;
        this.byteSize = byteSize;
        this.owner = owner;
        this.parent = parent;
        this.order = order;
    }

    /**
     * Device memory that a framework already has (a tensor's {@code data_ptr()}), used in place: the caller keeps
     * ownership, and {@link #close()} frees nothing (it drops this object's context reference). The memory must
     * stay allocated, in {@code context}, until the buffer is closed.
     *
     * @param devicePointer the {@code CUdeviceptr} as a number; may be 0 only for 0 bytes
     * @throws InvalidUsageException if {@code bytes} is negative, the pointer is 0 for a non-empty buffer, the range
     *                               wraps around, or the context is null or closed
     * @throws CudaException         if the driver is unavailable
     */
    public static DeviceBuffer wrap(CudaContext context, long devicePointer, long bytes) {
        if (context == null) {
            throw new InvalidUsageException("DeviceBuffer.wrap: context is null");
        }
        DeviceChecks.checkWrap(devicePointer, bytes);
        CudaDriver.ensureInitialized();
        context.acquire();
        return new DeviceBuffer(context, new CUdeviceptr().withByteOffset(devicePointer), bytes, false, null, null);
    }

    /**
     * Bytes {@code [offset, offset + length)} of this buffer as a buffer of its own (no copy): a collective on the
     * slice reads and writes only those bytes. The slice frees nothing on {@link #close()}; it must not be used after
     * this buffer is closed (it then fails as closed).
     *
     * @throws InvalidUsageException if closed or the range is outside this buffer
     */
    public DeviceBuffer slice(long offset, long length) {
        checkRange("slice", offset, length);
        context.acquire();
        return new DeviceBuffer(context, at(offset), length, false, this, order);
    }

    /**
     * This buffer bound to {@code stream}, the stream whose work writes it before a collective and reads it after:
     * a collective on the view first makes its copies wait for the work queued on {@code stream} so far (an event,
     * {@code cuStreamWaitEvent}: no host synchronisation, so tensors written on non-blocking streams, as PyTorch's,
     * need no manual synchronisation), and when it completes records its completion on {@code stream} (work queued
     * on {@code stream} later runs after the copies). Frees nothing on close.
     *
     * @throws InvalidUsageException if closed, or {@code stream} is null or of another context
     */
    public DeviceBuffer onStream(CudaStream stream) {
        checkOpen();
        if (stream == null) {
            throw new InvalidUsageException("DeviceBuffer.onStream: stream is null");
        }
        if (stream.context() != context) {
            throw new InvalidUsageException("DeviceBuffer.onStream: the stream belongs to device "
                    + stream.context().device().ordinal() + ", the buffer to device " + context.device().ordinal());
        }
        context.acquire();
        return new DeviceBuffer(context, base, byteSize, false, this, new StreamOrder(context, stream));
    }

    /** True: collectives stage this buffer segment by segment ({@link CopyLanes}; whole: {@link WholeStaging}). */
    @Override
    public boolean copiesAsync() {
        return true;
    }

    @Override
    public long copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length) {
        return context.copyLanes().toHost(this, offset, dst, dstOffset, length);
    }

    @Override
    public long copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length) {
        return context.copyLanes().toDevice(src, srcOffset, this, offset, length);
    }

    @Override
    public void awaitCopy(long ticket, long deadlineNanos) {
        context.copyLanes().await(ticket, deadlineNanos);
    }

    /**
     * Reduces received segments on this buffer's GPU ({@code JCCL_DEVICE_REDUCE=1}; {@link SegmentReducer}): the
     * kernels and a device slot of one segment are made on first use and freed by {@link #close()}.
     */
    @Override
    public synchronized DeviceReduction deviceReduction() {
        checkOpen();
        if (reducer == null) {
            reducer = new SegmentReducer(byteSize, new CudaSegmentSteps(this));
        }
        return reducer;
    }

    /** True when {@link #close()} frees the memory (from {@link #allocate}). */
    public boolean ownsMemory() {
        return owner;
    }

    /** Orders the copies after the work queued on the bound stream ({@link #onStream}). */
    @Override
    public void stagingBegins() {
        if (order != null) {
            checkOpen();
            order.begin(context.copyLanes());
        }
    }

    /** Work queued on the bound stream from now on runs after the collective's copies ({@link #onStream}). */
    @Override
    public void stagingEnded() {
        if (order != null) {
            order.end();
        }
    }

    /**
     * Allocates {@code byteSize} bytes of device memory (not zeroed); 0 bytes allocates nothing.
     *
     * @throws InvalidUsageException if {@code byteSize} is negative or the context is closed
     * @throws CudaException         if the driver is unavailable or out of memory
     *                               ({@code CUDA_ERROR_OUT_OF_MEMORY})
     */
    public static DeviceBuffer allocate(CudaContext context, long byteSize) {
        if (byteSize < 0) {
            throw new InvalidUsageException("device buffer of " + byteSize + " bytes: must be >= 0");
        }
        return context.acquireFor(() -> {
            CUdeviceptr p = new CUdeviceptr();
            if (byteSize > 0) {
                CudaException.check("cuMemAlloc bytes=" + byteSize + " device=" + context.device().ordinal(),
                        JCudaDriver.cuMemAlloc(p, byteSize));
            }
            return new DeviceBuffer(context, p, byteSize, true, null, null);
        });
    }

    /**
     * Allocates room for {@code count} elements of {@code type}.
     *
     * @throws InvalidUsageException if the byte size is negative or overflows
     * @throws CudaException         as {@link #allocate(CudaContext, long)}
     */
    public static DeviceBuffer allocate(CudaContext context, long count, DataType type) {
        long bytes;
        try {
            bytes = Math.multiplyExact(count, (long) type.bytes());
        } catch (ArithmeticException e) {
            throw new InvalidUsageException("device buffer of " + count + " x " + type + ": size overflows");
        }
        return allocate(context, bytes);
    }

    /** The context that owns the memory. */
    public CudaContext context() {
        return context;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    /** Number of whole elements of {@code type} that fit. */
    public long count(DataType type) {
        return byteSize / type.bytes();
    }

    /**
     * The device address {@code byteOffset} bytes into the buffer, for one's own kernels and JCuda calls;
     * valid until {@link #close()}.
     *
     * @throws InvalidUsageException if closed or {@code byteOffset} is outside {@code [0, byteSize()]}
     */
    public CUdeviceptr pointer(long byteOffset) {
        checkOpen();
        if (byteOffset < 0 || byteOffset > byteSize) {
            throw new InvalidUsageException("offset=" + byteOffset + " outside device buffer of " + byteSize + " bytes");
        }
        return byteOffset == 0 ? base : base.withByteOffset(byteOffset);
    }

    /**
     * Copies device bytes {@code [offset, offset + length)} into {@code dst} at absolute index
     * {@code dstOffset} (its position and limit are ignored and unchanged); returns when the bytes are in
     * {@code dst}. Runs {@code cuMemcpyDtoHAsync} on the legacy default stream and waits for that stream.
     *
     * @param dst a direct, writable buffer; pinned memory from {@link #allocateStaging} copies fastest
     * @throws InvalidUsageException if closed, a range is out of bounds, or {@code dst} is not direct or is read-only
     * @throws CudaException         if the copy fails
     */
    @Override
    public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
        copyToHostAsync(offset, dst, dstOffset, length, null);
        syncDefaultStream(length, "cuMemcpyDtoHAsync");
    }

    /**
     * Copies {@code length} bytes of {@code src} from absolute index {@code srcOffset} to device byte
     * {@code offset}; returns when the copy is complete (a pageable source's DMA included). Runs
     * {@code cuMemcpyHtoDAsync} on the legacy default stream, then waits for that stream.
     *
     * @param src a direct buffer (read-only is fine)
     * @throws InvalidUsageException if closed, a range is out of bounds or {@code src} is not direct
     * @throws CudaException         if the copy fails
     */
    @Override
    public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
        copyFromHostAsync(src, srcOffset, offset, length, null);
        // from pageable memory the copy may return before the DMA lands; the SPI promises completion
        syncDefaultStream(length, "cuMemcpyHtoDAsync");
    }

    /** After a copy of {@code length} bytes queued on the legacy default stream: waits for that stream. */
    private void syncDefaultStream(int length, String after) {
        if (length > 0) {
            CudaException.check("cuStreamSynchronize (after " + after + ")", JCudaDriver.cuStreamSynchronize(null));
        }
    }

    /**
     * Queues a device-to-host copy on {@code stream} and returns at once; the bytes are in {@code dst}
     * once the stream (or an event recorded after it) completes. {@code dst} must stay reachable and
     * unchanged until then; only pinned memory ({@link #allocateStaging}) makes the copy truly asynchronous.
     *
     * @throws InvalidUsageException as {@link #copyToHost}
     * @throws CudaException         if queuing fails
     */
    public void copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length, CudaStream stream) {
        HostCopies.toHost(this, "copyToHostAsync", offset, dst, dstOffset, length, CudaStream.handleOf(stream));
    }

    /**
     * Queues a host-to-device copy on {@code stream} and returns at once; {@code src} must stay reachable
     * and unchanged until the stream passes the copy.
     *
     * @throws InvalidUsageException as {@link #copyFromHost}
     * @throws CudaException         if queuing fails
     */
    public void copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length, CudaStream stream) {
        HostCopies.toDevice(this, "copyFromHostAsync", src, srcOffset, offset, length, CudaStream.handleOf(stream));
    }

    /**
     * Copies all of {@code src} to the start of this buffer (synchronous).
     *
     * @throws InvalidUsageException if {@code src} is larger than this buffer or closed
     */
    public void copyFrom(HostBuffer src) {
        if (src.isClosed()) {
            throw new InvalidUsageException("copyFrom: host buffer is closed");
        }
        copyFromHost(src.unsafeBacking(), 0, 0, Math.toIntExact(src.byteSize()));
    }

    /**
     * Copies the first {@code dst.byteSize()} bytes of this buffer into {@code dst} (synchronous).
     *
     * @throws InvalidUsageException if {@code dst} is larger than this buffer, read-only or closed
     */
    public void copyTo(HostBuffer dst) {
        if (dst.isClosed()) {
            throw new InvalidUsageException("copyTo: host buffer is closed");
        }
        copyToHost(0, dst.unsafeBacking(), 0, Math.toIntExact(dst.byteSize()));
    }

    /**
     * Copies {@code bytes} bytes from {@code src} at {@code srcOffset} to this buffer at {@code offset}
     * (device to device, {@code cuMemcpyDtoDAsync} on {@code stream}; null stream: the legacy default
     * stream). Returns once queued; the ranges must not overlap.
     *
     * @throws InvalidUsageException if either buffer is closed or a range is out of bounds
     * @throws CudaException         if queuing fails
     */
    public void copyFromDevice(DeviceBuffer src, long srcOffset, long offset, long bytes, CudaStream stream) {
        checkRange("copyFromDevice", offset, bytes);
        src.checkRange("copyFromDevice", srcOffset, bytes);
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        CudaException.check("cuMemcpyDtoDAsync bytes=" + bytes,
                JCudaDriver.cuMemcpyDtoDAsync(at(offset), src.at(srcOffset), bytes, CudaStream.handleOf(stream)));
    }

    /**
     * Sets every byte to {@code value} ({@code cuMemsetD8}, legacy default stream; returns once queued —
     * a later synchronous copy or {@link CudaContext#synchronize()} observes it).
     *
     * @throws CudaException if the driver refuses
     */
    public void fill(byte value) {
        checkOpen();
        if (byteSize == 0) {
            return;
        }
        context.makeCurrent();
        CudaException.check("cuMemsetD8 bytes=" + byteSize, JCudaDriver.cuMemsetD8(base, value, byteSize));
    }

    /**
     * A host staging buffer of at least {@code bytes} bytes: pinned memory from {@code cuMemHostAlloc}
     * when the driver grants it (freed once no view of it is reachable), else ordinary direct memory.
     */
    @Override
    public HostBuffer allocateStaging(long bytes) {
        checkOpen();
        HostBuffer pinned = PinnedHostMemory.allocate(context, bytes);
        return pinned != null ? pinned : HostBuffer.allocate(bytes);
    }

    /** The base pointer plus {@code offset}, unchecked. */
    CUdeviceptr at(long offset) {
        return offset == 0 ? base : base.withByteOffset(offset);
    }

    void checkOpen() {
        if (closed.get() || (parent != null && parent.isClosed())) {
            throw new InvalidUsageException(closed.get() ? "device buffer is closed"
                    : "device buffer is a view of a closed buffer");
        }
    }

    void checkRange(String what, long offset, long length) {
        checkOpen();
        if (offset < 0 || length < 0 || offset > byteSize - length) {
            throw new InvalidUsageException(what + ": bytes [" + offset + ", " + (offset + length)
                    + ") outside device buffer of " + byteSize + " bytes");
        }
    }

    /**
     * Frees the device memory ({@code cuMemFree}; nothing for {@link #wrap}ped memory, slices and stream views) and
     * drops the context reference. Idempotent. The caller
     * must make sure no queued work still uses the buffer (synchronise its streams first).
     *
     * @throws CudaException if {@code cuMemFree} fails (the buffer is closed regardless)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        SegmentReducer r;
        synchronized (this) {
            r = reducer;
            reducer = null;
        }
        try {
            if (r != null) {
                r.close();
            }
            if (order != null && parent != null && parent.order != order) {
                order.close();
            }
        } finally {
            context.releaseAfter("cuMemFree bytes=" + byteSize,
                    () -> owner && byteSize > 0 ? JCudaDriver.cuMemFree(base) : CUresult.CUDA_SUCCESS);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer{bytes=" + byteSize + ", device=" + context.device().ordinal() + (owner ? "" : ", borrowed")
                + (order != null ? ", on a stream" : "") + (closed.get() ? ", closed" : "") + "}";
    }
}
