package io.jccl.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;

/**
 * The compiled kernels packaged in comm-cuda's jar by the build (native/cuda, see docs/gpu.md):
 * {@value #FATBIN} (PTX for compute_75 plus SASS for sm_80 and sm_90), {@value #PTX} and {@value #STATUS}
 * (whether nvcc ran, with which flags, or why not), all under {@value #RESOURCE_DIR}. Reading them needs
 * no GPU.
 *
 * <p>Stateless and thread-safe.
 */
final class KernelImage {
    static final String RESOURCE_DIR = "io/jccl/cuda/kernels/";
    static final String FATBIN = "jccl_reduce.fatbin";
    static final String PTX = "jccl_reduce.ptx";
    static final String STATUS = "kernels.properties";
    /** First four bytes of a fatbin file (0xBA55ED50, little-endian). */
    static final byte[] FATBIN_MAGIC = {0x50, (byte) 0xED, 0x55, (byte) 0xBA};

    private KernelImage() {
    }

    /** The build's record ({@code built=true|false}, {@code reason}, {@code nvccVersion}, ...); empty if missing. */
    static Properties status() {
        Properties p = new Properties();
        byte[] b = resource(STATUS);
        if (b != null) {
            try {
                p.load(new java.io.StringReader(new String(b, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return p;
    }

    /** The fatbin bytes, or null when not packaged. */
    static byte[] fatbin() {
        return resource(FATBIN);
    }

    /** The PTX text bytes (no terminating NUL), or null when not packaged. */
    static byte[] ptx() {
        return resource(PTX);
    }

    /**
     * The image to hand to {@code cuModuleLoadData}: the fatbin if packaged, else the PTX with a
     * terminating NUL (the driver JIT-compiles it).
     *
     * @throws CudaException with {@link CudaException#KERNELS_ABSENT} when neither is packaged
     */
    static byte[] moduleImage() {
        byte[] f = fatbin();
        if (f != null && f.length > 0) {
            return f;
        }
        byte[] p = ptx();
        if (p != null && p.length > 0) {
            return Arrays.copyOf(p, p.length + 1);
        }
        throw new CudaException("load " + RESOURCE_DIR + FATBIN, CudaException.KERNELS_ABSENT,
                "GPU kernels absent: comm-cuda was packaged without " + RESOURCE_DIR + FATBIN + " ("
                        + describe() + "); rebuild with nvcc on the PATH or CUDA_HOME set (docs/gpu.md)", null);
    }

    /** One line on what the build did: {@code "built with nvcc 13.0 (...)"} or the reason it did not. */
    static String describe() {
        Properties p = status();
        if (p.isEmpty()) {
            return "no " + STATUS + " in the jar";
        }
        if ("true".equals(p.getProperty("built"))) {
            return "built with nvcc " + p.getProperty("nvccVersion", "?") + ", " + p.getProperty("gencode", "");
        }
        return "not built: " + p.getProperty("reason", "unknown reason");
    }

    private static byte[] resource(String name) {
        try (InputStream in = KernelImage.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE_DIR + name, e);
        }
    }
}
