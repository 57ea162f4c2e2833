package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.Jccl;
import io.jccl.JcclException;
import io.jccl.conformance.Cluster;
import io.jccl.net.store.TcpStoreServer;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * W ranks as threads of this JVM, each with its own Netty transport over loopback and one shared store; DATA goes
 * over TCP, or through shared memory when made with transport "shm".
 */
public final class NettyCluster implements Cluster {
    private final String transport;
    /** Fake host identity of each rank, or null: the real one. */
    private final java.util.function.IntFunction<String> hostOf;

    /** Over TCP, whatever JCCL_TRANSPORT says (the shared-memory path has its own suite). */
    public NettyCluster() {
        this("tcp");
    }

    /** With {@link io.jccl.Knob#TRANSPORT} {@code transport} (tcp, shm, auto); null: the knob's value. */
    public NettyCluster(String transport) {
        this(transport, null);
    }

    /**
     * With {@code transport} as above and rank r on the fake host {@code hostOf.apply(r)} (shared memory only
     * inside a fake host, hierarchical algorithms across); the launcher's local rank is then left unknown.
     */
    public NettyCluster(String transport, java.util.function.IntFunction<String> hostOf) {
        this.transport = transport;
        this.hostOf = hostOf;
    }

    @Override
    public <T> List<T> run(int w, CommConfig config, Jccl.RankTask<T> task) {
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            ExecutorService pool = Executors.newFixedThreadPool(w);
            try {
                List<Future<T>> fs = new ArrayList<>();
                for (int r = 0; r < w; r++) {
                    LaunchInfo info = new LaunchInfo(r, w, hostOf == null ? r : -1, "127.0.0.1", store.port());
                    String host = hostOf == null ? null : hostOf.apply(r);
                    fs.add(pool.submit(() -> {
                        try (Communicator c = transport == null ? NetCommunicators.create(info, config, false)
                                : NetCommunicators.create(info, config, false, transport, host)) {
                            T out = task.run(c);
                            c.barrier(); // no rank closes its connections while a peer still reads them
                            return out;
                        }
                    }));
                }
                List<T> out = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis() + 20_000);
                for (int r = 0; r < w; r++) {
                    try {
                        out.add(fs.get(r).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                    } catch (ExecutionException e) {
                        failures.add(new JcclException("rank=" + r + " failed: " + e.getCause(), e.getCause()));
                    } catch (TimeoutException e) {
                        failures.add(new CommTimeoutException("rank=" + r + " did not finish"));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new JcclException("interrupted");
                    }
                }
                if (!failures.isEmpty()) {
                    JcclException all = new JcclException(failures.size() + " of " + w + " ranks failed; first: "
                            + failures.get(0).getMessage());
                    failures.forEach(all::addSuppressed);
                    throw all;
                }
                return out;
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
