package io.jccl.conformance;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.check.CheckPattern;
import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hierarchical all-reduce on fake hosts (in-process ranks whose transport reports a host layout): every type,
 * op, count and placement the conformance suite checks, right on every rank and the same bits on every rank, over
 * even, uneven, interleaved and degenerate layouts; and the automatic choice by layout and size.
 */
@Timeout(120)
class HierarchicalAllReduceTest {
    private static final long SEGMENT_BYTES = 64;

    static Stream<int[]> layouts() {
        return Stream.of(new int[] {0, 1}, new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}, new int[] {0, 0, 0, 1, 1},
                new int[] {0, 0, 1}, new int[] {0, 0, 1, 1, 1, 2, 2}, new int[] {0, 0, 0, 0, 1, 1, 1, 1},
                new int[] {0, 1, 2}, new int[] {5, 5, 5}, new int[] {0, 1, 1, 1, 2, 2});
    }

    private static CommConfig config(Algorithm a) {
        return CommConfig.builder().algorithm(a).deterministic(false).segmentBytes(SEGMENT_BYTES).timeoutMillis(60_000)
                .build();
    }

    @ParameterizedTest(name = "hosts {0}")
    @MethodSource("layouts")
    void everyTypeOpCountPlacementRightAndBitEqualOnEveryRank(int[] labels) {
        HostLayout layout = HostLayout.of(labels);
        int w = layout.size();
        // per rank: the problems, then one line per case with the result's bits
        List<List<String>> out = Jccl.runInProcess(layout, config(Algorithm.HIERARCHICAL), comm -> {
            List<String> bad = new ArrayList<>();
            List<String> bits = new ArrayList<>();
            for (long count : AbstractConformanceTest.counts(w)) {
                for (DataType t : DataType.values()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.allReduce(send, recv, count, t, op);
                                String what = "count=" + count + " " + t + " " + op + (inPlace ? " in" : " out");
                                long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                if (wrong > 0) {
                                    bad.add("rank=" + comm.rank() + " " + what + " wrong=" + wrong);
                                }
                                if (count > 0 && !comm.lastAlgorithm().equals("hier")) {
                                    bad.add("rank=" + comm.rank() + " ran " + comm.lastAlgorithm());
                                }
                                long[] b = new long[(int) count];
                                for (int i = 0; i < count; i++) {
                                    b[i] = recv.getBits(t, i);
                                }
                                bits.add(what + " " + Arrays.toString(b));
                            }
                        }
                    }
                }
            }
            bad.add(0, Integer.toString(bad.size()));
            bad.addAll(bits);
            return bad;
        });
        List<String> problems = new ArrayList<>();
        List<String> rank0Bits = null;
        for (int r = 0; r < w; r++) {
            List<String> l = out.get(r);
            int n = Integer.parseInt(l.get(0));
            problems.addAll(l.subList(1, 1 + n));
            List<String> bits = l.subList(1 + n, l.size());
            if (rank0Bits == null) {
                rank0Bits = bits;
            } else if (!bits.equals(rank0Bits)) {
                for (int i = 0; i < bits.size(); i++) {
                    if (!bits.get(i).equals(rank0Bits.get(i))) {
                        problems.add("rank=" + r + " bits differ from rank 0's: " + bits.get(i));
                        break;
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> problems.size() + " problems on " + layout + ":\n"
                + String.join("\n", problems.subList(0, Math.min(30, problems.size()))));
    }

    @Test
    void autoChoosesHierarchicalAcrossHostsAboveTheRdLimitAndNoHdAcrossHosts() {
        CommConfig cfg = CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).segmentBytes(4096)
                .costModel(null).rdMaxBytes(16).treeMaxBytes(64).hdMaxBytes(1024).timeoutMillis(60_000).build();
        // 2 hosts x 2: hier above the rd limit; 4 x 1: the ring instead of the tree and hd above the rd limit;
        // 1 x 4: the flat choice
        assertEquals(List.of("rd", "hier", "hier", "hier"), choices(HostLayout.of(0, 0, 1, 1), cfg));
        assertEquals(List.of("rd", "ring", "ring", "ring"), choices(HostLayout.of(0, 1, 2, 3), cfg));
        assertEquals(List.of("rd", "tree", "hd", "ring"), choices(HostLayout.singleHost(4), cfg));
        assertEquals(List.of("deterministic", "deterministic", "deterministic", "deterministic"),
                choices(HostLayout.of(0, 0, 1, 1), cfg.toBuilder().deterministic(true).build()));
        assertEquals(List.of("ring", "ring", "ring", "ring"),
                choices(HostLayout.of(0, 0, 1, 1), cfg.toBuilder().algorithm(Algorithm.RING).build()));
    }

    /** What auto ran for 16 B, 64 B, 800 B and 1200 B of fp32 on every rank (all ranks must agree). */
    private static List<String> choices(HostLayout layout, CommConfig cfg) {
        List<List<String>> ran = Jccl.runInProcess(layout, cfg, comm -> {
            List<String> algos = new ArrayList<>();
            for (long count : new long[] {4, 16, 200, 300}) {
                try (HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
                    CheckPattern.fill(b, DataType.FLOAT32, ReduceOp.SUM, comm.rank(), 0, count);
                    comm.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
                    assertEquals(0, CheckPattern.countWrong(b, DataType.FLOAT32, ReduceOp.SUM, layout.size(), 0, count));
                    algos.add(comm.lastAlgorithm());
                }
            }
            return algos;
        });
        for (List<String> r : ran) {
            assertEquals(ran.get(0), r, "every rank chooses the same");
        }
        return ran.get(0);
    }

    /**
     * Calls of many segments run in pieces, pipelined (up to 8 here: 64 B segments, 8 segments a piece): right and
     * the same bits on every rank, out of place and in place, with AVG, for pieces that split blocks unevenly.
     */
    @ParameterizedTest(name = "hosts {0}")
    @MethodSource("layouts")
    void manyPiecesRightAndBitEqualOnEveryRank(int[] labels) {
        HostLayout layout = HostLayout.of(labels);
        int w = layout.size();
        List<List<String>> out = Jccl.runInProcess(layout, config(Algorithm.HIERARCHICAL), comm -> {
            List<String> res = new ArrayList<>();
            for (long count : new long[] {257, 1000, 4099}) {
                for (DataType t : new DataType[] {DataType.FLOAT32, DataType.BFLOAT16, DataType.INT64}) {
                    for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.allReduce(send, recv, count, t, op);
                                long wrong = CheckPattern.countWrong(recv, t, op, w, 0, count);
                                long crc = 0;
                                for (int i = 0; i < count; i++) {
                                    crc = 31 * crc + recv.getBits(t, i);
                                }
                                res.add("count=" + count + " " + t + " " + op + (inPlace ? " in" : " out") + " wrong="
                                        + wrong + " bits=" + Long.toHexString(crc));
                            }
                        }
                    }
                }
            }
            return res;
        });
        for (int r = 0; r < w; r++) {
            for (String line : out.get(r)) {
                assertTrue(line.contains(" wrong=0 "), "rank " + r + " on " + layout + ": " + line);
            }
            assertEquals(out.get(0), out.get(r), "rank " + r + " got other bits than rank 0 on " + layout);
        }
    }

    @Test
    void aSubCommunicatorSeesItsMembersHosts() {
        HostLayout layout = HostLayout.of(0, 0, 1, 1, 2, 2);
        List<String> seen = Jccl.runInProcess(layout, config(Algorithm.HIERARCHICAL), comm -> {
            try (var sub = comm.split(comm.rank() < 4 ? 0 : 1, comm.rank())) {
                try (HostBuffer b = HostBuffer.allocate(1000, DataType.FLOAT32)) {
                    CheckPattern.fill(b, DataType.FLOAT32, ReduceOp.SUM, sub.rank(), 0, 1000);
                    sub.allReduce(b, 1000, DataType.FLOAT32, ReduceOp.SUM);
                    return CheckPattern.countWrong(b, DataType.FLOAT32, ReduceOp.SUM, sub.size(), 0, 1000) + " "
                            + sub.transportDescription();
                }
            }
        });
        for (String s : seen) {
            assertTrue(s.startsWith("0 "), s);
        }
    }

    @Test
    void layoutCountsLocalRanksAndHosts() {
        HostLayout l = HostLayout.of(7, 3, 7, 3, 3);
        assertEquals(2, l.hosts());
        assertEquals(List.of(0, 0, 1, 1, 2), List.of(l.localRank(0), l.localRank(1), l.localRank(2), l.localRank(3),
                l.localRank(4)));
        assertEquals(2, l.minLocalSize());
        assertEquals(3, l.maxLocalSize());
        assertEquals("2 hosts (2+3 ranks)", l.describe());
        assertTrue(l.hierarchical());
        assertEquals(HostLayout.of(0, 1), l.restrict(new int[] {0, 1}));
        assertEquals("2 hosts x 2 ranks", HostLayout.fromIds(new String[] {"a", "a", "b", "b"}).describe());
    }
}
