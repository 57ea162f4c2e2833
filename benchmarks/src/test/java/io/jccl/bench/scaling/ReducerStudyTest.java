package io.jccl.bench.scaling;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.LinkParams;
import io.jccl.buffer.HostBuffer;
import io.jccl.ddp.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jccl-scaling's study through the GradientReducer (--reducer, --wire): the exchange, the wire arithmetic, a run. */
@Timeout(120)
class ReducerStudyTest {
    private static final StudyWire BF16 = new StudyWire(true, WireFormat.BF16, false, 4096);

    @Test
    void theWireWorkloadHasTheSameBucketsAtHalfTheBytes() {
        ScalingModel.Workload work = new ScalingModel.Workload(10_000, 4, 16_000, 1e6, 1 / 3.0);
        ScalingModel.Workload wire = BF16.onWire(work, DataType.FLOAT32);
        assertArrayEquals(new long[] {16_000, 16_000, 8_000}, work.buckets());
        assertArrayEquals(new long[] {8_000, 8_000, 4_000}, wire.buckets());
        assertArrayEquals(work.backwardFlops(), wire.backwardFlops(), 1e-9);
        assertEquals(work, new StudyWire(true, WireFormat.FP32, false, 4096).onWire(work, DataType.FLOAT32));
        assertEquals(work, BF16.onWire(work, DataType.FLOAT64), "float64 gradients travel as they are");
        // 8,000 wire bytes in segments of 4,096: 4,096 + 3,904; one call per bucket when uncompressed
        assertArrayEquals(new long[] {4096, 3904}, BF16.callBytes(8000, DataType.FLOAT32));
        assertArrayEquals(new long[] {8000}, StudyWire.DIRECT.callBytes(8000, DataType.FLOAT32));
        assertEquals(2 * 10 + 4096 + 3904, BF16.bucketSeconds(8000, DataType.FLOAT32, 0, b -> 10 + b), 1e-9);
        // plus the conversion of its 4,096 elements
        assertEquals(2 * 10 + 8192 + 4096 * 0.5, BF16.bucketSeconds(8192, DataType.FLOAT32, 0.5, b -> 10 + b), 1e-9);
        assertEquals(10 + 8192, StudyWire.DIRECT.bucketSeconds(8192, DataType.FLOAT32, 0.5, b -> 10 + b), 1e-9);
    }

    @Test
    void aCompressingWireNeedsTheReducer() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new JcclScaling());
        cl.setErr(new PrintWriter(err));
        assertTrue(cl.execute("-t", "2", "--wire", "bf16", "--model", "/nonexistent") != 0);
        assertTrue(err.toString().contains("needs --reducer"), err.toString());
        assertTrue(new CommandLine(new JcclScaling()).execute("-t", "2", "--reducer", "--wire", "bf16", "-d", "double",
                "--model", "/nonexistent") != 0, "-d double cannot travel as bf16");
    }

    /** Through the reducer (fp32 wire), every bucket gets the same bits as the study's own all-reduce of it. */
    @Test
    void theReducerExchangeAveragesLikeTheStudysOwnAllReduces() {
        long[] buckets = {4096, 4096, 1024};
        CommConfig ring = CommConfig.builder().algorithm(Algorithm.RING).deterministic(false).build();
        List<Boolean> same = Jccl.runInProcess(2, ring, comm -> {
            StudyWire fp32 = new StudyWire(true, WireFormat.FP32, false, 1 << 20);
            try (HostBuffer grads = HostBuffer.allocate(9216 / 4, DataType.FLOAT32);
                 ReducerExchange viaReducer = new ReducerExchange(comm, buckets, DataType.FLOAT32, fp32);
                 DirectExchange direct = new DirectExchange(comm, grads, buckets, DataType.FLOAT32)) {
                assertEquals(List.of(List.of("bucket0"), List.of("bucket1"), List.of("bucket2")),
                        viaReducer.reducer().bucketLayout(), "one reducer bucket per study bucket, in order");
                for (long i = 0; i < 9216 / 4; i++) {
                    grads.putFromDouble(DataType.FLOAT32, i, TrainingStep.initialGradient(comm.rank(), i));
                }
                for (int i = 0; i < buckets.length; i++) {
                    direct.ready(i);
                    viaReducer.ready(i);
                }
                direct.finish();
                viaReducer.finish();
                long at = 0;
                for (int i = 0; i < buckets.length; i++) {
                    HostBuffer v = viaReducer.reducer().gradientView("bucket" + i);
                    for (long j = 0; j < buckets[i] / 4; j++) {
                        if (Float.floatToRawIntBits(v.getFloat(j)) != Float.floatToRawIntBits(grads.getFloat(at + j))) {
                            return false;
                        }
                    }
                    at += buckets[i] / 4;
                }
                return true;
            }
        });
        assertEquals(List.of(true, true), same);
    }

    /** The study at -t 2 through the reducer, fp32 and bf16 wire, with one model: bf16's predicted comm is smaller. */
    @Test
    void theStudyRunsThroughTheReducerAndPredictsTheWireBytes(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.properties");
        LinkParams p = new LinkParams(5e-6, 3e-9, 5e-11);
        new CostModel(p, Map.of(2, p), Map.of()).save(model);
        double[] predictedComm = new double[2];
        String[] wires = {"fp32", "bf16"};
        for (int k = 0; k < 2; k++) {
            Path out = dir.resolve(wires[k]);
            int code = new CommandLine(new JcclScaling()).execute("-t", "2", "--reducer", "--wire", wires[k], "-P", "64K",
                    "--bucket-mb", "0.0625", "--flops", "2e6", "--gemm-size", "32", "--steps", "2", "--warmup", "1",
                    "--model", model.toString(), "--out", out.toString(), "--max-w", "64");
            assertEquals(0, code, wires[k]);
            List<String> csv = Files.readAllLines(out.resolve("measured.csv"));
            assertEquals(3, csv.size(), "W = 1, 2:\n" + csv);
            String[] w2 = csv.get(2).split(",");
            assertEquals("2", w2[0]);
            assertTrue(Double.parseDouble(w2[3]) > 0 && Double.parseDouble(w2[5]) > 0, "comm and R measured: " + csv);
            predictedComm[k] = Double.parseDouble(w2[10]);
        }
        // 4 buckets of 64 KiB (fp32) or 32 KiB (bf16): ring at W=2 is 2 steps of alpha + half the bucket's bytes
        double fp32 = 4 * (2 * 5e-6 + 65536 * (3e-9 + 5e-11 / 2));
        assertEquals(fp32, predictedComm[0], fp32 * 0.05, "fp32 predicted comm");
        // half the bytes, plus the conversion measured in the run (a few ns per element: under 1 ms here)
        assertTrue(predictedComm[1] < 0.6 * predictedComm[0] + 1e-3 && predictedComm[1] > 0.45 * predictedComm[0],
                "bf16 predicted comm " + predictedComm[1] + " against fp32's " + predictedComm[0]);
    }

    /** The header names the exchange. */
    @Test
    void theHeaderNamesTheReducerAndItsWire(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.properties");
        LinkParams p = new LinkParams(5e-6, 3e-10, 5e-11);
        new CostModel(p, Map.of(2, p), Map.of()).save(model);
        JcclScaling study = CommandLine.populateCommand(new JcclScaling(), "--reducer", "--wire", "bf16",
                "--error-feedback", "-P", "16K", "--bucket-mb", "0.03125", "--flops", "1e6", "--gemm-size", "32", "--steps",
                "1", "--warmup", "0", "--model", model.toString(), "--out", dir.resolve("out").toString(), "--max-w", "16");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Jccl.runInProcess(2, CommConfig.builder().algorithm(Algorithm.RING).build(), comm -> {
            study.study(comm, "in-process", comm.rank() == 0 ? out : null);
            return 0;
        });
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("gradients through GradientReducer, wire bf16 + error feedback"), text);
    }
}
