package io.jccl.buffer;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pipelined staging copies a ring algorithm's input to the host in the order the algorithm reads it, not in
 * address order: copies of one direction complete in queue order, so a chunk read at step 1 but queued last would
 * wait for the whole buffer's copy. On W = 3 ranks (where the orders differ; the size thresholds pick the ring
 * reduce-scatter for W = 3), each rank's device-to-host copies are queued chunk by chunk in ring step order: r, r-1,
 * r-2 for the all-reduce, r-1, r-2, r for the reduce-scatter; and the results stay right.
 */
class PipelinedStagingPrefetchTest {
    private static final int W = 3;
    private static final int SEGMENT = 64;
    /** Elements per chunk: 4 segments of fp32. */
    private static final int CHUNK = 4 * SEGMENT / 4;

    @Test
    @Timeout(60)
    void ringAllReduceCopiesChunksInStepOrder() {
        List<String> failures = Jccl.runInProcess(W, config(), comm -> {
            int r = comm.rank();
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            try (SimulatedDeviceBuffer d = new SimulatedDeviceBuffer(W * CHUNK * 4L, 0, 0, true, log::add)) {
                for (int i = 0; i < W * CHUNK; i++) {
                    d.memory().putFloat(i * 4, i + r);
                }
                comm.allReduce(d, W * CHUNK, DataType.FLOAT32, ReduceOp.SUM);
                for (int i = 0; i < W * CHUNK; i++) {
                    assertEquals(W * (float) i + 3, d.memory().getFloat(i * 4), "rank " + r + " element " + i);
                }
            }
            return check(log, r, 0, "all-reduce");
        });
        assertEquals(List.of("", "", ""), failures);
    }

    @Test
    @Timeout(60)
    void ringReduceScatterCopiesBlocksInStepOrder() {
        List<String> failures = Jccl.runInProcess(W, config(), comm -> {
            int r = comm.rank();
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            try (SimulatedDeviceBuffer send = new SimulatedDeviceBuffer(W * CHUNK * 4L, 0, 0, true, log::add);
                 SimulatedDeviceBuffer recv = new SimulatedDeviceBuffer(CHUNK * 4L, 0, 0, true, null)) {
                for (int i = 0; i < W * CHUNK; i++) {
                    send.memory().putFloat(i * 4, i + r);
                }
                comm.reduceScatter(send, recv, CHUNK, DataType.FLOAT32, ReduceOp.SUM);
                for (int i = 0; i < CHUNK; i++) {
                    assertEquals(W * (float) (r * CHUNK + i) + 3, recv.memory().getFloat(i * 4),
                            "rank " + r + " element " + i);
                }
            }
            return check(log, r, -1, "reduce-scatter");
        });
        assertEquals(List.of("", "", ""), failures);
    }

    private static CommConfig config() {
        return CommConfig.builder().segmentBytes(SEGMENT).algorithm(Algorithm.RING).timeoutMillis(30_000).build();
    }

    /** "" when the queued device-to-host copies are chunks first+r, first+r-1, ... in address order within each. */
    private static String check(List<String> log, int r, int first, String what) {
        List<Long> queued = new ArrayList<>();
        synchronized (log) {
            for (String e : log) {
                if (e.startsWith("queued d2h ")) {
                    queued.add(Long.parseLong(e.split(" ")[2]));
                }
            }
        }
        List<Long> expected = new ArrayList<>();
        for (int s = 0; s < W; s++) {
            long chunk = Math.floorMod(r + first - s, W);
            for (long off = 0; off < CHUNK * 4L; off += SEGMENT) {
                expected.add(chunk * CHUNK * 4 + off);
            }
        }
        return expected.equals(queued) ? "" : "rank " + r + " " + what + ": device-to-host copies queued at "
                + queued + ", expected " + expected;
    }
}
