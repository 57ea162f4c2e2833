package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A CUDA stream: an in-order queue of copies and kernel launches on one device. Work on different streams
 * may overlap. A {@code null} stream, wherever comm-cuda accepts one, means the context's legacy default
 * stream, which synchronises with every blocking stream.
 *
 * <p>One owner: {@link #close()} destroys the stream (work already queued still completes) and drops the
 * context reference. Threading: queuing from several threads is allowed by CUDA, but the order between
 * threads is then undefined; {@link #close()} must not race with other use.
 */
public final class CudaStream implements AutoCloseable {
    private final CudaContext context;
    private final CUstream stream;
    private final boolean nonBlocking;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaStream(CudaContext context, CUstream stream, boolean nonBlocking) {
        this.context = context;
        this.stream = stream;
        this.nonBlocking = nonBlocking;
    }

    /**
     * Creates a stream.
     *
     * @param nonBlocking true: the stream does not synchronise with the legacy default stream
     *                    ({@code CU_STREAM_NON_BLOCKING})
     * @throws CudaException         if the driver is unavailable or refuses
     * @throws InvalidUsageException if the context is closed
     */
    public static CudaStream create(CudaContext context, boolean nonBlocking) {
        return context.acquireFor(() -> {
            CUstream s = new CUstream();
            int flags = nonBlocking ? CUstream_flags.CU_STREAM_NON_BLOCKING : CUstream_flags.CU_STREAM_DEFAULT;
            CudaException.check("cuStreamCreate flags=" + flags, JCudaDriver.cuStreamCreate(s, flags));
            return new CudaStream(context, s, nonBlocking);
        });
    }

    /** The context the stream belongs to. */
    public CudaContext context() {
        return context;
    }

    /** True when created with {@code CU_STREAM_NON_BLOCKING}. */
    public boolean isNonBlocking() {
        return nonBlocking;
    }

    /**
     * The JCuda handle, for launching one's own kernels on this stream.
     *
     * @throws InvalidUsageException if closed
     */
    public CUstream handle() {
        checkOpen();
        return stream;
    }

    /**
     * Waits until all work queued on this stream has finished.
     *
     * @throws CudaException if queued work failed
     */
    public void synchronize() {
        checkOpen();
        context.makeCurrent();
        CudaException.check("cuStreamSynchronize", JCudaDriver.cuStreamSynchronize(stream));
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new InvalidUsageException("CUDA stream is closed");
        }
    }

    /** The handle of {@code s}, or the legacy default stream for null. */
    static CUstream handleOf(CudaStream s) {
        return s == null ? null : s.handle();
    }

    /** Destroys the stream; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.releaseAfter("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(stream));
        }
    }
}
