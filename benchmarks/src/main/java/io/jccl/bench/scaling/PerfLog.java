package io.jccl.bench.scaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the rows of a {@code jccl-perf} output (as printed, with or without {@code bin/jccl-run}'s "[r] " prefix)
 * for the busbw chart: size (column 1) and the out-of-place busbw (column 8), one series per table, named after
 * the file, the table's rank count and the algorithm of its last row.
 *
 * <p>Stateless.
 */
final class PerfLog {
    private PerfLog() {
    }

    static Map<String, double[][]> busbw(Path file) throws IOException {
        Map<String, double[][]> out = new LinkedHashMap<>();
        List<double[]> rows = new ArrayList<>();
        String ranks = "?";
        String algo = "";
        int table = 0;
        for (String raw : Files.readAllLines(file)) {
            String l = raw.replaceFirst("^\\[\\d+\\] ", "").trim();
            if (l.startsWith("# jccl-perf")) {
                if (!rows.isEmpty()) {
                    out.put(name(file, ++table, ranks, algo), toSeries(rows));
                    rows.clear();
                }
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("nRanks (\\d+)").matcher(l);
                ranks = m.find() ? m.group(1) : "?";
                continue;
            }
            String[] c = l.split("\\s+");
            if (c.length >= 14 && c[0].matches("\\d+") && c[1].matches("\\d+")) {
                try {
                    rows.add(new double[] {Double.parseDouble(c[0]), Double.parseDouble(c[7])});
                    algo = c[13];
                } catch (NumberFormatException e) {
                    // not a data row
                }
            }
        }
        if (!rows.isEmpty()) {
            out.put(name(file, ++table, ranks, algo), toSeries(rows));
        }
        return out;
    }

    private static String name(Path f, int table, String ranks, String algo) {
        return "jccl-perf " + f.getFileName() + " #" + table + " W=" + ranks + " " + algo;
    }

    private static double[][] toSeries(List<double[]> rows) {
        double[][] s = new double[2][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            s[0][i] = rows.get(i)[0];
            s[1][i] = rows.get(i)[1];
        }
        return s;
    }
}
