package io.jccl.net;

import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts launched with the same {@code --node-rank}: a world of 4 ranks joined by processes of ranks 0, 1, 0, 1
 * (each its own JVM, as launched). Every process fails at start-up at once, instead of waiting for ranks 2 and 3
 * until the deadline: the second of each pair says its rank was taken, the first that the job cannot start, and why.
 */
@Timeout(90)
class DuplicateRankTest {
    @Test
    void aRankJoinedTwiceFailsEveryProcessAtOnce() throws Exception {
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            List<Process> ranks = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                ranks.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), JoinRank.class.getName(), Integer.toString(p % 2), "4",
                        Integer.toString(store.port())).redirectErrorStream(true).start());
            }
            long t0 = System.nanoTime();
            int taken = 0;
            try {
                for (Process p : ranks) {
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a process still waits after 30 s (deadline 40 s)");
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertEquals(2, p.exitValue(), out);
                    assertTrue(out.contains("refused: ") && out.contains("joined this job as rank")
                            && out.contains("a different --node-rank on each"), out);
                    taken += out.contains("the job cannot start") ? 0 : 1;
                }
            } finally {
                ranks.forEach(Process::destroyForcibly);
            }
            assertEquals(2, taken, "one process of each pair is told its rank was taken");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 30_000, "all failed within the wait, not at the 40 s deadline: " + ms + " ms");
        }
    }
}
