package io.jccl.bench.scaling;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chart writer makes a PNG; the study's prediction and a tiny measured step run end to end. */
@Timeout(120)
class ChartsAndStudyTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static void assertPng(Path p) throws Exception {
        assertTrue(Files.isRegularFile(p), p + " exists");
        byte[] b = Files.readAllBytes(p);
        assertTrue(b.length > 1000, p + " has " + b.length + " bytes");
        byte[] head = new byte[8];
        System.arraycopy(b, 0, head, 0, 8);
        assertArrayEquals(PNG_MAGIC, head, p + " is a PNG");
    }

    @Test
    void chartWriterWritesAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/chart.png");
        Charts.xy(png, "t", "W", "E", true, false, Map.of("a", new double[][] {{8, 64, 512}, {1, 0.8, 0.5}}), 400, 300);
        assertPng(png);
    }

    @Test
    void predictOnlyWritesTableCsvJsonAndCharts(@TempDir Path dir) throws Exception {
        int code = new CommandLine(new JcclScaling()).execute("--predict-only", "--out", dir.toString(),
                "--link-gbps", "100", "--link-latency-us", "25", "--max-w", "4096");
        assertEquals(0, code);
        List<String> csv = Files.readAllLines(dir.resolve("prediction.csv"));
        assertEquals("w,algorithm,compute_s,comm_s,step_s,exposed_fraction,ratio_r,efficiency", csv.get(0));
        assertEquals(1 + 3 * 10, csv.size(), "W = 8..2048 and 4096, three algorithms");
        String json = Files.readString(dir.resolve("prediction.json"));
        assertTrue(json.contains("\"first_w_below_ring\"") && json.contains("\"link_gbps_keeping_r_bigger_model\""), json);
        assertPng(dir.resolve("efficiency.png"));
        assertPng(dir.resolve("busbw.png"));
    }

    @Test
    void aTinyStepRunsOnTwoRanks() {
        ScalingModel.Workload work = new ScalingModel.Workload(3 * 1024, 4, 4096, 2e6, 1 / 3.0);
        List<double[]> r = Jccl.runInProcess(2, CommConfig.fromKnobs(), comm -> {
            try (TrainingStep ts = new TrainingStep(comm, work, DataType.FLOAT32, 32)) {
                return new double[] {ts.computeOnly(), ts.commOnly(), ts.step(), ts.flopsPerStep()};
            }
        });
        for (double[] t : r) {
            assertTrue(t[0] > 0 && t[1] > 0 && t[2] > 0, "times " + java.util.Arrays.toString(t));
            // 2e6 FLOP as 32x32 GEMMs of 65,536 FLOP: 10 forward + 20 backward (3 buckets of 4 KiB) = 30 GEMMs
            assertEquals(30 * 65536.0, t[3], 3 * 65536.0);
        }
    }

    @Test
    void theStudyMeasuresEveryWInRoundsAndValidatesW2AndUp(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.properties");
        io.jccl.algo.select.LinkParams p = new io.jccl.algo.select.LinkParams(5e-6, 3e-10, 5e-11);
        new io.jccl.algo.select.CostModel(p, Map.of(2, p, 3, p), Map.of()).save(model);
        JcclScaling study = CommandLine.populateCommand(new JcclScaling(), "-P", "64K", "--bucket-mb", "0.0625",
                "--flops", "2e6", "--gemm-size", "32", "--steps", "2", "--warmup", "1", "--stat", "min",
                "--model", model.toString(), "--out", dir.resolve("out").toString(), "--max-w", "64");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        CommConfig ring = CommConfig.builder().algorithm(io.jccl.Algorithm.RING).build();
        Jccl.runInProcess(3, ring, comm -> {
            study.study(comm, "in-process", comm.rank() == 0 ? out : null);
            return 0;
        });
        String text = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("min of the steps, taken in rounds over W"), text);
        List<String> rows = text.lines().filter(l -> l.matches("\\s+[123]\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s.*")).toList();
        assertEquals(3, rows.stream().filter(l -> l.matches("\\s+1\\s.*") || l.endsWith("ring")).count(),
                "W = 1, 2, 3 measured, the all-reduces named (not the barrier's algorithm):\n" + text);
        List<String> validation = text.lines().filter(l -> l.matches("\\s+[23]\\s+[0-9.]+\\s+[0-9.]+\\s+[-+][0-9]+%.*")).toList();
        assertEquals(2, validation.size(), "W = 2 and 3 validated:\n" + text);
        assertTrue(Files.readAllLines(dir.resolve("out").resolve("measured.csv")).size() >= 4, "measured.csv has W = 1..3");
    }

    @Test
    void noStepsOrNegativeWarmUpIsRefusedBeforeAnyMeasurement() {
        for (String[] bad : new String[][] {{"--steps", "0"}, {"--warmup", "-1"}, {"--stat", "mode"},
            {"--bucket-mb", "0"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(List.of("-t", "2", "--model", "/nonexistent"));
            args.addAll(List.of(bad));
            CommandLine cl = new CommandLine(new JcclScaling());
            java.io.StringWriter err = new java.io.StringWriter();
            cl.setErr(new java.io.PrintWriter(err));
            long t0 = System.nanoTime();
            int code = cl.execute(args.toArray(String[]::new));
            assertTrue(code != 0, String.join(" ", bad) + " is refused");
            assertTrue(err.toString().contains(bad[0]), "the message names " + bad[0] + ": " + err);
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once, not after a measurement");
        }
    }
}
