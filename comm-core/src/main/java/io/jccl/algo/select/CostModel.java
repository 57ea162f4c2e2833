package io.jccl.algo.select;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A fitted (or given) cost model of one transport: the {@link LinkParams} of a pair of ranks alone (the
 * "base" parameters, from a ping-pong), and, per world size W that was measured, the parameters seen while W
 * ranks exchange at once (from a ring shift among W ranks and W concurrent reduce kernels). On one host the
 * per-W parameters carry the sharing of cores and of the loopback link; on a cluster with one rank per host
 * they are close to the base ones. {@link CollectiveCosts} turns them into predicted times per algorithm.
 *
 * <p>The double binary tree may have a latency of its own per W ({@link #params(int, Plan)}), fitted by
 * {@code jccl-tune} from the tree's small messages with beta and gamma kept: its hops are not the ring's
 * all-at-once exchanges (a rank waits on a parent or child that may be descheduled while the ring's neighbours
 * both run), as NCCL's tuner keeps a base and per-hop latency per algorithm ({@code src/graph/tuning.cc}).
 *
 * <p>Messages whose working set leaves the caches may move slower per byte than those that stay in them (on a host
 * shared by W ranks, what the W ranks' buffers hold together): a W may then carry a second beta for calls of at
 * least a given size ({@link #params(int, Plan, long)}), fitted by {@code jccl-tune} where it fits the ring's times
 * better than one beta does.
 *
 * <p>File format: a {@link Properties} file written by {@code bin/jccl-tune} (UTF-8):
 * <pre>
 * version=1
 * shared.host=true                    # every rank measured on one host (loopback)
 * alpha.seconds=2.1E-5                # base: two ranks, ping-pong
 * beta.seconds.per.byte=4.0E-10
 * gamma.seconds.per.byte=1.0E-10
 * w.4.alpha.seconds=6.0E-5            # measured with 4 ranks exchanging at once
 * w.4.beta.seconds.per.byte=1.6E-9
 * w.4.gamma.seconds.per.byte=2.0E-10
 * w.4.tree.alpha.seconds=9.0E-5       # optional: the double binary tree's own latency per hop at W=4 (also
 *                                     # recursive doubling's per step)
 * w.4.large.from.bytes=8388608        # optional, with the next: calls of at least this many bytes at W=4 ...
 * w.4.large.beta.seconds.per.byte=5.6E-10   # ... move at this beta instead
 * across.alpha.seconds=1.2E-4         # optional: the link between hosts (a job on several hosts)
 * across.beta.seconds.per.byte=8.0E-9
 * across.gamma.seconds.per.byte=2.0E-10
 * across.large.from.bytes=131072      # optional, with the next: calls of at least this size across hosts ...
 * across.large.beta.seconds.per.byte=8.4E-9 # ... move at this beta instead
 * info.transport=tcp                  # free-form description (info.*)
 * </pre>
 * Loaded by {@link #active()} from the file that {@code JCCL_COST_MODEL} names. Every rank must load the
 * same file: ranks that chose different algorithms would not match each other's messages.
 *
 * <p>Immutable; thread-safe.
 */
public final class CostModel {
    /** The file format's version. */
    public static final int VERSION = 1;

    private static final Object LOCK = new Object();
    private static volatile String activePath = "";
    private static volatile CostModel activeModel;

    private final LinkParams base;
    private final SortedMap<Integer, LinkParams> byWorld;
    private final SortedMap<Integer, Double> treeAlphaByWorld;
    private final SortedMap<Integer, Large> largeByWorld;
    private final SortedMap<String, String> info;
    private final boolean sharedHost;
    private final LinkParams acrossHosts;
    private final Large acrossLarge;

    /**
     * @param base    parameters of two ranks alone
     * @param byWorld parameters measured with W ranks at once, by W (may be empty)
     * @param info    free-form description (transport, host, date, command), kept in the file as {@code info.*}
     */
    public CostModel(LinkParams base, Map<Integer, LinkParams> byWorld, Map<String, String> info) {
        this(base, byWorld, info, false);
    }

    /**
     * @param sharedHost true when the parameters were measured with every rank on one host (loopback, shared
     *                   memory): see {@link #sharedHost()}
     */
    public CostModel(LinkParams base, Map<Integer, LinkParams> byWorld, Map<String, String> info, boolean sharedHost) {
        this(base, byWorld, Map.of(), info, sharedHost);
    }

    /**
     * The beta of large calls at one W: calls of at least {@code fromBytes} bytes move at
     * {@code betaSecondsPerByte} instead of the W's beta.
     *
     * @param fromBytes          the smallest call (bytes, as the collectives table defines them) it applies to, &gt; 0
     * @param betaSecondsPerByte seconds per byte on the wire (&gt;= 0)
     */
    public record Large(long fromBytes, double betaSecondsPerByte) {
        public Large {
            if (fromBytes <= 0) {
                throw new InvalidUsageException("cost model: large.from.bytes must be > 0, not " + fromBytes);
            }
            new LinkParams(0, betaSecondsPerByte, 0); // checks a finite number >= 0
        }
    }

    /**
     * @param treeAlphaByWorld the double binary tree's latency per hop in seconds, by W (may be empty: the W's
     *                         alpha is used)
     */
    public CostModel(LinkParams base, Map<Integer, LinkParams> byWorld, Map<Integer, Double> treeAlphaByWorld,
                     Map<String, String> info, boolean sharedHost) {
        this(base, byWorld, treeAlphaByWorld, Map.of(), info, sharedHost);
    }

    /** @param largeByWorld the beta of large calls, by W (may be empty: one beta at every size) */
    public CostModel(LinkParams base, Map<Integer, LinkParams> byWorld, Map<Integer, Double> treeAlphaByWorld,
                     Map<Integer, Large> largeByWorld, Map<String, String> info, boolean sharedHost) {
        this(base, byWorld, treeAlphaByWorld, largeByWorld, info, sharedHost, null, null);
    }

    /**
     * @param acrossHosts the link between hosts (see {@link #acrossHosts()}), or null for a model of one link class
     * @param acrossLarge the beta of large calls between hosts, or null (one beta at every size)
     */
    public CostModel(LinkParams base, Map<Integer, LinkParams> byWorld, Map<Integer, Double> treeAlphaByWorld,
                     Map<Integer, Large> largeByWorld, Map<String, String> info, boolean sharedHost,
                     LinkParams acrossHosts, Large acrossLarge) {
        if (base == null) {
            throw new InvalidUsageException("cost model: base parameters must not be null");
        }
        treeAlphaByWorld.forEach((w, a) -> new LinkParams(a, 0, 0)); // checks each is a finite number >= 0
        this.base = base;
        this.byWorld = Collections.unmodifiableSortedMap(new TreeMap<>(byWorld));
        this.treeAlphaByWorld = Collections.unmodifiableSortedMap(new TreeMap<>(treeAlphaByWorld));
        this.largeByWorld = Collections.unmodifiableSortedMap(new TreeMap<>(largeByWorld));
        this.info = Collections.unmodifiableSortedMap(new TreeMap<>(info));
        this.sharedHost = sharedHost;
        this.acrossHosts = acrossHosts;
        this.acrossLarge = acrossHosts == null ? null : acrossLarge;
    }

    /**
     * True when every rank of the measurement ran on one host ({@code shared.host=true} in the file): the host's
     * cores do all copies and reductions, so an algorithm whose ranks are unevenly loaded (the tree) is bound by
     * the host's total bytes rather than by its busiest rank ({@link CollectiveCosts#allReduce(Plan, LinkParams,
     * long, int, long, boolean)}).
     */
    public boolean sharedHost() {
        return sharedHost;
    }

    /**
     * The link between hosts, for a job whose ranks span several hosts ({@code across.*} in the file, fitted by
     * {@code bin/jccl-tune} on such a job), or null when the model has one link class. Its alpha is one message's
     * latency from a rank on one host to a rank on another; its beta the time per byte of one host's link, which
     * the ranks of a host that send across at the same time share (a host's ranks all sending n bytes across take
     * (ranks) n beta); its gamma is not used (reductions run inside a host: {@link #params(int)} of the ranks on
     * it). The parameters by W then describe the ranks of one host ({@link #insideHost}).
     */
    public LinkParams acrossHosts() {
        return acrossHosts;
    }

    /**
     * The link between hosts for a call of {@code bytes} bytes: {@link #acrossHosts()}, with the beta of large calls
     * ({@link #acrossLarge()}) when the call reaches its size; null when the model has one link class.
     */
    public LinkParams acrossHosts(long bytes) {
        Large l = acrossLarge;
        return l != null && bytes >= l.fromBytes() ? acrossHosts.withBeta(l.betaSecondsPerByte()) : acrossHosts;
    }

    /**
     * The beta of large calls between hosts ({@code across.large.*} in the file), or null: a link whose small
     * messages pass at the software's latency (a token bucket's burst, a NIC's buffers) fits better with two.
     */
    public Large acrossLarge() {
        return acrossLarge;
    }

    /** The same model with {@code p} as the link between hosts ({@link #acrossHosts()}) and one beta. */
    public CostModel withAcrossHosts(LinkParams p) {
        return withAcrossHosts(p, null);
    }

    /** The same model with {@code p} as the link between hosts and {@code large} its beta of large calls (or null). */
    public CostModel withAcrossHosts(LinkParams p, Large large) {
        return new CostModel(base, byWorld, treeAlphaByWorld, largeByWorld, info, sharedHost, p, large);
    }

    /**
     * The parameters of the link inside a host with {@code ranksOnHost} ranks, for {@code plan} and a call of
     * {@code bytes} bytes: {@link #params(int, Plan, long)} at W = {@code ranksOnHost} (measured with that many
     * ranks sharing one host), else the base ones.
     */
    public LinkParams insideHost(int ranksOnHost, Plan plan, long bytes) {
        return params(ranksOnHost, plan, bytes);
    }

    /** A model with the same parameters at every W (a given link, or a cluster with one rank per host). */
    public static CostModel uniform(LinkParams p) {
        return new CostModel(p, Map.of(), Map.of());
    }

    /** Parameters of two ranks alone. */
    public LinkParams base() {
        return base;
    }

    /** The parameters measured with W ranks at once, by W. */
    public SortedMap<Integer, LinkParams> byWorld() {
        return byWorld;
    }

    /** Free-form description ({@code info.*} in the file). */
    public SortedMap<String, String> info() {
        return info;
    }

    /** The parameters for a world of {@code w} ranks: those measured at that W, else the base ones. */
    public LinkParams params(int w) {
        LinkParams p = byWorld.get(w);
        return p != null ? p : base;
    }

    /**
     * The parameters for {@code plan} in a world of {@code w} ranks: {@link #params(int)}, with the tree's own
     * latency per hop when one was fitted at that W and {@code plan} is {@link Plan#TREE} or
     * {@link Plan#RECURSIVE_DOUBLING}. A recursive-doubling step is one such hop (a small message to and from one
     * partner); with the ring's alpha instead, a model fitted at W=2 over shared memory priced the tree (two hops
     * at 0.72 us) below recursive doubling (one exchange at the ring's 1.69 us), and auto ran the tree from 8 B to
     * 32 KiB at 1.4-3.6x recursive doubling's time ({@code bin/jccl-algos}).
     */
    public LinkParams params(int w, Plan plan) {
        LinkParams p = params(w);
        Double a = plan.usesTreeLatency() ? treeAlphaByWorld.get(w) : null;
        return a != null ? p.withAlpha(a) : p;
    }

    /** As {@link #params(int, Plan)} for an algorithm named as {@code lastAlgorithm()} names it. */
    public LinkParams params(int w, String algorithm) {
        return params(w, planNamed(algorithm));
    }

    /** The all-reduce plan whose label {@code lastAlgorithm()} reports, or the ring for any other name. */
    private static Plan planNamed(String algorithm) {
        Plan p = Plan.byLabel(algorithm);
        return p != null && p.autoAllReduce() ? p : Plan.RING;
    }

    /**
     * The parameters for a call of {@code bytes} bytes with {@code plan} in a world of {@code w} ranks:
     * {@link #params(int, Plan)}, with the large calls' beta when one was fitted at that W and {@code bytes}
     * reaches its size.
     */
    public LinkParams params(int w, Plan plan, long bytes) {
        LinkParams p = params(w, plan);
        Large l = largeByWorld.get(w);
        return l != null && bytes >= l.fromBytes() ? p.withBeta(l.betaSecondsPerByte()) : p;
    }

    /** As {@link #params(int, Plan, long)} for an algorithm named as {@code lastAlgorithm()} names it. */
    public LinkParams params(int w, String algorithm, long bytes) {
        return params(w, planNamed(algorithm), bytes);
    }

    /** The beta of large calls by W. */
    public SortedMap<Integer, Large> largeByWorld() {
        return largeByWorld;
    }

    /** The same model with the beta of large calls at W = {@code w}. */
    public CostModel withLarge(int w, Large large) {
        return new CostModel(base, byWorld, treeAlphaByWorld, plus(largeByWorld, w, large), info, sharedHost, acrossHosts, acrossLarge);
    }

    /** The tree latencies per hop fitted by W (seconds). */
    public SortedMap<Integer, Double> treeAlphaByWorld() {
        return treeAlphaByWorld;
    }

    /** The same model with {@code p} measured at W = {@code w}. */
    public CostModel with(int w, LinkParams p) {
        return new CostModel(base, plus(byWorld, w, p), treeAlphaByWorld, largeByWorld, info, sharedHost, acrossHosts, acrossLarge);
    }

    /** The same model with the tree's latency per hop at W = {@code w} (seconds). */
    public CostModel withTreeAlpha(int w, double alphaSeconds) {
        return new CostModel(base, byWorld, plus(treeAlphaByWorld, w, alphaSeconds), largeByWorld, info, sharedHost, acrossHosts, acrossLarge);
    }

    /** A copy of {@code byW} with {@code value} at W = {@code w}. */
    private static <V> TreeMap<Integer, V> plus(SortedMap<Integer, V> byW, int w, V value) {
        TreeMap<Integer, V> m = new TreeMap<>(byW);
        m.put(w, value);
        return m;
    }

    /** The same model with one more {@code info.key=value}. */
    public CostModel withInfo(String key, String value) {
        TreeMap<String, String> m = new TreeMap<>(info);
        m.put(key, value);
        return new CostModel(base, byWorld, treeAlphaByWorld, largeByWorld, m, sharedHost, acrossHosts, acrossLarge);
    }

    // ------------------------------------------------------------------ the file ({@link CostModelFile})

    /** The model as properties (see the class comment). */
    public Properties toProperties() {
        return CostModelFile.toProperties(this);
    }

    /**
     * Reads a model from properties.
     *
     * @param where names the source in error messages
     * @throws InvalidUsageException naming the key that is missing or malformed
     */
    public static CostModel fromProperties(Properties p, String where) {
        return CostModelFile.fromProperties(p, where);
    }

    /** Writes the model to {@code file} (UTF-8 properties, with a comment line). */
    public void save(Path file) throws IOException {
        CostModelFile.save(this, file);
    }

    /**
     * Reads a model file.
     *
     * @throws InvalidUsageException when the file cannot be read or is not a cost model
     */
    public static CostModel load(Path file) {
        return CostModelFile.load(file);
    }

    /**
     * The model named by {@code JCCL_COST_MODEL} (property {@code jccl.cost.model}), loaded once per path and
     * cached; null when the knob is empty.
     *
     * @throws InvalidUsageException naming the knob when the file cannot be read or parsed
     */
    public static CostModel active() {
        String path = Knob.COST_MODEL.get();
        if (path.isEmpty()) {
            return null;
        }
        CostModel m = activeModel;
        if (m != null && path.equals(activePath)) {
            return m;
        }
        synchronized (LOCK) {
            if (activeModel == null || !path.equals(activePath)) {
                try {
                    activeModel = load(Path.of(path));
                } catch (InvalidUsageException e) {
                    throw new InvalidUsageException(Knob.COST_MODEL.envName() + "=" + path + ": " + e.getMessage());
                }
                activePath = path;
            }
            return activeModel;
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CostModel{base: ").append(base);
        byWorld.forEach((w, p) -> sb.append(String.format(Locale.ROOT, "; W=%d: %s", w, p)));
        treeAlphaByWorld.forEach((w, a) -> sb.append(String.format(Locale.ROOT, "; W=%d tree: alpha=%.2f us", w, a * 1e6)));
        largeByWorld.forEach((w, l) -> sb.append(String.format(Locale.ROOT, "; W=%d from %d B: beta=%.3g s/B (%.3f GB/s)", w,
                l.fromBytes(), l.betaSecondsPerByte(), 1e-9 / l.betaSecondsPerByte())));
        if (acrossHosts != null) {
            sb.append("; across hosts: ").append(acrossHosts);
            if (acrossLarge != null) {
                sb.append(String.format(Locale.ROOT, ", from %d B: beta=%.3g s/B", acrossLarge.fromBytes(),
                        acrossLarge.betaSecondsPerByte()));
            }
        }
        return sb.append('}').toString();
    }
}
