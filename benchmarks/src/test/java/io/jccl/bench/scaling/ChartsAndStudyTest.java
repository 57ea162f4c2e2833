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
}
