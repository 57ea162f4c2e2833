package io.jccl.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bin/jccl-run}: environment, output prefixes, and failure propagation. */
@Timeout(120)
@Tag("slow")
class JcclRunLauncherIT {
    @Test
    void setsTheTorchrunEnvironmentAndPrefixesLines() throws Exception {
        LaunchedJob job = LaunchedJob.run(60, "bin/jccl-run", "-n", "3", "bash", "-c",
                "echo \"rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK addr=$MASTER_ADDR port=$MASTER_PORT cpus=$JCCL_HOST_CPUS\"");
        assertEquals(0, job.exitCode, job.output);
        for (int r = 0; r < 3; r++) {
            assertTrue(job.output.contains("[" + r + "] rank=" + r + " world=3 local=" + r + " addr=127.0.0.1 port="),
                    job.output);
            assertTrue(job.output.matches("(?s).*\\[" + r + "\\] rank=[^\\n]* cpus=" + Runtime.getRuntime().availableProcessors()
                    + "(\\s.*|$)"), "JCCL_HOST_CPUS: " + job.output);
        }
    }

    @Test
    void versionAndUsageErrorsSpeakInOneNamedLine() throws Exception {
        LaunchedJob version = LaunchedJob.run(60, "bin/jccl-run", "-V");
        assertEquals(0, version.exitCode, version.output);
        assertTrue(version.output.matches("jccl-run \\d[^ ]*, java .*\\s*"), "the built jar's version: " + version.output);
        LaunchedJob noCommand = LaunchedJob.run(60, "bin/jccl-run", "-n", "2");
        assertEquals(2, noCommand.exitCode, noCommand.output);
        assertTrue(noCommand.output.startsWith("jccl-run: Missing required parameter: 'COMMAND'")
                && noCommand.output.strip().lines().count() == 1, noCommand.output);
    }

    @Test
    void bindToCorePinsEachRankToACpuOfItsOwn() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        int n = Math.min(2, cpus);
        LaunchedJob job = LaunchedJob.run(60, "bin/jccl-run", "-n", Integer.toString(n), "--bind-to", "core", "bash", "-c",
                "grep Cpus_allowed_list /proc/self/status");
        assertEquals(0, job.exitCode, job.output);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int r = 0; r < n; r++) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[" + r + "\\] Cpus_allowed_list:\\s+(\\S+)")
                    .matcher(job.output);
            assertTrue(m.find(), job.output);
            assertTrue(m.group(1).matches("\\d+"), "rank " + r + " may run on one CPU only: " + job.output);
            seen.add(m.group(1));
        }
        assertEquals(n, seen.size(), "each rank its own CPU: " + job.output);

        LaunchedJob none = LaunchedJob.run(60, "bin/jccl-run", "-n", "1", "--bind-to", "none", "bash", "-c",
                "grep Cpus_allowed_list /proc/self/status");
        assertEquals(0, none.exitCode, none.output);
        if (cpus > 1) {
            assertTrue(none.output.matches("(?s).*\\[0\\] Cpus_allowed_list:\\s+\\d+[-,]\\d+.*"), none.output);
        }

        LaunchedJob tooMany = LaunchedJob.run(60, "bin/jccl-run", "-n", Integer.toString(cpus + 1), "--bind-to",
                "core", "true");
        assertEquals(2, tooMany.exitCode, tooMany.output);
        assertTrue(tooMany.output.contains("--bind-to core needs"), tooMany.output);
    }

    @Test
    void oneFailingRankStopsTheOthersAndSetsTheExitCode() throws Exception {
        LaunchedJob job = LaunchedJob.run(60, "bin/jccl-run", "-n", "3", "--grace-seconds", "2", "bash", "-c",
                "if [ \"$RANK\" = 1 ]; then echo failing; exit 3; fi; exec sleep 100");
        assertEquals(3, job.exitCode, job.output);
        assertTrue(job.output.contains("[1] failing"), job.output);
        assertTrue(job.output.contains("rank 1 exited with code 3"), job.output);
        assertTrue(job.millis < 30_000, "took " + job.millis + " ms:\n" + job.output);
    }
}
