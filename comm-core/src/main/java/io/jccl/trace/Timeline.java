package io.jccl.trace;

import io.jccl.Knob;
import io.jccl.transport.OpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Chrome-trace/Perfetto timeline of this process ({@code JCCL_TIMELINE=NAME.json}: rank r writes
 * {@code NAME-rank<r>.json}, in the Trace Event Format's JSON array form; open it in {@code ui.perfetto.dev} or
 * {@code chrome://tracing}). Each communicator's operations are complete events ({@code "ph":"X"}) on a thread
 * row of their own, with their transfers (send, recv, by peer and phase/step/segment) nested inside; a framework
 * adds its own spans ({@link #span}: the gradient reducer's buckets, a training step's compute) on row 0, so
 * that overlap shows. Times are microseconds since the epoch (each rank's clock).
 *
 * <p>Only when the setting is given does anything get written; then each event is formatted on the thread that
 * records it (allocation per event: a timeline is a diagnosis, not a production setting). The file is completed
 * when the JVM exits normally (a shutdown hook) or by {@link #close()}.
 *
 * <p>Threading: thread-safe (events are appended under one lock).
 */
public final class Timeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Timeline.class);
    private static final Object LOCK = new Object();
    private static Timeline process;
    private static boolean looked;

    private final Path file;
    private final int pid;
    private final BufferedWriter out;
    private final long nanoBase = System.nanoTime();
    private final long epochMicrosBase = System.currentTimeMillis() * 1000;
    private int nextRow = 1;
    private boolean first = true;
    private boolean closed;

    private Timeline(Path file, int pid) throws IOException {
        this.file = file;
        this.pid = pid;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        out.write("[\n");
    }

    /**
     * The process's timeline, opened by the first communicator when {@code JCCL_TIMELINE} is set, or null.
     *
     * @param worldRank the rank that names the file
     * @throws UncheckedIOException when the file cannot be written
     */
    public static Timeline forProcess(int worldRank) {
        synchronized (LOCK) {
            if (!looked) {
                looked = true;
                String name = Knob.TIMELINE.get();
                if (!name.isEmpty()) {
                    try {
                        process = new Timeline(fileOf(name, worldRank), worldRank);
                    } catch (IOException e) {
                        throw new UncheckedIOException(Knob.TIMELINE.envName() + "=" + name + ": cannot write the "
                                + "timeline: " + e.getMessage(), e);
                    }
                    Timeline t = process;
                    Runtime.getRuntime().addShutdownHook(new Thread(t::close, "jccl-timeline-close"));
                    LOG.info("rank={} writes its timeline to {}", worldRank, t.file);
                }
            }
            return process;
        }
    }

    /** {@code NAME.json} for rank r is {@code NAME-rank<r>.json}. */
    static Path fileOf(String name, int rank) {
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return Path.of(base + "-rank" + rank + ".json");
    }

    /** The file this timeline writes. */
    public Path file() {
        return file;
    }

    /** A thread row of its own for one communicator. */
    int newRow() {
        synchronized (LOCK) {
            return nextRow++;
        }
    }

    /** True when this process writes a timeline (so that a caller builds a span's name only then). */
    public static boolean enabled() {
        synchronized (LOCK) {
            return process != null;
        }
    }

    /**
     * Adds a framework's span (a bucket's all-reduce, a step's compute) to the process's timeline when one is
     * written; does nothing otherwise.
     *
     * @param category   a short word ("ddp", "compute")
     * @param startNanos {@link System#nanoTime()} at the start; {@code endNanos} at the end
     */
    public static void span(String category, String name, long startNanos, long endNanos) {
        Timeline t;
        synchronized (LOCK) {
            t = process;
        }
        if (t != null) {
            t.event(name, category, 0, startNanos, endNanos, "");
        }
    }

    /** One operation of a communicator, on its row. */
    void operation(int row, OpHeader h, String algorithm, long startNanos, long endNanos, boolean failed) {
        event(h.collective().label() + " #" + h.seq(), "op", row, startNanos, endNanos,
                ",\"args\":{\"count\":" + h.count() + ",\"type\":\"" + h.type().name().toLowerCase(java.util.Locale.ROOT)
                        + "\",\"algorithm\":\"" + algorithm + "\",\"state\":\"" + (failed ? "failed" : "done") + "\"}");
    }

    /** One transfer of the running operation. */
    void transfer(OpHeader h, String direction, int peer, long tag, int bytes, long startNanos, long endNanos) {
        event(direction + (direction.equals("send") ? " to " : " from ") + peer, "transfer", rowOf(h), startNanos,
                endNanos, ",\"args\":{\"bytes\":" + bytes + ",\"transfer\":\"" + TraceDump.escape(h.describeTag(tag))
                        + "\"}");
    }

    private final java.util.Map<Long, Integer> rows = new java.util.concurrent.ConcurrentHashMap<>();

    /** Binds a communicator's stream id to its row (so that transfers land on their operation's row). */
    void bindRow(long streamId, int row) {
        rows.put(streamId, row);
    }

    private int rowOf(OpHeader h) {
        Integer r = rows.get(h.streamId());
        return r == null ? 0 : r;
    }

    private void event(String name, String category, int row, long startNanos, long endNanos, String args) {
        long ts = epochMicrosBase + (startNanos - nanoBase) / 1000;
        long dur = Math.max(0, (endNanos - startNanos) / 1000);
        String e = "{\"name\":\"" + TraceDump.escape(name) + "\",\"cat\":\"" + category + "\",\"ph\":\"X\",\"ts\":"
                + ts + ",\"dur\":" + dur + ",\"pid\":" + pid + ",\"tid\":" + row + args + "}";
        synchronized (LOCK) {
            if (closed) {
                return;
            }
            try {
                out.write(first ? e : ",\n" + e);
                first = false;
            } catch (IOException ex) {
                LOG.warn("timeline {}: {}", file, ex.toString());
            }
        }
    }

    /** Completes the file (the closing bracket) and closes it; later events are dropped. */
    @Override
    public void close() {
        synchronized (LOCK) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.write("\n]\n");
                out.close();
            } catch (IOException e) {
                LOG.warn("timeline {}: {}", file, e.toString());
            }
        }
    }
}
