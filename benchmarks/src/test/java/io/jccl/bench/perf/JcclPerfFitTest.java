package io.jccl.bench.perf;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jccl-perf --model fit} on two in-process ranks fits a model first and predicts every row with it. */
@Timeout(120)
@Tag("slow")
class JcclPerfFitTest {
    private static String run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new JcclPerf()).execute(args);
        } finally {
            System.setOut(saved);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        return text;
    }

    @Test
    void fitsInTheSameJobAndPrintsTheMedianError() {
        String text = run("-t", "2", "-b", "8", "-e", "64K", "-f", "8", "-n", "5",
                "-a", "tree", "--model", "fit", "--jit-warmup-ms", "0", "--max-seconds-per-size", "0.02");
        assertTrue(text.contains("# --model fit: the cost model is fitted in this job first"), text);
        assertTrue(text.contains("W=2 tree: alpha="), "the tree's own latency was fitted: " + text);
        // every row of the sweep (8 B .. 64 KiB by x8: 6 sizes, 2 placements) has a prediction
        Matcher m = Pattern.compile("Median \\|prediction error\\| : [0-9.]+% over (\\d+) measurements").matcher(text);
        assertTrue(m.find(), text);
        assertEquals(12, Integer.parseInt(m.group(1)), text);
    }

    @Test
    void withRepsTheFitAndTheSweepTakeTurnsAndPrintOnce() {
        String text = run("-t", "2", "-b", "8", "-e", "64K", "-f", "8", "-n", "5", "--reps", "3", "--stat", "min",
                "-a", "ring", "--model", "fit", "--jit-warmup-ms", "0", "--max-seconds-per-size", "0.02");
        assertTrue(text.contains("in 3 passes interleaved with the sweep's"), text);
        assertEquals(1, Pattern.compile("# fitted: ").matcher(text).results().count(), "one model, printed once: " + text);
        assertEquals(1, Pattern.compile("# ping-pong rank 0").matcher(text).results().count(), "the fit's tables once: " + text);
        assertEquals(6, text.lines().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\s+float\\s.*")).count(), "one row per size: " + text);
        Matcher m = Pattern.compile("Median \\|prediction error\\| : [0-9.]+% over (\\d+) measurements").matcher(text);
        assertTrue(m.find(), text);
        assertEquals(12, Integer.parseInt(m.group(1)), text);
        Matcher spread = Pattern.compile("# Batch spread : the slowest of a row's 3 batches took ([0-9.]+)x the fastest"
                + " \\(median over 6 rows x 2 placements; ([0-9.]+)x-([0-9.]+)x\\)").matcher(text);
        assertTrue(spread.find(), text);
        double median = Double.parseDouble(spread.group(1));
        assertTrue(1 <= Double.parseDouble(spread.group(2)) && Double.parseDouble(spread.group(2)) <= median
                && median <= Double.parseDouble(spread.group(3)), text);
    }

    @Test
    void theSpreadOfBatchesIsTheSlowestOverTheFastest() {
        assertEquals(3.0, PerfSummary.spread(new double[] {2.0, 6.0, 3.0}), 1e-12);
        assertEquals(1.0, PerfSummary.spread(new double[] {5.0}), 1e-12);
    }
}
