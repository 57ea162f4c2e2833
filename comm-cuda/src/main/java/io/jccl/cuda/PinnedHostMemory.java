package io.jccl.cuda;

import io.jccl.buffer.HostBuffer;
import jcuda.Pointer;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.Cleaner;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Page-locked ("pinned") host memory from {@code cuMemHostAlloc}, handed out as a borrowed
 * {@link HostBuffer}, so that device-to-host and host-to-device copies run at full DMA speed.
 *
 * <p>Release: a {@link HostBuffer} made by {@link HostBuffer#wrap} frees nothing on close, so the memory
 * is freed ({@code cuMemFreeHost}) by a {@link Cleaner} once no view of it is reachable any more. The
 * cleaner watches JCuda's root {@code ByteBuffer} of the allocation: every slice and duplicate of it
 * (those of {@code HostBuffer} included) keeps that root reachable, so the memory can never be freed while
 * any Java view of it exists. Each allocation holds a reference on its {@link CudaContext} until freed.
 *
 * <p>Thread-safe.
 */
public final class PinnedHostMemory {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedHostMemory.class);
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "jccl-cuda-pinned-cleaner");
        t.setDaemon(true);
        return t;
    });
    /** {@code CU_MEMHOSTALLOC_PORTABLE}: pinned for every context, not only the allocating one. */
    private static final int PORTABLE = 0x01;
    private static final Field POINTER_BUFFER = pointerBufferField();

    private PinnedHostMemory() {
    }

    /**
     * {@code bytes} bytes of pinned memory as a native-order {@link HostBuffer}, or null when pinned memory
     * cannot be had (allocation refused, size above {@link HostBuffer#MAX_VIEW_BYTES}, JCuda internals not
     * accessible); the caller then uses ordinary memory.
     */
    public static HostBuffer allocate(CudaContext ctx, long bytes) {
        if (bytes <= 0 || bytes > HostBuffer.MAX_VIEW_BYTES || POINTER_BUFFER == null) {
            return null;
        }
        ctx.acquire();
        boolean handedOver = false;
        try {
            ctx.makeCurrent();
            Pointer p = new Pointer();
            int rc = JCudaDriver.cuMemHostAlloc(p, bytes, PORTABLE);
            if (rc != CUresult.CUDA_SUCCESS) {
                LOG.debug("cuMemHostAlloc bytes={} failed: {}; staging in pageable memory", bytes,
                        CudaException.errorName(rc));
                return null;
            }
            long address = Address.of(p);
            ByteBuffer root = root(p);
            if (address == 0 || root == null || root.capacity() != bytes) {
                LOG.debug("pinned allocation of {} bytes not usable (address={}, root={}); freeing it", bytes,
                        address, root);
                JCudaDriver.cuMemFreeHost(p);
                return null;
            }
            ByteBuffer view = p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
            CLEANER.register(root, new Free(ctx, address, bytes));
            handedOver = true;
            return HostBuffer.wrap(view);
        } finally {
            if (!handedOver) {
                ctx.release();
            }
        }
    }

    private static ByteBuffer root(Pointer p) {
        try {
            Object b = POINTER_BUFFER.get(p);
            return b instanceof ByteBuffer bb && bb.isDirect() ? bb : null;
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    private static Field pointerBufferField() {
        try {
            Field f = Pointer.class.getDeclaredField("buffer");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(PinnedHostMemory.class)
                    .debug("jcuda.Pointer.buffer not accessible ({}): staging buffers will be pageable", e.toString());
            return null;
        }
    }

    /** Frees one allocation; holds only its address and context, never a view of the memory. */
    private record Free(CudaContext ctx, long address, long bytes) implements Runnable {
        @Override
        public void run() {
            try {
                ctx.makeCurrent();
                int rc = JCudaDriver.cuMemFreeHost(new Address(address));
                if (rc != CUresult.CUDA_SUCCESS) {
                    LOG.warn("cuMemFreeHost bytes={} failed: {} (code={})", bytes, CudaException.errorName(rc), rc);
                }
            } catch (RuntimeException e) {
                LOG.warn("cuMemFreeHost bytes={} failed: {}", bytes, e.toString());
            } finally {
                ctx.release();
            }
        }
    }

    /** A pointer holding a raw host address (no buffer), and the way to read one out of a JCuda pointer. */
    static final class Address extends Pointer {
        Address(long address) {
            super(address);
        }

        private Address(Pointer p) {
            super(p);
        }

        /** The native address a pointer from {@code cuMemHostAlloc} holds (0 if it holds none). */
        static long of(Pointer p) {
            Address a = new Address(p);
            return a.getNativePointer() + a.getByteOffset();
        }
    }
}
