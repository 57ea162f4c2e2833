package io.jccl.bench.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flight recorder across real processes: every rank of a stuck 4-process job dumps, and {@code jccl-trace}
 * names the rank that skipped an all-reduce and its sequence number, or the ranks and counts of a mismatched
 * call; a 2-process job's timelines are Chrome-trace JSON with one event per operation and per transfer.
 */
@Timeout(180)
class FlightRecorderIT {
    @TempDir
    Path dir;

    private String job(int n, Path traceDir, String timeline, String... scenario) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bin/jccl-run", "-n", Integer.toString(n),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), TraceScenario.class.getName()));
        cmd.addAll(List.of(scenario));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of(System.getProperty("jccl.home", ".."))
                .toAbsolutePath().normalize().toFile()).redirectErrorStream(true);
        pb.environment().put("JCCL_TRACE_DIR", traceDir.toString());
        pb.environment().put("JCCL_TIMEOUT_MS", "60000");
        pb.environment().put("JCCL_TRANSPORT", "tcp");
        if (timeline != null) {
            pb.environment().put("JCCL_TIMELINE", timeline);
            pb.environment().put("JCCL_ALGO", "ring");
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String analyse(Path traceDir) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            JcclTrace t = new JcclTrace();
            t.dir = traceDir;
            assertEquals(0, t.call());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aRankThatSkipsAnAllReduceIsNamedWithTheOperation() throws Exception {
        String out = job(4, dir, null, "skip", "6000");
        for (int r = 0; r < 4; r++) {
            String suffix = "-rank" + r + ".json";
            try (var files = Files.list(dir)) {
                assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith(suffix)).count(),
                        "rank " + r + " dumped once:\n" + out);
            }
        }
        String report = analyse(dir);
        assertTrue(report.startsWith("first divergence: all_reduce #4 (all_reduce float32 sum count=1024): rank 2 "
                + "never entered it"), report + "\n" + out);
        assertTrue(report.contains("rank 2: last operation all_reduce #3 (done)"), report);
    }

    @Test
    void ranksThatCallDifferentCountsAreNamedWithBothCounts() throws Exception {
        String out = job(4, dir, null, "counts");
        String report = analyse(dir);
        assertTrue(report.startsWith("first divergence: operation #1 was called differently: ranks 0 and 1 "
                + "all_reduce float32 sum count=1000; ranks 2 and 3 all_reduce float32 sum count=1002"),
                report + "\n" + out);
    }

    @Test
    void theReducersBucketsAreSpansOnTheTimeline() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bin/jccl-run", "-n", "2", "bin/jccl-train", "--hidden", "64,32",
                "--inputs", "16", "--classes", "5", "--samples", "256", "--batch", "32", "--steps", "3",
                "--bucket-mb", "0.01", "--quiet").directory(Path.of(System.getProperty("jccl.home", ".."))
                .toAbsolutePath().normalize().toFile()).redirectErrorStream(true);
        pb.environment().put("JCCL_TIMELINE", dir.resolve("train.json").toString());
        pb.environment().put("JCCL_TRACE_DIR", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        JsonNode events = new ObjectMapper().readTree(dir.resolve("train-rank0.json").toFile());
        int buckets = 0;
        int allReduces = 0;
        for (JsonNode e : events) {
            buckets += e.path("cat").asText().equals("ddp") && e.path("name").asText().startsWith("bucket ") ? 1 : 0;
            allReduces += e.path("name").asText().startsWith("all_reduce #") ? 1 : 0;
        }
        assertTrue(buckets >= 3, "a span per bucket and step: " + buckets + " in " + events);
        assertTrue(allReduces >= buckets, "each bucket's all-reduce is an operation too: " + allReduces);
    }

    @Test
    void aTimelineHasAnEventPerOperationAndPerTransfer() throws Exception {
        String out = job(2, dir, dir.resolve("timeline.json").toString(), "timeline");
        ObjectMapper json = new ObjectMapper();
        for (int r = 0; r < 2; r++) {
            JsonNode events = json.readTree(dir.resolve("timeline-rank" + r + ".json").toFile());
            assertTrue(events.isArray(), out);
            List<JsonNode> ops = new ArrayList<>();
            List<JsonNode> sends = new ArrayList<>();
            for (JsonNode e : events) {
                assertEquals("X", e.path("ph").asText());
                if (e.path("cat").asText().equals("op") && e.path("name").asText().startsWith("all_reduce")) {
                    ops.add(e);
                } else if (e.path("name").asText().startsWith("send")) {
                    sends.add(e);
                }
            }
            assertEquals(3, ops.size(), "one event per all-reduce (besides the split's all-gather): " + events);
            for (JsonNode op : ops) {
                long from = op.path("ts").asLong();
                long to = from + op.path("dur").asLong();
                long bytes = 0;
                int segments = 0;
                for (JsonNode s : sends) {
                    long ts = s.path("ts").asLong();
                    if (ts >= from && ts <= to && s.path("tid").asInt() == op.path("tid").asInt()) {
                        bytes += s.path("args").path("bytes").asLong();
                        segments++;
                    }
                }
                // ring, W=2: each rank sends its 2 MiB chunk once per phase, as 512 KiB segments
                assertEquals(4L << 20, bytes, "rank " + r + " " + op);
                assertEquals(8, segments, "rank " + r + " " + op);
            }
        }
    }
}
