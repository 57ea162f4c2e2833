package io.jccl.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a command from the repository root with a deadline and captures its output (tests only). */
final class LaunchedJob {
    final int exitCode;
    final String output;
    final long millis;

    private LaunchedJob(int exitCode, String output, long millis) {
        this.exitCode = exitCode;
        this.output = output;
        this.millis = millis;
    }

    static Path home() {
        return Path.of(System.getProperty("jccl.home", "..")).toAbsolutePath().normalize();
    }

    static LaunchedJob run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("jccl-it", ".log");
        List<String> cmd = new ArrayList<>(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            throw new AssertionError("timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd) + "\n" + out);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        return new LaunchedJob(p.exitValue(), out, ms);
    }

    /**
     * This job was a 4-rank jccl-perf sweep from 64 KiB to 4 MiB (a launcher's test: mpirun, srun): it exited 0, found
     * 4 ranks and each rank's line, and every row is right out of place and in place.
     */
    void assertFourRankSweepRight() {
        assertEquals(0, exitCode, output);
        assertTrue(output.contains("nRanks 4"), output);
        for (int r = 0; r < 4; r++) {
            assertTrue(output.contains("#  Rank  " + r + " Pid"), output);
        }
        int rows = 0;
        for (String line : output.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (!line.startsWith("#") && f.length == 14 && f[0].matches("\\d+")) {
                assertEquals("0", f[8], "out of place right:\n" + output);
                assertEquals("0", f[12], "in place right:\n" + output);
                rows++;
            }
        }
        assertEquals(4, rows, "64 KiB, 256 KiB, 1 MiB, 4 MiB:\n" + output);
        assertTrue(output.contains("# Out of bounds values : 0 OK"), output);
    }
}
