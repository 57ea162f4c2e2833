package io.jccl;

import java.util.Locale;
import java.util.Map;

/**
 * The one table of settings. Each knob has one name, read first as the system property
 * {@code jccl.<name>} and then as the environment variable {@code JCCL_<NAME>}; a unit; and a default.
 * {@link CommConfig} starts from these values and lets code override each one per communicator.
 * No knob silences an error. The README's table of environment variables lists the same rows.
 *
 * <p>Immutable; safe to share between threads.
 */
public enum Knob {
    ALGO("algo", "", "auto",
            "all-reduce algorithm: " + Algorithm.labels() + " (overrides the selector on every rank)"),
    TIMEOUT_MS("timeout.ms", "ms", "300000",
            "deadline of every blocking operation, connection and rendezvous step"),
    SEGMENT_BYTES("segment.bytes", "bytes", "524288",
            "largest piece of a chunk in flight at once (pipelining granularity)"),
    TREE_MAX_BYTES("tree.max.bytes", "bytes", "65536",
            "with algo=auto, all-reduce of at most this many bytes uses the double binary tree; broadcast of at most this many bytes uses the binomial tree"),
    RD_MAX_BYTES("rd.max.bytes", "bytes", "32768",
            "with algo=auto and no cost model, all-reduce of at most this many bytes uses recursive doubling"),
    HD_MAX_BYTES("hd.max.bytes", "bytes", "4194304",
            "with algo=auto, all-reduce above the tree limit and up to this many bytes uses halving-doubling; reduce-scatter up to this many bytes (input) on a power-of-two world uses recursive halving"),
    DETERMINISTIC("deterministic", "", "0",
            "1: all-reduce, reduce-scatter and reduce reduce every element in rank order 0..W-1, so results are identical to the bit whatever the algorithm, size or segment size"),
    DEVICE_REDUCE("device.reduce", "", "0",
            "1: a GPU buffer staged segment by segment has each received segment that meets its own unchanged input reduced on the GPU (ReduceKernels) and the result copied back for forwarding; 0: reduced on the host. The same bits either way (docs/gpu.md)"),
    SOCKET_IFNAME("socket.ifname", "", "",
            "network interface whose address (of MASTER_ADDR's family, IPv4 or IPv6) a rank advertises to its peers (as NCCL_SOCKET_IFNAME)"),
    HOST_ID("host.id", "", "",
            "this rank's host identity: ranks with the same one share a host (shared memory, hierarchical algorithms); default the hostname and boot id, as NCCL's host hash"),
    IO_THREADS("io.threads", "threads", "1",
            "Netty event-loop threads per process (they move bytes; algorithm threads reduce)"),
    AUTH_KEY("auth.key", "", "",
            "the job's shared secret: every connection (store and ranks) proves it with HMAC-SHA256 challenge-response"),
    AUTH_KEY_FILE("auth.key.file", "", "",
            "file holding the job's shared secret (used when JCCL_AUTH_KEY is empty)"),
    NATIVE_KERNELS("native.kernels", "", "1",
            "1: reduce with the native SIMD host kernels (JNA) when they load; 0: always the Java kernels"),
    TLS_CERT("tls.cert", "", "",
            "PEM certificate chain of this rank: with JCCL_TLS_KEY, rank-to-rank connections use mutual TLS"),
    TLS_KEY("tls.key", "", "",
            "PEM (PKCS#8, unencrypted) private key of JCCL_TLS_CERT"),
    TLS_CA("tls.ca", "", "",
            "PEM certificates a peer's certificate must chain to (default: JCCL_TLS_CERT itself, for one shared self-signed certificate)"),
    BUSY_POLL("busy.poll", "", "0",
            "1: the network event loop polls without sleeping (lowest latency, one core per process busy; for dedicated cores)"),
    TCP_SPIN_US("tcp.spin.us", "us", "auto",
            "how long a rank waiting for a TCP message reads its socket itself before it sleeps and leaves the socket to the network thread (at most 1000000, and never past the call's deadline; not with TLS or NIO); auto: 200 when this host's ranks fit its cores, else 0 (never)"),
    SPIN_US("spin.us", "us", "0",
            "how long a rank polls for data before it parks its thread (polling saves a wake-up per message)"),
    SOCKET_BUFFER_BYTES("socket.buffer.bytes", "bytes", "0",
            "SO_SNDBUF and SO_RCVBUF of every TCP connection; 0 leaves the kernel's auto-tuning"),
    TCP_CONGESTION("tcp.congestion", "", "auto",
            "TCP congestion control of rank-to-rank connections (Linux, epoll): auto: cubic for peers on this host (a pacing algorithm such as bbr, some systems' default, holds back loopback traffic), the system's default for other hosts; system: never set; a name (cubic, reno, bbr, ...): every connection"),
    TRANSPORT("transport", "", "auto",
            "how ranks on the same host exchange data: tcp (loopback sockets), shm (shared memory under /dev/shm; startup fails if it is unusable), auto (shm when /dev/shm is usable and has room for every pair's rings, else tcp); ranks on other hosts always use tcp"),
    SHM_SLOTS("shm.slots", "slots", "8",
            "slots in the ring of each shared-memory link (one ring per stream, sender and receiver)"),
    SHM_SLOT_BYTES("shm.slot.bytes", "bytes", "524288",
            "payload bytes of one shared-memory slot; larger messages go as several slots"),
    SHM_SPIN_US("shm.spin.us", "us", "auto",
            "how long a rank polls a shared-memory ring before it yields its core (at most 1000000); auto: 20 when this host's ranks fit its cores, else 0 (the rank being waited for needs the core)"),
    COST_MODEL("cost.model", "", "",
            "file of a fitted cost model (bin/jccl-tune): with algo=auto, all-reduce runs the algorithm of lowest predicted time; empty: the size thresholds"),
    TRACE_BUFFER("trace.buffer", "operations", "2000",
            "operations the flight recorder keeps per communicator (the last N; dumped on a failure, a peer's timeout, kill -USR1 or JMX); 0: no recorder and no JMX metrics"),
    TRACE_TIMING("trace.timing", "", "auto",
            "how the flight recorder dates an operation's end: exact: a clock read at every end (about 30 ns, 4% of an 8 B shared-memory all-reduce); auto: a clock read at the end of operations over 16 KiB, and for smaller ones the last clock reading of their waits (their start if they never waited), early by at most the work after that wait (docs/observability.md)"),
    TRACE_DIR("trace.dir", "", "",
            "directory of the flight recorder's dumps (jccl-trace-<job>-comm<id>-rank<r>.json, merged by bin/jccl-trace); empty: the working directory"),
    TIMELINE("timeline", "", "",
            "file of a Chrome-trace/Perfetto timeline per rank (rank r writes NAME-rank<r>.json): operations and their transfers; empty: none"),
    DEBUG("debug", "", "WARN",
            "INFO: each communicator logs its rank, host, transport, algorithm choice and settings that differ from their defaults once (through SLF4J, as NCCL_DEBUG=INFO); WARN: problems only"),
    ;

    private final String propertyName;
    private final String envName;
    private final String unit;
    private final String defaultValue;
    private final String description;
    /**
     * The environment variable's value ("" when unset), read once: a process's environment does not change, and
     * looking it up costs a few hundred nanoseconds, which {@link #COST_MODEL} would pay on every all-reduce.
     */
    private volatile String envValue;

    Knob(String propertySuffix, String unit, String defaultValue, String description) {
        this.propertyName = "jccl." + propertySuffix;
        this.envName = "JCCL_" + name();
        this.unit = unit;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** The environment variable, e.g. {@code JCCL_TIMEOUT_MS}. */
    public String envName() {
        return envName;
    }

    /** The system property, e.g. {@code jccl.timeout.ms}. */
    public String propertyName() {
        return propertyName;
    }

    public String unit() {
        return unit;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** The value from the system property, else the environment, else the default. */
    public String get() {
        String v = System.getProperty(propertyName);
        if (v != null && !v.isBlank()) {
            return v.trim();
        }
        String e = envValue;
        if (e == null) {
            e = System.getenv(envName);
            e = e == null ? "" : e;
            envValue = e;
        }
        return e.isBlank() ? defaultValue : e.trim();
    }

    /** As {@link #get()}, reading the environment from {@code env} (for tests). */
    public String get(Map<String, String> env) {
        String v = System.getProperty(propertyName());
        if (v == null || v.isBlank()) {
            v = env.get(envName());
        }
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    /**
     * The value as a long. Accepts K, M, G suffixes (powers of 1024) for byte knobs.
     *
     * @throws InvalidUsageException naming the knob when the value is not a number
     */
    public long getLong() {
        return parseLong(get());
    }

    /**
     * The value as a switch: {@code 1}, {@code true}, {@code yes}, {@code on} are true; {@code 0},
     * {@code false}, {@code no}, {@code off} are false (any case).
     *
     * @throws InvalidUsageException naming the knob for anything else
     */
    public boolean getBoolean() {
        return parseBoolean(get());
    }

    boolean parseBoolean(String v) {
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "1": case "true": case "yes": case "on": return true;
            case "0": case "false": case "no": case "off": return false;
            default:
                throw new InvalidUsageException(envName() + "='" + v + "' is not a switch: expected 1|0|true|false");
        }
    }

    long parseLong(String v) {
        try {
            return parseSize(v);
        } catch (IllegalArgumentException e) {
            throw new InvalidUsageException(envName() + "='" + v + "' is " + (v.trim().startsWith("-")
                    ? "negative" : "not a number") + " (unit: " + (unit.isEmpty() ? "none" : unit) + ")");
        }
    }

    /**
     * Parses {@code 8}, {@code 64K}, {@code 64M}, {@code 1G} (powers of 1024).
     *
     * @throws IllegalArgumentException naming the text when it is not a non-negative whole number with an optional
     *                                  suffix, or overflows a long
     */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.endsWith("K")) {
            mul = 1L << 10;
        } else if (t.endsWith("M")) {
            mul = 1L << 20;
        } else if (t.endsWith("G")) {
            mul = 1L << 30;
        }
        if (mul != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Math.multiplyExact(Long.parseLong(t.trim()), mul);
            if (v < 0) {
                throw new NumberFormatException("negative");
            }
            return v;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + s + "' is not a size in bytes (a whole number, with an optional K, M"
                    + " or G suffix)");
        }
    }
}
