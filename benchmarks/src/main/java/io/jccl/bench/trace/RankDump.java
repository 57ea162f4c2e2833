package io.jccl.bench.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * One rank's flight-recorder dump ({@code io.jccl.trace.TraceDump}, format version 1), read back: who it is and
 * its operations by sequence number.
 */
record RankDump(Path file, String job, long commId, int rank, int size, String host, String why,
                TreeMap<Long, Op> ops) {

    /** One recorded operation. {@code peers}: per peer, "sent/received bytes, last transfer" lines, or empty. */
    record Op(long seq, String collective, String type, String op, int root, long count, String algorithm,
              String state, long bytesSent, long bytesReceived, String error, Map<Integer, String> peers) {

        /** What ranks must agree on: collective, type, op, root, count. */
        String signature() {
            return collective + " " + type + (op == null ? "" : " " + op) + (root >= 0 ? " root=" + root : "")
                    + " count=" + count;
        }

        /** "#seq collective (state)". */
        String brief() {
            return collective + " #" + seq + " (" + state + ")";
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @throws IOException              when the file cannot be read or is not JSON
     * @throws IllegalArgumentException when it is not a version-1 dump
     */
    static RankDump read(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not a JCCL flight-recorder dump (not JSON, or cut short: "
                    + e.getOriginalMessage() + ")");
        }
        if (n == null || n.path("version").asInt(-1) != 1 || !n.has("rank") || !n.has("size")) {
            throw new IllegalArgumentException(file + ": not a JCCL flight-recorder dump of version 1");
        }
        TreeMap<Long, Op> ops = new TreeMap<>();
        for (JsonNode e : n.path("entries")) {
            Map<Integer, String> peers = new TreeMap<>();
            for (JsonNode p : e.path("peers")) {
                peers.put(p.path("peer").asInt(), "sent " + p.path("sent").asLong() + " B, received "
                        + p.path("received").asLong() + " B" + (p.has("lastReceived")
                        ? ", last received " + p.path("lastReceived").asText() : "")
                        + (p.has("lastSent") ? ", last sent " + p.path("lastSent").asText() : ""));
            }
            Op op = new Op(e.path("seq").asLong(), e.path("collective").asText(), e.path("type").asText(),
                    e.path("op").isNull() ? null : e.path("op").asText(), e.path("root").asInt(),
                    e.path("count").asLong(), e.path("algorithm").asText(), e.path("state").asText(),
                    e.path("bytesSent").asLong(), e.path("bytesReceived").asLong(),
                    e.has("error") ? e.path("error").asText() : null, peers);
            ops.put(op.seq(), op);
        }
        return new RankDump(file, n.path("job").asText(""), n.path("commId").asLong(), n.path("rank").asInt(),
                n.path("size").asInt(),
                n.path("host").asText(), n.path("why").asText(), ops);
    }

    /** The error of this rank's last failed operation, or null. */
    String lastError() {
        for (Op op : ops.descendingMap().values()) {
            if (op.error() != null) {
                return op.error();
            }
        }
        return null;
    }

    /** The last operation this rank entered (queued, running or ended), or null. */
    Op last() {
        return ops.isEmpty() ? null : ops.lastEntry().getValue();
    }
}
