package io.jccl.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Loads JCuda's driver-API library and runs {@code cuInit} once per process. Every public CUDA entry
 * point of comm-cuda calls {@link #ensureInitialized()} first, so that a machine without a driver fails
 * with one clear {@link CudaException} instead of an {@link UnsatisfiedLinkError} or a
 * {@link NoClassDefFoundError} from deep inside JCuda.
 *
 * <p>Thread-safe; the outcome (success or the failure) is decided once and cached.
 */
final class CudaDriver {
    private static final Object LOCK = new Object();
    private static volatile boolean ready;
    private static volatile CudaException failure;

    private CudaDriver() {
    }

    /**
     * Loads the driver library and initialises it, once.
     *
     * @throws CudaException with {@link CudaException#DRIVER_UNAVAILABLE} when the library cannot load or
     *                       {@code cuInit} fails (for example no device: {@code CUDA_ERROR_NO_DEVICE})
     */
    static void ensureInitialized() {
        if (ready) {
            return;
        }
        synchronized (LOCK) {
            if (ready) {
                return;
            }
            if (failure == null) {
                failure = tryInit();
                ready = failure == null;
            }
            if (failure != null) {
                // a fresh exception each time, so each caller's stack is its own; the first failure is the cause
                throw new CudaException(failure.call(), failure.errorCode(), failure.getMessage(), failure);
            }
        }
    }

    /** The reason CUDA is unusable here, or null when it initialised. Never throws. */
    static String unavailableReason() {
        try {
            ensureInitialized();
            return null;
        } catch (CudaException e) {
            return e.getMessage();
        }
    }

    private static CudaException tryInit() {
        try {
            JCudaDriver.setExceptionsEnabled(false); // first touch: loads libJCudaDriver, which links libcuda.so.1
            int rc = JCudaDriver.cuInit(0);
            if (rc != CUresult.CUDA_SUCCESS) {
                return new CudaException("cuInit", CudaException.DRIVER_UNAVAILABLE,
                        "CUDA driver not available: cuInit failed with " + CudaException.errorName(rc) + " (code=" + rc
                                + "); no usable NVIDIA GPU in this process (check nvidia-smi and CUDA_VISIBLE_DEVICES)",
                        null);
            }
            return null;
        } catch (LinkageError e) {
            return driverLibraryMissing(e);
        }
    }

    /**
     * Translates JCuda's failure to load its native library (an {@link UnsatisfiedLinkError}, or the
     * {@link NoClassDefFoundError} / {@link ExceptionInInitializerError} that follows it) into the
     * driver-unavailable exception.
     */
    static CudaException driverLibraryMissing(LinkageError e) {
        String detail = keyLine(String.valueOf(e.getMessage()));
        String what = detail.contains("libcuda") || e instanceof UnsatisfiedLinkError
                ? "libcuda.so.1 could not be loaded"
                : "JCuda's driver library could not be initialised";
        return new CudaException("load JCudaDriver", CudaException.DRIVER_UNAVAILABLE,
                "CUDA driver not available: " + what + " (" + e.getClass().getSimpleName() + ": " + detail
                        + "); comm-cuda needs an NVIDIA GPU with its driver installed (libcuda.so.1 on the library path)",
                e);
    }

    /**
     * JCuda's loader message spans pages (stack traces of each attempt); keep the line that names the
     * missing library ({@code ".../libJCudaDriver...so: libcuda.so.1: cannot open shared object file ..."}),
     * else the first line.
     */
    static String keyLine(String message) {
        String[] lines = message.split("\\R");
        for (String l : lines) {
            if (l.contains("libcuda") && !l.trim().startsWith("at ")) {
                String t = l.trim();
                int colon = t.indexOf(": ");
                return t.startsWith("java.lang.") && colon > 0 ? t.substring(colon + 2) : t;
            }
        }
        return lines.length == 0 ? message : lines[0].trim();
    }
}
