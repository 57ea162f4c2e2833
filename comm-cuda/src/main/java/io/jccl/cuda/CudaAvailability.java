package io.jccl.cuda;

/**
 * Whether this process can use CUDA: the driver library loads, {@code cuInit} succeeds and at least one
 * device is visible. Asking never throws and never allocates GPU resources; the answer is computed once.
 *
 * <p>Use it to choose between device and host buffers, and in tests:
 * <pre>{@code
 * Assumptions.assumeTrue(CudaAvailability.isAvailable(), "no CUDA driver/GPU: " + CudaAvailability.unavailableReason());
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class CudaAvailability {
    private CudaAvailability() {
    }

    /** True when a CUDA device can be used from this process. */
    public static boolean isAvailable() {
        return unavailableReason() == null;
    }

    /**
     * Why CUDA cannot be used (for example {@code "CUDA driver not available: libcuda.so.1 could not be
     * loaded ..."}), or null when it can.
     */
    public static String unavailableReason() {
        String reason = CudaDriver.unavailableReason();
        if (reason != null) {
            return reason;
        }
        try {
            int n = CudaDevice.count();
            return n > 0 ? null : "CUDA driver loaded but it reports no device";
        } catch (CudaException e) {
            return e.getMessage();
        }
    }
}
