package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The reducer over comm-net's TCP transport (3 ranks as threads, each with its own Netty transport on loopback, as
 * comm-net's NettyCluster): overlapped buckets, bf16 wire with error feedback and the deterministic split give
 * the same bits on every rank, and the fp32 deterministic average equals the rank-order loop.
 */
@Timeout(120)
class GradientReducerTcpTest {
    @Test
    void threeRanksOverTcp() throws Exception {
        int w = 3;
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            ExecutorService pool = Executors.newFixedThreadPool(w);
            try {
                List<Future<float[][]>> fs = new ArrayList<>();
                for (int r = 0; r < w; r++) {
                    LaunchInfo info = new LaunchInfo(r, w, r, "127.0.0.1", store.port());
                    fs.add(pool.submit(() -> {
                        try (Communicator c = NetCommunicators.create(info, Ranks.config(false), false, "tcp")) {
                            float[][] out = new float[][] {run(c, WireFormat.FP32, true), run(c, WireFormat.BF16, false)};
                            c.barrier(); // no rank closes its connections while a peer still reads them
                            return out;
                        }
                    }));
                }
                List<float[][]> got = new ArrayList<>();
                for (Future<float[][]> f : fs) {
                    got.add(f.get(100, TimeUnit.SECONDS));
                }
                float[] want = new float[4000];
                for (int rank = 0; rank < w; rank++) {
                    for (int i = 0; i < want.length; i++) {
                        want[i] = rank == 0 ? GradientReducerTest.f(rank, 4, i) : want[i] + GradientReducerTest.f(rank, 4, i);
                    }
                }
                GradientReducerTest.div(want, w);
                for (float[][] g : got) {
                    assertArrayEquals(want, g[0], "deterministic fp32 over TCP");
                    assertArrayEquals(got.get(0)[1], g[1], "bf16 bits identical on every rank");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Five steps over four 1000-element gradients in 4 KiB buckets; returns the last step's gradients. */
    private static float[] run(Communicator comm, WireFormat wire, boolean deterministic) {
        float[][] g = new float[4][1000];
        GradientReducer.Builder b = GradientReducer.builder(comm).bucketCapBytes(4096).wireFormat(wire)
                .errorFeedback(true).deterministic(deterministic).timed(true);
        for (int p = 0; p < 4; p++) {
            b.register("p" + p, g[p]);
        }
        try (GradientReducer r = b.build()) {
            for (int s = 0; s < 5; s++) {
                for (int p = 3; p >= 0; p--) {
                    for (int i = 0; i < 1000; i++) {
                        g[p][i] = GradientReducerTest.f(comm.rank(), s, p * 1000 + i);
                    }
                    r.markReady(g[p]);
                }
                r.finish();
            }
        }
        float[] out = new float[4000];
        for (int p = 0; p < 4; p++) {
            System.arraycopy(g[p], 0, out, p * 1000, 1000);
        }
        return out;
    }
}
