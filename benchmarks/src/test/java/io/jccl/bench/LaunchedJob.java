package io.jccl.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
}
