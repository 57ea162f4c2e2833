package io.jccl.bench.perf;

import io.jccl.bench.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad arguments and settings to jccl-perf: one line naming the problem, exit status 2, before any rank starts
 * (the sweep is never run, so these need no communicator).
 */
class JcclPerfArgsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "-b 1M -e 1K|-b 1048576 is larger than -e 1024",
            "-n 0|-n must be at least 1",
            "-b 8 -e 1K -f 1|-f must be at least 2",
            "-b abc|'abc' is not a size in bytes",
            "-d notatype|unknown data type 'notatype'",
            "--reps 0|--reps must be at least 1",
            "--stat bogus|--stat must be mean, median or min",
            "--warmup-ms -1|--warmup-ms must be at least 0",
            "--warmup-ms abc|Invalid value for option '--warmup-ms'",
            "--model /nonexistent/m.properties|cost model /nonexistent/m.properties cannot be read",
            "--memory device-sim -C sendrecv|--memory device-sim: sendrecv runs on host memory only",
            "--memory gpu|--memory gpu: expected host, device or device-sim",
            "--memory device-sim --sim-gbps 0|--sim-gbps 0.0 must be above 0",
    })
    void badArgumentsAreOneClearLine(String args, String expected) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Cli.run(new JcclPerf(), (args + " -t 2 --jit-warmup-ms 0").split(" "));
        } finally {
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, text);
        assertTrue(text.startsWith("jccl-perf: ") && text.contains(expected), text);
        assertTrue(!text.contains("\tat "), "no stack trace: " + text);
        assertTrue(text.strip().lines().count() <= 2, "one line and a hint, not the usage: " + text);
    }

    /** jccl-perf's standard output for {@code args} (space-separated); fails unless it exits with 0. */
    private static String stdout(String args) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Cli.run(new JcclPerf(), args.split(" "));
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        return text;
    }

    @Test
    void deviceSimRunsEveryCollectiveOnSimulatedDeviceMemoryAndChecksIt() {
        String text = stdout("-t 2 -b 1K -e 256K -f 16 -n 2 -w 1 --jit-warmup-ms 0 --memory device-sim --sim-gbps 50"
                + " -C all_reduce,reduce_scatter,all_gather,broadcast,reduce");
        assertTrue(text.contains("# memory: device-sim (simulated copies: 5 us + bytes at 50.0 GB/s)"), text);
        assertEquals(5, text.lines().filter(l -> l.startsWith("# Out of bounds values : 0 OK")).count(), text);
    }

    @Test
    void deviceMemoryWithoutAGpuIsAOneLineError() {
        org.junit.jupiter.api.Assumptions.assumeFalse(io.jccl.cuda.CudaAvailability.isAvailable(),
                "this machine has a GPU: --memory device runs (scripts/gpu-check.sh covers it)");
        badArgumentsAreOneClearLine("--memory device", "--memory device: no GPU can be used here (");
    }

    @Test
    void aSizeAboveTheLargestIsRefusedBeforeAnyRow() {
        badArgumentsAreOneClearLine("-b 8 -e 100G", "-e 107374182400 is above jccl-perf's largest size, 2147483639 bytes");
    }

    @Test
    void versionNamesJcclAndTheJvm() {
        String text = stdout("-V");
        assertTrue(text.startsWith("jccl " + io.jccl.Jccl.version() + ", java " + Runtime.version()), text);
    }

    @Test
    void warmupMsRunsEachSizeAndPlacementThatLongBeforeTimingIt() {
        long t0 = System.nanoTime();
        String text = stdout("-t 2 -b 1K -e 4K -f 4 -n 5 --warmup-ms 150 --jit-warmup-ms 0");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(text.contains("each size and placement warmed up 150 ms more before it is timed"), text);
        assertTrue(text.contains("Out of bounds values : 0 OK"), text);
        // two sizes, two placements each, 150 ms apiece at least
        assertTrue(ms >= 600, "the sweep took " + ms + " ms, less than its warm-ups\n" + text);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--reps 2|# Batch spread : the slowest of a row's 2 batches took",
            "--reps 1|",
            "-n 3|",
    })
    void aBatchSpreadLineComesWithRepsOnly(String args, String expected) {
        String text = stdout("-t 2 -b 8 -e 64 -f 8 --jit-warmup-ms 0 " + args);
        if (expected == null) {
            assertTrue(!text.contains("Batch spread"), text);
        } else {
            assertTrue(text.contains(expected) && text.contains("x the fastest (median over 2 rows x 2 placements; "), text);
        }
    }
}
