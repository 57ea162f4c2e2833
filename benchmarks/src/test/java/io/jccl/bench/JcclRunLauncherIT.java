package io.jccl.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bin/jccl-run}: environment, output prefixes, and failure propagation. */
@Timeout(120)
class JcclRunLauncherIT {
    @Test
    void setsTheTorchrunEnvironmentAndPrefixesLines() throws Exception {
        LaunchedJob job = LaunchedJob.run(60, "bin/jccl-run", "-n", "3", "bash", "-c",
                "echo \"rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK addr=$MASTER_ADDR port=$MASTER_PORT\"");
        assertEquals(0, job.exitCode, job.output);
        for (int r = 0; r < 3; r++) {
            assertTrue(job.output.contains("[" + r + "] rank=" + r + " world=3 local=" + r + " addr=127.0.0.1 port="),
                    job.output);
        }
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
