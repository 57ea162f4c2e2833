package io.jccl.buffer;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.transport.HostLayout;
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
 * r-2 for the all-reduce, r-1, r-2, r for the reduce-scatter; and the results stay right. Likewise the double binary
 * tree (a segment of each half in turn) and the hierarchical all-reduce (blocks in the intra-host ring's order).
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
            return check(queuedD2h(log), r, 0, "all-reduce");
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
            return check(queuedD2h(log), r, -1, "reduce-scatter");
        });
        assertEquals(List.of("", "", ""), failures);
    }

    /**
     * The double binary tree reads segment k of one half, then segment k of the other: its copies are queued in pairs
     * (one segment of each half), not the first half before the second.
     */
    @Test
    @Timeout(60)
    void treeAllReduceCopiesBothHalvesInTurn() {
        CommConfig config = CommConfig.builder().segmentBytes(SEGMENT).algorithm(Algorithm.TREE).timeoutMillis(30_000)
                .build();
        int count = 2 * CHUNK;
        List<String> failures = Jccl.runInProcess(W, config, comm -> {
            List<Long> queued = queuedCopies(comm, count, (c, d) -> c.allReduce(d, count, DataType.FLOAT32,
                    ReduceOp.SUM));
            long halfBytes = CHUNK * 4L;
            for (int k = 0; k < queued.size() / 2; k++) {
                List<Long> pair = List.of(Math.min(queued.get(2 * k), queued.get(2 * k + 1)),
                        Math.max(queued.get(2 * k), queued.get(2 * k + 1)));
                if (!pair.equals(List.of((long) k * SEGMENT, halfBytes + (long) k * SEGMENT))) {
                    return "rank " + comm.rank() + ": device-to-host copies queued at " + queued;
                }
            }
            return queued.size() == 2 * CHUNK * 4 / SEGMENT ? "" : "rank " + comm.rank() + ": " + queued;
        });
        assertEquals(List.of("", "", ""), failures);
    }

    /**
     * The hierarchical all-reduce's reduce-scatter inside a host (3 ranks per host, 2 hosts) reads block i-1, i-2, i
     * at local rank i: its copies are queued in that block order.
     */
    @Test
    @Timeout(60)
    void hierarchicalAllReduceCopiesBlocksInStepOrder() {
        CommConfig config = CommConfig.builder().segmentBytes(SEGMENT).algorithm(Algorithm.HIERARCHICAL)
                .timeoutMillis(30_000).build();
        HostLayout layout = HostLayout.of(0, 0, 0, 1, 1, 1);
        List<String> failures = Jccl.runInProcess(layout, config, comm -> {
            List<Long> queued = queuedCopies(comm, W * CHUNK, (c, d) -> c.allReduce(d, W * CHUNK, DataType.FLOAT32,
                    ReduceOp.SUM));
            return check(queued, layout.localRank(comm.rank()), -1, "hierarchical all-reduce");
        });
        assertEquals(List.of("", "", "", "", "", ""), failures);
    }

    private interface Call {
        void run(Communicator comm, SimulatedDeviceBuffer d);
    }

    /** Runs {@code call} on a simulated device buffer of {@code count} fp32; the device offsets of its queued copies. */
    private static List<Long> queuedCopies(Communicator comm, int count, Call call) {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (SimulatedDeviceBuffer d = new SimulatedDeviceBuffer(count * 4L, 0, 0, true, log::add)) {
            for (int i = 0; i < count; i++) {
                d.memory().putFloat(i * 4, i + comm.rank());
            }
            call.run(comm, d);
            int w = comm.size();
            for (int i = 0; i < count; i++) {
                assertEquals(w * (float) i + w * (w - 1) / 2f, d.memory().getFloat(i * 4), "rank " + comm.rank()
                        + " element " + i);
            }
        }
        return queuedD2h(log);
    }

    private static CommConfig config() {
        return CommConfig.builder().segmentBytes(SEGMENT).algorithm(Algorithm.RING).timeoutMillis(30_000).build();
    }

    /** The device offsets of the device-to-host copies queued, in queue order. */
    private static List<Long> queuedD2h(List<String> log) {
        List<Long> queued = new ArrayList<>();
        synchronized (log) {
            for (String e : log) {
                if (e.startsWith("queued d2h ")) {
                    queued.add(Long.parseLong(e.split(" ")[2]));
                }
            }
        }
        return queued;
    }

    /** "" when the queued device-to-host copies are chunks first+r, first+r-1, ... in address order within each. */
    private static String check(List<Long> queued, int r, int first, String what) {
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
