package io.jccl.cuda;

import io.jccl.JcclException;
import jcuda.driver.CUresult;

/**
 * A CUDA driver call failed, or the driver is not there at all. This is the one place where CUDA error
 * codes become exceptions: every driver call in comm-cuda goes through {@link #check(String, int)}.
 *
 * <p>The message names the call, its arguments as {@code name=value} pairs, the error name and code, for
 * example {@code cuMemAlloc bytes=1048576 device=0 failed: CUDA_ERROR_OUT_OF_MEMORY (code=2)}.
 * {@link #errorCode()} is the {@code CUresult} value, {@link #DRIVER_UNAVAILABLE} when the driver
 * library could not be loaded or initialised (no GPU, no driver, no {@code libcuda.so.1}), or
 * {@link #KERNELS_ABSENT} when the jar carries no kernel image (built without nvcc).
 *
 * <p>What to do: {@link #DRIVER_UNAVAILABLE} means this machine cannot run CUDA; use host buffers. Other
 * codes are usually fatal for the CUDA context (a sticky error such as {@code CUDA_ERROR_ILLEGAL_ADDRESS}
 * breaks every later call in the process) except {@code CUDA_ERROR_OUT_OF_MEMORY}, after which freeing
 * memory and retrying is fine.
 *
 * <p>Immutable; safe to share between threads.
 */
public class CudaException extends JcclException {
    private static final long serialVersionUID = 1L;

    /** {@link #errorCode()} when the CUDA driver could not be loaded or initialised. */
    public static final int DRIVER_UNAVAILABLE = -1;

    /** {@link #errorCode()} when comm-cuda was built without its kernels (no nvcc at build time). */
    public static final int KERNELS_ABSENT = -2;

    private final String call;
    private final int errorCode;

    /**
     * @param call      the driver call with its arguments, e.g. {@code "cuMemAlloc bytes=64"}
     * @param errorCode a {@code CUresult} code, or {@link #DRIVER_UNAVAILABLE}
     * @param message   the full message
     * @param cause     the underlying error, or null
     */
    public CudaException(String call, int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.call = call;
        this.errorCode = errorCode;
    }

    /**
     * Throws when {@code result} is not {@code CUDA_SUCCESS}.
     *
     * @param call   the call and its arguments, as they should appear in the message
     * @param result the {@code CUresult} the call returned
     * @throws CudaException naming the call, the error name and the code
     */
    public static void check(String call, int result) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw failed(call, result);
        }
    }

    /** The exception {@link #check} throws for a failed call (not thrown here). */
    public static CudaException failed(String call, int result) {
        return new CudaException(call, result, call + " failed: " + errorName(result) + " (code=" + result + ")", null);
    }

    /** The symbolic name of a {@code CUresult}, e.g. {@code CUDA_ERROR_INVALID_VALUE}. */
    public static String errorName(int result) {
        if (result == DRIVER_UNAVAILABLE) {
            return "DRIVER_UNAVAILABLE";
        }
        if (result == KERNELS_ABSENT) {
            return "KERNELS_ABSENT";
        }
        String s = CUresult.stringFor(result);
        return s == null || s.startsWith("INVALID CUresult") ? "CUresult " + result : s;
    }

    /** The failed call with its arguments. */
    public String call() {
        return call;
    }

    /** The {@code CUresult} code, or {@link #DRIVER_UNAVAILABLE}. */
    public int errorCode() {
        return errorCode;
    }

    /** The symbolic name of {@link #errorCode()}. */
    public String errorName() {
        return errorName(errorCode);
    }

    /** True when the driver itself is missing (no GPU, no driver library), not a failed call. */
    public boolean isDriverUnavailable() {
        return errorCode == DRIVER_UNAVAILABLE;
    }
}
