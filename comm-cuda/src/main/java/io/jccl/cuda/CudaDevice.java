package io.jccl.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One CUDA device (a GPU) as the driver numbers it, with the properties JCCL uses. Ordinals follow
 * {@code CUDA_VISIBLE_DEVICES}.
 *
 * <p>Ranks that share a host pick their device with {@link #forLocalRank()}: the local rank (from
 * {@code LOCAL_RANK}, {@code OMPI_COMM_WORLD_LOCAL_RANK} or {@code SLURM_LOCALID}) modulo the device
 * count, so 4 ranks on a 1-GPU machine all use device 0 and 8 ranks on 4 GPUs use 2 per GPU.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class CudaDevice {
    /** Environment variables that carry the local rank, in the order they are consulted. */
    public static final String[] LOCAL_RANK_VARIABLES = {"LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"};

    private final int ordinal;
    private final CUdevice handle;
    private final String name;
    private final int computeMajor;
    private final int computeMinor;
    private final long totalMemoryBytes;
    private final int multiprocessorCount;

    private CudaDevice(int ordinal, CUdevice handle, String name, int computeMajor, int computeMinor,
                       long totalMemoryBytes, int multiprocessorCount) {
        this.ordinal = ordinal;
        this.handle = handle;
        this.name = name;
        this.computeMajor = computeMajor;
        this.computeMinor = computeMinor;
        this.totalMemoryBytes = totalMemoryBytes;
        this.multiprocessorCount = multiprocessorCount;
    }

    /**
     * Number of visible devices.
     *
     * @throws CudaException when the driver is not available
     */
    public static int count() {
        CudaDriver.ensureInitialized();
        int[] n = new int[1];
        CudaException.check("cuDeviceGetCount", JCudaDriver.cuDeviceGetCount(n));
        return n[0];
    }

    /**
     * The device with this ordinal.
     *
     * @throws io.jccl.InvalidUsageException if {@code ordinal} is outside {@code [0, count())}
     * @throws CudaException                 when the driver is not available or a query fails
     */
    public static CudaDevice get(int ordinal) {
        int n = count();
        if (ordinal < 0 || ordinal >= n) {
            throw new io.jccl.InvalidUsageException("CUDA device ordinal=" + ordinal + " outside [0, " + n + ")");
        }
        CUdevice d = new CUdevice();
        CudaException.check("cuDeviceGet ordinal=" + ordinal, JCudaDriver.cuDeviceGet(d, ordinal));
        byte[] nameBytes = new byte[256];
        CudaException.check("cuDeviceGetName ordinal=" + ordinal, JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, d));
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        long[] mem = new long[1];
        CudaException.check("cuDeviceTotalMem ordinal=" + ordinal, JCudaDriver.cuDeviceTotalMem(mem, d));
        return new CudaDevice(ordinal, d, new String(nameBytes, 0, len, StandardCharsets.UTF_8),
                attribute(d, ordinal, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(d, ordinal, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                mem[0],
                attribute(d, ordinal, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
    }

    /**
     * The device for this process's local rank: {@code localRank % count()}.
     *
     * @throws CudaException when the driver is not available
     */
    public static CudaDevice forLocalRank() {
        int n = count();
        if (n == 0) {
            throw new CudaException("cuDeviceGetCount", CudaException.DRIVER_UNAVAILABLE,
                    "CUDA driver not available: no CUDA device is visible (CUDA_VISIBLE_DEVICES?)", null);
        }
        return get(ordinalForLocalRank(localRank(System.getenv()), n));
    }

    /**
     * The local rank named by the first of {@link #LOCAL_RANK_VARIABLES} that is set, else 0.
     *
     * @throws io.jccl.InvalidUsageException if that variable is not a non-negative integer
     */
    public static int localRank(Map<String, String> env) {
        for (String v : LOCAL_RANK_VARIABLES) {
            String s = env.get(v);
            if (s != null && !s.isBlank()) {
                try {
                    int r = Integer.parseInt(s.trim());
                    if (r >= 0) {
                        return r;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new io.jccl.InvalidUsageException(v + "=" + s + " is not a non-negative integer");
            }
        }
        return 0;
    }

    /**
     * Device ordinal for a local rank: {@code localRank % deviceCount}.
     *
     * @throws io.jccl.InvalidUsageException if {@code localRank < 0} or {@code deviceCount < 1}
     */
    public static int ordinalForLocalRank(int localRank, int deviceCount) {
        if (localRank < 0 || deviceCount < 1) {
            throw new io.jccl.InvalidUsageException("localRank=" + localRank + " deviceCount=" + deviceCount
                    + ": need localRank >= 0 and deviceCount >= 1");
        }
        return localRank % deviceCount;
    }

    private static int attribute(CUdevice d, int ordinal, int attribute) {
        int[] v = new int[1];
        CudaException.check("cuDeviceGetAttribute ordinal=" + ordinal + " attribute="
                + CUdevice_attribute.stringFor(attribute), JCudaDriver.cuDeviceGetAttribute(v, attribute, d));
        return v[0];
    }

    /** The driver's ordinal of this device. */
    public int ordinal() {
        return ordinal;
    }

    CUdevice handle() {
        return handle;
    }

    /** Marketing name, e.g. {@code "NVIDIA H200"}. */
    public String name() {
        return name;
    }

    /** Compute capability as {@code major * 10 + minor}, e.g. 90 for sm_90. */
    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    /** Device memory in bytes. */
    public long totalMemoryBytes() {
        return totalMemoryBytes;
    }

    /** Number of streaming multiprocessors (sizes the kernels' grids). */
    public int multiprocessorCount() {
        return multiprocessorCount;
    }

    @Override
    public String toString() {
        return "CudaDevice{ordinal=" + ordinal + ", name=" + name + ", sm=" + computeCapability() + ", memoryBytes="
                + totalMemoryBytes + ", multiprocessors=" + multiprocessorCount + "}";
    }
}
