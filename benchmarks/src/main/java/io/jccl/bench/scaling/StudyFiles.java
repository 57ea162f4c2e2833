package io.jccl.bench.scaling;

import io.jccl.algo.select.CollectiveCosts;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.Plan;
import io.jccl.bench.tune.Tuner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files {@code jccl-scaling} writes into its {@code --out} folder (created when missing): measured.csv,
 * prediction.csv, prediction.json, and the charts efficiency.png and busbw.png (with the all_reduce rows of the
 * {@code --perf} files). Each method says on stdout what it wrote; IOException when a file cannot be written. Not
 * thread-safe: rank 0's.
 */
final class StudyFiles {
    private final Path dir;
    private final List<String> perfFiles;

    /** Files in {@code dir}; {@code perfFiles} (null: none) are charted with busbw. */
    StudyFiles(Path dir, List<String> perfFiles) {
        this.dir = dir;
        this.perfFiles = perfFiles;
    }

    /** The folder. */
    Path dir() {
        return dir;
    }

    /** prediction.csv and prediction.json, as given; creates the folder. */
    void writePrediction(String csv, Map<String, Object> json) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("prediction.csv"), csv);
        Files.writeString(dir.resolve("prediction.json"), toJson(json));
    }

    /** measured.csv: a row per W, with the validation's predictions ({@link Validation#validate}) from W=2. */
    void writeMeasured(List<Measured> ms, List<double[]> validation) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("w,step_s,compute_s,comm_s,exposed_fraction,ratio_r,efficiency,flops_per_second,"
                + "algorithm,predicted_step_s,predicted_comm_s,predicted_efficiency\n");
        double t1 = ms.get(0).step();
        for (Measured m : ms) {
            double[] v = validation.stream().filter(r -> (int) r[0] == m.w()).findFirst().orElse(null);
            csv.append(String.format(Locale.ROOT, "%d,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f,%.4e,%s,%s,%s,%s%n", m.w(), m.step(),
                    m.compute(), m.comm(), m.times().exposedFraction(), m.w() == 1 ? Double.NaN : m.times().ratio(),
                    t1 / m.step(), m.flopRate(), m.algorithm(), v == null ? "" : String.format(Locale.ROOT, "%.6e", v[1]),
                    v == null ? "" : String.format(Locale.ROOT, "%.6e", v[2]), v == null ? "" : String.format(Locale.ROOT, "%.4f", v[3])));
        }
        Files.writeString(dir.resolve("measured.csv"), csv.toString());
        System.out.println("# wrote " + dir.resolve("measured.csv"));
    }

    /** busbw against size: the in-run probe's measurements, the model at the largest W, and --perf files. */
    void chartBusbw(Map<Integer, Tuner.WorldFit> fits, CostModel m, long seg, int n) throws IOException {
        Map<String, double[][]> series = new LinkedHashMap<>();
        fits.forEach((k, f) -> {
            double[] bw = new double[f.sizes().length];
            for (int i = 0; i < bw.length; i++) {
                bw[i] = f.sizes()[i] / f.measured()[i] / 1e9 * 2.0 * (k - 1) / k;
            }
            series.put("measured W=" + k + " (" + f.algorithms()[f.algorithms().length - 1] + ", in-run probe)",
                    new double[][] {f.sizes(), bw});
        });
        int w = n >= 2 ? n : 8;
        double[] sizes = new double[17]; // 8 B .. 128 MiB
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 8 * Math.pow(2, i * 1.5);
        }
        for (Plan plan : new Plan[] {Plan.RING, Plan.TREE}) {
            double[] bw = new double[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                double t = CollectiveCosts.allReduce(plan, m.params(w, plan, (long) sizes[i]), (long) sizes[i], w, seg, m.sharedHost());
                bw[i] = sizes[i] / t / 1e9 * 2.0 * (w - 1) / w;
            }
            series.put("model " + plan.label() + " W=" + w, new double[][] {sizes, bw});
        }
        if (perfFiles != null) {
            for (String f : perfFiles) {
                series.putAll(PerfLog.busbw(Path.of(f)));
            }
        }
        Path png = dir.resolve("busbw.png");
        Charts.xy(png, "All-reduce bus bandwidth against message size", "size (bytes)", "busbw (GB/s)", true, false,
                series, 900, 560);
        System.out.println("# wrote " + png);
    }

    /** A flat JSON object of numbers and strings. */
    static String toJson(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            String s = v instanceof Number num && Double.isFinite(num.doubleValue()) ? v.toString()
                    : v instanceof Number ? "null" : "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            sb.append("  \"").append(e.getKey()).append("\": ").append(s).append(++i < m.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }
}
