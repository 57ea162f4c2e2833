package io.jccl.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: {@code bin/jccl-run -n W bin/jccl-train --deterministic} over processes ends with the same
 * parameters (CRC-32 of their bits) and final loss as {@code bin/jccl-train --single-process W}, the run that sums
 * the same shards in rank order in one process.
 */
@Timeout(300)
@Tag("slow")
class DataParallelTrainerIT {
    private static final String[] MODEL = {"--hidden", "64,32", "--inputs", "16", "--classes", "5", "--samples", "1024",
            "--batch", "32", "--steps", "12", "--bucket-mb", "0.01", "--quiet"};
    private static final Pattern FINAL = Pattern.compile("# final loss (\\S+); parameters crc32 (\\p{XDigit}{8})");

    private static String finalLine(LaunchedJob job) {
        Matcher m = FINAL.matcher(job.output);
        assertTrue(m.find(), job.output);
        return m.group(1) + " " + m.group(2);
    }

    private static String[] cmd(String[] head, String... tail) {
        String[] out = new String[head.length + MODEL.length + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(MODEL, 0, out, head.length, MODEL.length);
        System.arraycopy(tail, 0, out, head.length + MODEL.length, tail.length);
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void processesGiveTheSingleProcessParametersToTheBit(int w) throws Exception {
        LaunchedJob ref = LaunchedJob.run(120, cmd(new String[] {"bin/jccl-train"}, "--single-process", "" + w));
        assertEquals(0, ref.exitCode, ref.output);
        LaunchedJob job = LaunchedJob.run(240, cmd(new String[] {"bin/jccl-run", "-n", "" + w, "bin/jccl-train"},
                "--deterministic"));
        assertEquals(0, job.exitCode, job.output);
        assertEquals(finalLine(ref), finalLine(job), job.output + "\n" + ref.output);
    }

    @Test
    void aBadWireFormatIsOneLineAndStatusTwo() throws Exception {
        LaunchedJob job = LaunchedJob.run(60, "bin/jccl-train", "--wire", "fp8");
        assertEquals(2, job.exitCode, job.output);
        assertTrue(job.output.contains("--wire 'fp8': expected fp32, bf16 or fp16"), job.output);
    }
}
