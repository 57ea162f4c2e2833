package io.jccl.buffer;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pipelined staging gives the host path's bits: every collective that reduces or moves data, run on
 * {@link SimulatedDeviceBuffer}s that copy asynchronously (on their own thread, with a little latency, so copies
 * really overlap the algorithm and finish out of step with it), in place and out of place, equals the same call on
 * {@link HostBuffer}s byte for byte. A 16-byte segment makes every count beyond 4 elements cross several staging
 * units; counts 0, 1, fewer than W, not divisible by W. Every algorithm, W = 1..5.
 */
class PipelinedStagingBitsTest {
    private static final long[] COUNTS = {0, 1, 3, 13, 37, 101};
    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.BFLOAT16};
    private static final ReduceOp[] OPS = {ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MIN};

    static Stream<Arguments> worlds() {
        List<Arguments> out = new ArrayList<>();
        for (int w = 1; w <= 5; w++) {
            for (Algorithm a : Algorithm.values()) {
                out.add(Arguments.of(w, a));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "W={0} {1}")
    @MethodSource("worlds")
    @Timeout(120)
    void everyCollectiveGivesTheHostBits(int w, Algorithm algo) {
        CommConfig config = CommConfig.builder().segmentBytes(16).algorithm(algo).timeoutMillis(30_000).build();
        List<Integer> checked = Jccl.runInProcess(w, config, comm -> {
            int n = 0;
            for (DataType t : TYPES) {
                for (long count : COUNTS) {
                    for (boolean inPlace : new boolean[]{true, false}) {
                        for (ReduceOp op : OPS) {
                            compare(comm, t, count, inPlace, (c, s, r) -> c.allReduce(s, r, count, t, op));
                            compare(comm, t, count * w, inPlace, (c, s, r) -> c.reduce(s, r, count, t, op, w / 2));
                            n += 2;
                        }
                        compare(comm, t, count, inPlace, (c, s, r) -> c.broadcast(s, r, count, t, w - 1));
                        n++;
                    }
                    compare(comm, t, count * w, false,
                            (c, s, r) -> c.reduceScatter(s, r, count, t, ReduceOp.SUM));
                    compare(comm, t, count * w, false, (c, s, r) -> c.allGather(s, r, count, t));
                    compare(comm, t, count * w, false, (c, s, r) -> c.allToAll(s, r, count, t));
                    n += 3;
                }
            }
            return n;
        });
        assertEquals(w, checked.size());
    }

    /**
     * The hierarchical all-reduce over fake hosts runs a call of many segments in pieces (here up to 8: 16-byte
     * segments), reading staged input piece by piece: the same bytes as on host buffers.
     */
    @ParameterizedTest(name = "hosts {0}")
    @MethodSource("hostLayouts")
    @Timeout(120)
    void hierarchicalPiecesGiveTheHostBits(String labels) {
        int[] hosts = java.util.Arrays.stream(labels.split(",")).mapToInt(Integer::parseInt).toArray();
        io.jccl.transport.HostLayout layout = io.jccl.transport.HostLayout.of(hosts);
        CommConfig config = CommConfig.builder().segmentBytes(16).algorithm(Algorithm.HIERARCHICAL)
                .timeoutMillis(30_000).build();
        List<Integer> checked = Jccl.runInProcess(layout, config, comm -> {
            int n = 0;
            for (DataType t : TYPES) {
                for (long count : new long[] {101, 1000}) {
                    for (boolean inPlace : new boolean[]{true, false}) {
                        for (ReduceOp op : OPS) {
                            compare(comm, t, count, inPlace, (c, s, r) -> c.allReduce(s, r, count, t, op));
                            n++;
                        }
                    }
                }
            }
            return n;
        });
        assertEquals(layout.size(), checked.size());
    }

    static Stream<String> hostLayouts() {
        return Stream.of("0,0,1,1", "0,0,0,1,1", "0,1,1");
    }

    private interface Op {
        void run(Communicator comm, CommBuffer send, CommBuffer recv);
    }

    /** Runs {@code op} on host buffers and on simulated device buffers of {@code count} elements; same bytes out. */
    private static void compare(Communicator comm, DataType t, long count, boolean inPlace, Op op) {
        int bytes = (int) (count * t.bytes());
        long seed = comm.rank() * 7919L + count * 31 + t.ordinal();
        try (HostBuffer hs = HostBuffer.allocate(Math.max(bytes, 1));
             HostBuffer hr = inPlace ? hs : HostBuffer.allocate(Math.max(bytes, 1));
             SimulatedDeviceBuffer ds = new SimulatedDeviceBuffer(Math.max(bytes, 1), 2_000, 0, true, null);
             SimulatedDeviceBuffer dr = inPlace ? ds : new SimulatedDeviceBuffer(Math.max(bytes, 1), 1_000, 0, true,
                     null)) {
            fill(hs.unsafeBacking(), t, seed);
            fill(ds.memory(), t, seed);
            if (!inPlace) {
                fill(hr.unsafeBacking(), t, seed + 1);
                fill(dr.memory(), t, seed + 1);
            }
            op.run(comm, hs, hr);
            op.run(comm, ds, dr);
            assertArrayEquals(bytesOf(hr.unsafeBacking()), bytesOf(dr.memory()),
                    () -> comm.lastAlgorithm() + " rank=" + comm.rank() + " W=" + comm.size() + " " + t + " count="
                            + count + " inPlace=" + inPlace);
        }
    }

    /** Values in [-8, 8) (no NaN: the bits of NaN operands are not pinned down on the host either). */
    static void fill(ByteBuffer b, DataType t, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = b.capacity() / t.bytes();
        for (int i = 0; i < n; i++) {
            float v = (float) (rnd.nextDouble() * 16 - 8);
            if (t == DataType.FLOAT32) {
                b.putFloat(i * 4, v);
            } else {
                b.putShort(i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
    }

    private static byte[] bytesOf(ByteBuffer b) {
        byte[] out = new byte[b.capacity()];
        b.get(0, out);
        return out;
    }
}
