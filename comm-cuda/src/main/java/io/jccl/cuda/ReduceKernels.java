package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The CUDA reduction kernels of native/cuda/jccl_reduce.cu, loaded from the jar into one context:
 * {@code dst[i] = a[i] op b[i]} for every {@link ReduceOp} x {@link DataType}, and the AVG division.
 * The results are the same bits as {@link io.jccl.reduce.HostReduce} (fp16/bf16 in fp32 with
 * round-to-nearest-even, NaN and -0.0 as Java's {@code Math.min/max}, integers wrapping; see the .cu file
 * for the NaN payload rules).
 *
 * <p>Shapes: offsets are bytes and must be multiples of the element size; counts are elements. {@code dst}
 * may be exactly {@code a} or {@code b} (same buffer, same offset) but must not otherwise overlap them.
 * All buffers must live on this context's device. Launches are asynchronous on the given stream (null:
 * the legacy default stream); errors of the kernel itself surface at the next synchronising call.
 * {@link ReduceOp#AVG} reduces as {@link ReduceOp#SUM}; apply {@link #divide} once to the final sum.
 *
 * <p>One owner: {@link #close()} unloads the module. Threading: launching from several threads is safe
 * (CUDA functions are thread-safe); {@link #close()} must not race with launches.
 */
public final class ReduceKernels implements AutoCloseable {
    /** Threads per block of every launch (the kernels' {@code __launch_bounds__}). */
    public static final int THREADS_PER_BLOCK = 256;
    /** Resident blocks per multiprocessor the grid is sized for (256 x 8 = 2048 threads, full occupancy). */
    static final int BLOCKS_PER_SM = 8;

    private static final ReduceOp[] KERNEL_OPS = {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MIN, ReduceOp.MAX};

    private final CudaContext context;
    private final CUmodule module;
    private final CUfunction[][] reduce = new CUfunction[ReduceOp.values().length][DataType.values().length];
    private final CUfunction[] divide = new CUfunction[DataType.values().length];
    private final int maxBlocks;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ReduceKernels(CudaContext context, CUmodule module) {
        this.context = context;
        this.module = module;
        this.maxBlocks = Math.max(1, context.device().multiprocessorCount() * BLOCKS_PER_SM);
    }

    /**
     * Loads the kernel image from the jar into {@code context} ({@code cuModuleLoadData}: the fatbin, or the
     * PTX for the driver to compile) and looks up every kernel.
     *
     * @throws CudaException {@link CudaException#KERNELS_ABSENT} if the jar has no kernels (built without
     *                       nvcc), {@link CudaException#DRIVER_UNAVAILABLE} without a driver, else the
     *                       failing call (e.g. {@code CUDA_ERROR_NO_BINARY_FOR_GPU} on a GPU older than sm_75)
     */
    public static ReduceKernels load(CudaContext context) {
        CudaDriver.ensureInitialized();
        byte[] image = KernelImage.moduleImage();
        context.acquire();
        boolean ok = false;
        CUmodule module = new CUmodule();
        boolean loaded = false;
        try {
            context.makeCurrent();
            int rc = JCudaDriver.cuModuleLoadData(module, image);
            if (rc != CUresult.CUDA_SUCCESS) {
                throw new CudaException("cuModuleLoadData", rc, "cuModuleLoadData of " + KernelImage.RESOURCE_DIR
                        + KernelImage.FATBIN + " (" + KernelImage.describe() + ") on device=" + context.device().ordinal()
                        + " sm=" + context.device().computeCapability() + " failed: " + CudaException.errorName(rc)
                        + " (code=" + rc + ")" + loadHint(rc), null);
            }
            loaded = true;
            ReduceKernels k = new ReduceKernels(context, module);
            for (ReduceOp op : KERNEL_OPS) {
                for (DataType t : DataType.values()) {
                    k.reduce[op.ordinal()][t.ordinal()] = function(module, kernelName(op, t));
                }
            }
            for (DataType t : DataType.values()) {
                k.reduce[ReduceOp.AVG.ordinal()][t.ordinal()] = k.reduce[ReduceOp.SUM.ordinal()][t.ordinal()];
                k.divide[t.ordinal()] = function(module, divideKernelName(t));
            }
            ok = true;
            return k;
        } finally {
            if (!ok) {
                if (loaded) {
                    JCudaDriver.cuModuleUnload(module);
                }
                context.release();
            }
        }
    }

    private static String loadHint(int rc) {
        if (rc == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU) {
            return "; the image has SASS for sm_80/sm_90 and PTX for compute_75: GPUs older than sm_75 are not supported";
        }
        if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION || rc == CUresult.CUDA_ERROR_INVALID_PTX) {
            return "; the driver is older than the nvcc that built the PTX: update the driver, or rebuild with an older nvcc";
        }
        return "";
    }

    private static CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        CudaException.check("cuModuleGetFunction name=" + name, JCudaDriver.cuModuleGetFunction(f, module, name));
        return f;
    }

    /**
     * The kernel's symbol for {@code op} on {@code type}, e.g. {@code jccl_reduce_sum_bf16};
     * {@link ReduceOp#AVG} maps to the sum kernel.
     */
    public static String kernelName(ReduceOp op, DataType type) {
        ReduceOp k = op == ReduceOp.AVG ? ReduceOp.SUM : op;
        return "jccl_reduce_" + k.ncclName() + "_" + typeToken(type);
    }

    /** The AVG division kernel's symbol for {@code type}, e.g. {@code jccl_divide_f16}. */
    public static String divideKernelName(DataType type) {
        return "jccl_divide_" + typeToken(type);
    }

    static String typeToken(DataType type) {
        switch (type) {
            case FLOAT32: return "f32";
            case FLOAT64: return "f64";
            case FLOAT16: return "f16";
            case BFLOAT16: return "bf16";
            case INT8: return "i8";
            case UINT8: return "u8";
            case INT32: return "i32";
            case INT64: return "i64";
            default: throw new AssertionError(type);
        }
    }

    /**
     * Blocks for {@code count} elements: one thread per 16-byte vector, at most {@code maxBlocks} (the
     * kernels loop over the rest), at least 1.
     */
    static int gridBlocks(long count, int elementBytes, int maxBlocks) {
        long vectors = (count * elementBytes + 15) / 16;
        long blocks = (vectors + THREADS_PER_BLOCK - 1) / THREADS_PER_BLOCK;
        return (int) Math.max(1, Math.min(blocks, maxBlocks));
    }

    /**
     * Queues {@code dst[i] = a[i] op b[i]} for {@code count} elements of {@code type}.
     *
     * @param dstOffset byte offset into {@code dst} (likewise {@code aOffset}, {@code bOffset})
     * @param stream    the stream to queue on; null for the legacy default stream
     * @throws InvalidUsageException if an argument is null or closed, a range is out of bounds, an offset is
     *                               not a multiple of the element size, {@code dst} partly overlaps an
     *                               operand, or a buffer belongs to another device
     * @throws CudaException         if the launch fails
     */
    public void reduce(ReduceOp op, DataType type, DeviceBuffer dst, long dstOffset, DeviceBuffer a, long aOffset,
                       DeviceBuffer b, long bOffset, long count, CudaStream stream) {
        reduceOn(op, type, dst, dstOffset, a, aOffset, b, bOffset, count, CudaStream.handleOf(stream));
    }

    /** As {@link #reduce}, on a raw stream handle (a {@link CopyLanes} lane); null: the legacy default stream. */
    void reduceOn(ReduceOp op, DataType type, DeviceBuffer dst, long dstOffset, DeviceBuffer a, long aOffset,
                  DeviceBuffer b, long bOffset, long count, CUstream stream) {
        checkOpen();
        if (op == null || type == null) {
            throw new InvalidUsageException("reduce: op and type must not be null (op=" + op + ", type=" + type + ")");
        }
        long bytes = byteCount("reduce", count, type);
        checkOperand("reduce", "dst", dst, dstOffset, bytes, type);
        checkOperand("reduce", "a", a, aOffset, bytes, type);
        checkOperand("reduce", "b", b, bOffset, bytes, type);
        checkAliasing("a", dst, dstOffset, a, aOffset, bytes);
        checkAliasing("b", dst, dstOffset, b, bOffset, bytes);
        if (count == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(dst.at(0)), Pointer.to(new long[] {dstOffset}),
                Pointer.to(a.at(0)), Pointer.to(new long[] {aOffset}),
                Pointer.to(b.at(0)), Pointer.to(new long[] {bOffset}),
                Pointer.to(new long[] {count}));
        launch(reduce[op.ordinal()][type.ordinal()], kernelName(op, type), count, type, params, stream);
    }

    /**
     * Queues the AVG division {@code buf[i] = buf[i] / divisor} for {@code count} elements, with the host
     * path's rounding: floating types divide in their precision (fp16/bf16 in fp32, rounded to nearest-even),
     * integers truncate toward zero (UINT8 unsigned). {@code divisor == 1} queues nothing.
     *
     * @throws InvalidUsageException if {@code divisor < 1} or as {@link #reduce}
     * @throws CudaException         if the launch fails
     */
    public void divide(DataType type, DeviceBuffer buf, long offset, long count, int divisor, CudaStream stream) {
        checkOpen();
        if (type == null) {
            throw new InvalidUsageException("divide: type must not be null");
        }
        if (divisor < 1) {
            throw new InvalidUsageException("divide: divisor=" + divisor + " must be >= 1");
        }
        long bytes = byteCount("divide", count, type);
        checkOperand("divide", "buf", buf, offset, bytes, type);
        if (count == 0 || divisor == 1) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(buf.at(0)), Pointer.to(new long[] {offset}),
                Pointer.to(new long[] {count}), Pointer.to(new int[] {divisor}));
        launch(divide[type.ordinal()], divideKernelName(type), count, type, params, CudaStream.handleOf(stream));
    }

    private void launch(CUfunction f, String name, long count, DataType type, Pointer params, CUstream stream) {
        int blocks = gridBlocks(count, type.bytes(), maxBlocks);
        context.makeCurrent();
        CudaException.check("cuLaunchKernel name=" + name + " count=" + count + " blocks=" + blocks,
                JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, THREADS_PER_BLOCK, 1, 1, 0, stream, params, null));
    }

    private static long byteCount(String what, long count, DataType type) {
        if (count < 0) {
            throw new InvalidUsageException(what + ": count=" + count + " is negative");
        }
        try {
            return Math.multiplyExact(count, (long) type.bytes());
        } catch (ArithmeticException e) {
            throw new InvalidUsageException(what + ": count=" + count + " x " + type.bytes() + " bytes overflows");
        }
    }

    private void checkOperand(String what, String name, DeviceBuffer buf, long offset, long bytes, DataType type) {
        if (buf == null) {
            throw new InvalidUsageException(what + ": " + name + " buffer is null");
        }
        buf.checkRange(what + " " + name, offset, bytes);
        if (offset % type.bytes() != 0) {
            throw new InvalidUsageException(what + ": " + name + " offset=" + offset + " is not a multiple of "
                    + type.bytes() + " bytes (" + type + " elements must be aligned)");
        }
        if (buf.context().device().ordinal() != context.device().ordinal()) {
            throw new InvalidUsageException(what + ": " + name + " buffer is on device=" + buf.context().device().ordinal()
                    + " but these kernels are loaded on device=" + context.device().ordinal());
        }
    }

    /** dst and an operand may be the same range or disjoint, nothing in between. */
    static void checkAliasing(String name, DeviceBuffer dst, long dstOffset, DeviceBuffer src, long srcOffset, long bytes) {
        if (dst != src || dstOffset == srcOffset || bytes == 0) {
            return;
        }
        if (dstOffset < srcOffset + bytes && srcOffset < dstOffset + bytes) {
            throw new InvalidUsageException("reduce: dst bytes [" + dstOffset + ", " + (dstOffset + bytes) + ") overlap "
                    + name + " bytes [" + srcOffset + ", " + (srcOffset + bytes) + "): only exact aliasing is allowed");
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new InvalidUsageException("ReduceKernels is closed");
        }
    }

    /** The context the module is loaded in. */
    public CudaContext context() {
        return context;
    }

    /** Unloads the module; idempotent. Queued launches must have completed. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.releaseAfter("cuModuleUnload", () -> JCudaDriver.cuModuleUnload(module));
        }
    }
}
