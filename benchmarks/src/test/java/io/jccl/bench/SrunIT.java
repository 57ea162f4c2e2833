package io.jccl.bench;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;


/**
 * Four ranks started by Slurm's {@code srun} on one node run jccl-perf's checked all-reduce: each finds its rank, the
 * world size and its local rank in {@code SLURM_PROCID}, {@code SLURM_NTASKS} and {@code SLURM_LOCALID}, and
 * {@code MASTER_ADDR}/{@code MASTER_PORT} reach every task through {@code srun --export}. Skipped, never failed, when
 * {@code srun}/{@code sinfo} are not on the PATH or no Slurm node answers idle (or mix) within 10 s:
 * {@code scripts/slurm-single-node.sh up} (root, with {@code apt-get install slurm-wlm}) starts a one-node Slurm whose
 * config this test finds without SLURM_CONF being set.
 */
@Tag("slow")
@Timeout(200)
class SrunIT {
    private static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, program);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    /** SLURM_CONF when set, else scripts/slurm-single-node.sh's config when it exists, else Slurm's own default. */
    private static String slurmConf() {
        String env = System.getenv("SLURM_CONF");
        if (env != null && !env.isEmpty()) {
            return env;
        }
        Path script = Path.of(System.getenv().getOrDefault("JCCL_SLURM_DIR", "/var/lib/jccl-slurm"), "slurm.conf");
        return Files.isReadable(script) ? script.toString() : null;
    }

    /** The states {@code sinfo -h -o %t} prints within 10 s, or null when it fails or does not answer. */
    private static String nodeStates(String sinfo, String conf) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(sinfo, "-h", "-o", "%t").redirectErrorStream(true);
        if (conf != null) {
            pb.environment().put("SLURM_CONF", conf);
        }
        Path log = Files.createTempFile("jccl-sinfo", ".log");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(log, StandardCharsets.UTF_8).trim() : null;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void fourRanksFromSlurmsVariablesRunACheckedAllReduce() throws Exception {
        String srun = onPath("srun");
        String sinfo = onPath("sinfo");
        Assumptions.assumeTrue(srun != null && sinfo != null,
                "srun/sinfo are not installed (apt-get install slurm-wlm, then scripts/slurm-single-node.sh up)");
        String conf = slurmConf();
        String states = nodeStates(sinfo, conf);
        boolean answers = states != null && states.lines().anyMatch(s -> s.equals("idle") || s.equals("mix"));
        Assumptions.assumeTrue(answers, "no Slurm node answers idle or mix within 10 s (sinfo -h -o %t: "
                + (states == null ? "failed or timed out" : "'" + states.replace('\n', ' ') + "'")
                + (conf == null ? "" : ", SLURM_CONF=" + conf) + "); scripts/slurm-single-node.sh up starts one");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>();
        if (conf != null) {
            cmd.addAll(List.of("env", "SLURM_CONF=" + conf));
        }
        cmd.addAll(List.of(srun, "-N", "1", "-n", "4", "--overcommit", "--immediate=60",
                "--export=ALL,MASTER_ADDR=127.0.0.1,MASTER_PORT=" + port + ",JCCL_TIMEOUT_MS=60000",
                "bin/jccl-perf", "-b", "64K", "-e", "4M", "-f", "4", "-n", "2", "-w", "1", "--jit-warmup-ms", "0"));
        LaunchedJob job = LaunchedJob.run(150, cmd.toArray(new String[0]));
        job.assertFourRankSweepRight();
    }
}
