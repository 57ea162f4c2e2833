package io.jccl.bench;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two "hosts": network namespaces joined by a veth pair (10.77.x.1 and 10.77.x.2), made by this test and
 * removed after it (needs root and iproute2; skipped otherwise). A 4-rank job with a job key runs across
 * them, 2 ranks per host; meanwhile a process without the key tries to join the store and a stranger
 * connects to a rank: both are refused and the job completes with every row correct.
 */
@Timeout(300)
@Tag("slow")
class TwoHostIT {
    private static final String SUFFIX = Long.toString(ProcessHandle.current().pid() % 100000);
    private static final String NS_A = "jccl-a-" + SUFFIX;
    private static final String NS_B = "jccl-b-" + SUFFIX;
    private static final String NET = "10.77." + (ProcessHandle.current().pid() % 200 + 20);
    private static final String ADDR_A = NET + ".1";
    private static final String ADDR_B = NET + ".2";
    private static boolean ready;

    private static int sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @BeforeAll
    static void makeHosts() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root, "needs root to create network namespaces");
        Assumptions.assumeTrue(sh("ss", "-V") == 0, "needs ss (iproute2) to find the ranks' ports");
        Assumptions.assumeTrue(sh("ip", "netns", "add", NS_A) == 0, "cannot create network namespaces here");
        ready = true;
        String va = "jva" + SUFFIX;
        String vb = "jvb" + SUFFIX;
        int rc = sh("ip", "netns", "add", NS_B);
        rc |= sh("ip", "link", "add", va, "type", "veth", "peer", "name", vb);
        rc |= sh("ip", "link", "set", va, "netns", NS_A);
        rc |= sh("ip", "link", "set", vb, "netns", NS_B);
        rc |= sh("ip", "-n", NS_A, "addr", "add", ADDR_A + "/24", "dev", va);
        rc |= sh("ip", "-n", NS_B, "addr", "add", ADDR_B + "/24", "dev", vb);
        for (String[] nsDev : new String[][] {{NS_A, va}, {NS_B, vb}}) {
            rc |= sh("ip", "-n", nsDev[0], "link", "set", nsDev[1], "up");
            rc |= sh("ip", "-n", nsDev[0], "link", "set", "lo", "up");
        }
        assertEquals(0, rc, "setting up the namespaces failed");
    }

    @AfterAll
    static void removeHosts() throws Exception {
        if (ready) {
            sh("ip", "netns", "del", NS_A);
            sh("ip", "netns", "del", NS_B);
        }
    }

    private static Process rank(String ns, int rank, String key, Path log, String... perfArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "bin/jccl-perf"));
        cmd.addAll(List.of(perfArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(LaunchedJob.home().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("RANK", Integer.toString(rank));
        pb.environment().put("WORLD_SIZE", "4");
        pb.environment().put("MASTER_ADDR", ADDR_A);
        pb.environment().put("MASTER_PORT", "29555");
        pb.environment().put("JCCL_TIMEOUT_MS", "60000");
        // the two "hosts" are network namespaces of one machine and share its /dev/shm: force the TCP path that
        // ranks on separate hosts take
        pb.environment().put("JCCL_TRANSPORT", "tcp");
        if (key != null) {
            pb.environment().put("JCCL_AUTH_KEY", key);
        } else {
            pb.environment().remove("JCCL_AUTH_KEY");
        }
        return pb.start();
    }

    /** Listening TCP ports of processes in namespace {@code ns} other than the store's. */
    private static List<Integer> rankPorts(String ns) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "ss", "-Hltn").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        List<Integer> ports = new ArrayList<>();
        Matcher m = Pattern.compile(Pattern.quote(ADDR_A) + "\\]?:(\\d+)").matcher(out);
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
        }
        if (ports.isEmpty()) {
            throw new AssertionError("no listener on " + ADDR_A + " in " + ns + ":\n" + out);
        }
        return ports;
    }

    private static String allLogs(List<Path> logs) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < logs.size(); r++) {
            b.append("---- rank ").append(r).append('\n').append(Files.readString(logs.get(r)));
        }
        return b.toString();
    }

    @Test
    void aKeyedJobRunsAcrossHostsAndStrangersAreRefused() throws Exception {
        String key = "two-host-secret";
        List<Path> logs = new ArrayList<>();
        List<Process> ranks = new ArrayList<>();
        String[] args = {"-b", "8", "-e", "16M", "-f", "4", "-n", "10", "-w", "2", "--jit-warmup-ms", "0"};
        try {
            for (int r = 0; r < 4; r++) {
                Path log = Files.createTempFile("jccl-2host-rank" + r, ".log");
                logs.add(log);
                ranks.add(rank(r < 2 ? NS_A : NS_B, r, key, log, args));
            }
            // wait until the sweep runs, then try to get in without the key
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(logs.get(0)).contains("#       size") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Path intruderLog = Files.createTempFile("jccl-2host-intruder", ".log");
            Process intruder = rank(NS_B, 3, null, intruderLog, args);
            assertTrue(intruder.waitFor(60, TimeUnit.SECONDS), "the keyless process hangs");
            Thread.sleep(100);
            String intruderOut = Files.readString(intruderLog);
            assertNotEquals(0, intruder.exitValue(), intruderOut);
            assertTrue(intruderOut.contains("refused this process's key"), intruderOut);
            Files.deleteIfExists(intruderLog);

            List<Integer> ports = rankPorts(NS_A);
            ports.remove(Integer.valueOf(29555));
            assertTrue(!ports.isEmpty(), "no rank listener found in " + NS_A);
            // a stranger on host B sends a forged HELLO (no key) to a rank on host A and must be disconnected
            String forge = "exec 3<>/dev/tcp/" + ADDR_A + "/" + ports.get(0) + " && head -c 80 <&3 >/dev/null"
                    + " && { printf '\\x4a\\x43\\x01\\x01\\x00\\x00\\x00\\x48'; head -c 40 /dev/zero;"
                    + " printf '\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x04'; head -c 64 /dev/zero; } >&3"
                    + " && cat <&3 >/dev/null && echo CLOSED";
            Process stranger = new ProcessBuilder("ip", "netns", "exec", NS_B, "timeout", "20", "bash", "-c", forge)
                    .redirectErrorStream(true).start();
            String strangerOut = new String(stranger.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            stranger.waitFor(30, TimeUnit.SECONDS);
            assertTrue(strangerOut.contains("CLOSED"), "the rank did not close the stranger's connection: " + strangerOut);

            for (int r = 0; r < 4; r++) {
                assertTrue(ranks.get(r).waitFor(200, TimeUnit.SECONDS), "rank " + r + " hangs");
            }
            String all = allLogs(logs);
            for (int r = 0; r < 4; r++) {
                assertEquals(0, ranks.get(r).exitValue(), "rank " + r + " failed:\n" + all);
            }
            String out = Files.readString(logs.get(0));
            assertTrue(out.contains("# Out of bounds values : 0 OK"), out);
            long rows = out.lines().filter(l -> l.matches("\\s*\\d+\\s+\\d+\\s+float\\s+sum\\s.*")).count();
            assertEquals(12, rows, out);
            assertTrue(all.contains("refused the connection from"), "the refusal is not logged:\n" + all);
        } finally {
            for (Process p : ranks) {
                p.destroyForcibly();
            }
            for (Path l : logs) {
                Files.deleteIfExists(l);
            }
        }
    }
}
