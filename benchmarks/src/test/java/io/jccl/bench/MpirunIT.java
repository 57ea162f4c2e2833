package io.jccl.bench;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;


/**
 * Four ranks started by Open MPI's {@code mpirun} on this host run jccl-perf's checked all-reduce: each finds its rank,
 * the world size and its local rank in {@code OMPI_COMM_WORLD_RANK}, {@code _SIZE} and {@code _LOCAL_RANK}, and
 * {@code MASTER_ADDR}/{@code MASTER_PORT} reach every rank through {@code mpirun -x}. Skipped when {@code mpirun} is
 * not on the PATH ({@code apt-get install openmpi-bin} provides it).
 */
@Tag("slow")
@Timeout(200)
class MpirunIT {
    private static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, program);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    @Test
    void fourRanksFromOpenMpisVariablesRunACheckedAllReduce() throws Exception {
        String mpirun = onPath("mpirun");
        Assumptions.assumeTrue(mpirun != null, "mpirun is not installed (apt-get install openmpi-bin provides it)");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(mpirun, "-np", "4", "--oversubscribe"));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of("-x", "MASTER_ADDR=127.0.0.1", "-x", "MASTER_PORT=" + port, "-x", "JCCL_TIMEOUT_MS=60000",
                "bin/jccl-perf", "-b", "64K", "-e", "4M", "-f", "4", "-n", "2", "-w", "1", "--jit-warmup-ms", "0"));
        LaunchedJob job = LaunchedJob.run(150, cmd.toArray(new String[0]));
        job.assertFourRankSweepRight();
    }
}
