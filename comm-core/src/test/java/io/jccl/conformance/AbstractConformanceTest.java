package io.jccl.conformance;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.check.CheckPattern;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance suite: every collective over W = 1..8, counts 0, 1, fewer than W, not divisible by W and
 * many segments (the segment is 64 bytes here), every type and op, in-place and out-of-place, each element
 * compared bit for bit with an exactly computed expectation. Subclasses choose the transport.
 */
@Timeout(600)
public abstract class AbstractConformanceTest {
    /** Segment size of the suite: small, so small inputs still cross segment boundaries. */
    protected static final long SEGMENT_BYTES = 64;

    protected abstract Cluster cluster();

    /** World sizes to cover; subclasses over slower transports may cover fewer. */
    protected static Stream<Integer> worldSizes() {
        return Stream.of(1, 2, 3, 4, 5, 6, 7, 8);
    }

    static long[] counts(int w) {
        return new long[] {0, 1, Math.max(1, w - 1), 2L * w + 1, 203};
    }

    static Stream<Arguments> worldAndAlgorithm() {
        return worldSizes().flatMap(w -> Stream.of(Arguments.of(w, Algorithm.RING), Arguments.of(w, Algorithm.TREE)));
    }

    private CommConfig config(Algorithm a) {
        return CommConfig.builder().algorithm(a).segmentBytes(SEGMENT_BYTES).timeoutMillis(60_000).build();
    }

    @ParameterizedTest(name = "W={0} {1}")
    @MethodSource("worldAndAlgorithm")
    void allReduceEveryTypeOpCountPlacement(int w, Algorithm algo) {
        List<List<String>> failures = cluster().run(w, config(algo), comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : DataType.values()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.allReduce(send, recv, count, t, op);
                                long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                if (wrong > 0) {
                                    bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " " + op
                                            + (inPlace ? " in-place" : " out-of-place") + " wrong=" + wrong);
                                }
                                if (count > 0 && !comm.lastAlgorithm().equals(algo.label())) {
                                    bad.add("ran " + comm.lastAlgorithm() + " instead of " + algo.label());
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    static Stream<Integer> worlds() {
        return worldSizes();
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void broadcastEveryRootTypeCount(int w) {
        List<List<String>> failures = cluster().run(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (int root = 0; root < w; root++) {
                for (long count : counts(w)) {
                    for (DataType t : new DataType[] {DataType.INT8, DataType.FLOAT16, DataType.INT32, DataType.FLOAT64}) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                if (comm.rank() == root) {
                                    CheckPattern.fill(send, t, ReduceOp.MAX, root, 0, count);
                                } else {
                                    send.fill((byte) 0x5a);
                                    recv.fill((byte) 0x5a);
                                }
                                comm.broadcast(send, recv, count, t, root);
                                for (long i = 0; i < count; i++) {
                                    long want = send == recv && comm.rank() != root
                                            ? bits(t, CheckPattern.input(t, ReduceOp.MAX, root, i))
                                            : bits(t, CheckPattern.input(t, ReduceOp.MAX, root, i));
                                    if (recv.getBits(t, i) != want) {
                                        bad.add("rank=" + comm.rank() + " root=" + root + " count=" + count + " " + t
                                                + " element " + i);
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void reduceEveryRootTypeOp(int w) {
        List<List<String>> failures = cluster().run(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (int root = 0; root < w; root++) {
                for (long count : counts(w)) {
                    for (DataType t : DataType.values()) {
                        for (ReduceOp op : ReduceOp.values()) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.reduce(send, recv, count, t, op, root);
                                if (comm.rank() == root) {
                                    long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                    if (wrong > 0) {
                                        bad.add("root=" + root + " count=" + count + " " + t + " " + op + " wrong=" + wrong);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void allGatherEveryTypeCountPlacement(int w) {
        List<List<String>> failures = cluster().run(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : DataType.values()) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        try (HostBuffer recv = HostBuffer.allocate(count * w, t);
                             HostBuffer own = HostBuffer.allocate(count, t)) {
                            recv.fill((byte) 0x33);
                            HostBuffer send = inPlace ? recv : own;
                            CheckPattern.fill(send, t, ReduceOp.MAX, comm.rank(), inPlace ? comm.rank() * count : 0, count);
                            comm.allGather(send, recv, count, t);
                            for (int b = 0; b < w; b++) {
                                for (long i = 0; i < count; i++) {
                                    if (recv.getBits(t, b * count + i) != bits(t, CheckPattern.input(t, ReduceOp.MAX, b, i))) {
                                        bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " block " + b
                                                + " element " + i + (inPlace ? " in-place" : ""));
                                        b = w;
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void reduceScatterEveryTypeOpCountPlacement(int w) {
        List<List<String>> failures = cluster().run(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : DataType.values()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count * w, t);
                                 HostBuffer out = HostBuffer.allocate(count, t)) {
                                // element j of block b has the value of element (b*count + j) of a flat input
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count * w);
                                HostBuffer recv = inPlace ? send : out;
                                comm.reduceScatter(send, recv, count, t, op);
                                long at = inPlace ? comm.rank() * count : 0;
                                for (long j = 0; j < count; j++) {
                                    long want = CheckPattern.expectedBits(t, op, w, comm.rank() * count + j);
                                    if (recv.getBits(t, at + j) != want) {
                                        bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " " + op
                                                + " element " + j + (inPlace ? " in-place" : ""));
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void barrierThenAllReduceStaysInStep(int w) {
        List<Long> sums = cluster().run(w, config(Algorithm.AUTO), comm -> {
            long total = 0;
            try (HostBuffer b = HostBuffer.allocate(1, DataType.INT64)) {
                for (int i = 0; i < 20; i++) {
                    comm.barrier();
                    b.putLong(0, comm.rank() + i);
                    comm.allReduce(b, 1, DataType.INT64, ReduceOp.SUM);
                    total += b.getLong(0);
                }
            }
            return total;
        });
        long expected = 0;
        for (int i = 0; i < 20; i++) {
            expected += (long) w * (w - 1) / 2 + (long) w * i;
        }
        for (long s : sums) {
            assertEquals(expected, s);
        }
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void asyncCallsCompleteInIssueOrder(int w) {
        List<List<String>> failures = cluster().run(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int n = 8;
            HostBuffer[] bufs = new HostBuffer[n];
            var futures = new ArrayList<java.util.concurrent.CompletableFuture<Void>>();
            for (int i = 0; i < n; i++) {
                bufs[i] = HostBuffer.allocate(37, DataType.INT32);
                for (int e = 0; e < 37; e++) {
                    bufs[i].putInt(e, comm.rank() * 100 + i);
                }
                futures.add(comm.allReduceAsync(bufs[i], bufs[i], 37, DataType.INT32, ReduceOp.SUM));
            }
            futures.forEach(java.util.concurrent.CompletableFuture::join);
            for (int i = 0; i < n; i++) {
                int want = 100 * w * (w - 1) / 2 + w * i;
                for (int e = 0; e < 37; e++) {
                    if (bufs[i].getInt(e) != want) {
                        bad.add("op " + i + " element " + e + ": " + bufs[i].getInt(e) + " != " + want);
                        break;
                    }
                }
                bufs[i].close();
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    static long bits(DataType t, long value) {
        try (HostBuffer one = HostBuffer.allocate(1, t)) {
            one.putFromLong(t, 0, value);
            return one.getBits(t, 0);
        }
    }
}
