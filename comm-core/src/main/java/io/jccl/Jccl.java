package io.jccl;

import io.jccl.core.DaemonThreads;
import io.jccl.core.DefaultCommunicator;
import io.jccl.core.FutureWait;
import io.jccl.transport.HostLayout;
import io.jccl.transport.Transport;
import io.jccl.transport.local.LocalFabric;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Entry points of comm-core. Across processes, use comm-net's {@code NetCommunicators.fromEnvironment()}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Jccl {
    private Jccl() {
    }

    /** The world communicator of this rank over an existing transport (which it then owns). */
    public static Communicator world(Transport transport, CommConfig config) {
        return DefaultCommunicator.world(transport, config);
    }

    /**
     * {@code worldSize} communicators of one in-process job, rank i at index i; drive each from its own
     * thread (see {@link #runInProcess}).
     */
    public static List<Communicator> inProcess(int worldSize, CommConfig config) {
        return inProcess(worldSize, null, config);
    }

    private static List<Communicator> inProcess(int worldSize, HostLayout layout, CommConfig config) {
        LocalFabric fabric = new LocalFabric(worldSize, layout);
        List<Communicator> comms = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++) {
            comms.add(DefaultCommunicator.world(fabric.transport(r), config));
        }
        return comms;
    }

    /** Work of one rank in {@link #runInProcess}. */
    @FunctionalInterface
    public interface RankTask<T> {
        T run(Communicator comm) throws Exception;
    }

    /**
     * Runs {@code task} on each of {@code worldSize} in-process ranks, one thread each, and returns the
     * results by rank. The communicators are closed afterwards.
     *
     * @throws JcclException the first rank's failure (by rank order), or a timeout after
     *                       {@code config.timeoutMillis()} plus ten seconds
     */
    public static <T> List<T> runInProcess(int worldSize, CommConfig config, RankTask<T> task) {
        return runInProcess(worldSize, null, config, task);
    }

    /**
     * As {@link #runInProcess(int, CommConfig, RankTask)} with the ranks spread over the fake hosts of
     * {@code layout} (the data still moves in-process): tests of the hierarchical algorithms and of the selector.
     */
    public static <T> List<T> runInProcess(HostLayout layout, CommConfig config, RankTask<T> task) {
        return runInProcess(layout.size(), layout, config, task);
    }

    private static <T> List<T> runInProcess(int worldSize, HostLayout layout, CommConfig config, RankTask<T> task) {
        List<Communicator> comms = inProcess(worldSize, layout, config);
        ExecutorService pool = Executors.newFixedThreadPool(worldSize, DaemonThreads.named("jccl-inprocess-rank"));
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Communicator c : comms) {
                futures.add(pool.submit(() -> {
                    Thread.currentThread().setName("jccl-inprocess-rank" + c.rank());
                    return task.run(c);
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis() + 10_000);
            List<T> out = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                try {
                    out.add(futures.get(r).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (ExecutionException | TimeoutException | InterruptedException e) {
                    throw FutureWait.failure(e, "rank=" + r, config.timeoutMillis() + " ms + 10 s");
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
            comms.forEach(Communicator::close);
        }
    }

    /**
     * This library's version (the jar's {@code Implementation-Version}, as {@code ncclGetVersion} gives NCCL's), or
     * "dev" when the classes do not come from a built jar (an IDE, {@code target/classes}).
     */
    public static String version() {
        Package p = Jccl.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
