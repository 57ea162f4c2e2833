package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.JcclException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery after a failure: rank 2 of 3 dies (its transport closes), the survivors' next all-reduce fails, they
 * build a new world with a replacement for rank 2 against the same store (as torchrun's agent hosts it), and the
 * next all-reduce is right. The new world is a new rendezvous round: nobody meets the dead rank's address.
 */
@Timeout(120)
class RecoveryTest {
    private static final int W = 3;
    private static final int COUNT = 1000;

    @Test
    void survivorsAndAReplacementBuildANewWorld() throws Exception {
        CommConfig cfg = CommConfig.builder().timeoutMillis(10_000).build();
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            List<CompletableFuture<Float>> results = new ArrayList<>();
            for (int r = 0; r < W; r++) {
                LaunchInfo info = new LaunchInfo(r, W, r, "127.0.0.1", store.port());
                results.add(CompletableFuture.supplyAsync(() -> run(info, cfg)));
            }
            for (int r = 0; r < W; r++) {
                // ranks 0 and 1 see the sum of the new world: 1 + 2 + 30 (the replacement's value)
                float expect = r == 2 ? -1 : 33;
                assertEquals(expect, results.get(r).get(90, TimeUnit.SECONDS), "rank " + r);
            }
        }
    }

    /** One rank: first world, failure, second world; returns the second world's sum (-1 for the dead rank). */
    private static float run(LaunchInfo info, CommConfig cfg) {
        int r = info.rank();
        try (HostBuffer b = HostBuffer.allocate(COUNT, DataType.FLOAT32)) {
            Communicator first = NetCommunicators.create(info, cfg, false, "tcp");
            fill(b, r + 1);
            first.allReduce(b, COUNT, DataType.FLOAT32, ReduceOp.SUM);
            assertEquals(6f, b.getFloat(COUNT - 1), "first world");
            if (r == 2) {
                first.close(); // dies; a replacement takes its place below
                CompletableFuture<Float> replacement = CompletableFuture.supplyAsync(() -> {
                    try (Communicator c = NetCommunicators.create(info, cfg, false, "tcp");
                         HostBuffer rb = HostBuffer.allocate(COUNT, DataType.FLOAT32)) {
                        fill(rb, 30);
                        c.allReduce(rb, COUNT, DataType.FLOAT32, ReduceOp.SUM);
                        return rb.getFloat(0);
                    }
                });
                assertEquals(33f, replacement.join(), "the replacement");
                return -1;
            }
            JcclException e = assertThrows(JcclException.class,
                    () -> first.allReduce(b, COUNT, DataType.FLOAT32, ReduceOp.SUM));
            assertTrue(e.getMessage().contains("rank=2") || e.getMessage().contains("peer=2"), e.getMessage());
            first.close();
            try (Communicator second = NetCommunicators.create(info, cfg, false, "tcp")) {
                fill(b, r + 1);
                second.allReduce(b, COUNT, DataType.FLOAT32, ReduceOp.SUM);
                for (int i = 0; i < COUNT; i++) {
                    assertEquals(33f, b.getFloat(i), "element " + i);
                }
                return b.getFloat(0);
            }
        }
    }

    private static void fill(HostBuffer b, float v) {
        for (int i = 0; i < COUNT; i++) {
            b.putFloat(i, v);
        }
    }
}
