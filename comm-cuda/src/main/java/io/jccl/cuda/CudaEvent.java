package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A CUDA event: a marker recorded into a stream, used to wait for the work before it or to time the GPU
 * between two markers ({@link #elapsedMillis}).
 *
 * <p>One owner: {@link #close()} destroys it. Threading: not synchronized; use from one thread at a time.
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final CUevent event;
    private final boolean timing;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaEvent(CudaContext context, CUevent event, boolean timing) {
        this.context = context;
        this.event = event;
        this.timing = timing;
    }

    /**
     * Creates an event.
     *
     * @param timing true to allow {@link #elapsedMillis}; false makes recording and waiting cheaper
     * @throws CudaException if the driver is unavailable or refuses
     */
    public static CudaEvent create(CudaContext context, boolean timing) {
        return context.acquireFor(() -> {
            CUevent e = new CUevent();
            int flags = timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING;
            CudaException.check("cuEventCreate flags=" + flags, JCudaDriver.cuEventCreate(e, flags));
            return new CudaEvent(context, e, timing);
        });
    }

    /**
     * Records the event on {@code stream} (null: the legacy default stream); it completes when all work
     * queued there before it has completed.
     */
    public void record(CudaStream stream) {
        checkOpen();
        context.makeCurrent();
        CudaException.check("cuEventRecord", JCudaDriver.cuEventRecord(event, CudaStream.handleOf(stream)));
    }

    /** Blocks until the event has completed. */
    public void synchronize() {
        checkOpen();
        context.makeCurrent();
        CudaException.check("cuEventSynchronize", JCudaDriver.cuEventSynchronize(event));
    }

    /** Makes future work on {@code stream} (null: default stream) wait for this event, without blocking the host. */
    public void waitOn(CudaStream stream) {
        checkOpen();
        context.makeCurrent();
        CudaException.check("cuStreamWaitEvent", JCudaDriver.cuStreamWaitEvent(CudaStream.handleOf(stream), event, 0));
    }

    /**
     * GPU time in milliseconds from {@code start} to this event; both must be recorded, completed and
     * created with {@code timing=true}. Resolution about half a microsecond.
     *
     * @throws InvalidUsageException if either event was created without timing
     */
    public float elapsedMillis(CudaEvent start) {
        checkOpen();
        if (!timing || !start.timing) {
            throw new InvalidUsageException("elapsedMillis needs two events created with timing=true");
        }
        context.makeCurrent();
        float[] ms = new float[1];
        CudaException.check("cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(ms, start.event, event));
        return ms[0];
    }

    /** The JCuda handle (package use: the copy lanes wait for it). */
    CUevent handle() {
        checkOpen();
        return event;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new InvalidUsageException("CUDA event is closed");
        }
    }

    /** Destroys the event; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.releaseAfter("cuEventDestroy", () -> JCudaDriver.cuEventDestroy(event));
        }
    }
}
