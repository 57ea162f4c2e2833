package io.jccl.bench;

import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of emulated hosts for the integration tests: {@code scripts/netns-cluster.sh} (one network namespace per
 * host on a bridge, links shaped with tc tbf, a private /dev/shm and {@code JCCL_HOST_ID} each) under a name of its
 * own, and the ranks started on it with their output read line by line as it comes, each line stamped with the
 * time it arrived (so a test can say when a rank reported a failure). {@link #close()} stops every rank still
 * running and removes the namespaces and the bridge. Used by one test thread at a time.
 */
final class NetnsCluster implements AutoCloseable {
    private final String name;
    private final List<RankProcess> ranks = new ArrayList<>();
    private final Path traceDir;

    private NetnsCluster(String name) throws IOException {
        this.name = name;
        this.traceDir = Files.createTempDirectory("jccl-netns-trace");
    }

    /**
     * Makes {@code hosts} hosts linked at {@code rate}; aborts the calling test (JUnit assumption) with the reason
     * when this user cannot make network namespaces here.
     *
     * @param tag at most 3 characters, different per test class, so that clusters of concurrent tests differ
     */
    static NetnsCluster up(String tag, int hosts, String rate) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to create network namespaces (user is " + System.getProperty("user.name") + ")");
        NetnsCluster c = new NetnsCluster(tag + ProcessHandle.current().pid() % 1000);
        try {
            c.sh("up", Integer.toString(hosts), rate);
        } catch (IOException e) {
            c.close();
            Assumptions.abort("cannot make the namespace cluster here: " + e.getMessage());
        }
        return c;
    }

    private ProcessBuilder script(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("scripts/netns-cluster.sh"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(LaunchedJob.home().toFile());
        pb.environment().put("JCCL_NETNS_NAME", name);
        return pb;
    }

    /** Runs {@code netns-cluster.sh ARGS} (a deadline of 60 s) and returns its output. */
    String sh(String... args) throws IOException, InterruptedException {
        Process p = script(List.of(args)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("netns-cluster.sh " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** Host {@code i}'s IPv4 address, or its IPv6 one. */
    String addr(int i, boolean ipv6) throws IOException, InterruptedException {
        return ipv6 ? sh("addr", Integer.toString(i), "-6") : sh("addr", Integer.toString(i));
    }

    /** Host {@code i}'s interface name (for {@code JCCL_SOCKET_IFNAME}). */
    String dev(int i) throws IOException, InterruptedException {
        return sh("dev", Integer.toString(i));
    }

    /** Pulls host {@code i}'s cable ({@code up} false) or plugs it back. */
    void link(int i, boolean up) throws IOException, InterruptedException {
        sh("link", Integer.toString(i), up ? "up" : "down");
    }

    /**
     * Starts {@code command} (relative to the repository root) on host {@code host} with {@code env} added to this
     * process's environment, less {@code JCCL_ALGO} and {@code JCCL_HOST_ID} (the script sets the host's), and the
     * flight recorder's dumps in a directory of this cluster's.
     */
    RankProcess start(int host, Map<String, String> env, String... command) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", Integer.toString(host)));
        args.addAll(List.of(command));
        ProcessBuilder pb = script(args).redirectErrorStream(true);
        pb.environment().remove("JCCL_ALGO");
        pb.environment().remove("JCCL_HOST_ID");
        pb.environment().put("JCCL_TRACE_DIR", traceDir.toString());
        pb.environment().putAll(env);
        RankProcess r = new RankProcess(pb.start());
        ranks.add(r);
        return r;
    }

    /** The directory of the ranks' flight recorder dumps ({@code JCCL_TRACE_DIR}). */
    Path traceDir() {
        return traceDir;
    }

    /** Every rank's output, for a failure message. */
    String outputs() {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < ranks.size(); r++) {
            b.append("---- process ").append(r).append('\n').append(ranks.get(r).output());
        }
        return b.toString();
    }

    @Override
    public void close() throws Exception {
        for (RankProcess r : ranks) {
            r.process.descendants().forEach(ProcessHandle::destroyForcibly);
            r.process.destroyForcibly();
        }
        for (RankProcess r : ranks) {
            r.process.waitFor(10, TimeUnit.SECONDS);
        }
        try {
            sh("down");
        } finally {
            try (var files = Files.list(traceDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(traceDir);
        }
    }

    /** One started command and its output, each line with the {@link System#nanoTime()} at which it was read. */
    static final class RankProcess {
        final Process process;
        private final List<String> lines = new ArrayList<>();
        private final List<Long> arrivals = new ArrayList<>();
        private final Thread reader;

        RankProcess(Process process) {
            this.process = process;
            this.reader = new Thread(this::read, "netns-rank-output-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    long t = System.nanoTime();
                    synchronized (this) {
                        lines.add(line);
                        arrivals.add(t);
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    lines.add("(output lost: " + e + ")");
                    arrivals.add(System.nanoTime());
                }
            }
        }

        /** Waits up to {@code seconds} for the process to end and its output to be read; false if it did not. */
        boolean await(long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                return false;
            }
            reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) + 5_000);
            return !reader.isAlive();
        }

        synchronized String output() {
            return String.join("\n", lines) + "\n";
        }

        /** The first line containing {@code text}, or null. */
        synchronized String line(String text) {
            for (String l : lines) {
                if (l.contains(text)) {
                    return l;
                }
            }
            return null;
        }

        /** When the first line containing {@code text} was read ({@link System#nanoTime()}), or -1 if none was. */
        synchronized long arrival(String text) {
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains(text)) {
                    return arrivals.get(i);
                }
            }
            return -1;
        }
    }
}
