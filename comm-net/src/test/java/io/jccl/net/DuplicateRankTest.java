package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts launched with the same {@code --node-rank}: a world of 4 ranks joined by ranks 0, 1, 0, 1. Every
 * process fails at start-up at once, instead of waiting for ranks 2 and 3 until the deadline: the second of each
 * pair says its rank was taken, the first that the job cannot start, and why.
 */
@Timeout(60)
class DuplicateRankTest {
    @Test
    void aRankJoinedTwiceFailsEveryProcessAtOnce() throws Exception {
        CommConfig cfg = CommConfig.builder().timeoutMillis(40_000).build(); // far beyond what the test waits
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            List<Future<?>> ranks = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                int rank = p % 2;
                ranks.add(pool.submit(() -> NetCommunicators.create(
                        new LaunchInfo(rank, 4, rank, "127.0.0.1", store.port()), cfg, false, "tcp").close()));
            }
            long t0 = System.nanoTime();
            int taken = 0;
            for (Future<?> f : ranks) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidUsageException.class, e.getCause(), String.valueOf(e.getCause()));
                String m = e.getCause().getMessage();
                assertTrue(m.contains("joined this job as rank") && m.contains("a different --node-rank on each"), m);
                taken += m.contains("the job cannot start") ? 0 : 1;
            }
            assertEquals(2, taken, "one process of each pair is told its rank was taken");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 30_000, "all failed within the wait, not at the 40 s deadline: " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
    }
}
