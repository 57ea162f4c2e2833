package io.jccl.trace;

import io.jccl.transport.OpHeader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Writes a {@link FlightRecorder} as one JSON document per rank and communicator,
 * {@code jccl-trace-<job>-comm<id>-rank<r>.json} (the job: its rendezvous store's id and round, so that jobs
 * sharing a directory do not mix); {@code bin/jccl-trace DIR} reads them back. The format (version 1):
 *
 * <pre>
 * {"version":1, "job":"5f3a9c1e-a0r0", "commId":1, "rank":2, "worldRank":2, "size":4, "host":"h", "pid":123, "why":"...",
 *  "dumpedAtMicros":..., "entries":[
 *   {"seq":5, "collective":"all_reduce", "type":"float32", "op":"sum", "root":-1, "count":1024,
 *    "algorithm":"ring", "reason":"size thresholds", "placement":"host", "state":"failed",
 *    "startMicros":..., "durationMicros":..., "bytesSent":..., "bytesReceived":..., "error":"...",
 *    "peers":[{"peer":1, "sent":4096, "received":4096, "lastSent":"phase 1 step 0 segment 0",
 *              "lastReceived":"..."}]}]}
 * </pre>
 *
 * Times are microseconds since the epoch on the dumping rank's clock; {@code peers} lists the peers an operation
 * exchanged with, for its latest {@link FlightRecorder#PEER_DETAIL} operations. Stateless and thread-safe.
 */
public final class TraceDump {
    /** The format's version, the first field of every dump. */
    public static final int VERSION = 1;

    private TraceDump() {
    }

    /** The dump's file name for a job ("" when unknown), communicator and rank. */
    public static String fileName(String job, long commId, int rank) {
        return "jccl-trace-" + (job.isEmpty() ? "" : job + "-") + "comm" + Long.toUnsignedString(commId) + "-rank" + rank
                + ".json";
    }

    /**
     * Writes the dump to {@code dir}, replacing an earlier one atomically (a concurrent reader never sees half a
     * file). Temporary files older than ten minutes that a process killed mid-dump left there are deleted.
     *
     * @return the file written
     * @throws IOException when the directory cannot be written
     */
    public static Path write(Path dir, FlightRecorder r, String job, long commId, int rank, int worldRank, String why)
            throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(fileName(job, commId, rank));
        removeStaleTemporaries(dir);
        Path tmp = Files.createTempFile(dir, TMP_PREFIX, ".tmp");
        try {
            Files.writeString(tmp, json(r, job, commId, rank, worldRank, why), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private static final String TMP_PREFIX = ".jccl-trace";

    /** How old a dump's temporary file must be to count as left by a process killed while it wrote. */
    private static final long STALE_TMP_MILLIS = 10 * 60_000L;

    /** Deletes temporary files that processes killed mid-dump left in {@code dir}; best effort. */
    private static void removeStaleTemporaries(Path dir) {
        long before = System.currentTimeMillis() - STALE_TMP_MILLIS;
        try (var files = Files.newDirectoryStream(dir, TMP_PREFIX + "*.tmp")) {
            for (Path f : files) {
                try {
                    if (Files.getLastModifiedTime(f).toMillis() < before) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException ignored) {
                    // another process's file, or gone already
                }
            }
        } catch (IOException ignored) {
            // nothing to clean, or not allowed to: the dump itself reports real trouble
        }
    }

    /** The dump as JSON text. */
    public static String json(FlightRecorder r, String job, long commId, int rank, int worldRank, String why) {
        StringBuilder b = new StringBuilder(4096);
        b.append("{\"version\":").append(VERSION)
                .append(",\"job\":\"").append(escape(job)).append('"')
                .append(",\"commId\":").append(Long.toUnsignedString(commId))
                .append(",\"rank\":").append(rank)
                .append(",\"worldRank\":").append(worldRank)
                .append(",\"size\":").append(r.size())
                .append(",\"host\":\"").append(escape(host())).append('"')
                .append(",\"pid\":").append(ProcessHandle.current().pid())
                .append(",\"why\":\"").append(escape(why)).append('"')
                .append(",\"dumpedAtMicros\":").append(r.epochMicros(System.nanoTime()))
                .append(",\"entries\":[");
        boolean[] first = {true};
        r.forEach(e -> {
            b.append(first[0] ? "\n" : ",\n");
            first[0] = false;
            entry(b, r, e);
        });
        return b.append("\n]}\n").toString();
    }

    private static void entry(StringBuilder b, FlightRecorder r, FlightRecorder.Entry e) {
        OpHeader h = e.header();
        b.append("{\"seq\":").append(h.seq())
                .append(",\"collective\":\"").append(h.collective().label()).append('"')
                .append(",\"type\":\"").append(h.type().name().toLowerCase(Locale.ROOT)).append('"')
                .append(",\"op\":").append(h.op() == null ? "null" : "\"" + h.op().name().toLowerCase(Locale.ROOT) + "\"")
                .append(",\"root\":").append(h.root())
                .append(",\"count\":").append(h.count())
                .append(",\"algorithm\":\"").append(escape(e.algorithm())).append('"')
                .append(",\"reason\":\"").append(escape(e.reason())).append('"')
                .append(",\"placement\":\"").append(escape(e.placement())).append('"')
                .append(",\"state\":\"").append(e.state().label()).append('"');
        if (e.startNanos() != 0) {
            long end = e.endNanos() != 0 ? e.endNanos() : System.nanoTime();
            b.append(",\"startMicros\":").append(r.epochMicros(e.startNanos()))
                    .append(",\"durationMicros\":").append((end - e.startNanos()) / 1000);
        }
        b.append(",\"bytesSent\":").append(e.bytesSent()).append(",\"bytesReceived\":").append(e.bytesReceived());
        if (e.error() != null) {
            b.append(",\"error\":\"").append(escape(e.error())).append('"');
        }
        if (e.peerSent() != null) {
            b.append(",\"peers\":[");
            boolean first = true;
            for (int p = 0; p < e.peerSent().length; p++) {
                if (e.peerSent()[p] == 0 && e.peerReceived()[p] == 0 && e.peerLastSentTag()[p] == FlightRecorder.NO_TAG
                        && e.peerLastReceivedTag()[p] == FlightRecorder.NO_TAG) {
                    continue;
                }
                b.append(first ? "" : ",").append("{\"peer\":").append(p)
                        .append(",\"sent\":").append(e.peerSent()[p])
                        .append(",\"received\":").append(e.peerReceived()[p]);
                if (e.peerLastSentTag()[p] != FlightRecorder.NO_TAG) {
                    b.append(",\"lastSent\":\"").append(escape(h.describeTag(e.peerLastSentTag()[p]))).append('"');
                }
                if (e.peerLastReceivedTag()[p] != FlightRecorder.NO_TAG) {
                    b.append(",\"lastReceived\":\"").append(escape(h.describeTag(e.peerLastReceivedTag()[p])))
                            .append('"');
                }
                b.append('}');
                first = false;
            }
            b.append(']');
        }
        b.append('}');
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** {@code s} as the inside of a JSON string. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.toString();
    }
}
