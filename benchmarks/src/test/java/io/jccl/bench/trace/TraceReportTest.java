package io.jccl.bench.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What jccl-trace concludes from dumps it is given (made here, not by a job). */
class TraceReportTest {
    private static RankDump.Op op(long seq, long count, String state, String error) {
        return new RankDump.Op(seq, "all_reduce", "float32", "sum", -1, count, "ring", state, 0, 0, error, Map.of());
    }

    private static RankDump dump(int rank, int size, RankDump.Op... ops) {
        TreeMap<Long, RankDump.Op> m = new TreeMap<>();
        for (RankDump.Op o : ops) {
            m.put(o.seq(), o);
        }
        return new RankDump(Path.of("r" + rank), "job1", 1, rank, size, "h", "test", m);
    }

    @Test
    void aFrozenRankWithoutADumpIsTheLikelyCauseWhenTheOthersNameIt() {
        // rank 0 finished #5 and waits in #6; rank 1 timed out in #5 waiting for rank 2, which froze and left nothing
        List<String> out = TraceReport.analyse(List.of(
                dump(0, 3, op(5, 8, "done", null), op(6, 8, "failed", "rank=0 ... aborted by rank=1")),
                dump(1, 3, op(5, 8, "failed", "rank=1 timed out in all_reduce #5 waiting for peer=2 (h:1); rank 2 did "
                        + "not answer a status query"))));
        assertTrue(out.get(0).startsWith("likely cause: rank 2 left no dump"), String.join("\n", out));
        assertTrue(out.get(0).endsWith("the errors of rank 1 name it"), out.get(0));
        assertTrue(out.stream().anyMatch(l -> l.startsWith("every rank that dumped entered all_reduce #5 alike; it did "
                + "not complete on rank 1: rank=1 timed out in all_reduce #5 waiting for peer=2")),
                "the first failure and the stuck rank's own error are shown: " + String.join("\n", out));
    }

    @Test
    void aRankThatResumedAfterTheOthersTimedOutIsNotHiddenBehindTheNextOperation() {
        // rank 2 froze in #7; ranks 0 and 1 timed out in #7 waiting for it; rank 2 resumed, finished #7 with the data
        // it had, and failed #8, which the others never entered: the story is #7 and the peer its errors name
        List<String> out = TraceReport.analyse(List.of(
                dump(0, 3, op(7, 8, "failed", "rank=0 timed out in all_reduce #7 waiting for peer=2 (h:1)")),
                dump(1, 3, op(7, 8, "failed", "rank=1 timed out in all_reduce #7 waiting for peer=2 (h:1)")),
                dump(2, 3, op(7, 8, "done", null), op(8, 8, "failed", "rank=2 ... aborted by rank=0"))));
        String all = String.join("\n", out);
        assertTrue(out.get(0).startsWith("every rank entered all_reduce #7 alike; it did not complete on ranks 0 and 1:"
                + " rank=0 timed out in all_reduce #7 waiting for peer=2"), all);
        assertTrue(out.stream().noneMatch(l -> l.contains("never entered")), "#8 is not blamed on 0 and 1: " + all);
    }

    @Test
    void differentCountsAreNamedWithTheirRanks() {
        List<String> out = TraceReport.analyse(List.of(dump(0, 2, op(1, 8, "failed", "mismatch")),
                dump(1, 2, op(1, 10, "failed", "mismatch"))));
        assertEquals("first divergence: operation #1 was called differently: rank 0 all_reduce float32 sum count=8; "
                + "rank 1 all_reduce float32 sum count=10", out.get(0));
        assertEquals("job job1, communicator 1: 2 of 2 ranks dumped", out.get(1));
    }

    @Test
    void aFileThatIsNotADumpIsNamedWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("jccl-trace-x-comm1-rank0.json");
        Files.writeString(f, "{\"version\":1, \"rank\":0, \"entr");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RankDump.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not a JCCL flight-recorder dump"), e.getMessage());
    }
}
