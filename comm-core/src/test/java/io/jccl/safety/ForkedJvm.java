package io.jccl.safety;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test class path in a JVM of its own, so that a crash (SIGSEGV in native code) fails
 * the test that started it instead of killing the build's JVM.
 */
public final class ForkedJvm {
    /** What the JVM printed (stdout and stderr together) and how it ended. */
    public record Result(int exitCode, List<String> lines) {
        /** The lines and the exit code, for assertion messages. */
        public String describe() {
            int from = Math.max(0, lines.size() - 40);
            return "exit code " + exitCode + ", last lines:\n" + String.join("\n", lines.subList(from, lines.size()));
        }
    }

    private ForkedJvm() {
    }

    /**
     * Runs {@code main} with {@code args} and extra environment variables, killing it after {@code timeoutSeconds}
     * (exit code -1 then).
     */
    public static Result run(Class<?> main, Map<String, String> env, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        File out = File.createTempFile("jccl-forked", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out);
            pb.environment().putAll(env);
            Process p = pb.start();
            int code;
            if (p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                code = p.exitValue();
            } else {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                code = -1;
            }
            return new Result(code, Files.readAllLines(out.toPath(), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out.toPath());
        }
    }
}
