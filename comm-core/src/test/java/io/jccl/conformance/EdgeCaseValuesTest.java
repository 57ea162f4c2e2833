package io.jccl.conformance;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Edge cases of the collectives with their exact expected values, over the in-process transport: a single rank,
 * a non-zero root, zero elements, fp16/bf16 sums rounded to nearest-even, averages, NaN on one rank, identical
 * bits on every rank (the cases of issue 3). Small segments (64 bytes) so that even these inputs cross segment
 * boundaries.
 */
@Timeout(60)
class EdgeCaseValuesTest {
    private static CommConfig config(Algorithm a) {
        return CommConfig.builder().algorithm(a).segmentBytes(64).timeoutMillis(20_000).build();
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING", "TREE"})
    void singleRankOutOfPlaceAverageIsTheInput(Algorithm a) {
        List<float[]> f32 = Jccl.runInProcess(1, config(a), comm -> {
            try (HostBuffer in = HostBuffer.allocate(1003, DataType.FLOAT32);
                 HostBuffer out = HostBuffer.allocate(1003, DataType.FLOAT32)) {
                for (int i = 0; i < 1003; i++) {
                    in.putFloat(i, i + 1);
                    out.putFloat(i, Float.NaN);
                }
                comm.allReduce(in, out, 1003, DataType.FLOAT32, ReduceOp.AVG);
                float[] r = new float[1003];
                for (int i = 0; i < r.length; i++) {
                    r[i] = out.getFloat(i);
                }
                return r;
            }
        });
        for (int i = 0; i < 1003; i++) {
            assertEquals(i + 1f, f32.get(0)[i], "fp32 element " + i);
        }
        List<float[]> bf = Jccl.runInProcess(1, config(a), comm -> {
            try (HostBuffer in = HostBuffer.allocate(253, DataType.BFLOAT16);
                 HostBuffer out = HostBuffer.allocate(253, DataType.BFLOAT16)) {
                for (int i = 0; i < 253; i++) {
                    in.putFromDouble(DataType.BFLOAT16, i, i + 1);
                    out.putFromDouble(DataType.BFLOAT16, i, Double.NaN);
                }
                comm.allReduce(in, out, 253, DataType.BFLOAT16, ReduceOp.AVG);
                float[] r = new float[253];
                for (int i = 0; i < r.length; i++) {
                    r[i] = (float) out.getAsDouble(DataType.BFLOAT16, i);
                }
                return r;
            }
        });
        for (int i = 0; i < 253; i++) {
            assertEquals(i + 1f, bf.get(0)[i], "bf16 element " + i);
        }
    }

    @Test
    void broadcastInt32FromANonZeroRoot() {
        int[] want = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        List<int[]> got = Jccl.runInProcess(6, config(Algorithm.AUTO), comm -> broadcastInts(comm, want, 2));
        for (int r = 0; r < 6; r++) {
            assertArrayEquals(want, got.get(r), "rank " + r);
        }
        int[] want2 = {7, 8, 9};
        List<int[]> got2 = Jccl.runInProcess(5, config(Algorithm.AUTO), comm -> broadcastInts(comm, want2, 0));
        for (int r = 0; r < 5; r++) {
            assertArrayEquals(want2, got2.get(r), "rank " + r);
        }
    }

    private static int[] broadcastInts(Communicator comm, int[] rootData, int root) {
        try (HostBuffer b = HostBuffer.allocate(rootData.length, DataType.INT32)) {
            for (int i = 0; i < rootData.length; i++) {
                b.putInt(i, comm.rank() == root ? rootData[i] : -12345);
            }
            comm.broadcast(b, rootData.length, DataType.INT32, root);
            int[] r = new int[rootData.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = b.getInt(i);
            }
            return r;
        }
    }

    @Test
    void zeroElementsForEveryCollectiveThenAWorkingAllReduce() {
        List<float[]> got = Jccl.runInProcess(4, config(Algorithm.AUTO), comm -> {
            float[] after = new float[6];
            try (HostBuffer empty = HostBuffer.allocate(0); HostBuffer one = HostBuffer.allocate(1, DataType.FLOAT32)) {
                comm.allGather(empty, empty, 0, DataType.FLOAT32);
                after[0] = sumOfOnes(comm, one);
                comm.broadcast(empty, 0, DataType.FLOAT32, 1);
                after[1] = sumOfOnes(comm, one);
                comm.reduce(empty, empty, 0, DataType.FLOAT32, ReduceOp.SUM, 3);
                after[2] = sumOfOnes(comm, one);
                comm.reduceScatter(empty, empty, 0, DataType.FLOAT32, ReduceOp.SUM);
                after[3] = sumOfOnes(comm, one);
                comm.allReduce(empty, empty, 0, DataType.FLOAT32, ReduceOp.SUM);
                after[4] = sumOfOnes(comm, one);
                try (HostBuffer e2 = HostBuffer.allocate(0)) { // out-of-place with distinct empty buffers
                    comm.allGather(empty, e2, 0, DataType.INT64);
                    comm.allReduce(empty, e2, 0, DataType.FLOAT16, ReduceOp.AVG);
                    comm.reduceScatter(empty, e2, 0, DataType.INT8, ReduceOp.MAX);
                }
                after[5] = sumOfOnes(comm, one);
            }
            return after;
        });
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4}, got.get(r), "rank " + r);
        }
    }

    private static float sumOfOnes(Communicator comm, HostBuffer one) {
        one.putFloat(0, 1.0f);
        comm.allReduce(one, 1, DataType.FLOAT32, ReduceOp.SUM);
        return one.getFloat(0);
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING", "TREE"})
    void halfPrecisionSumsRoundToNearestEven(Algorithm a) {
        float[] r0 = {65504, 65504, 1, 2048, -65504};
        float[] r1 = {15, 16, 0x1p-11f, 3, -16};
        float[] want = {65504, Float.POSITIVE_INFINITY, 1, 2052, Float.NEGATIVE_INFINITY};
        for (boolean inPlace : new boolean[] {false, true}) {
            List<float[]> got = Jccl.runInProcess(2, config(a),
                    comm -> reduceHalves(comm, DataType.FLOAT16, comm.rank() == 0 ? r0 : r1, inPlace));
            for (int r = 0; r < 2; r++) {
                assertArrayEquals(want, got.get(r), a + " fp16 rank " + r + (inPlace ? " in place" : ""));
            }
            List<float[]> bf = Jccl.runInProcess(2, config(a), comm -> reduceHalves(comm, DataType.BFLOAT16,
                    comm.rank() == 0 ? new float[] {256, 258} : new float[] {1, 1}, inPlace));
            for (int r = 0; r < 2; r++) {
                assertArrayEquals(new float[] {256, 260}, bf.get(r), a + " bf16 rank " + r);
            }
        }
    }

    private static float[] reduceHalves(Communicator comm, DataType t, float[] mine, boolean inPlace) {
        int n = mine.length;
        try (HostBuffer in = HostBuffer.allocate(n, t); HostBuffer out = HostBuffer.allocate(n, t)) {
            for (int i = 0; i < n; i++) {
                in.putFromDouble(t, i, mine[i]);
                if (in.getAsDouble(t, i) != mine[i]) {
                    throw new AssertionError(mine[i] + " is not exact in " + t);
                }
            }
            HostBuffer dst = inPlace ? in : out;
            comm.allReduce(in, dst, n, t, ReduceOp.SUM);
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = (float) dst.getAsDouble(t, i);
            }
            return r;
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING", "TREE"})
    void averages(Algorithm a) {
        List<float[]> f = Jccl.runInProcess(3, config(a), comm -> {
            try (HostBuffer b = HostBuffer.allocate(5, DataType.FLOAT32)) {
                for (int i = 0; i < 5; i++) {
                    b.putFloat(i, (comm.rank() + 1) * (i + 1));
                }
                comm.allReduce(b, 5, DataType.FLOAT32, ReduceOp.AVG);
                float[] r = new float[5];
                for (int i = 0; i < 5; i++) {
                    r[i] = b.getFloat(i);
                }
                return r;
            }
        });
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(new float[] {2, 4, 6, 8, 10}, f.get(r), a + " fp32 rank " + r);
        }
        int[] in = {-1, -2, -4};
        List<Integer> i32 = Jccl.runInProcess(3, config(a), comm -> {
            try (HostBuffer b = HostBuffer.allocate(1, DataType.INT32)) {
                b.putInt(0, in[comm.rank()]);
                comm.allReduce(b, 1, DataType.INT32, ReduceOp.AVG);
                return b.getInt(0);
            }
        });
        assertEquals(List.of(-2, -2, -2), i32, a + ": int32 avg of -1, -2, -4 truncates -7/3 toward zero");
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING", "TREE"})
    void nanOnAnyRankReachesEveryRank(Algorithm a) {
        int w = 4;
        int count = 9;
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.MIN, ReduceOp.MAX}) {
            for (int holder = 0; holder < w; holder++) {
                for (int nanAt : new int[] {-1, 0, 4, 8}) { // -1: NaN in every element of the holder
                    int h = holder;
                    List<float[]> got = Jccl.runInProcess(w, config(a), comm -> {
                        try (HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
                            for (int i = 0; i < count; i++) {
                                boolean nan = comm.rank() == h && (nanAt < 0 || nanAt == i);
                                b.putFloat(i, nan ? Float.NaN : comm.rank() + i);
                            }
                            comm.allReduce(b, count, DataType.FLOAT32, op);
                            float[] r = new float[count];
                            for (int i = 0; i < count; i++) {
                                r[i] = b.getFloat(i);
                            }
                            return r;
                        }
                    });
                    for (int r = 0; r < w; r++) {
                        for (int i = 0; i < count; i++) {
                            float v = got.get(r)[i];
                            String where = a + " " + op + " NaN on rank " + holder + " at " + nanAt + ": rank " + r
                                    + " element " + i;
                            if (nanAt < 0 || nanAt == i) {
                                assertTrue(Float.isNaN(v), where + " = " + v);
                            } else {
                                float want = op == ReduceOp.SUM ? 6 + 4 * i : op == ReduceOp.MIN ? i : 3 + i;
                                assertEquals(want, v, where);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING", "TREE"})
    void everyRankReceivesIdenticalBits(Algorithm a) {
        for (int w : new int[] {3, 4, 5, 7}) {
            int count = 1001;
            List<int[]> got = Jccl.runInProcess(w, config(a), comm -> {
                SplittableRandom rnd = new SplittableRandom(1000L * w + comm.rank());
                try (HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
                    for (int i = 0; i < count; i++) {
                        // wide exponent range, so that the order of additions changes the rounding
                        b.putFloat(i, (float) ((rnd.nextDouble() - 0.5) * Math.scalb(1.0, rnd.nextInt(-20, 20))));
                    }
                    comm.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
                    int[] bits = new int[count];
                    for (int i = 0; i < count; i++) {
                        bits[i] = Float.floatToRawIntBits(b.getFloat(i));
                    }
                    if (!comm.lastAlgorithm().equals(a.label())) {
                        throw new AssertionError("ran " + comm.lastAlgorithm() + " instead of " + a.label());
                    }
                    return bits;
                }
            });
            for (int r = 1; r < w; r++) {
                int rr = r;
                assertTrue(Arrays.equals(got.get(0), got.get(r)),
                        () -> a + " W=" + w + ": rank " + rr + " differs from rank 0 at element "
                                + Arrays.mismatch(got.get(0), got.get(rr)));
            }
        }
    }
}
