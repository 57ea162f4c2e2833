package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processes started with different world sizes (two hosts given different {@code --nnodes}) fail at start-up at
 * once, every one of them, naming both world sizes, instead of waiting for the deadline.
 */
@Timeout(60)
class WorldSizeMismatchTest {
    @Test
    void ranksThatDisagreeOnTheWorldSizeAllFailAtOnceNamingBoth() throws Exception {
        CommConfig cfg = CommConfig.builder().timeoutMillis(40_000).build(); // far beyond what the test waits
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            Future<?> rank0 = pool.submit(() -> NetCommunicators.create(
                    new LaunchInfo(0, 2, 0, "127.0.0.1", store.port()), cfg, false, "tcp").close());
            Future<?> rank1 = pool.submit(() -> NetCommunicators.create(
                    new LaunchInfo(1, 3, 1, "127.0.0.1", store.port()), cfg, false, "tcp").close());
            long t0 = System.nanoTime();
            for (Future<?> f : new Future<?>[] {rank0, rank1}) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidUsageException.class, e.getCause(), String.valueOf(e.getCause()));
                String m = e.getCause().getMessage();
                assertTrue(m.contains("WORLD_SIZE=2") && m.contains("WORLD_SIZE=3")
                        && m.contains("the same --nnodes and -n on each"), m);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 30_000, "both failed within the wait, not at the 40 s deadline: " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two ranks of a world of 4 start first, then a process of a world of 2 (another host given other --nnodes or
     * -n): the round is full by the late rank's count, which used to send it to a round of its own while the others
     * waited for their missing ranks until the deadline. Every process fails at once, naming both world sizes. (The
     * ranks differ from the late one's: processes in one JVM share their memory of the rounds they joined.)
     */
    @Test
    void aSmallerWorldJoiningAFullerRoundFailsEveryRankAtOnce() throws Exception {
        CommConfig cfg = CommConfig.builder().timeoutMillis(40_000).build();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            Future<?> r0 = pool.submit(() -> NetCommunicators.create(
                    new LaunchInfo(0, 4, 0, "127.0.0.1", store.port()), cfg, false, "tcp").close());
            Future<?> r1 = pool.submit(() -> NetCommunicators.create(
                    new LaunchInfo(2, 4, 1, "127.0.0.1", store.port()), cfg, false, "tcp").close());
            Thread.sleep(1000); // both have joined
            Future<?> late = pool.submit(() -> NetCommunicators.create(
                    new LaunchInfo(1, 2, 0, "127.0.0.1", store.port()), cfg, false, "tcp").close());
            long t0 = System.nanoTime();
            for (Future<?> f : new Future<?>[] {r0, r1, late}) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidUsageException.class, e.getCause(), String.valueOf(e.getCause()));
                String m = e.getCause().getMessage();
                assertTrue(m.contains("WORLD_SIZE=2") && m.contains("WORLD_SIZE=4"), m);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 30_000, "all failed within the wait, not at the 40 s deadline: " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
    }
}
