package io.jccl.bench.compare;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/jccl-compare}: JCCL against Gloo and Open MPI on this machine, all-reduce sum fp32, run back to
 * back and alternating for several rounds, reporting medians and their ratios (issue 7's method: absolute
 * figures move from run to run on a shared machine; ratios measured side by side hold). Per world size it
 * runs, each round: the loopback roofline ({@code bin/jccl-roofline}), {@code bin/jccl-perf} over TCP, and each
 * peer found in {@code --peers-dir} (Gloo through PyTorch, Open MPI over TCP and over shared memory); a peer
 * that is not installed is skipped with a note.
 *
 * <p>JCCL's in-place column is compared with Gloo (which all-reduces in place) and its out-of-place column with
 * Open MPI (whose benchmark is out of place). Times in microseconds, bandwidths in decimal GB/s.
 */
@Command(name = "jccl-compare", mixinStandardHelpOptions = true,
        description = "JCCL vs Gloo vs Open MPI all-reduce, alternating rounds, medians and ratios.")
public final class Compare implements Callable<Integer> {
    @Option(names = "--ranks", defaultValue = "2,4", split = ",", description = "world sizes (default: ${DEFAULT-VALUE})")
    int[] ranks;

    @Option(names = "--rounds", defaultValue = "5", description = "alternating rounds (medians are taken over them; default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "-b", defaultValue = "8", description = "smallest size in bytes (K, M, G suffixes; default: ${DEFAULT-VALUE})")
    String minSize;

    @Option(names = "-e", defaultValue = "32M", description = "largest size in bytes (x4 steps from -b, the last at or below it; default: ${DEFAULT-VALUE})")
    String maxSize;

    private long minBytes;
    private long maxBytes;

    @Option(names = "--iters", defaultValue = "50", description = "timed iterations for sizes under 4 MiB (a tenth above; default: ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--peers-dir", defaultValue = "../shared/peers", description = "where gloo_allreduce.py and mpi_allreduce.c are")
    Path peersDir;

    @Option(names = "--jccl-warmup-ms", defaultValue = "500",
            description = "jccl-perf's --warmup-ms: each size and placement runs this long before it is timed, so that"
                    + " JCCL is timed compiled, as a training loop runs it and as the peers' C code runs from its first"
                    + " call (0: only jccl-perf's 5 warm-up calls; default: ${DEFAULT-VALUE})")
    long jcclWarmupMs;

    @Option(names = "--jccl-args", defaultValue = "", description = "extra jccl-perf arguments (e.g. '-a ring')")
    String jcclArgs;

    @Option(names = "--timeout-seconds", defaultValue = "600", description = "limit of each run (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    private final Path home = Path.of(System.getProperty("jccl.home", ".")).toAbsolutePath().normalize();

    public static void main(String[] args) {
        System.exit(io.jccl.bench.Cli.run(new Compare(), args));
    }

    /** One tool's rows: size -> {time us, busbw} for one run. */
    private record Row(double timeUs, double busbw) {
    }

    @Override
    public Integer call() throws Exception {
        minBytes = io.jccl.Knob.parseSize(minSize);
        maxBytes = io.jccl.Knob.parseSize(maxSize);
        if (minBytes < 1 || minBytes > maxBytes) {
            throw new IllegalArgumentException("-b " + minBytes + " must be at least 1 and at most -e " + maxBytes);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1, not " + rounds);
        }
        if (jcclWarmupMs < 0) {
            throw new IllegalArgumentException("--jccl-warmup-ms must be at least 0, not " + jcclWarmupMs);
        }
        List<String> notes = new ArrayList<>();
        // every tool steps x4 from -b; one that stopped at an -e off those steps would have a row the others lack
        long last = minBytes;
        while (last <= maxBytes / 4) {
            last *= 4;
        }
        if (last != maxBytes) {
            notes.add("-e " + maxBytes + " is not -b times a power of 4: the sweep ends at " + last);
            maxBytes = last;
        }
        Path mpi = buildMpi(notes);
        boolean gloo = Files.exists(peersDir.resolve("gloo_allreduce.py")) && canImportTorch();
        if (!gloo) {
            notes.add("Gloo skipped: " + peersDir.resolve("gloo_allreduce.py") + " or python3 with torch is missing");
        }
        System.out.printf(Locale.ROOT, "# jccl-compare: all-reduce sum fp32, sizes %d..%d x4, %d rounds, medians; %s%n",
                minBytes, maxBytes, rounds, java.time.LocalDate.now());
        System.out.printf(Locale.ROOT, "# JCCL: each size warmed up %d ms per placement before it is timed"
                + " (--jccl-warmup-ms); the peers: 2 warm-up calls per size, as their scripts do%n", jcclWarmupMs);
        notes.forEach(n -> System.out.println("# note: " + n));
        for (int w : ranks) {
            Map<String, List<Map<Long, Row>>> runs = new LinkedHashMap<>();
            List<Double> roof = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                roof.add(roofline(w));
                add(runs, "jccl-oop", jccl(w, false));
                add(runs, "jccl-ip", jccl(w, true));
                if (gloo) {
                    add(runs, "gloo", peerTable(run(List.of("/usr/bin/python3", peersDir.resolve("gloo_allreduce.py").toString(),
                            Integer.toString(w), Long.toString(minBytes), Long.toString(maxBytes), Integer.toString(iters))), w));
                }
                if (mpi != null) {
                    add(runs, "mpi-tcp", peerTable(run(mpirun(mpi, w, true)), w));
                    add(runs, "mpi-shm", peerTable(run(mpirun(mpi, w, false)), w));
                }
                System.out.printf(Locale.ROOT, "# W=%d round %d/%d done%n", w, round + 1, rounds);
            }
            report(w, runs, median(roof));
        }
        return 0;
    }

    private static void add(Map<String, List<Map<Long, Row>>> runs, String tool, Map<Long, Row> rows) {
        runs.computeIfAbsent(tool, k -> new ArrayList<>()).add(rows);
    }

    private void report(int w, Map<String, List<Map<Long, Row>>> runs, double roofPerRank) {
        Map<String, Map<Long, Row>> med = new LinkedHashMap<>();
        runs.forEach((tool, list) -> {
            Map<Long, Row> m = new TreeMap<>();
            for (Long size : list.get(0).keySet()) {
                double[] t = list.stream().filter(x -> x.containsKey(size)).mapToDouble(x -> x.get(size).timeUs()).toArray();
                double[] b = list.stream().filter(x -> x.containsKey(size)).mapToDouble(x -> x.get(size).busbw()).toArray();
                m.put(size, new Row(median(t), median(b)));
            }
            med.put(tool, m);
        });
        System.out.printf(Locale.ROOT, "%n## W=%d (medians of %d rounds); loopback roofline per rank %.3f GB/s%n", w, rounds, roofPerRank);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%12s", "size(B)"));
        for (String tool : med.keySet()) {
            head.append(String.format(Locale.ROOT, " %12s %9s", tool + " us", "busbw"));
        }
        head.append("   ip/gloo  oop/mpi-tcp  oop/best-tcp");
        System.out.println("# the last three columns are busbw ratios, JCCL's over the peer's (above 1: JCCL ahead);"
                + " best-tcp is the better of Gloo and Open MPI TCP at that size");
        System.out.println(head);
        Map<Long, Row> oop = med.get("jccl-oop");
        Map<Long, Row> ip = med.get("jccl-ip");
        for (Long size : oop.keySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%12d", size));
            for (Map<Long, Row> m : med.values()) {
                Row r = m.get(size);
                line.append(r == null ? String.format(Locale.ROOT, " %12s %9s", "-", "-")
                        : String.format(Locale.ROOT, " %12.1f %9.4f", r.timeUs(), r.busbw()));
            }
            line.append(ratio(ip, med.get("gloo"), size)).append(ratio(oop, med.get("mpi-tcp"), size));
            Row g = med.containsKey("gloo") ? med.get("gloo").get(size) : null;
            Row t = med.containsKey("mpi-tcp") ? med.get("mpi-tcp").get(size) : null;
            double best = Math.max(g == null ? 0 : g.busbw(), t == null ? 0 : t.busbw());
            line.append(best > 0 ? String.format(Locale.ROOT, " %12.2f", oop.get(size).busbw() / best) : String.format(Locale.ROOT, " %12s", "-"));
            System.out.println(line);
        }
        System.out.print("# Avg bus bandwidth:");
        Map<String, Double> avg = new LinkedHashMap<>();
        med.forEach((tool, m) -> avg.put(tool, m.values().stream().mapToDouble(Row::busbw).average().orElse(0)));
        avg.forEach((tool, a) -> System.out.printf(Locale.ROOT, "  %s %.4f", tool, a));
        System.out.println();
        if (avg.containsKey("gloo")) {
            System.out.printf(Locale.ROOT, "# Avg busbw ratio JCCL(in-place)/Gloo: %.2f%n", avg.get("jccl-ip") / avg.get("gloo"));
        }
        if (avg.containsKey("mpi-tcp")) {
            System.out.printf(Locale.ROOT, "# Avg busbw ratio JCCL(out-of-place)/Open MPI TCP: %.2f%n", avg.get("jccl-oop") / avg.get("mpi-tcp"));
        }
        Long largest = oop.keySet().stream().max(Long::compare).orElse(0L);
        System.out.printf(Locale.ROOT, "# at %d B: JCCL busbw / roofline = %.2f (out-of-place), %.2f (in-place)%n", largest,
                oop.get(largest).busbw() / roofPerRank, ip.get(largest).busbw() / roofPerRank);
        Long smallest = oop.keySet().stream().min(Long::compare).orElse(0L);
        if (med.containsKey("mpi-tcp") && med.get("mpi-tcp").get(smallest) != null) {
            System.out.printf(Locale.ROOT, "# at %d B: JCCL time / Open MPI TCP time = %.2f%n", smallest,
                    oop.get(smallest).timeUs() / med.get("mpi-tcp").get(smallest).timeUs());
        }
        if (med.containsKey("mpi-shm") && med.get("mpi-shm").get(largest) != null
                && med.get("mpi-shm").get(smallest) != null) {
            System.out.printf(Locale.ROOT, "# vs Open MPI shared memory: at %d B busbw ratio %.2f, at %d B time ratio %.2f%n", largest,
                    oop.get(largest).busbw() / med.get("mpi-shm").get(largest).busbw(), smallest,
                    oop.get(smallest).timeUs() / med.get("mpi-shm").get(smallest).timeUs());
        }
    }

    private static String ratio(Map<Long, Row> ours, Map<Long, Row> theirs, Long size) {
        if (theirs == null || theirs.get(size) == null || theirs.get(size).busbw() <= 0) {
            return String.format(Locale.ROOT, " %9s", "-");
        }
        return String.format(Locale.ROOT, " %9.2f", ours.get(size).busbw() / theirs.get(size).busbw());
    }

    private Map<Long, Row> jccl(int w, boolean inPlace) throws Exception {
        // one run gives both columns; cache it for the in-place call of the same round
        if (!inPlace || lastJccl == null) {
            List<String> cmd = new ArrayList<>(List.of("bin/jccl-run", "-n", Integer.toString(w), "bin/jccl-perf", "-b",
                    Long.toString(minBytes), "-e", Long.toString(maxBytes), "-f", "4", "-n", Integer.toString(iters), "-w", "5",
                    "-c", "0", "--max-seconds-per-size", "2", "--warmup-ms", Long.toString(jcclWarmupMs)));
            if (!jcclArgs.isBlank()) {
                cmd.addAll(Arrays.asList(jcclArgs.trim().split("\\s+")));
            }
            lastJccl = run(cmd);
        }
        Map<Long, Row> rows = new TreeMap<>();
        for (String l : lastJccl.lines().toList()) {
            String[] f = l.replaceFirst("^\\[0\\]\\s*", "").trim().split("\\s+");
            if (f.length >= 13 && f[0].matches("\\d+") && f[2].equals("float")) {
                int t = inPlace ? 9 : 5;
                long size = Long.parseLong(f[0]);
                double us = Double.parseDouble(f[t]);
                rows.put(size, new Row(us, busbw(size, us, w)));
            }
        }
        if (inPlace) {
            lastJccl = null;
        }
        return rows;
    }

    private String lastJccl;

    /** busbw in decimal GB/s of an all-reduce of {@code size} bytes taking {@code us} microseconds on W ranks. */
    private static double busbw(long size, double us, int w) {
        return size / (us * 1e3) * 2.0 * (w - 1) / w;
    }

    private static Map<Long, Row> peerTable(String out, int w) {
        Map<Long, Row> rows = new TreeMap<>();
        for (String l : out.lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 6 && f[0].matches("\\d+") && f[1].matches("\\d+")) {
                long size = Long.parseLong(f[0]);
                double us = Double.parseDouble(f[2]);
                rows.put(size, new Row(us, busbw(size, us, w)));
            }
        }
        return rows;
    }

    private double roofline(int w) throws Exception {
        String out = run(List.of("bin/jccl-run", "-n", Integer.toString(w), "bin/jccl-roofline", "--seconds", "2"));
        for (String l : out.lines().toList()) {
            int i = l.indexOf("per rank (total / W) ");
            if (i >= 0) {
                return Double.parseDouble(l.substring(i + 21).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no roofline figure in:\n" + out);
    }

    private List<String> mpirun(Path binary, int w, boolean tcp) {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", Integer.toString(w)));
        if (tcp) {
            cmd.addAll(List.of("--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"));
        }
        cmd.addAll(List.of(binary.toString(), Long.toString(minBytes), Long.toString(maxBytes), Integer.toString(iters)));
        return cmd;
    }

    private Path buildMpi(List<String> notes) throws Exception {
        Path src = peersDir.resolve("mpi_allreduce.c");
        if (!Files.exists(src)) {
            notes.add("Open MPI skipped: " + src + " is missing");
            return null;
        }
        Path out = home.resolve("benchmarks/target/compare/mpi_allreduce");
        Files.createDirectories(out.getParent());
        try {
            run(List.of("mpicc", "-O2", "-o", out.toString(), src.toString()));
            run(List.of("mpirun", "--version"));
        } catch (IOException | IllegalStateException e) {
            notes.add("Open MPI skipped: mpicc/mpirun not usable (" + e.getMessage().lines().findFirst().orElse("") + ")");
            return null;
        }
        return out;
    }

    private boolean canImportTorch() {
        try {
            run(List.of("/usr/bin/python3", "-c", "import torch.distributed"));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private String run(List<String> cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile("jccl-compare", ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static double median(List<Double> xs) {
        return median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
