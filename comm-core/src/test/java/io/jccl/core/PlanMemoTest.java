package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.algo.select.Selector;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With a cost model, a communicator predicts the all-reduce plan of a size once, not at every call. */
class PlanMemoTest {
    private static final CostModel MODEL = CostModel.uniform(new LinkParams(2e-6, 1e-10, 1e-10))
            .withAcrossHosts(new LinkParams(5e-5, 8e-9, 0));

    @Test
    void theMemoChoosesAsTheSelectorAtEverySizeAndLayout() {
        CommConfig cfg = CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).costModel(MODEL).build();
        for (HostLayout hosts : new HostLayout[] {HostLayout.singleHost(4), HostLayout.of(0, 0, 1, 1),
                HostLayout.of(0, 1, 2, 3)}) {
            PlanMemo memo = new PlanMemo();
            for (int round = 0; round < 2; round++) { // the second round from the memo, with collisions in between
                for (long bytes = 4; bytes <= 1L << 30; bytes = bytes * 3 / 2 + 4) {
                    assertEquals(Selector.allReduce(cfg, bytes, hosts), memo.allReduce(cfg, bytes, hosts),
                            bytes + " B on " + hosts.describe());
                }
            }
        }
    }

    @Test
    void aWarmAllReduceAllocatesNoMoreWithACostModelThanWithout() {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean tb
                && tb.isThreadAllocatedMemorySupported() && tb.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count a thread's allocated bytes");
        long without = bytesPerCall(CommConfig.builder().costModel(null).build());
        long with = bytesPerCall(CommConfig.builder().costModel(MODEL).build());
        assertTrue(with <= without + 8, "a warm all-reduce allocated " + with + " B per call with a cost model, "
                + without + " B without");
    }

    /** The bytes rank 0's thread allocates per warm in-place all-reduce of 8 floats at W=2 (the larger of 2 tries). */
    private static long bytesPerCall(CommConfig cfg) {
        List<Long> perCall = Jccl.runInProcess(2, cfg, comm -> {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().getId();
            try (HostBuffer b = HostBuffer.allocate(8, DataType.FLOAT32)) {
                long least = Long.MAX_VALUE;
                for (int attempt = 0; attempt < 3; attempt++) {
                    for (int i = 0; i < 2000; i++) {
                        comm.allReduce(b, b, 8, DataType.FLOAT32, ReduceOp.SUM);
                    }
                    long before = mx.getThreadAllocatedBytes(tid);
                    int n = 2000;
                    for (int i = 0; i < n; i++) {
                        comm.allReduce(b, b, 8, DataType.FLOAT32, ReduceOp.SUM);
                    }
                    least = Math.min(least, (mx.getThreadAllocatedBytes(tid) - before) / n);
                }
                return least;
            }
        });
        return perCall.get(0);
    }
}
