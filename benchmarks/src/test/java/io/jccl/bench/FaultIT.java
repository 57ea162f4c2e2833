package io.jccl.bench;

import io.jccl.net.LaunchInfo;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults across real JVMs: ranks of a {@code bin/jccl-perf} job started directly (not through jccl-run, so
 * that each survivor shows what it does on its own). A killed (SIGKILL) or frozen (SIGSTOP) rank in the
 * middle of a 256 MiB all-reduce: every survivor fails within the deadline plus a slack, naming the rank.
 * Ranks that call different types or counts: every rank fails with the mismatch.
 */
@Timeout(300)
@Tag("slow")
class FaultIT {
    private static final long TIMEOUT_MS = 8_000;
    private static final long SLACK_MS = 12_000;

    /** One job of W JVMs, each with its own log file. */
    private static final class Job implements AutoCloseable {
        final TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0));
        final List<Process> procs = new ArrayList<>();
        final List<Path> logs = new ArrayList<>();

        Job(int w, java.util.function.IntFunction<List<String>> argsOfRank) throws IOException {
            for (int r = 0; r < w; r++) {
                List<String> cmd = new ArrayList<>();
                cmd.add("bin/jccl-perf");
                cmd.addAll(argsOfRank.apply(r));
                Path log = Files.createTempFile("jccl-fault-rank" + r, ".log");
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(LaunchedJob.home().toFile())
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().put("RANK", Integer.toString(r));
                pb.environment().put("WORLD_SIZE", Integer.toString(w));
                pb.environment().put("MASTER_ADDR", "127.0.0.1");
                pb.environment().put("MASTER_PORT", Integer.toString(store.port()));
                pb.environment().put(LaunchInfo.STORE_HOSTED_ENV, "1");
                pb.environment().put("JCCL_TIMEOUT_MS", Long.toString(TIMEOUT_MS));
                procs.add(pb.start());
                logs.add(log);
            }
        }

        String log(int r) throws IOException {
            return Files.readString(logs.get(r), StandardCharsets.UTF_8);
        }

        /** Waits until rank 0 has printed the table header (every rank joined and the sweep begins). */
        void awaitSweepStart() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!log(0).contains("#       size")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the job did not start:\n" + log(0));
                }
                for (Process p : procs) {
                    if (!p.isAlive()) {
                        throw new AssertionError("a rank exited early:\n" + all());
                    }
                }
                Thread.sleep(50);
            }
        }

        String all() throws IOException {
            StringBuilder b = new StringBuilder();
            for (int r = 0; r < logs.size(); r++) {
                b.append("---- rank ").append(r).append('\n').append(log(r));
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            for (Process p : procs) {
                signal(p, "CONT");
                p.destroyForcibly();
            }
            for (Process p : procs) {
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Path l : logs) {
                Files.deleteIfExists(l);
            }
            store.close();
        }
    }

    private static void signal(Process p, String sig) throws IOException {
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).redirectErrorStream(true)
                    .redirectOutput(new File("/dev/null")).start().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> bigAllReduce() {
        return List.of("-b", "256M", "-e", "256M", "-n", "50", "-w", "0", "-c", "0", "--jit-warmup-ms", "0");
    }

    /** The thread dump of {@code p} (jstack beside this JVM's java), to show where a rank that overstays waits. */
    private static String threads(Process p) {
        try {
            Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
            Process d = new ProcessBuilder(jstack.toString(), Long.toString(p.pid())).redirectErrorStream(true).start();
            String out = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            d.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException | InterruptedException e) {
            return "(no thread dump: " + e + ")";
        }
    }

    /** Every rank but {@code victim} exits non-zero within {@code withinMs} and names the victim. */
    private static void survivorsFailNaming(Job job, int victim, long t0, long withinMs) throws Exception {
        for (int r = 0; r < job.procs.size(); r++) {
            if (r == victim) {
                continue;
            }
            Process p = job.procs.get(r);
            long left = withinMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // a thread dump early (before the rank's own deadline could end its wait) shows where it waits
            String early = "";
            long firstLook = Math.min(Math.max(1, left), 4_000);
            if (!p.waitFor(firstLook, TimeUnit.MILLISECONDS)) {
                early = threads(p);
            }
            left = withinMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (p.isAlive() && !p.waitFor(Math.max(1, left), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("rank " + r + " still running " + withinMs + " ms after the fault:\n" + job.all()
                        + "\n---- rank " + r + "'s threads 4 s after the fault\n" + early
                        + "\n---- and now\n" + threads(p));
            }
            assertNotEquals(0, p.exitValue(), job.all());
            String log = job.log(r);
            assertTrue(names(log, victim), "rank " + r + " does not name rank " + victim + ":\n" + job.all());
        }
    }

    /** A status query's verdict: "rank 1 did not answer ...", "ranks 1 and 2 never entered ...". */
    private static final Pattern VERDICT =
            Pattern.compile("\\branks? ([0-9]+(?:(?:, | and )[0-9]+)*) (?:did not answer|never entered)");

    /**
     * True when {@code log} names rank {@code v} as the cause: the peer it waited for ({@code peer=v}), the rank
     * that failed ({@code rank=v}), or a rank that the status query after a timeout found silent or behind. The
     * last is how a survivor names a frozen rank when it waited for another survivor that waits for the frozen one.
     */
    static boolean names(String log, int v) {
        if (Pattern.compile("\\b(?:peer|rank)=" + v + "\\b").matcher(log).find()) {
            return true;
        }
        Matcher m = VERDICT.matcher(log);
        while (m.find()) {
            for (String n : m.group(1).split(", | and ")) {
                if (Integer.parseInt(n) == v) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void aKilledRankFailsEverySurvivorPromptly() throws Exception {
        try (Job job = new Job(4, r -> bigAllReduce())) {
            job.awaitSweepStart();
            Thread.sleep(1_500);
            long t0 = System.nanoTime();
            job.procs.get(2).destroyForcibly(); // SIGKILL
            survivorsFailNaming(job, 2, t0, SLACK_MS);
        }
    }

    @Test
    void aFrozenRankFailsEverySurvivorByTheDeadline() throws Exception {
        try (Job job = new Job(3, r -> bigAllReduce())) {
            job.awaitSweepStart();
            Thread.sleep(1_500);
            long t0 = System.nanoTime();
            signal(job.procs.get(1), "STOP");
            survivorsFailNaming(job, 1, t0, TIMEOUT_MS + SLACK_MS);
        }
    }

    private static void everyRankReportsAMismatch(Job job) throws Exception {
        for (int r = 0; r < job.procs.size(); r++) {
            Process p = job.procs.get(r);
            assertTrue(p.waitFor(TIMEOUT_MS + SLACK_MS, TimeUnit.MILLISECONDS), "rank " + r + " hangs:\n" + job.all());
            assertNotEquals(0, p.exitValue(), job.all());
            assertTrue(job.log(r).contains("mismatched collective calls"), "rank " + r + ":\n" + job.all());
        }
    }

    @Test
    void aRankCallingBfloat16AgainstFloat32FailsEveryRank() throws Exception {
        try (Job job = new Job(3, r -> List.of("-b", "64", "-e", "64", "-n", "2", "-w", "1", "--jit-warmup-ms", "0",
                "-d", r == 1 ? "bfloat16" : "float"))) {
            everyRankReportsAMismatch(job);
        }
    }

    @Test
    void aRankWithCount10AgainstCount8FailsEveryRank() throws Exception {
        try (Job job = new Job(3, r -> List.of("-b", r == 2 ? "40" : "32", "-e", r == 2 ? "40" : "32", "-n", "2", "-w",
                "1", "--jit-warmup-ms", "0"))) {
            everyRankReportsAMismatch(job);
        }
    }
}
