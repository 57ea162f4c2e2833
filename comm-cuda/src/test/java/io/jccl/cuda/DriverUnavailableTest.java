package io.jccl.cuda;

import io.jccl.DataType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a machine without a CUDA driver (the build machine), every way to make a CUDA resource fails at once
 * with one clear {@link CudaException}, and nothing else in JCCL is affected.
 */
class DriverUnavailableTest {

    @BeforeEach
    void onlyWithoutADriver() {
        Assumptions.assumeFalse(CudaAvailability.isAvailable(),
                "a CUDA driver and GPU are present: the no-driver error path cannot be exercised here");
    }

    @Test
    void availabilityExplainsWhy() {
        assertFalse(CudaAvailability.isAvailable());
        String reason = CudaAvailability.unavailableReason();
        assertTrue(reason.startsWith("CUDA driver not available: "), reason);
    }

    @Test
    void everyEntryPointFailsFastWithTheSameClearError() {
        check(CudaDevice::count);
        check(() -> CudaDevice.get(0));
        check(CudaDevice::forLocalRank);
        check(() -> CudaContext.create(0));
        check(CudaContext::forLocalRank);
        // asking twice gives the same answer (the failure is cached, not a NoClassDefFoundError the second time)
        check(() -> CudaContext.create(0));
    }

    @Test
    void hostOnlyJcclStillWorks() {
        // the reduction semantics and host buffers never touch CUDA
        try (io.jccl.buffer.HostBuffer h = io.jccl.buffer.HostBuffer.allocate(4, DataType.FLOAT32)) {
            h.putFloat(0, 1.5f);
            assertEquals(1.5f, h.getFloat(0));
        }
    }

    private static void check(Executable e) {
        long t0 = System.nanoTime();
        CudaException ex = assertThrows(CudaException.class, e);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ex.isDriverUnavailable(), ex.toString());
        assertEquals(CudaException.DRIVER_UNAVAILABLE, ex.errorCode());
        assertTrue(ex.getMessage().startsWith("CUDA driver not available: "), ex.getMessage());
        if (System.getProperty("os.name", "").startsWith("Linux") && !new java.io.File("/proc/driver/nvidia").exists()) {
            assertTrue(ex.getMessage().contains("libcuda.so.1"), ex.getMessage());
        }
        assertTrue(ms < 5_000, "failed fast, took " + ms + " ms");
    }
}
