package io.jccl.net.safety;

import io.jccl.net.shm.ShmCleanup;
import io.jccl.net.store.TcpStoreClient;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shared-memory jobs of two processes killed (SIGKILL) mid-all-reduce at random moments, one rank or both, 20
 * times: afterwards /dev/shm holds no file of those jobs (the survivor's close removes what the killed rank left;
 * when both die, the next job's start does).
 */
@Timeout(600)
@Tag("slow")
class ShmLeftoversTest {
    @Test
    void killedJobsLeaveNothingInDevShm() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "no /dev/shm on this machine");
        Random random = new Random(42);
        for (int run = 0; run < 20; run++) {
            boolean killAll = run % 2 == 1;
            try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
                List<Process> ranks = new ArrayList<>();
                for (int r = 0; r < 2; r++) {
                    ranks.add(start(r, store.port()));
                }
                String job;
                try (TcpStoreClient client = TcpStoreClient.connect(new InetSocketAddress("127.0.0.1", store.port()),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(60))) {
                    job = new String(client.get(ShmCleanup.jobKey(), System.nanoTime() + TimeUnit.SECONDS.toNanos(60)),
                            StandardCharsets.UTF_8);
                }
                if (run % 4 < 2) {
                    Thread.sleep(random.nextInt(1500)); // at any moment from the JVMs' start: rendezvous, first rings
                } else {
                    for (Process p : ranks) {
                        awaitLine(p, "looping over shm");
                    }
                    Thread.sleep(random.nextInt(500));
                }
                ranks.get(0).destroyForcibly();
                if (killAll) {
                    ranks.get(1).destroyForcibly();
                }
                for (Process p : ranks) {
                    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a rank did not end");
                }
                if (!killAll) {
                    assertTrue(ranks.get(1).exitValue() != 0, "the survivor fails with the peer's death");
                } else {
                    ShmCleanup.removeDeadJobs(); // what the next job's start does
                }
                assertEquals(List.of(), filesOf(job), "run " + run + (killAll ? " (both killed)" : " (one killed)"));
            }
        }
    }

    private static Process start(int rank, int port) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ShmLoopRank.class.getName()).redirectErrorStream(true);
        pb.environment().put("RANK", Integer.toString(rank));
        pb.environment().put("WORLD_SIZE", "2");
        pb.environment().put("MASTER_ADDR", "127.0.0.1");
        pb.environment().put("MASTER_PORT", Integer.toString(port));
        pb.environment().put("JCCL_STORE_HOSTED", "1");
        pb.environment().put("JCCL_TRANSPORT", "shm");
        pb.environment().put("JCCL_TIMEOUT_MS", "20000");
        return pb.start();
    }

    private static void awaitLine(Process p, String want) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains(want)) {
                // keep draining, so that the rank never blocks on a full pipe
                Thread t = new Thread(() -> {
                    try {
                        while (in.readLine() != null) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                });
                t.setDaemon(true);
                t.start();
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("the rank ended without printing '" + want + "':\n" + seen);
    }

    private static List<String> filesOf(String job) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/dev/shm"), "jccl-" + job + "*")) {
            ds.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }
}
