package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel image the build packaged into the jar; needs nvcc at build time, never a GPU. */
class KernelImageTest {

    private static boolean built() {
        return "true".equals(KernelImage.status().getProperty("built"));
    }

    @Test
    void theBuildAlwaysRecordsWhatItDid() {
        Properties p = KernelImage.status();
        assertTrue(p.getProperty("built") != null, "kernels.properties with built=true|false must be packaged, got " + p);
        if (!built()) {
            assertTrue(p.getProperty("reason") != null && !p.getProperty("reason").isBlank(), "a reason when not built");
        }
    }

    @Test
    void kernelsArePackagedWhenNvccWasPresent() {
        Assumptions.assumeTrue(built(), "comm-cuda was built without nvcc: " + KernelImage.describe());
        byte[] fatbin = KernelImage.fatbin();
        assertNotNull(fatbin, "jccl_reduce.fatbin must be in the jar when nvcc ran");
        assertTrue(fatbin.length > 10_000, "fatbin of " + fatbin.length + " bytes");
        assertArrayEquals(KernelImage.FATBIN_MAGIC, Arrays.copyOf(fatbin, 4), "fatbin magic 0xBA55ED50");
        assertTrue(KernelImage.status().getProperty("gencode").contains("arch=compute_75,code=compute_75"));
        assertTrue(KernelImage.status().getProperty("gencode").contains("code=sm_80"));
        assertTrue(KernelImage.status().getProperty("gencode").contains("code=sm_90"));
        assertEquals(fatbin.length, KernelImage.moduleImage().length, "the fatbin is what gets loaded");
    }

    @Test
    void ptxDefinesEveryKernelJavaLaunches() {
        Assumptions.assumeTrue(built(), "comm-cuda was built without nvcc: " + KernelImage.describe());
        String ptx = new String(KernelImage.ptx(), StandardCharsets.US_ASCII);
        assertTrue(ptx.contains(".target sm_75"), "PTX for compute_75");
        List<String> missing = new ArrayList<>();
        for (DataType t : DataType.values()) {
            for (ReduceOp op : ReduceOp.values()) {
                String name = ReduceKernels.kernelName(op, t);
                if (!ptx.contains(".visible .entry " + name + "(")) {
                    missing.add(name);
                }
            }
            String div = ReduceKernels.divideKernelName(t);
            if (!ptx.contains(".visible .entry " + div + "(")) {
                missing.add(div);
            }
        }
        assertEquals(List.of(), missing, "kernels named by ReduceKernels but absent from the PTX");
        // 7 parameters for reduce (dst, dstOff, a, aOff, b, bOff, n), 4 for divide (buf, off, n, divisor)
        String sum = ptx.substring(ptx.indexOf(".visible .entry jccl_reduce_sum_f32("));
        sum = sum.substring(0, sum.indexOf(')'));
        assertEquals(7, sum.split("\\.param").length - 1, sum);
        String div = ptx.substring(ptx.indexOf(".visible .entry jccl_divide_f32("));
        div = div.substring(0, div.indexOf(')'));
        assertEquals(4, div.split("\\.param").length - 1, div);
    }

    @Test
    void ptxAssemblesForSm80AndSm90(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(built(), "comm-cuda was built without nvcc: " + KernelImage.describe());
        String ptxas = findPtxas();
        Assumptions.assumeTrue(ptxas != null, "ptxas is not on the PATH nor beside the nvcc that built the kernels");
        Path ptx = dir.resolve("jccl_reduce.ptx");
        Files.write(ptx, KernelImage.ptx());
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            Path out = dir.resolve(arch + ".cubin");
            Process p = new ProcessBuilder(ptxas, "-arch=" + arch, "-o", out.toString(), ptx.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ptxas timed out");
            assertEquals(0, p.exitValue(), "ptxas -arch=" + arch + " rejected the PTX:\n" + log);
            assertTrue(Files.size(out) > 1000, "cubin written for " + arch);
        }
    }

    @Test
    void loadingWithoutAnImageSaysKernelsAreAbsent() {
        Assumptions.assumeFalse(built(), "comm-cuda was built with nvcc: the absent-kernels path cannot be reached");
        CudaException e = assertThrows(CudaException.class, KernelImage::moduleImage);
        assertEquals(CudaException.KERNELS_ABSENT, e.errorCode());
        assertTrue(e.getMessage().startsWith("GPU kernels absent"), e.getMessage());
    }

    private static String findPtxas() {
        String fromBuild = KernelImage.status().getProperty("ptxas");
        if (fromBuild != null && new File(fromBuild).canExecute()) {
            return fromBuild;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "ptxas");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
