package io.jccl.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: {@code bin/jccl-run} starts 4 JVMs that run {@code bin/jccl-perf} over Netty TCP on
 * loopback; every row of the table must be there and have #wrong 0 for both placements.
 */
@Timeout(300)
@Tag("slow")
class JcclRunPerfIT {
    private static List<String[]> rows(String output) {
        return output.lines()
                .filter(l -> l.startsWith("[0] ") && !l.startsWith("[0] #"))
                .map(l -> l.substring(4).trim().split("\\s+"))
                .collect(Collectors.toList());
    }

    private static void checkSweep(String type, String op, long[] sizes) throws Exception {
        LaunchedJob job = LaunchedJob.run(240, "bin/jccl-run", "-n", "4", "bin/jccl-perf", "-b", "8", "-e", "1M",
                "-f", "8", "-n", "3", "-w", "1", "--jit-warmup-ms", "0", "-d", type, "-o", op);
        assertEquals(0, job.exitCode, job.output);
        List<String[]> rows = rows(job.output);
        assertEquals(sizes.length, rows.size(), job.output);
        for (int i = 0; i < sizes.length; i++) {
            String[] r = rows.get(i);
            assertEquals(Long.toString(sizes[i]), r[0], job.output);
            assertEquals(op, r[3], job.output);
            assertEquals("0", r[8], "out-of-place #wrong\n" + job.output);
            assertEquals("0", r[12], "in-place #wrong\n" + job.output);
        }
        assertTrue(job.output.contains("# Out of bounds values : 0 OK"), job.output);
        for (int rank = 0; rank < 4; rank++) {
            assertTrue(job.output.contains("#  Rank  " + rank + " Pid"), job.output);
        }
    }

    @Test
    void fourProcessesFloatSumEveryRowCorrect() throws Exception {
        checkSweep("float", "sum", new long[] {8, 64, 512, 4096, 32768, 262144, 1048576});
    }

    @Test
    void fourProcessesBfloat16MaxEveryRowCorrect() throws Exception {
        checkSweep("bfloat16", "max", new long[] {8, 64, 512, 4096, 32768, 262144, 1048576});
    }
}
