package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HostReduce;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels' element code (native/cuda/jccl_reduce.cu, compiled for the CPU through native/cuda/emulate.cu)
 * against {@link HostReduce}, bit for bit, without a GPU: every op x type on random data with NaN, infinities,
 * -0.0 and subnormals, every fp16/bf16 pattern against every special value, and the AVG division. What it
 * cannot check (the vector and alignment paths, the GPU's own arithmetic) the GPU tests check.
 */
@Tag("slow")
class KernelEmulationTest {
    private static final Path SOURCE = Paths.get("..", "native", "cuda", "emulate.cu");
    private static final int COUNT = 100_000;

    @TempDir
    static Path dir;
    private static Path emulate;

    /** Why the tests cannot run here, or null (checked per test so that the reason shows in the reports). */
    private static String skipReason;

    @BeforeAll
    static void build() throws Exception {
        String nvcc = which("nvcc");
        if (nvcc == null) {
            skipReason = "nvcc is not on the PATH (nor in $CUDA_HOME/bin): the kernel code cannot be compiled for the CPU";
        } else if (!Files.exists(SOURCE)) {
            skipReason = SOURCE.toAbsolutePath() + " is absent (not run from the source tree)";
        } else {
            emulate = dir.resolve("emulate");
            run(120, nvcc, "-O2", "-std=c++17", "-o", emulate.toString(), SOURCE.toString());
        }
    }

    @BeforeEach
    void needsTheEmulator() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void elementCodeMatchesTheHostKernels(DataType type) throws Exception {
        List<String> failures = new ArrayList<>();
        Random rnd = new Random(99 + type.ordinal());
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MIN, ReduceOp.MAX}) {
            try (HostBuffer a = HostBuffer.allocate(COUNT, type); HostBuffer b = HostBuffer.allocate(COUNT, type)) {
                GpuTests.fill(a, type, COUNT, rnd);
                GpuTests.fill(b, type, COUNT, rnd);
                GpuTests.equalizeNaNPairs(a, b, type, COUNT);
                compare(op, type, a, b, COUNT, failures);
            }
        }
        for (int divisor : new int[] {2, 3, 7, 1000}) {
            try (HostBuffer a = HostBuffer.allocate(COUNT, type)) {
                GpuTests.fill(a, type, COUNT, rnd);
                compareDivide(type, a, COUNT, divisor, failures);
            }
        }
        assertEquals(List.of(), failures);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"FLOAT16", "BFLOAT16"})
    void everyHalfPatternAgainstEverySpecialValue(DataType type) throws Exception {
        short[] specials = type == DataType.FLOAT16 ? GpuTests.F16_SPECIAL : GpuTests.BF16_SPECIAL;
        int n = (1 << 16) * specials.length;
        List<String> failures = new ArrayList<>();
        try (HostBuffer a = HostBuffer.allocate(n, type); HostBuffer b = HostBuffer.allocate(n, type)) {
            for (int s = 0; s < specials.length; s++) {
                for (int i = 0; i < 1 << 16; i++) {
                    int at = (s << 16) + i;
                    a.unsafeBacking().putShort(at * 2, (short) i);
                    b.unsafeBacking().putShort(at * 2, specials[s]);
                }
            }
            GpuTests.equalizeNaNPairs(a, b, type, n);
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MIN, ReduceOp.MAX}) {
                compare(op, type, a, b, n, failures);
            }
        }
        try (HostBuffer a = HostBuffer.allocate(1 << 16, type)) {
            for (int i = 0; i < 1 << 16; i++) {
                a.unsafeBacking().putShort(i * 2, (short) i);
            }
            for (int divisor : new int[] {3, 7, 1024}) {
                compareDivide(type, a, 1 << 16, divisor, failures);
            }
        }
        assertEquals(List.of(), failures);
    }

    private static void compare(ReduceOp op, DataType type, HostBuffer a, HostBuffer b, int n, List<String> failures)
            throws Exception {
        Path fa = write("a", a);
        Path fb = write("b", b);
        Path out = dir.resolve("out");
        run(60, emulate.toString(), op.ncclName(), ReduceKernels.typeToken(type), fa.toString(), fb.toString(), out.toString());
        try (HostBuffer expect = HostBuffer.allocate(n, type); HostBuffer got = read(out, n, type)) {
            HostReduce.reduce(type, op, a.unsafeBacking(), 0, b.unsafeBacking(), 0, expect.unsafeBacking(), 0, n);
            long bad = GpuTests.firstDifference(got, 0, expect, 0, n, type);
            if (bad >= 0) {
                failures.add(op + " " + type + " element " + bad + ": a=" + GpuTests.hex(a, 0, bad, type) + " b="
                        + GpuTests.hex(b, 0, bad, type) + " host=" + GpuTests.hex(expect, 0, bad, type) + " kernel code="
                        + GpuTests.hex(got, 0, bad, type));
            }
        }
    }

    private static void compareDivide(DataType type, HostBuffer a, int n, int divisor, List<String> failures) throws Exception {
        Path fa = write("a", a);
        Path out = dir.resolve("out");
        run(60, emulate.toString(), "div", ReduceKernels.typeToken(type), fa.toString(), Integer.toString(divisor), out.toString());
        try (HostBuffer expect = HostBuffer.allocate(n, type); HostBuffer got = read(out, n, type)) {
            expect.unsafeBacking().put(0, a.unsafeBacking(), 0, n * type.bytes());
            HostReduce.divide(type, expect.unsafeBacking(), 0, n, divisor);
            long bad = GpuTests.firstDifference(got, 0, expect, 0, n, type);
            if (bad >= 0) {
                failures.add("divide " + type + " by " + divisor + " element " + bad + ": a=" + GpuTests.hex(a, 0, bad, type)
                        + " host=" + GpuTests.hex(expect, 0, bad, type) + " kernel code=" + GpuTests.hex(got, 0, bad, type));
            }
        }
    }

    private static Path write(String name, HostBuffer h) throws Exception {
        Path p = dir.resolve(name);
        byte[] bytes = new byte[(int) h.byteSize()];
        h.unsafeBacking().get(0, bytes);
        Files.write(p, bytes);
        return p;
    }

    private static HostBuffer read(Path p, int n, DataType type) throws Exception {
        byte[] bytes = Files.readAllBytes(p);
        assertEquals((long) n * type.bytes(), bytes.length, "output size");
        HostBuffer h = HostBuffer.allocate(n, type);
        h.unsafeBacking().put(0, bytes);
        return h;
    }

    private static void run(int timeoutSeconds, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + log);
    }

    private static String which(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(d, tool);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        String home = System.getenv("CUDA_HOME");
        if (home != null && new File(home, "bin/" + tool).canExecute()) {
            return new File(home, "bin/" + tool).getPath();
        }
        return null;
    }
}
