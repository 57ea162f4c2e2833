package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A warm step with many buckets allocates, on the calling thread, no more than the communicator's own all-reduce
 * calls do plus at most 1 KiB: the reducer itself allocates nothing per bucket. The communicator's share is
 * measured in the same run, on the same thread, with the same calls issued and awaited directly (its per-call
 * future, task and header, comm-core's).
 */
@Tag("slow")
@Timeout(120)
class ManyBucketAllocationTest {
    private static final int ELEMS = 1024;

    @ParameterizedTest
    @CsvSource({"16, FP32", "16, BF16", "64, FP32", "64, BF16"})
    void aWarmStepAllocatesNoMoreThanTheCommunicatorsCallsPlusOneKibibyte(int buckets, String format) {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean tb
                && tb.isThreadAllocatedMemorySupported() && tb.isThreadAllocatedMemoryEnabled());
        WireFormat wire = WireFormat.valueOf(format);
        List<long[]> perStep = Ranks.run(2, false, comm -> measure(comm, buckets, wire));
        System.out.printf("%d buckets, %s: bytes per step on each rank's thread {reducer step, the same all-reduces"
                + " issued directly}: %s %s%n", buckets, format, java.util.Arrays.toString(perStep.get(0)),
                java.util.Arrays.toString(perStep.get(1)));
        for (long[] b : perStep) {
            assertTrue(b[0] <= b[1] + 1024, buckets + " buckets (" + format + "): the reducer's step allocated " + b[0]
                    + " B, its all-reduces issued directly " + b[1] + " B");
        }
    }

    private static long[] measure(Communicator comm, int buckets, WireFormat wire) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[][] g = new float[buckets][ELEMS];
        GradientReducer.Builder b = GradientReducer.builder(comm).bucketCapBytes(ELEMS * 4).wireFormat(wire)
                .errorFeedback(wire.compresses());
        for (int p = 0; p < buckets; p++) {
            b.register("p" + p, g[p]);
        }
        DataType type = wire.compresses() ? wire.wireType() : DataType.FLOAT32;
        HostBuffer[] direct = new HostBuffer[buckets];
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] pending = (CompletableFuture<Void>[]) new CompletableFuture<?>[buckets];
        try (GradientReducer r = b.build()) {
            for (int i = 0; i < buckets; i++) {
                direct[i] = HostBuffer.allocate(ELEMS, type);
            }
            int warm = 300;
            int measured = 100;
            long reducerBytes = 0;
            long directBytes = 0;
            for (int s = 0; s < warm + measured; s++) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                for (int p = buckets - 1; p >= 0; p--) {
                    r.markReady(g[p]);
                }
                r.finish();
                long a1 = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < buckets; i++) {
                    pending[i] = comm.allReduceAsync(direct[i], direct[i], ELEMS, type, ReduceOp.AVG);
                }
                for (int i = 0; i < buckets; i++) {
                    pending[i].join();
                    pending[i] = null;
                }
                long a2 = mx.getCurrentThreadAllocatedBytes();
                if (s >= warm) {
                    reducerBytes += a1 - a0;
                    directBytes += a2 - a1;
                }
            }
            return new long[] {reducerBytes / measured, directBytes / measured};
        } finally {
            for (HostBuffer h : direct) {
                if (h != null) {
                    h.close();
                }
            }
        }
    }
}
