package io.jccl.bench;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts of two ranks on the project's namespace cluster ({@code scripts/netns-cluster.sh}: a bridge, a private
 * /dev/shm and {@code JCCL_HOST_ID} per host, each link shaped to 1 Gbit/s with tc tbf): jccl-perf's all-reduce from
 * 64 KiB to 64 MiB with every row checked, the header naming the layout, and auto running the hierarchical
 * all-reduce at 64 MiB. Needs root and network namespaces; skipped otherwise. The cluster is removed afterwards.
 */
@Timeout(300)
class NetnsClusterIT {
    private static final String NAME = "jit" + ProcessHandle.current().pid() % 1000;
    private static boolean up;

    private static ProcessBuilder script(String... args) {
        List<String> cmd = new ArrayList<>(List.of("scripts/netns-cluster.sh"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(LaunchedJob.home().toFile());
        pb.environment().put("JCCL_NETNS_NAME", NAME);
        return pb;
    }

    private static String sh(String... args) throws IOException, InterruptedException {
        Process p = script(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("netns-cluster.sh " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    @BeforeAll
    static void makeCluster() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create network namespaces");
        try {
            sh("up", "2", "1gbit");
            up = true;
        } catch (IOException e) {
            sh("down");
            Assumptions.abort("cannot make the namespace cluster here: " + e.getMessage());
        }
    }

    @AfterAll
    static void removeCluster() throws Exception {
        if (up) {
            sh("down");
        }
    }

    @Test
    void twoHostsOfTwoEveryRowRightAndAutoRunsHierarchicalAtLargeSizes() throws Exception {
        String master = sh("addr", "0");
        List<Process> ranks = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int r = 0; r < 4; r++) {
                Path log = Files.createTempFile("jccl-netns-rank" + r, ".log");
                logs.add(log);
                ProcessBuilder pb = script("run", Integer.toString(r / 2), "bin/jccl-perf", "-b", "64K", "-e", "64M",
                        "-f", "4", "-n", "2", "-w", "1", "--jit-warmup-ms", "0")
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().put("RANK", Integer.toString(r));
                pb.environment().put("WORLD_SIZE", "4");
                pb.environment().put("LOCAL_RANK", Integer.toString(r % 2));
                pb.environment().put("LOCAL_WORLD_SIZE", "2");
                pb.environment().put("MASTER_ADDR", master);
                pb.environment().put("MASTER_PORT", "29561");
                pb.environment().put("JCCL_TIMEOUT_MS", "60000");
                pb.environment().put("JCCL_TCP_SPIN_US", "0");
                pb.environment().remove("JCCL_ALGO");
                pb.environment().remove("JCCL_HOST_ID");
                ranks.add(pb.start());
            }
            for (Process p : ranks) {
                assertTrue(p.waitFor(240, TimeUnit.SECONDS), "a rank did not finish in 240 s:\n" + logs(logs));
                assertEquals(0, p.exitValue(), "a rank failed:\n" + logs(logs));
            }
        } finally {
            ranks.forEach(Process::destroyForcibly);
        }
        String out = Files.readString(logs.get(0));
        assertTrue(out.contains("on 2 hosts x 2 ranks"), "the header names the layout:\n" + out);
        // size count type redop root time algbw busbw #wrong time algbw busbw #wrong algo
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (!line.startsWith("#") && f.length == 14 && f[0].matches("\\d+")) {
                rows.add(f);
            }
        }
        assertEquals(6, rows.size(), "one row per size from 64 KiB to 64 MiB:\n" + out);
        for (String[] row : rows) {
            assertEquals("0", row[8], "every row right out of place:\n" + out);
            assertEquals("0", row[12], "every row right in place:\n" + out);
        }
        assertEquals("hier", rows.get(5)[13], "auto at 64 MiB:\n" + out);
        logs.forEach(l -> new File(l.toString()).delete());
    }

    private static String logs(List<Path> logs) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < logs.size(); r++) {
            b.append("---- rank ").append(r).append('\n').append(Files.readString(logs.get(r)));
        }
        return b.toString();
    }
}
