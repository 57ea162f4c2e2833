package io.jccl.bench.jmh;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.Jccl;
import io.jccl.JcclException;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * W ranks of one job inside this JVM for a JMH benchmark: rank 0 is driven by the JMH thread ({@link #step()}
 * runs rank 0's body once), ranks 1..W-1 run their bodies in a loop on their own threads. The collectives pace
 * the helpers: none can finish an operation before rank 0 joins it.
 *
 * <p>Transports: {@code local} (the in-process transport, {@link Jccl#inProcess}), or one {@code NettyTransport}
 * per rank over 127.0.0.1 with rendezvous on a free port, its data path between these same-host ranks being
 * {@code tcp} (loopback TCP) or {@code shm} (shared memory); the ranks share one JVM (for separate processes use
 * {@code bin/jccl-run -n W bin/jccl-perf}).
 *
 * <p>Stopping: {@link #close()} tells the helpers to stop after rank 0's next operation and runs it, so every
 * rank runs the same number of operations and none is left waiting.
 *
 * <p>Not thread-safe: {@link #step()} and {@link #close()} are called from the JMH thread only.
 */
final class RankDriver implements AutoCloseable {
    /** One operation of one rank. */
    interface Body {
        void run() throws Exception;
    }

    private final List<Communicator> comms;
    private final Body rank0;
    private final ExecutorService pool;
    private final List<Future<?>> helpers = new ArrayList<>();
    private volatile long stopAfter = Long.MAX_VALUE;
    private long done0;

    /**
     * @param bodies makes each rank's body from its communicator (called once per rank, on this thread)
     */
    RankDriver(String transport, int worldSize, CommConfig config, Function<Communicator, Body> bodies) {
        this.comms = communicators(transport, worldSize, config);
        this.pool = Executors.newFixedThreadPool(Math.max(1, worldSize - 1), r -> {
            Thread t = new Thread(r, "jmh-rank");
            t.setDaemon(true);
            return t;
        });
        this.rank0 = bodies.apply(comms.get(0));
        for (int r = 1; r < worldSize; r++) {
            Body b = bodies.apply(comms.get(r));
            helpers.add(pool.submit(() -> {
                long done = 0;
                while (done < stopAfter) {
                    b.run();
                    done++;
                }
                return null;
            }));
        }
    }

    Communicator comm(int rank) {
        return comms.get(rank);
    }

    /** Runs rank 0's body once (the other ranks run theirs concurrently). */
    void step() throws Exception {
        rank0.run();
        done0++;
    }

    @Override
    public void close() {
        try {
            stopAfter = done0 + 1;
            step();
            for (Future<?> f : helpers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new JcclException("benchmark ranks did not stop cleanly: " + e, e);
        } finally {
            pool.shutdownNow();
            for (Communicator c : comms) {
                c.close();
            }
        }
    }

    static List<Communicator> communicators(String transport, int w, CommConfig config) {
        if ("local".equals(transport)) {
            return Jccl.inProcess(w, config);
        }
        if (!"tcp".equals(transport) && !"shm".equals(transport)) {
            throw new IllegalArgumentException("transport must be local, tcp or shm, not " + transport);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new JcclException("no free port for the rendezvous store: " + e, e);
        }
        ExecutorService starters = Executors.newFixedThreadPool(w);
        try {
            List<Future<Communicator>> fs = new ArrayList<>();
            for (int r = 0; r < w; r++) {
                LaunchInfo info = new LaunchInfo(r, w, r, "127.0.0.1", port);
                fs.add(starters.submit(() -> NetCommunicators.create(info, config, info.rank() == 0, transport)));
            }
            List<Communicator> out = new ArrayList<>();
            for (Future<Communicator> f : fs) {
                out.add(f.get(config.timeoutMillis() + 10_000, TimeUnit.MILLISECONDS));
            }
            return out;
        } catch (Exception e) {
            throw new JcclException("could not start " + w + " " + transport + " ranks: " + e, e);
        } finally {
            starters.shutdownNow();
        }
    }
}
