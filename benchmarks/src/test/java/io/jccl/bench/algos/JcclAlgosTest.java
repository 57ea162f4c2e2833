package io.jccl.bench.algos;

import io.jccl.bench.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jccl-algos} on in-process ranks: a row per size with every algorithm timed, and a summary that adds up. */
@Timeout(120)
class JcclAlgosTest {
    private static final Pattern ROW = Pattern.compile(
            "^\\s+(\\d+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+(\\S+)\\s+(\\S+)\\s+([0-9.]+)\\s+(\\d+)%$");

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Cli.run(new JcclAlgos(), args);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void everyAlgorithmIsTimedAtEverySizeAndTheSummaryCountsTheRows() {
        // -e is not a power of 8 times -b: it is the last row all the same (as in jccl-perf)
        String[] r = run("-t", "3", "-b", "8", "-e", "3K", "-f", "8", "-n", "3", "--rounds", "3", "--jit-warmup-ms", "0");
        assertEquals("0", r[0], r[1] + r[2]);
        List<Long> sizes = new java.util.ArrayList<>();
        int within = 0;
        for (String line : r[1].lines().toList()) {
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                continue;
            }
            sizes.add(Long.parseLong(m.group(1)));
            for (int g = 2; g <= 6; g++) {
                assertTrue(Double.parseDouble(m.group(g)) > 0, line);
            }
            assertTrue(Set.of("ring", "tree", "hd", "rd").contains(m.group(8)), "best is a forced algorithm: " + line);
            double best = Double.parseDouble(m.group(switch (m.group(8)) {
                case "ring" -> 2;
                case "tree" -> 3;
                case "hd" -> 4;
                default -> 5;
            }));
            for (int g = 2; g <= 5; g++) {
                assertTrue(best <= Double.parseDouble(m.group(g)), "best is the fastest forced column: " + line);
            }
            double ratio = Double.parseDouble(m.group(9));
            assertEquals(Double.parseDouble(m.group(6)) / best, ratio, 0.01 + 0.01 * ratio, line);
            within += ratio <= 1.10 ? 1 : 0;
        }
        assertEquals(List.of(8L, 64L, 512L, 3072L), sizes, r[1]);
        Matcher sum = Pattern.compile("# auto within 10% of the best algorithm at (\\d+) of 4 sizes").matcher(r[1]);
        assertTrue(sum.find(), r[1]);
        // the printed ratios are rounded to 0.01: a ratio printed as 1.10 may be just above the tolerance
        assertTrue(Math.abs(within - Integer.parseInt(sum.group(1))) <= 1, r[1]);
    }

    @Test
    void oneRankIsRefusedWithAReason() {
        String[] r = run("-t", "1", "-b", "8", "-e", "8", "--jit-warmup-ms", "0");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].startsWith("jccl-algos: -t 1: needs at least 2 ranks"), r[2]);
    }

    @Test
    void sizesBelowOneElementAreOneRow() {
        String[] r = run("-t", "2", "-b", "1", "-e", "16", "-f", "2", "-d", "float64", "-n", "2", "--rounds", "1",
                "--jit-warmup-ms", "0");
        assertEquals("0", r[0], r[1] + r[2]);
        List<Long> sizes = r[1].lines().map(ROW::matcher).filter(Matcher::matches)
                .map(m -> Long.parseLong(m.group(1))).toList();
        assertEquals(List.of(8L, 16L), sizes, r[1]);
    }
}
