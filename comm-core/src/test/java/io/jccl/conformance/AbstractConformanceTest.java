package io.jccl.conformance;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.check.CheckPattern;
import io.jccl.reduce.HalfFloats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance suite: every collective over W = 1..8 (subclasses over slower transports may cover fewer),
 * counts 0, 1, fewer than W, not divisible by W and many segments (the segment is 64 bytes here), every
 * algorithm, every type and op for the reductions, in-place and out-of-place, each element compared bit for bit
 * with an exactly computed expectation ({@link CheckPattern}, or a sequential rank-order reduction for
 * deterministic mode). Also the v variants with uneven counts including zeros, point-to-point messages, split
 * communicators used from concurrent threads. Subclasses choose the transport.
 */
@Timeout(600)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractConformanceTest {
    /** Segment size of the suite: small, so small inputs still cross segment boundaries. */
    protected static final long SEGMENT_BYTES = 64;

    /** Element types for collectives that only move data: every element width. */
    private static final DataType[] MOVE_TYPES = {DataType.INT8, DataType.FLOAT16, DataType.INT32, DataType.FLOAT64};

    protected abstract Cluster cluster();

    /** World sizes to cover; subclasses over slower transports may cover fewer. */
    protected Stream<Integer> worldSizes() {
        return Stream.of(1, 2, 3, 4, 5, 6, 7, 8);
    }

    /**
     * Element types of the reduction tests (every op is run for each). The reduction kernels are the same
     * whatever the transport, so subclasses over slower transports may cover one type of each width and kind.
     */
    protected DataType[] reductionTypes() {
        return DataType.values();
    }

    static long[] counts(int w) {
        return new long[] {0, 1, Math.max(1, w - 1), 2L * w + 1, 203};
    }

    /** Uneven per-rank counts for the v variants: all zero, zeros on some ranks, one big block, many segments. */
    static List<long[]> countPatterns(int w) {
        List<long[]> out = new ArrayList<>();
        long[] zeros = new long[w];
        long[] mixed = new long[w];
        long[] last = new long[w];
        long[] many = new long[w];
        for (int b = 0; b < w; b++) {
            mixed[b] = b % 2 == 0 ? 0 : 2L * w + 1;
            last[b] = b == w - 1 ? 203 : 0;
            many[b] = 40 + 13L * b;
        }
        out.add(zeros);
        out.add(mixed);
        out.add(last);
        out.add(many);
        return out;
    }

    Stream<Integer> worlds() {
        return worldSizes();
    }

    Stream<Arguments> worldAndAlgorithm() {
        return worldSizes().flatMap(w -> Stream.of(Arguments.of(w, Algorithm.RING), Arguments.of(w, Algorithm.TREE),
                Arguments.of(w, Algorithm.HALVING_DOUBLING), Arguments.of(w, Algorithm.RECURSIVE_DOUBLING),
                Arguments.of(w, Algorithm.HIERARCHICAL)));
    }

    Stream<Arguments> worldAndChoice() {
        return worldSizes().flatMap(w -> Stream.of(Arguments.of(w, true), Arguments.of(w, false)));
    }

    private static CommConfig.Builder base() {
        return CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).segmentBytes(SEGMENT_BYTES)
                .timeoutMillis(60_000);
    }

    private static CommConfig config(Algorithm a) {
        return base().algorithm(a).build();
    }

    /** Runs {@code task} on every rank and fails with every rank's list of problems. */
    private void check(int w, CommConfig cfg, Jccl.RankTask<List<String>> task) {
        List<List<String>> failures = cluster().run(w, cfg, task);
        List<String> all = new ArrayList<>();
        failures.forEach(all::addAll);
        assertTrue(all.isEmpty(), () -> all.size() + " problems:\n" + String.join("\n", all.subList(0, Math.min(40, all.size()))));
    }

    private static long sum(long[] c) {
        long s = 0;
        for (long x : c) {
            s += x;
        }
        return s;
    }

    private static long offset(long[] c, int b) {
        long s = 0;
        for (int i = 0; i < b; i++) {
            s += c[i];
        }
        return s;
    }

    private static String where(boolean inPlace) {
        return inPlace ? " in-place" : " out-of-place";
    }

    // ---------------------------------------------------------------- all-reduce

    @ParameterizedTest(name = "W={0} {1}")
    @MethodSource("worldAndAlgorithm")
    void allReduceEveryTypeOpCountPlacement(int w, Algorithm algo) {
        check(w, config(algo), comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : reductionTypes()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.allReduce(send, recv, count, t, op);
                                long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                if (wrong > 0) {
                                    bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " " + op
                                            + where(inPlace) + " wrong=" + wrong);
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
    }

    /**
     * What auto runs on W ranks of this suite's cluster where it runs {@code flat} on one host: {@code flat}, unless a
     * subclass spreads the ranks over hosts.
     */
    protected String autoAllReduce(int w, String flat) {
        return flat;
    }

    /** The automatic choice runs each of the three algorithms at its sizes, and each is right. */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void allReduceAutoPicksBySize(int w) {
        CommConfig cfg = base().rdMaxBytes(16).treeMaxBytes(64).hdMaxBytes(1024).build();
        check(w, cfg, comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : new long[] {4, 16, 200, 300}) { // 16 B, 64 B, 800 B, 1200 B of fp32
                try (HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
                    CheckPattern.fill(b, DataType.FLOAT32, ReduceOp.SUM, comm.rank(), 0, count);
                    comm.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
                    long wrong = CheckPattern.countWrong(b, DataType.FLOAT32, ReduceOp.SUM, w, 0, count);
                    String want = autoAllReduce(w, count == 4 ? "rd" : w <= 2 ? "ring" : count == 16 ? "tree"
                            : count == 200 ? "hd" : "ring");
                    if (wrong > 0 || !comm.lastAlgorithm().equals(want)) {
                        bad.add("count=" + count + " ran " + comm.lastAlgorithm() + " (want " + want + ") wrong=" + wrong);
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- broadcast and reduce

    /** {@code binomial}: small messages (the default threshold); else the chain (threshold 0). */
    @ParameterizedTest(name = "W={0} binomial={1}")
    @MethodSource("worldAndChoice")
    void broadcastEveryRootTypeCount(int w, boolean binomial) {
        CommConfig cfg = binomial ? base().build() : base().treeMaxBytes(0).build();
        check(w, cfg, comm -> {
            List<String> bad = new ArrayList<>();
            for (int root = 0; root < w; root++) {
                for (long count : counts(w)) {
                    for (DataType t : MOVE_TYPES) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                if (comm.rank() == root) {
                                    CheckPattern.fill(send, t, ReduceOp.MAX, root, 0, count);
                                } else {
                                    send.fill((byte) 0x5a);
                                    recv.fill((byte) 0x5a);
                                }
                                // a non-root rank's send buffer is not read: out of place it may be null
                                comm.broadcast(comm.rank() == root || inPlace ? send : null, recv, count, t, root);
                                for (long i = 0; i < count; i++) {
                                    if (recv.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, root, i)) {
                                        bad.add("rank=" + comm.rank() + " root=" + root + " count=" + count + " " + t
                                                + where(inPlace) + " element " + i);
                                        break;
                                    }
                                }
                                String want = binomial && w > 2 ? "binomial" : "ring-chain";
                                if (count > 0 && !comm.lastAlgorithm().equals(want)) {
                                    bad.add("ran " + comm.lastAlgorithm() + " instead of " + want);
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void reduceEveryRootTypeOp(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (int root = 0; root < w; root++) {
                for (long count : counts(w)) {
                    for (DataType t : reductionTypes()) {
                        for (ReduceOp op : ReduceOp.values()) {
                            boolean inPlace = (root + count) % 2 == 0;
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.reduce(send, comm.rank() == root || inPlace ? recv : null, count, t, op, root);
                                if (comm.rank() == root) {
                                    long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                    if (wrong > 0) {
                                        bad.add("root=" + root + " count=" + count + " " + t + " " + op + where(inPlace)
                                                + " wrong=" + wrong);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- all-gather(v)

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void allGatherEveryTypeCountPlacement(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : reductionTypes()) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        long[] c = new long[w];
                        Arrays.fill(c, count);
                        try (HostBuffer recv = HostBuffer.allocate(count * w, t);
                             HostBuffer own = HostBuffer.allocate(count, t)) {
                            recv.fill((byte) 0x33);
                            HostBuffer send = inPlace ? recv : own;
                            CheckPattern.fill(send, t, ReduceOp.MAX, comm.rank(), inPlace ? comm.rank() * count : 0, count);
                            comm.allGather(send, recv, count, t);
                            checkGathered(bad, "all_gather rank=" + comm.rank() + " count=" + count + " " + t
                                    + where(inPlace), recv, t, c);
                        }
                    }
                }
            }
            return bad;
        });
    }

    /** Block b of {@code recv} (layout {@code c}) must hold rank b's pattern. */
    private static void checkGathered(List<String> bad, String what, HostBuffer recv, DataType t, long[] c) {
        long at = 0;
        for (int b = 0; b < c.length; b++) {
            for (long i = 0; i < c[b]; i++) {
                if (recv.getBits(t, at + i) != CheckPattern.inputBits(t, ReduceOp.MAX, b, i)) {
                    bad.add(what + ": block " + b + " element " + i);
                    return;
                }
            }
            at += c[b];
        }
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void allGathervUnevenCountsIncludingZeros(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            for (long[] c : countPatterns(w)) {
                for (DataType t : MOVE_TYPES) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        try (HostBuffer recv = HostBuffer.allocate(sum(c), t);
                             HostBuffer own = HostBuffer.allocate(c[r], t)) {
                            recv.fill((byte) 0x33);
                            HostBuffer send = inPlace ? recv : own;
                            CheckPattern.fill(send, t, ReduceOp.MAX, r, inPlace ? offset(c, r) : 0, c[r]);
                            comm.allGatherv(send, recv, c, t);
                            checkGathered(bad, "all_gatherv rank=" + r + " counts=" + Arrays.toString(c) + " " + t
                                    + where(inPlace), recv, t, c);
                        }
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- gather(v), scatter(v)

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void gatherAndGathervEveryRoot(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            List<long[]> layouts = new ArrayList<>();
            for (long count : counts(w)) {
                long[] c = new long[w];
                Arrays.fill(c, count);
                layouts.add(c);
            }
            int uniform = layouts.size();
            layouts.addAll(countPatterns(w));
            for (int root = 0; root < w; root++) {
                for (int li = 0; li < layouts.size(); li++) {
                    long[] c = layouts.get(li);
                    boolean v = li >= uniform;
                    DataType t = MOVE_TYPES[(root + li) % MOVE_TYPES.length];
                    for (boolean inPlace : new boolean[] {false, true}) {
                        try (HostBuffer recv = HostBuffer.allocate(sum(c), t); HostBuffer own = HostBuffer.allocate(c[r], t)) {
                            recv.fill((byte) 0x77);
                            boolean here = inPlace && r == root;
                            HostBuffer send = here ? recv : own;
                            CheckPattern.fill(send, t, ReduceOp.MAX, r, here ? offset(c, r) : 0, c[r]);
                            HostBuffer out = r == root ? recv : null; // only the root's recv is used
                            if (v) {
                                comm.gatherv(send, out, c, t, root);
                            } else {
                                comm.gather(send, out, c[0], t, root);
                            }
                            if (r == root) {
                                checkGathered(bad, (v ? "gatherv" : "gather") + " root=" + root + " counts="
                                        + Arrays.toString(c) + " " + t + where(inPlace), recv, t, c);
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void scatterAndScattervEveryRoot(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            List<long[]> layouts = new ArrayList<>();
            for (long count : counts(w)) {
                long[] c = new long[w];
                Arrays.fill(c, count);
                layouts.add(c);
            }
            int uniform = layouts.size();
            layouts.addAll(countPatterns(w));
            for (int root = 0; root < w; root++) {
                for (int li = 0; li < layouts.size(); li++) {
                    long[] c = layouts.get(li);
                    boolean v = li >= uniform;
                    DataType t = MOVE_TYPES[(root + li) % MOVE_TYPES.length];
                    for (boolean inPlace : new boolean[] {false, true}) {
                        try (HostBuffer whole = HostBuffer.allocate(sum(c), t); HostBuffer own = HostBuffer.allocate(c[r], t)) {
                            boolean here = inPlace && r == root;
                            own.fill((byte) 0x66);
                            whole.fill((byte) 0x66);
                            if (r == root) {
                                CheckPattern.fill(whole, t, ReduceOp.MAX, root, 0, sum(c));
                            }
                            HostBuffer send = r == root ? whole : null; // read only at the root
                            HostBuffer recv = here ? whole : own;
                            if (v) {
                                comm.scatterv(send, recv, c, t, root);
                            } else {
                                comm.scatter(send, recv, c[0], t, root);
                            }
                            long at = here ? offset(c, r) : 0;
                            long from = offset(c, r);
                            for (long i = 0; i < c[r]; i++) {
                                if (recv.getBits(t, at + i) != CheckPattern.inputBits(t, ReduceOp.MAX, root, from + i)) {
                                    bad.add((v ? "scatterv" : "scatter") + " rank=" + r + " root=" + root + " counts="
                                            + Arrays.toString(c) + " " + t + where(inPlace) + " element " + i);
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- reduce-scatter(v)

    /** {@code auto}: recursive halving on power-of-two W (the sizes here are small); else the ring (threshold 0). */
    @ParameterizedTest(name = "W={0} auto={1}")
    @MethodSource("worldAndChoice")
    void reduceScatterEveryTypeOpCountPlacement(int w, boolean auto) {
        CommConfig cfg = auto ? base().build() : base().hdMaxBytes(0).build();
        String want = auto && w > 1 && Integer.bitCount(w) == 1 ? "halving" : "ring";
        check(w, cfg, comm -> {
            List<String> bad = new ArrayList<>();
            for (long count : counts(w)) {
                for (DataType t : reductionTypes()) {
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
                                    long expected = CheckPattern.expectedBits(t, op, w, comm.rank() * count + j);
                                    if (recv.getBits(t, at + j) != expected) {
                                        bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " " + op
                                                + " element " + j + where(inPlace));
                                        break;
                                    }
                                }
                                if (count > 0 && !comm.lastAlgorithm().equals(want)) {
                                    bad.add("ran " + comm.lastAlgorithm() + " instead of " + want);
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    @ParameterizedTest(name = "W={0} auto={1}")
    @MethodSource("worldAndChoice")
    void reduceScattervUnevenCountsIncludingZeros(int w, boolean auto) {
        CommConfig cfg = auto ? base().build() : base().hdMaxBytes(0).build();
        check(w, cfg, comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            for (long[] c : countPatterns(w)) {
                long total = sum(c);
                for (DataType t : reductionTypes()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        boolean inPlace = (t.ordinal() + op.ordinal()) % 2 == 0;
                        try (HostBuffer send = HostBuffer.allocate(total, t); HostBuffer out = HostBuffer.allocate(c[r], t)) {
                            CheckPattern.fill(send, t, op, r, 0, total);
                            HostBuffer recv = inPlace ? send : out;
                            comm.reduceScatterv(send, recv, c, t, op);
                            long at = inPlace ? offset(c, r) : 0;
                            for (long j = 0; j < c[r]; j++) {
                                if (recv.getBits(t, at + j) != CheckPattern.expectedBits(t, op, w, offset(c, r) + j)) {
                                    bad.add("reduce_scatterv rank=" + r + " counts=" + Arrays.toString(c) + " " + t + " "
                                            + op + where(inPlace) + " element " + j);
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- all-to-all(v)

    /** Elements rank p sends to rank q in the v test: uneven, zeros included. */
    private static long pairCount(int p, int q, int pattern) {
        switch (pattern) {
            case 0: return (p * 3L + q * 5L) % 4;
            case 1: return p == q ? 0 : 17 + p;
            default: return q == 0 ? 203 : 0;
        }
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void allToAllAndAllToAllv(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            // uniform counts, then three uneven patterns; -1 marks "uniform with this count"
            List<long[][]> matrices = new ArrayList<>();
            for (long count : counts(w)) {
                long[][] m = new long[w][w];
                for (long[] row : m) {
                    Arrays.fill(row, count);
                }
                matrices.add(m);
            }
            int uniform = matrices.size();
            for (int pattern = 0; pattern < 3; pattern++) {
                long[][] m = new long[w][w];
                for (int p = 0; p < w; p++) {
                    for (int q = 0; q < w; q++) {
                        m[p][q] = pairCount(p, q, pattern);
                    }
                }
                matrices.add(m);
            }
            for (int mi = 0; mi < matrices.size(); mi++) {
                long[][] m = matrices.get(mi);
                boolean v = mi >= uniform;
                long[] sendCounts = m[r].clone();
                long[] recvCounts = new long[w];
                for (int p = 0; p < w; p++) {
                    recvCounts[p] = m[p][r];
                }
                for (DataType t : new DataType[] {MOVE_TYPES[mi % MOVE_TYPES.length], DataType.INT64}) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        long sendTotal = sum(sendCounts);
                        long recvTotal = sum(recvCounts);
                        try (HostBuffer send = HostBuffer.allocate(inPlace ? Math.max(sendTotal, recvTotal) : sendTotal, t);
                             HostBuffer out = HostBuffer.allocate(recvTotal, t)) {
                            out.fill((byte) 0x44);
                            CheckPattern.fill(send, t, ReduceOp.MAX, r, 0, sendTotal);
                            HostBuffer recv = inPlace ? send : out;
                            if (v) {
                                comm.allToAllv(send, sendCounts, recv, recvCounts, t);
                            } else {
                                comm.allToAll(send, recv, sendCounts[0], t);
                            }
                            long at = 0;
                            for (int p = 0; p < w && at >= 0; p++) {
                                long from = offset(m[p], r); // where rank p's block for r starts in p's send buffer
                                for (long i = 0; i < recvCounts[p]; i++) {
                                    if (recv.getBits(t, at + i) != CheckPattern.inputBits(t, ReduceOp.MAX, p, from + i)) {
                                        bad.add((v ? "alltoallv" : "alltoall") + " rank=" + r + " matrix " + mi + " " + t
                                                + where(inPlace) + " block " + p + " element " + i);
                                        at = -1 - recvCounts[p];
                                        break;
                                    }
                                }
                                at += recvCounts[p];
                            }
                        }
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- barrier, async order, zero counts

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
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int n = 8;
            HostBuffer[] bufs = new HostBuffer[n];
            var futures = new ArrayList<CompletableFuture<Void>>();
            for (int i = 0; i < n; i++) {
                bufs[i] = HostBuffer.allocate(37, DataType.INT32);
                for (int e = 0; e < 37; e++) {
                    bufs[i].putInt(e, comm.rank() * 100 + i);
                }
                futures.add(comm.allReduceAsync(bufs[i], bufs[i], 37, DataType.INT32, ReduceOp.SUM));
            }
            futures.forEach(CompletableFuture::join);
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
    }

    /** One async call of every collective in a row, then the results: each is right and none mixed data. */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void everyAsyncCollectiveInOneBatch(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            DataType t = DataType.INT32;
            long n = 2L * w + 3;
            long[] c = countPatterns(w).get(3);
            long[] ones = new long[w];
            Arrays.fill(ones, n);
            try (HostBuffer ar = HostBuffer.allocate(n, t); HostBuffer bc = HostBuffer.allocate(n, t);
                 HostBuffer agIn = HostBuffer.allocate(c[r], t); HostBuffer ag = HostBuffer.allocate(sum(c), t);
                 HostBuffer rsIn = HostBuffer.allocate(sum(c), t); HostBuffer rs = HostBuffer.allocate(c[r], t);
                 HostBuffer gIn = HostBuffer.allocate(n, t); HostBuffer g = HostBuffer.allocate(n * w, t);
                 HostBuffer sIn = HostBuffer.allocate(n * w, t); HostBuffer s = HostBuffer.allocate(n, t);
                 HostBuffer aIn = HostBuffer.allocate(n * w, t); HostBuffer a = HostBuffer.allocate(n * w, t)) {
                CheckPattern.fill(ar, t, ReduceOp.SUM, r, 0, n);
                if (r == 0) {
                    CheckPattern.fill(bc, t, ReduceOp.MAX, 0, 0, n);
                } else {
                    bc.fill((byte) 0x5a);
                }
                CheckPattern.fill(agIn, t, ReduceOp.MAX, r, 0, c[r]);
                CheckPattern.fill(rsIn, t, ReduceOp.SUM, r, 0, sum(c));
                CheckPattern.fill(gIn, t, ReduceOp.MAX, r, 0, n);
                CheckPattern.fill(sIn, t, ReduceOp.MAX, w - 1, 0, n * w);
                CheckPattern.fill(aIn, t, ReduceOp.MAX, r, 0, n * w);
                List<CompletableFuture<Void>> fs = List.of(
                        comm.allReduceAsync(ar, ar, n, t, ReduceOp.SUM),
                        comm.broadcastAsync(bc, bc, n, t, 0),
                        comm.allGathervAsync(agIn, ag, c, t),
                        comm.reduceScattervAsync(rsIn, rs, c, t, ReduceOp.SUM),
                        comm.gatherAsync(gIn, g, n, t, 0),
                        comm.scatterAsync(sIn, s, n, t, w - 1),
                        comm.allToAllAsync(aIn, a, n, t),
                        comm.barrierAsync());
                for (CompletableFuture<Void> f : fs) {
                    f.get(60, TimeUnit.SECONDS);
                }
                if (CheckPattern.countWrong(ar, t, ReduceOp.SUM, w, 0, n) > 0) {
                    bad.add("all_reduce");
                }
                for (long i = 0; i < n; i++) {
                    if (bc.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, 0, i)
                            || s.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, w - 1, r * n + i)) {
                        bad.add("broadcast or scatter element " + i);
                        break;
                    }
                }
                checkGathered(bad, "all_gatherv rank=" + r, ag, t, c);
                if (r == 0) {
                    checkGathered(bad, "gather", g, t, ones);
                }
                for (long j = 0; j < c[r]; j++) {
                    if (rs.getBits(t, j) != CheckPattern.expectedBits(t, ReduceOp.SUM, w, offset(c, r) + j)) {
                        bad.add("reduce_scatterv rank=" + r + " element " + j);
                        break;
                    }
                }
                for (int p = 0; p < w; p++) {
                    for (long i = 0; i < n; i++) {
                        if (a.getBits(t, p * n + i) != CheckPattern.inputBits(t, ReduceOp.MAX, p, r * n + i)) {
                            bad.add("alltoall rank=" + r + " block " + p);
                            p = w;
                            break;
                        }
                    }
                }
            }
            return bad;
        });
    }

    /** Zero elements through every new collective, then an all-reduce of [1] gives [W]. */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void zeroElementsForEveryCollective(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            long[] zeros = new long[w];
            try (HostBuffer e = HostBuffer.allocate(0); HostBuffer e2 = HostBuffer.allocate(0);
                 HostBuffer one = HostBuffer.allocate(1, DataType.FLOAT32)) {
                List<Runnable> calls = List.of(
                        () -> comm.allGatherv(e, e2, zeros, DataType.FLOAT32),
                        () -> comm.gather(e, e2, 0, DataType.INT8, w - 1),
                        () -> comm.gatherv(e, e, zeros, DataType.INT8, 0),
                        () -> comm.scatter(e, e2, 0, DataType.INT64, 0),
                        () -> comm.scatterv(e, e, zeros, DataType.INT64, w - 1),
                        () -> comm.reduceScatterv(e, e2, zeros, DataType.FLOAT16, ReduceOp.AVG),
                        () -> comm.allToAll(e, e2, 0, DataType.INT32),
                        () -> comm.allToAllv(e, zeros, e, zeros, DataType.INT32));
                for (int i = 0; i < calls.size(); i++) {
                    calls.get(i).run();
                    one.putFloat(0, 1.0f);
                    comm.allReduce(one, 1, DataType.FLOAT32, ReduceOp.SUM);
                    if (one.getFloat(0) != w) {
                        bad.add("after zero-count call " + i + " the all-reduce gave " + one.getFloat(0));
                    }
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- point-to-point

    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void pointToPointRingShiftTagsAndOrder(int w) {
        if (w < 2) {
            return; // point-to-point needs two ranks
        }
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            int next = (r + 1) % w;
            int prev = (r + w - 1) % w;
            DataType t = DataType.INT32;
            // a ring shift of every size: each rank sends to r+1 and receives from r-1
            for (long count : new long[] {0, 1, 5, 203}) {
                try (HostBuffer out = HostBuffer.allocate(count, t); HostBuffer in = HostBuffer.allocate(count, t)) {
                    CheckPattern.fill(out, t, ReduceOp.MAX, r, 0, count);
                    CompletableFuture<Void> f = comm.sendAsync(out, count, t, next, 7);
                    comm.recv(in, count, t, prev, 7);
                    f.get(60, TimeUnit.SECONDS);
                    for (long i = 0; i < count; i++) {
                        if (in.getBits(t, i) != CheckPattern.inputBits(t, ReduceOp.MAX, prev, i)) {
                            bad.add("shift rank=" + r + " count=" + count + " element " + i);
                            break;
                        }
                    }
                }
            }
            // order per (peer, tag): tag 1 gets A then C, tag 2 gets B; the receiver takes tag 2 first
            try (HostBuffer a = HostBuffer.allocate(3, t); HostBuffer b = HostBuffer.allocate(40, t);
                 HostBuffer c = HostBuffer.allocate(2, t); HostBuffer in = HostBuffer.allocate(40, t)) {
                for (int i = 0; i < 40; i++) {
                    if (i < 3) {
                        a.putInt(i, 1000 * r + i);
                    }
                    if (i < 2) {
                        c.putInt(i, 3000 * r + i);
                    }
                    b.putInt(i, 2000 * r + i);
                }
                List<CompletableFuture<Void>> fs = List.of(comm.sendAsync(a, 3, t, next, 1),
                        comm.sendAsync(b, 40, t, next, 2), comm.sendAsync(c, 2, t, next, 1));
                comm.recv(in, 40, t, prev, 2);
                expectInts(bad, "tag 2 (B) rank=" + r, in, 2000 * prev, 40);
                CompletableFuture<Void> first = comm.recvAsync(in, 3, t, prev, 1);
                first.get(60, TimeUnit.SECONDS);
                expectInts(bad, "tag 1 first (A) rank=" + r, in, 1000 * prev, 3);
                comm.recv(in, 2, t, prev, 1);
                expectInts(bad, "tag 1 second (C) rank=" + r, in, 3000 * prev, 2);
                for (CompletableFuture<Void> f : fs) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            return bad;
        });
    }

    private static void expectInts(List<String> bad, String what, HostBuffer b, int base, int n) {
        for (int i = 0; i < n; i++) {
            if (b.getInt(i) != base + i) {
                bad.add(what + ": element " + i + " = " + b.getInt(i) + ", want " + (base + i));
                return;
            }
        }
    }

    /**
     * Point-to-point traffic never shifts collective sequence numbers: rank 0 sends rank 1 a different number of
     * messages between collectives than any other pair exchanges, from another thread while collectives run, and
     * every collective still matches.
     */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void pointToPointBetweenAndDuringCollectives(int w) {
        if (w < 2) {
            return;
        }
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            DataType t = DataType.INT64;
            int rounds = 20;
            AtomicReference<Throwable> sideFailure = new AtomicReference<>();
            Thread side = new Thread(() -> {
                // concurrently with the collectives below: ranks 0 and 1 exchange 3 messages per round
                try (HostBuffer m = HostBuffer.allocate(9, t)) {
                    for (int i = 0; i < rounds * 3; i++) {
                        if (r == 0) {
                            m.putLong(0, i);
                            comm.send(m, 9, t, 1, 42);
                        } else if (r == 1) {
                            comm.recv(m, 9, t, 0, 42);
                            if (m.getLong(0) != i) {
                                throw new AssertionError("side message " + i + " arrived as " + m.getLong(0));
                            }
                        }
                    }
                } catch (Throwable e) {
                    sideFailure.set(e);
                }
            }, "p2p-side-rank" + r);
            side.setDaemon(true);
            side.start();
            List<CompletableFuture<Void>> extraSends = new ArrayList<>();
            List<HostBuffer> extras = new ArrayList<>();
            try (HostBuffer b = HostBuffer.allocate(5, t); HostBuffer extra = HostBuffer.allocate(1, t)) {
                for (int i = 0; i < rounds; i++) {
                    if (r == w - 1 && w > 2) {
                        HostBuffer m = HostBuffer.allocate(1, t); // rank 0 receives them all after the rounds
                        m.putLong(0, i);
                        extras.add(m);
                        extraSends.add(comm.sendAsync(m, 1, t, 0, 9));
                    }
                    for (int e = 0; e < 5; e++) {
                        b.putLong(e, r + i);
                    }
                    comm.allReduce(b, 5, t, ReduceOp.SUM);
                    long want = (long) w * (w - 1) / 2 + (long) w * i;
                    if (b.getLong(4) != want) {
                        bad.add("round " + i + " rank=" + r + " all-reduce gave " + b.getLong(4) + ", want " + want);
                    }
                    comm.barrier();
                }
                if (r == 0 && w > 2) {
                    for (int i = 0; i < rounds; i++) {
                        comm.recv(extra, 1, t, w - 1, 9);
                        if (extra.getLong(0) != i) {
                            bad.add("extra message " + i + " arrived as " + extra.getLong(0));
                        }
                    }
                }
                for (CompletableFuture<Void> f : extraSends) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                extras.forEach(HostBuffer::close);
            }
            side.join(60_000);
            if (side.isAlive()) {
                bad.add("rank=" + r + ": the point-to-point thread did not finish");
            }
            if (sideFailure.get() != null) {
                bad.add("rank=" + r + ": point-to-point thread failed: " + sideFailure.get());
            }
            return bad;
        });
    }

    /** A receive whose count differs from the send fails at once, naming both counts; later calls still work. */
    @Test
    void pointToPointWrongSizeFailsClearly() {
        check(2, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            DataType t = DataType.INT32;
            try (HostBuffer b = HostBuffer.allocate(8, t)) {
                if (comm.rank() == 0) {
                    comm.sendAsync(b, 5, t, 1, 3); // never received whole; its completion is not awaited
                } else {
                    try {
                        comm.recv(b, 4, t, 0, 3);
                        bad.add("a 4-element receive of a 5-element message succeeded");
                    } catch (io.jccl.PeerFailureException e) {
                        String m = e.getMessage();
                        if (!m.contains("count=4") || !m.contains("count=5") || !m.contains("recv")
                                || !m.contains("rank=1")) {
                            bad.add("unclear message: " + m);
                        }
                    }
                }
                // the failed message fails only itself: a matching pair and a collective still work
                if (comm.rank() == 0) {
                    b.putInt(0, 77);
                    comm.sendAsync(b, 1, t, 1, 3).get(60, TimeUnit.SECONDS);
                } else {
                    comm.recv(b, 1, t, 0, 3);
                    if (b.getInt(0) != 77) {
                        bad.add("next message on the tag gave " + b.getInt(0));
                    }
                }
                b.putInt(0, 1);
                comm.allReduce(b, 1, t, ReduceOp.SUM);
                if (b.getInt(0) != 2) {
                    bad.add("all-reduce after the failed message gave " + b.getInt(0));
                }
            }
            return bad;
        });
    }

    // ---------------------------------------------------------------- split

    /**
     * Split by parity with reversed keys (the last rank of a world of 3 or more opts out): the new
     * communicators have the right sizes, ranks and order, run collectives, split again, and closing them
     * leaves the parent working.
     */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void splitByColorAndKey(int w) {
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = new ArrayList<>();
            int r = comm.rank();
            boolean out = w >= 3 && r == w - 1;
            int color = out ? -1 : r % 2;
            Communicator child = comm.split(color, -r);
            if (out) {
                if (child != null) {
                    bad.add("rank=" + r + ": a negative color gave a communicator");
                }
            } else {
                List<Integer> group = new ArrayList<>();
                for (int p = w - 1; p >= 0; p--) { // key -p: descending parent rank
                    if (p % 2 == color && !(w >= 3 && p == w - 1)) {
                        group.add(p);
                    }
                }
                if (child == null || child.size() != group.size() || child.rank() != group.indexOf(r)) {
                    bad.add("rank=" + r + ": child " + (child == null ? "null" : child.rank() + "/" + child.size())
                            + ", want " + group.indexOf(r) + "/" + group.size());
                    return bad;
                }
                try (HostBuffer mine = HostBuffer.allocate(1, DataType.INT32);
                     HostBuffer all = HostBuffer.allocate(group.size(), DataType.INT32)) {
                    mine.putInt(0, r);
                    child.allGather(mine, all, 1, DataType.INT32);
                    for (int i = 0; i < group.size(); i++) {
                        if (all.getInt(i) != group.get(i)) {
                            bad.add("rank=" + r + ": child all-gather element " + i + " = " + all.getInt(i)
                                    + ", want " + group.get(i));
                        }
                    }
                    child.allReduce(mine, 1, DataType.INT32, ReduceOp.SUM);
                    int want = group.stream().mapToInt(Integer::intValue).sum();
                    if (mine.getInt(0) != want) {
                        bad.add("rank=" + r + ": child all-reduce " + mine.getInt(0) + ", want " + want);
                    }
                    // split again: singletons
                    try (Communicator single = child.split(child.rank(), 0)) {
                        mine.putInt(0, 5);
                        single.allReduce(mine, 1, DataType.INT32, ReduceOp.SUM);
                        if (single.size() != 1 || mine.getInt(0) != 5) {
                            bad.add("rank=" + r + ": singleton size " + single.size() + " sum " + mine.getInt(0));
                        }
                    }
                }
                child.close();
            }
            try (HostBuffer b = HostBuffer.allocate(1, DataType.INT32)) {
                b.putInt(0, 1);
                comm.allReduce(b, 1, DataType.INT32, ReduceOp.SUM);
                if (b.getInt(0) != w) {
                    bad.add("rank=" + r + ": parent all-reduce after closing the child gave " + b.getInt(0));
                }
            }
            return bad;
        });
    }

    /** split with a config: the child runs that config's all-reduce algorithm, the parent keeps its own. */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void splitWithAConfigUsesItsAlgorithm(int w) {
        check(w, config(Algorithm.RING), comm -> {
            List<String> bad = new ArrayList<>();
            try (Communicator tree = comm.split(0, comm.rank(), comm.config().toBuilder().algorithm(Algorithm.TREE).build());
                 HostBuffer b = HostBuffer.allocate(3, DataType.INT32)) {
                for (int i = 0; i < 3; i++) {
                    b.putInt(i, comm.rank() + i);
                }
                tree.allReduce(b, 3, DataType.INT32, ReduceOp.SUM);
                int ranks = w * (w - 1) / 2;
                for (int i = 0; i < 3; i++) {
                    if (b.getInt(i) != ranks + w * i) {
                        bad.add("rank=" + comm.rank() + ": element " + i + " = " + b.getInt(i) + ", want " + (ranks + w * i));
                    }
                }
                String want = w == 1 ? tree.lastAlgorithm() : "tree";
                if (!want.equals(tree.lastAlgorithm()) || tree.config().algorithm() != Algorithm.TREE) {
                    bad.add("rank=" + comm.rank() + ": child ran " + tree.lastAlgorithm() + " with " + tree.config());
                }
                comm.allReduce(b, 1, DataType.INT32, ReduceOp.SUM);
                if (comm.config().algorithm() != Algorithm.RING || (w > 1 && !"ring".equals(comm.lastAlgorithm()))) {
                    bad.add("rank=" + comm.rank() + ": parent ran " + comm.lastAlgorithm() + " with " + comm.config());
                }
            }
            return bad;
        });
    }

    /**
     * Issue 3: W=4 split into {0,1} and {2,3}; on every rank one thread runs 1000 world all-reduces of [rank]
     * (each gives [6]) while a second thread runs 1000 all-gathers of [rank] in its pair ([0,1] and [2,3]).
     */
    @Test
    void splitPairsRunConcurrentlyWithTheWorld() {
        int w = 4;
        int iterations = 1000;
        check(w, config(Algorithm.AUTO), comm -> {
            List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
            int r = comm.rank();
            try (Communicator pair = comm.split(r / 2, r)) {
                Thread gatherer = new Thread(() -> {
                    try (HostBuffer mine = HostBuffer.allocate(1, DataType.FLOAT32);
                         HostBuffer both = HostBuffer.allocate(2, DataType.FLOAT32)) {
                        float lo = 2 * (r / 2);
                        for (int i = 0; i < iterations; i++) {
                            mine.putFloat(0, r);
                            both.putFloat(0, -1);
                            both.putFloat(1, -1);
                            pair.allGather(mine, both, 1, DataType.FLOAT32);
                            if (both.getFloat(0) != lo || both.getFloat(1) != lo + 1) {
                                bad.add("rank=" + r + " all-gather " + i + " gave [" + both.getFloat(0) + ", "
                                        + both.getFloat(1) + "]");
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        bad.add("rank=" + r + " all-gather thread failed: " + e);
                    }
                }, "pair-allgather-rank" + r);
                gatherer.setDaemon(true);
                gatherer.start();
                try (HostBuffer b = HostBuffer.allocate(1, DataType.FLOAT32)) {
                    for (int i = 0; i < iterations; i++) {
                        b.putFloat(0, r);
                        comm.allReduce(b, 1, DataType.FLOAT32, ReduceOp.SUM);
                        if (b.getFloat(0) != 6f) {
                            bad.add("rank=" + r + " all-reduce " + i + " gave " + b.getFloat(0));
                            break;
                        }
                    }
                }
                gatherer.join(120_000);
                if (gatherer.isAlive()) {
                    bad.add("rank=" + r + ": the all-gather thread did not finish");
                }
                pair.barrier();
            }
            return new ArrayList<>(bad);
        });
    }

    // ---------------------------------------------------------------- deterministic mode

    /**
     * Deterministic mode: for random fp32 data with a wide exponent range (so that the order of additions
     * changes the rounding) and for fp16, all-reduce, reduce-scatter, reduce-scatter-v and reduce equal a
     * sequential reduction in rank order bit for bit, whatever the algorithm setting and segment size.
     */
    @ParameterizedTest(name = "W={0}")
    @MethodSource("worlds")
    void deterministicModeEqualsSequentialRankOrder(int w) {
        // each algorithm setting with a different segment size: the results must not depend on either
        Algorithm[] algos = {Algorithm.RING, Algorithm.TREE, Algorithm.HALVING_DOUBLING, Algorithm.RECURSIVE_DOUBLING};
        long[] segs = {SEGMENT_BYTES, 1024, 200, 96};
        for (int i = 0; i < algos.length; i++) {
            CommConfig cfg = base().algorithm(algos[i]).segmentBytes(segs[i]).deterministic(true).build();
            String what = algos[i].label() + " segment=" + segs[i];
            check(w, cfg, comm -> deterministicChecks(comm, what));
        }
    }

    private static float[][] randomInputs(int w, int n, long seed, boolean half) {
        float[][] x = new float[w][n];
        for (int p = 0; p < w; p++) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + p);
            for (int i = 0; i < n; i++) {
                float v = (float) ((rnd.nextDouble() - 0.5) * Math.scalb(1.0, rnd.nextInt(half ? -6 : -20, half ? 6 : 20)));
                x[p][i] = half ? HalfFloats.fp16ToFloat(HalfFloats.floatToFp16(v)) : v;
            }
        }
        return x;
    }

    /** Sequential rank-order reduction of element i, rounded to the type after each operation. */
    private static long sequentialBits(float[][] x, int i, DataType t, ReduceOp op) {
        float acc = x[0][i];
        for (int p = 1; p < x.length; p++) {
            acc = round(t, acc + x[p][i]);
        }
        if (op == ReduceOp.AVG) {
            acc = round(t, acc / x.length);
        }
        return t == DataType.FLOAT16 ? HalfFloats.floatToFp16(acc) : Float.floatToRawIntBits(acc);
    }

    private static float round(DataType t, float v) {
        return t == DataType.FLOAT16 ? HalfFloats.fp16ToFloat(HalfFloats.floatToFp16(v)) : v;
    }

    private static void put(HostBuffer b, DataType t, long at, float[] v, int from, int n) {
        for (int i = 0; i < n; i++) {
            if (t == DataType.FLOAT16) {
                b.unsafeBacking().putShort((int) ((at + i) * 2), HalfFloats.floatToFp16(v[from + i]));
            } else {
                b.putFloat(at + i, v[from + i]);
            }
        }
    }

    private static List<String> deterministicChecks(Communicator comm, String what) {
        List<String> bad = new ArrayList<>();
        int w = comm.size();
        int r = comm.rank();
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                for (long count : new long[] {0, 1, Math.max(1, w - 1), 2L * w + 1, 1000}) {
                    int n = (int) count;
                    float[][] x = randomInputs(w, n * w, count * 7 + t.ordinal() + 3L * op.ordinal(),
                            t == DataType.FLOAT16);
                    String tag = what + " " + t + " " + op + " count=" + count + " rank=" + r;
                    // all-reduce, out of place and in place
                    for (boolean inPlace : new boolean[] {false, true}) {
                        try (HostBuffer in = HostBuffer.allocate(n, t); HostBuffer outB = HostBuffer.allocate(n, t)) {
                            put(in, t, 0, x[r], 0, n);
                            HostBuffer out = inPlace ? in : outB;
                            comm.allReduce(in, out, n, t, op);
                            for (int i = 0; i < n; i++) {
                                if (out.getBits(t, i) != sequentialBits(x, i, t, op)) {
                                    bad.add("all_reduce " + tag + where(inPlace) + " element " + i);
                                    break;
                                }
                            }
                            if (n > 0 && !comm.lastAlgorithm().equals("deterministic")) {
                                bad.add("all_reduce ran " + comm.lastAlgorithm());
                            }
                        }
                    }
                    // reduce-scatter: block b of n elements per rank, the input is n * w elements
                    try (HostBuffer in = HostBuffer.allocate((long) n * w, t); HostBuffer out = HostBuffer.allocate(n, t)) {
                        put(in, t, 0, x[r], 0, n * w);
                        comm.reduceScatter(in, out, n, t, op);
                        for (int i = 0; i < n; i++) {
                            if (out.getBits(t, i) != sequentialBits(x, r * n + i, t, op)) {
                                bad.add("reduce_scatter " + tag + " element " + i);
                                break;
                            }
                        }
                    }
                    // reduce-scatter-v with uneven blocks (in place), and reduce to the last rank
                    long[] c = new long[w];
                    for (int b = 0; b < w; b++) {
                        c[b] = (count + b) % (w + 1) * (b % 2 == 0 ? 1 : 3);
                    }
                    long total = sum(c);
                    if (total <= (long) n * w) {
                        try (HostBuffer in = HostBuffer.allocate(total, t)) {
                            put(in, t, 0, x[r], 0, (int) total);
                            comm.reduceScatterv(in, in, c, t, op);
                            long at = offset(c, r);
                            for (int i = 0; i < c[r]; i++) {
                                if (in.getBits(t, at + i) != sequentialBits(x, (int) at + i, t, op)) {
                                    bad.add("reduce_scatterv " + tag + " counts=" + Arrays.toString(c) + " element " + i);
                                    break;
                                }
                            }
                        }
                    }
                    try (HostBuffer in = HostBuffer.allocate(n, t); HostBuffer out = HostBuffer.allocate(n, t)) {
                        put(in, t, 0, x[r], 0, n);
                        int root = w - 1;
                        comm.reduce(in, out, n, t, op, root);
                        if (r == root) {
                            for (int i = 0; i < n; i++) {
                                if (out.getBits(t, i) != sequentialBits(x, i, t, op)) {
                                    bad.add("reduce " + tag + " element " + i);
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        }
        return bad;
    }

    /** Helper for subclasses' own tests: the cause of an async failure. */
    protected static Throwable causeOf(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(60, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            return e;
        }
    }
}
