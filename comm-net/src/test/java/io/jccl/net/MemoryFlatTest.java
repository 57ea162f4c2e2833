package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of operations of ever-changing sizes over Netty: after warm-up the direct memory in use stays flat,
 * and Netty's leak detector (paranoid in the tests, see the parent pom) reports nothing.
 */
@Timeout(300)
class MemoryFlatTest {
    private static long directBytesInUse() {
        long pooled = ByteBufAllocator.DEFAULT instanceof io.netty.buffer.ByteBufAllocatorMetricProvider m
                ? m.metric().usedDirectMemory() : 0;
        long jdk = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                jdk = b.getMemoryUsed();
            }
        }
        return Math.max(pooled, jdk);
    }

    @Test
    void memoryStaysFlatAndNothingLeaks() throws Exception {
        List<String> leaks = new CopyOnWriteArrayList<>();
        Field f = io.netty.buffer.AbstractByteBuf.class.getDeclaredField("leakDetector");
        f.setAccessible(true);
        ((ResourceLeakDetector<?>) f.get(null)).setLeakListener((type, records) -> leaks.add(type + "\n" + records));
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "the tests run with -Dio.netty.leakDetection.level=paranoid");

        int w = 3;
        int ops = 3000;
        int every = 500;
        long[] samples = new long[ops / every + 1];
        CommConfig cfg = CommConfig.builder().timeoutMillis(60_000).segmentBytes(64 * 1024).build();
        new NettyCluster().run(w, cfg, comm -> {
            Random sizes = new Random(11); // the same sequence on every rank
            try (HostBuffer buf = HostBuffer.allocate(1 << 20)) {
                for (int i = 0; i < ops; i++) {
                    if (i % every == 0 || i == ops - 1) {
                        comm.barrier();
                        if (comm.rank() == 0) {
                            System.gc();
                            samples[(i + every - 1) / every] = directBytesInUse();
                        }
                        comm.barrier();
                    }
                    int count = 1 + sizes.nextInt(sizes.nextBoolean() ? 64 : (1 << 18));
                    DataType t = sizes.nextBoolean() ? DataType.FLOAT32 : DataType.BFLOAT16;
                    comm.allReduce(buf, count, t, ReduceOp.SUM);
                }
            }
            return null;
        });
        System.out.println("direct bytes in use every " + every + " operations: " + java.util.Arrays.toString(samples));
        // warm-up: the first half; after it the footprint must stay within a few MiB of where it was
        int mid = samples.length / 2;
        long max = 0;
        for (int i = mid; i < samples.length; i++) {
            max = Math.max(max, samples[i]);
        }
        long growth = max - samples[mid];
        assertTrue(growth < 8L << 20, "direct memory grew by " + growth + " bytes after warm-up; samples every " + every
                + " operations: " + java.util.Arrays.toString(samples));
        // provoke the detector: it reports collected, unreleased buffers when it tracks new ones
        for (int i = 0; i < 5; i++) {
            System.gc();
            ByteBufAllocator.DEFAULT.directBuffer(64).release();
            ByteBufAllocator.DEFAULT.heapBuffer(64).release();
            Thread.sleep(50);
        }
        assertTrue(leaks.isEmpty(), "Netty reported leaks:\n" + String.join("\n----\n", leaks));
    }
}
