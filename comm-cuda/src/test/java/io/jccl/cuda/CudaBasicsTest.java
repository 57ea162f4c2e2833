package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pure parts of comm-cuda: error formatting, device selection, kernel names, grid sizes. No GPU needed. */
class CudaBasicsTest {

    @Test
    void checkFormatsCallErrorNameAndCode() {
        assertDoesNotThrow(() -> CudaException.check("cuMemAlloc bytes=64", 0));
        CudaException e = assertThrows(CudaException.class, () -> CudaException.check("cuMemAlloc bytes=64", 2));
        assertEquals("cuMemAlloc bytes=64 failed: CUDA_ERROR_OUT_OF_MEMORY (code=2)", e.getMessage());
        assertEquals(2, e.errorCode());
        assertEquals("cuMemAlloc bytes=64", e.call());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e instanceof io.jccl.JcclException);
        assertEquals("CUresult 123456", CudaException.errorName(123456));
        assertEquals("DRIVER_UNAVAILABLE", CudaException.errorName(CudaException.DRIVER_UNAVAILABLE));
    }

    @Test
    void missingDriverLibraryBecomesAClearCudaException() {
        // JCuda's loader message: several lines with the stack trace of each attempt
        UnsatisfiedLinkError ule = new UnsatisfiedLinkError(String.join("\n",
                "Error while loading native library \"JCudaDriver-12.0.0-linux-x86_64\"",
                "Operating system name: Linux",
                "Stack trace from the attempt to load the library as a resource:",
                "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.0.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)"));
        CudaException e = CudaDriver.driverLibraryMissing(ule);
        assertTrue(e.isDriverUnavailable());
        assertEquals("CUDA driver not available: libcuda.so.1 could not be loaded (UnsatisfiedLinkError: "
                + "/tmp/libJCudaDriver-12.0.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file "
                + "or directory); comm-cuda needs an NVIDIA GPU with its driver installed (libcuda.so.1 on the library path)",
                e.getMessage());
        assertEquals(ule, e.getCause());
        CudaException later = CudaDriver.driverLibraryMissing(new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver"));
        assertTrue(later.getMessage().startsWith("CUDA driver not available:"), later.getMessage());
    }

    @Test
    void localRankComesFromTheFirstLauncherVariableSet() {
        assertEquals(0, CudaDevice.localRank(Map.of()));
        assertEquals(3, CudaDevice.localRank(Map.of("LOCAL_RANK", "3", "OMPI_COMM_WORLD_LOCAL_RANK", "1")));
        assertEquals(1, CudaDevice.localRank(Map.of("OMPI_COMM_WORLD_LOCAL_RANK", "1", "SLURM_LOCALID", "2")));
        assertEquals(2, CudaDevice.localRank(Map.of("SLURM_LOCALID", " 2 ")));
        assertThrows(InvalidUsageException.class, () -> CudaDevice.localRank(Map.of("LOCAL_RANK", "x")));
        assertThrows(InvalidUsageException.class, () -> CudaDevice.localRank(Map.of("LOCAL_RANK", "-1")));
    }

    @Test
    void devicesAreSharedRoundRobin() {
        assertEquals(0, CudaDevice.ordinalForLocalRank(0, 1));
        assertEquals(0, CudaDevice.ordinalForLocalRank(3, 1)); // 4 ranks on one GPU
        assertEquals(1, CudaDevice.ordinalForLocalRank(5, 4));
        assertEquals(3, CudaDevice.ordinalForLocalRank(7, 4));
        assertThrows(InvalidUsageException.class, () -> CudaDevice.ordinalForLocalRank(0, 0));
        assertThrows(InvalidUsageException.class, () -> CudaDevice.ordinalForLocalRank(-1, 2));
    }

    @Test
    void kernelNamesAreDistinctAndAvgUsesSum() {
        Set<String> names = new HashSet<>();
        for (DataType t : DataType.values()) {
            for (ReduceOp op : ReduceOp.values()) {
                if (op != ReduceOp.AVG) {
                    assertTrue(names.add(ReduceKernels.kernelName(op, t)), ReduceKernels.kernelName(op, t));
                }
            }
            assertEquals(ReduceKernels.kernelName(ReduceOp.SUM, t), ReduceKernels.kernelName(ReduceOp.AVG, t));
            assertTrue(names.add(ReduceKernels.divideKernelName(t)));
        }
        assertEquals(40, names.size());
        assertEquals("jccl_reduce_max_bf16", ReduceKernels.kernelName(ReduceOp.MAX, DataType.BFLOAT16));
        assertEquals("jccl_divide_u8", ReduceKernels.divideKernelName(DataType.UINT8));
    }

    @Test
    void gridCoversEveryVectorUpToTheCap() {
        assertEquals(1, ReduceKernels.gridBlocks(0, 4, 1056));
        assertEquals(1, ReduceKernels.gridBlocks(1, 1, 1056));
        assertEquals(1, ReduceKernels.gridBlocks(4 * 256, 4, 1056));      // 256 vectors
        assertEquals(2, ReduceKernels.gridBlocks(4 * 256 + 1, 4, 1056));
        assertEquals(1056, ReduceKernels.gridBlocks(16L << 20, 4, 1056)); // 64 MiB fp32: capped, loops
        assertEquals(7, ReduceKernels.gridBlocks(Long.MAX_VALUE / 16, 8, 7));
    }
}
