package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import jcuda.driver.CUcontext;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The CUDA context of one device in this process: the device's primary context (the one the CUDA runtime
 * and PyTorch use too), retained on {@link #create} and released when this object and everything made
 * from it are closed. Several ranks in one process share it; ranks in different processes on one GPU each
 * have their own, as CUDA always does.
 *
 * <p>Every {@link DeviceBuffer}, {@link CudaStream}, {@link CudaEvent}, {@link ReduceKernels} and pinned
 * staging buffer made from a context holds a reference to it, so the primary context is released only
 * after the last of them is closed; {@link #close()} drops the creator's reference and refuses new
 * allocations.
 *
 * <p>Threading: thread-safe. CUDA binds a context to a thread; the methods of comm-cuda make it current on
 * the calling thread before each driver call ({@link #makeCurrent()}), so any thread may use any object.
 */
public final class CudaContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CudaContext.class);

    private final CudaDevice device;
    private final CUcontext context;
    /** Creator's reference plus one per live object made from this context. */
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The copy lanes of pipelined staging, made on first use ({@link #copyLanes}), destroyed with the last ref. */
    private CopyLanes lanes;

    private CudaContext(CudaDevice device, CUcontext context) {
        this.device = device;
        this.context = context;
    }

    /**
     * Retains the primary context of {@code device}.
     *
     * @throws CudaException when the driver is not available or the context cannot be retained
     */
    public static CudaContext create(CudaDevice device) {
        CudaDriver.ensureInitialized();
        CUcontext ctx = new CUcontext();
        CudaException.check("cuDevicePrimaryCtxRetain device=" + device.ordinal(),
                JCudaDriver.cuDevicePrimaryCtxRetain(ctx, device.handle()));
        return new CudaContext(device, ctx);
    }

    /**
     * Retains the primary context of device {@code ordinal}.
     *
     * @throws CudaException                 when the driver is not available
     * @throws io.jccl.InvalidUsageException when there is no such device
     */
    public static CudaContext create(int ordinal) {
        CudaDriver.ensureInitialized();
        return create(CudaDevice.get(ordinal));
    }

    /**
     * The context of {@link CudaDevice#forLocalRank()}: local rank modulo the device count.
     *
     * @throws CudaException when the driver is not available
     */
    public static CudaContext forLocalRank() {
        CudaDriver.ensureInitialized();
        return create(CudaDevice.forLocalRank());
    }

    /** The device. */
    public CudaDevice device() {
        return device;
    }

    /**
     * Binds this context to the calling thread ({@code cuCtxSetCurrent}).
     *
     * @throws InvalidUsageException if the context was released
     * @throws CudaException         if the driver refuses
     */
    public void makeCurrent() {
        if (refs.get() <= 0) {
            throw new InvalidUsageException("CUDA context of device=" + device.ordinal() + " is closed");
        }
        CudaException.check("cuCtxSetCurrent device=" + device.ordinal(), JCudaDriver.cuCtxSetCurrent(context));
    }

    /**
     * Waits until all work queued in this context on any stream has finished.
     *
     * @throws CudaException if the work failed (errors of earlier asynchronous launches surface here)
     */
    public void synchronize() {
        makeCurrent();
        CudaException.check("cuCtxSynchronize device=" + device.ordinal(), JCudaDriver.cuCtxSynchronize());
    }

    /**
     * Free and total device memory in bytes, as {@code {free, total}}.
     *
     * @throws CudaException if the query fails
     */
    public long[] memoryInfo() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        CudaException.check("cuMemGetInfo device=" + device.ordinal(), JCudaDriver.cuMemGetInfo(free, total));
        return new long[] {free[0], total[0]};
    }

    /** True once {@link #close()} was called (objects made earlier stay usable until they close). */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Takes a reference for a new object made from this context.
     *
     * @throws InvalidUsageException if the context is closed
     */
    void acquire() {
        while (true) {
            int n = refs.get();
            if (n <= 0 || closed.get()) {
                throw new InvalidUsageException("CUDA context of device=" + device.ordinal()
                        + " is closed: cannot create new CUDA objects from it");
            }
            if (refs.compareAndSet(n, n + 1)) {
                return;
            }
        }
    }

    /**
     * The context's two copy lanes ({@link CopyLanes}), made on first use.
     *
     * @throws InvalidUsageException if the context was released
     * @throws CudaException         if the streams cannot be created
     */
    synchronized CopyLanes copyLanes() {
        if (lanes == null) {
            lanes = new CopyLanes(this);
        }
        return lanes;
    }

    /**
     * Makes a CUDA object under a new reference of this context: {@code create} runs with the context current, and
     * when it throws the reference is dropped again (the pattern of every {@code create}/{@code allocate}).
     *
     * @throws InvalidUsageException if the context is closed
     */
    <T> T acquireFor(Supplier<T> create) {
        CudaDriver.ensureInitialized();
        acquire();
        boolean ok = false;
        try {
            makeCurrent();
            T made = create.get();
            ok = true;
            return made;
        } finally {
            if (!ok) {
                release();
            }
        }
    }

    /**
     * The end of an owner's {@code close()}: with the context current, runs {@code destroy} (a driver call, its
     * {@code CUresult}) and checks it as {@code call}, then drops the owner's reference whatever happened.
     *
     * @throws CudaException when the driver call failed (the reference is dropped regardless)
     */
    void releaseAfter(String call, IntSupplier destroy) {
        try {
            makeCurrent();
            CudaException.check(call, destroy.getAsInt());
        } finally {
            release();
        }
    }

    /** Drops a reference; the last one destroys the copy lanes and releases the primary context. */
    void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            CopyLanes l;
            synchronized (this) {
                l = lanes;
                lanes = null;
            }
            if (l != null && JCudaDriver.cuCtxSetCurrent(context) == 0) {
                l.destroy();
            }
            int rc = JCudaDriver.cuDevicePrimaryCtxRelease(device.handle());
            if (rc != 0) {
                LOG.warn("cuDevicePrimaryCtxRelease device={} failed: {} (code={})", device.ordinal(),
                        CudaException.errorName(rc), rc);
            }
        } else if (n < 0) {
            throw new IllegalStateException("CUDA context of device=" + device.ordinal() + " released too often");
        }
    }

    /**
     * Drops the creator's reference; the primary context is released once every buffer, stream, event and
     * kernel module made from it is closed too. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    @Override
    public String toString() {
        return "CudaContext{device=" + device.ordinal() + " (" + device.name() + "), refs=" + refs.get()
                + (closed.get() ? ", closed" : "") + "}";
    }
}
