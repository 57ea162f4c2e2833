package io.jccl.ddp;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.CommTimeoutException;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Averages a model's gradients across the ranks of a communicator while the backward pass runs: the JVM
 * counterpart of PyTorch DDP's {@code Reducer} (buckets, overlap, {@code no_sync}, unused-parameter errors,
 * {@code gradient_as_bucket_view}, bucket rebuilding, compression hooks) and Horovod's
 * {@code DistributedOptimizer} / {@code broadcast_parameters}.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * GradientReducer reducer = GradientReducer.builder(comm)
 *         .register("fc1.weight", gW1).register("fc1.bias", gB1)   // float[], double[] or buffers
 *         .parameter(w1).parameter(b1)                            // for broadcastParameters
 *         .build();
 * reducer.broadcastParameters(0);                  // every rank starts from rank 0's weights
 * for (...) {
 *     forward(); backward(g -> reducer.markReady(g));   // each gradient as soon as it is final
 *     reducer.finish();                                 // averaged gradients in place
 *     optimizer.step();
 * }
 * }</pre>
 *
 * <h2>Buckets</h2>
 * Gradients are grouped into buckets of at most {@link Builder#bucketCapBytes} bytes each (default 25 MiB,
 * DDP's {@code bucket_cap_mb}; a gradient larger than the cap has a bucket of its own), filled in reverse
 * registration order (backward produces the last layers' gradients first) and per element type; see
 * {@link #bucketLayout()}. With {@link Builder#rebuildBuckets(boolean)} the buckets are rebuilt once, after the
 * first synchronized step, in the order in which gradients actually became ready on rank 0 (as DDP does). A
 * bucket's all-reduce (AVG) starts as soon as its last gradient is marked ready and every earlier bucket has
 * started: buckets are all-reduced in bucket order on every rank, so ranks whose backward passes finish
 * gradients in different orders still issue the same collectives in the same order.
 *
 * <p>Gradients held in {@code float[]}, {@code double[]} or the caller's {@link HostBuffer}s are copied into
 * their bucket when marked ready (the garbage collector moves arrays, so the communicator cannot read them in
 * place) and the averages copied back in {@link #finish()}. A gradient registered with
 * {@link Builder#registerView} lives in its bucket ({@link #gradientView}) and is never copied (DDP's
 * {@code gradient_as_bucket_view}). Any other {@link CommBuffer} (device memory) is all-reduced in place as a
 * bucket of its own.
 *
 * <h2>Wire format</h2>
 * {@link Builder#wireFormat} sends FLOAT32 buckets as bf16 or fp16 (half the bytes; every addition done in fp32
 * and rounded to the wire type, then widened back exactly), with optional error feedback
 * ({@link Builder#errorFeedback}): each rank keeps its rounding residual and adds it to the next step's gradient.
 * A compressed bucket is narrowed when its last gradient is ready and all-reduced in segments of at most
 * {@link Builder#wireSegmentBytes} (4 MiB), so that narrowing one segment overlaps the all-reduce of the one before,
 * and widening in {@code finish()} overlaps the later segments' all-reduces; the conversions are comm-core's native
 * SIMD kernels ({@link io.jccl.reduce.HalfFloats#narrow}). See {@link WireFormat}.
 *
 * <h2>Determinism</h2>
 * With {@link Builder#deterministic(boolean)} every element is averaged as {@code (((g0 + g1) + g2) ... +
 * g(W-1)) / W} in the bucket's type, in rank order, whatever the bucket sizes: the communicator's deterministic
 * all-reduce ({@link CommConfig#deterministic()}); when the given communicator is not deterministic the reducer
 * splits a deterministic one from it (a collective call in {@link Builder#build()}) and closes it in
 * {@link #close()}. Without it, the bits depend on W, the algorithm that runs and the bucket layout, and are the
 * same on every rank.
 *
 * <h2>Threading</h2>
 * Not thread-safe. {@link #markReady}, {@link #finish()}, {@link #noSync()} and {@link #broadcastParameters} are
 * called from one thread (the backward pass's), which is then the thread that issues collective calls on the
 * communicator: other collectives on the same communicator must come from that thread too, or use another
 * communicator ({@link Communicator#split}). The all-reduces run on the communicator's worker thread; copies,
 * narrowing and widening run on the calling thread (in {@code markReady} and {@code finish}).
 *
 * <h2>Errors</h2>
 * {@link InvalidUsageException} for a bucket cap &lt;= 0, a gradient or name registered twice, {@code markReady}
 * of a buffer that is not registered or of a gradient already ready in this step, and from {@code finish()}
 * when some registered gradients never became ready in the step (it names them). Communication failures are
 * the communicator's ({@link io.jccl.PeerFailureException}, {@link CommTimeoutException}), thrown by
 * {@code finish()}.
 */
public final class GradientReducer implements AutoCloseable {
    /** Default bucket cap: 25 MiB, as PyTorch DDP's {@code bucket_cap_mb=25}. */
    public static final long DEFAULT_BUCKET_CAP_BYTES = 25L << 20;
    /** Default largest all-reduce of a compressed bucket, in wire bytes: 4 MiB. */
    public static final long DEFAULT_WIRE_SEGMENT_BYTES = 4L << 20;

    private final Communicator comm;
    private final boolean ownsComm;
    private final Param[] params;
    private final IdentityHashMap<Object, Param> byKey;
    private final Map<String, Param> byName;
    private final List<Object> parameters;
    private final WireFormat wireFormat;
    private final boolean errorFeedback;
    private final boolean timed;
    private final long capBytes;
    private final long segmentBytes;
    private final NoSync noSyncScope = new NoSync();
    private final boolean hasViews;
    private final WireCodec codec;

    private Bucket[] buckets;
    private int nextLaunch;
    private int readyCount;
    private boolean noSync;
    private boolean rebuildPending;
    private final int[] readyOrder;
    private long steps;
    private long lastWaitNanos;
    private long lastCommNanos;

    private GradientReducer(Builder b, Communicator comm, boolean ownsComm) {
        this.comm = comm;
        this.ownsComm = ownsComm;
        this.params = b.params.toArray(new Param[0]);
        this.parameters = List.copyOf(b.parameters);
        this.wireFormat = b.wireFormat;
        this.errorFeedback = b.errorFeedback;
        this.timed = b.timed;
        this.capBytes = b.capBytes;
        this.segmentBytes = b.segmentBytes;
        this.codec = b.wireFormat.compresses() ? new WireCodec(b.wireFormat.wireType()) : null;
        this.byKey = new IdentityHashMap<>();
        this.byName = new HashMap<>();
        boolean views = false;
        for (Param p : params) {
            byName.put(p.name, p);
            if (p.kind == Param.Kind.VIEW) {
                views = true;
            } else {
                byKey.put(p.key, p);
            }
        }
        this.hasViews = views;
        this.rebuildPending = b.rebuild;
        this.readyOrder = new int[params.length];
        int[] order = new int[params.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = params.length - 1 - i;
        }
        this.buckets = makeBuckets(order);
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                byKey.put(p.view, p);
            }
        }
    }

    /** A builder for a reducer over {@code comm} (not null). */
    public static Builder builder(Communicator comm) {
        if (comm == null) {
            throw new InvalidUsageException("GradientReducer: communicator is null");
        }
        return new Builder(comm);
    }

    private Bucket[] makeBuckets(int[] order) {
        long[] bytes = new long[params.length];
        int[] group = new int[params.length];
        boolean[] alone = new boolean[params.length];
        for (Param p : params) {
            bytes[p.index] = p.bytes();
            group[p.index] = p.type.ordinal();
            alone[p.index] = p.kind == Param.Kind.IN_PLACE;
        }
        List<int[]> assignment = BucketAssignment.assign(order, bytes, group, alone, capBytes);
        Bucket[] out = new Bucket[assignment.size()];
        for (int i = 0; i < out.length; i++) {
            int[] members = assignment.get(i);
            Param[] ps = new Param[members.length];
            for (int j = 0; j < members.length; j++) {
                ps[j] = params[members[j]];
            }
            out[i] = new Bucket(i, ps, wireFormat, errorFeedback, timed, codec, segmentBytes);
            for (Param p : ps) {
                p.ready = false;
            }
        }
        for (Bucket bk : out) {
            bk.pending = bk.params.length;
        }
        return out;
    }

    // ------------------------------------------------------------------ the step

    /** Marks a {@code float[]} gradient final for this step (see {@link #markReady(CommBuffer)}). */
    public void markReady(float[] gradient) {
        ready(gradient);
    }

    /** Marks a {@code double[]} gradient final for this step (see {@link #markReady(CommBuffer)}). */
    public void markReady(double[] gradient) {
        ready(gradient);
    }

    /**
     * Marks a registered gradient (the buffer given to {@link Builder#register}, or the view from
     * {@link #gradientView}) final for this step: its contents are copied into its bucket now (narrowed to the wire
     * type when its bucket starts, for a compressed bucket), and the bucket's all-reduce starts if this was its last
     * pending gradient and every earlier bucket has started. The gradient must not change until {@link #finish()}
     * returns (it is read until its bucket starts, and the average is written back at finish; in-place buffers and
     * views are the communicator's until then). Inside {@link #noSync()} nothing is copied or sent.
     *
     * @throws InvalidUsageException if the buffer is not registered with this reducer, or was already marked
     *                               ready in this step
     */
    public void markReady(CommBuffer gradient) {
        ready(gradient);
    }

    private void ready(Object gradient) {
        Param p = gradient == null ? null : byKey.get(gradient);
        if (p == null) {
            throw unknown(gradient);
        }
        if (noSync) {
            return;
        }
        if (p.ready) {
            throw new InvalidUsageException("rank=" + comm.rank() + " markReady: gradient '" + p.name
                    + "' was already marked ready in this step (step " + steps + ")");
        }
        p.ready = true;
        readyOrder[readyCount++] = p.index;
        Bucket b = p.bucket;
        b.copyIn(p);
        if (--b.pending == 0) {
            while (nextLaunch < buckets.length && buckets[nextLaunch].pending == 0) {
                buckets[nextLaunch++].launch(comm);
            }
        }
    }

    private InvalidUsageException unknown(Object gradient) {
        String what = gradient == null ? "null" : gradient.getClass().getSimpleName() + "@"
                + Integer.toHexString(System.identityHashCode(gradient));
        return new InvalidUsageException("rank=" + comm.rank() + " markReady: " + what
                + " is not a gradient registered with this reducer (" + params.length + " registered: "
                + names(List.of(params), 5) + (hasViews ? "; a view must be the one gradientView returns now" : "")
                + ")");
    }

    /**
     * Waits for every bucket's all-reduce and leaves the averaged gradients where they live (copied back into
     * arrays and the caller's host buffers, widened from the wire type; views and in-place buffers hold them
     * already). Returns at once inside {@link #noSync()}. After the first synchronized step with
     * {@link Builder#rebuildBuckets(boolean)}, rebuilds the buckets (a broadcast from rank 0).
     *
     * @throws InvalidUsageException naming the parameters whose gradients were not marked ready in this step
     *                               (after waiting for the buckets that did start; the next step starts afresh);
     *                               every rank must mark every registered gradient ready every step (DDP's
     *                               unused parameters: give unused parameters a zero gradient and mark it ready).
     *                               When only some ranks miss a gradient, the others' buckets wait for them and
     *                               fail at the communicator's deadline
     */
    public void finish() {
        if (noSync) {
            return;
        }
        boolean complete = nextLaunch == buckets.length;
        long waitMillis = comm.config().timeoutMillis() * 2 + 10_000;
        long blocked = 0;
        RuntimeException failure = null;
        for (int i = 0; i < nextLaunch; i++) {
            try {
                blocked += buckets[i].complete(complete && failure == null, waitMillis, comm.rank());
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        lastWaitNanos = blocked;
        if (failure != null) {
            resetStep();
            throw failure;
        }
        if (!complete) {
            List<Param> missing = new ArrayList<>();
            for (Param p : params) {
                if (!p.ready) {
                    missing.add(p);
                }
            }
            resetStep();
            throw new InvalidUsageException("rank=" + comm.rank() + " finish: " + missing.size() + " of "
                    + params.length + " parameters never became ready in step " + steps + ": "
                    + names(missing, 20) + " (every rank must markReady every registered gradient each step;"
                    + " for parameters unused in this step mark a zero gradient ready, as DDP's"
                    + " find_unused_parameters does)");
        }
        if (timed) {
            long busy = 0;
            long prevDone = Long.MIN_VALUE;
            for (Bucket b : buckets) {
                long start = Math.max(b.launchNanos, prevDone);
                long done = b.doneNanos;
                busy += Math.max(0, done - start);
                prevDone = done;
            }
            lastCommNanos = busy;
        }
        boolean rebuild = rebuildPending && readyCount == params.length;
        resetStep();
        steps++;
        if (rebuild) {
            rebuild();
        }
    }

    private void resetStep() {
        for (Param p : params) {
            p.ready = false;
        }
        for (Bucket b : buckets) {
            b.pending = b.params.length;
        }
        nextLaunch = 0;
        readyCount = 0;
    }

    private void rebuild() {
        rebuildPending = false;
        int[] order = readyOrder.clone();
        try (HostBuffer ib = HostBuffer.allocate(order.length, DataType.INT32)) {
            for (int i = 0; i < order.length; i++) {
                ib.putInt(i, order[i]);
            }
            comm.broadcast(ib, order.length, DataType.INT32, 0);
            for (int i = 0; i < order.length; i++) {
                order[i] = ib.getInt(i);
            }
        }
        Map<Param, HostBuffer> oldViews = new IdentityHashMap<>();
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                oldViews.put(p, p.view);
                byKey.remove(p.view);
            }
        }
        Bucket[] old = buckets;
        buckets = makeBuckets(order);
        for (Map.Entry<Param, HostBuffer> e : oldViews.entrySet()) {
            Param p = e.getKey();
            p.bucket.adoptView(p, e.getValue());
            byKey.put(p.view, p);
        }
        if (!hasViews) {
            for (Bucket b : old) {
                b.close();
            }
        }
        // with views, the old buckets' memory is left to the garbage collector: a caller still holding an old
        // view must not write into freed memory
    }

    // ------------------------------------------------------------------ no_sync

    /**
     * Gradient accumulation without communication (DDP's {@code no_sync()}): until the returned scope is closed,
     * {@link #markReady} only checks its argument and {@link #finish()} returns at once; gradients stay local (the
     * caller accumulates into them), and the first step after the scope averages the accumulated gradients.
     * Returns the same object every time (no allocation).
     *
     * <pre>{@code try (GradientReducer.NoSync s = reducer.noSync()) { forwardBackward(microBatch1); } }</pre>
     *
     * @throws InvalidUsageException inside a step (some gradient already marked ready)
     */
    public NoSync noSync() {
        if (readyCount > 0) {
            throw new InvalidUsageException("rank=" + comm.rank() + " noSync: called inside a step ("
                    + readyCount + " gradients already marked ready); call it before the backward pass");
        }
        noSync = true;
        return noSyncScope;
    }

    /** The scope of {@link GradientReducer#noSync()}; closing it turns communication back on. */
    public final class NoSync implements AutoCloseable {
        private NoSync() {
        }

        @Override
        public void close() {
            noSync = false;
        }
    }

    // ------------------------------------------------------------------ parameters and views

    /**
     * Overwrites every rank's registered parameters ({@link Builder#parameter}) with rank {@code root}'s, packed
     * into one broadcast (Horovod's {@code broadcast_parameters}); see {@link ParameterBroadcast}. A blocking
     * collective: call it on every rank, outside a step.
     *
     * @throws InvalidUsageException if no parameters are registered or {@code root} is out of range
     */
    public void broadcastParameters(int root) {
        if (parameters.isEmpty()) {
            throw new InvalidUsageException("rank=" + comm.rank()
                    + " broadcastParameters: no parameters registered (Builder.parameter)");
        }
        ParameterBroadcast.broadcast(comm, root, parameters);
    }

    /**
     * The gradient of a parameter registered with {@link Builder#registerView}: a slice of its bucket
     * ({@code count} elements of its type) that the backward pass writes directly and passes to
     * {@link #markReady(CommBuffer)}; after {@link #finish()} it holds the average. The same object until the
     * buckets are rebuilt ({@link Builder#rebuildBuckets(boolean)}, after the first step): ask again then (the
     * new view holds the same values; the old one is no longer a gradient of this reducer).
     *
     * @throws InvalidUsageException if no view parameter has that name
     */
    public HostBuffer gradientView(String name) {
        Param p = byName.get(name);
        if (p == null || p.kind != Param.Kind.VIEW) {
            throw new InvalidUsageException("rank=" + comm.rank() + " gradientView: '" + name + "' is "
                    + (p == null ? "not registered" : "not registered as a view (Builder.registerView)"));
        }
        return p.view;
    }

    // ------------------------------------------------------------------ inspection

    /** The parameter names of every bucket, in all-reduce order (bucket by bucket, in bucket layout order). */
    public List<List<String>> bucketLayout() {
        List<List<String>> out = new ArrayList<>();
        for (Bucket b : buckets) {
            List<String> names = new ArrayList<>();
            for (Param p : b.params) {
                names.add(p.name);
            }
            out.add(Collections.unmodifiableList(names));
        }
        return Collections.unmodifiableList(out);
    }

    /** Bytes each step's all-reduces take as input, summed over buckets (in the wire type). */
    public long wireBytesPerStep() {
        long n = 0;
        for (Bucket b : buckets) {
            n += b.wireBytes();
        }
        return n;
    }

    /** The communicator the all-reduces run on (the deterministic child when the reducer split one). */
    public Communicator communicator() {
        return comm;
    }

    /** Synchronized steps finished so far. */
    public long steps() {
        return steps;
    }

    /** Nanoseconds the last {@link #finish()} spent waiting for all-reduces: the step's exposed communication. */
    public long lastWaitNanos() {
        return lastWaitNanos;
    }

    /**
     * Nanoseconds the all-reduces of the last step kept the communicator busy (from each bucket's start, or the
     * previous bucket's completion, to its completion, summed); 0 unless built with {@link Builder#timed}.
     * Subtract {@link #lastWaitNanos()} for the communication hidden behind compute.
     */
    public long lastCommNanos() {
        return lastCommNanos;
    }

    /**
     * Waits for any all-reduce still in flight (ignoring its failure), frees the buckets' memory (views become
     * invalid) and closes the communicator the reducer split, if it did. Idempotent.
     */
    @Override
    public void close() {
        long waitMillis = comm.config().timeoutMillis() * 2 + 10_000;
        for (int i = 0; i < nextLaunch; i++) {
            try {
                buckets[i].complete(false, waitMillis, comm.rank());
            } catch (RuntimeException ignored) {
                // closing: the failure was or will be reported by the communicator itself
            }
        }
        nextLaunch = 0;
        for (Bucket b : buckets) {
            b.close();
        }
        if (ownsComm) {
            comm.close();
        }
    }

    private static String names(List<Param> ps, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ps.size() && i < max; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(ps.get(i).name);
        }
        if (ps.size() > max) {
            sb.append(", ... (").append(ps.size() - max).append(" more)");
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects the gradients and settings of a {@link GradientReducer}. Every rank must register the same
     * gradients (names, counts, types, kinds) in the same order and use the same settings. Not thread-safe.
     */
    public static final class Builder {
        private final Communicator comm;
        private final List<Param> params = new ArrayList<>();
        private final IdentityHashMap<Object, Param> keys = new IdentityHashMap<>();
        private final Map<String, Param> names = new HashMap<>();
        private final List<Object> parameters = new ArrayList<>();
        private long capBytes = DEFAULT_BUCKET_CAP_BYTES;
        private long segmentBytes = DEFAULT_WIRE_SEGMENT_BYTES;
        private WireFormat wireFormat = WireFormat.FP32;
        private boolean errorFeedback;
        private boolean deterministic;
        private boolean rebuild;
        private boolean timed;

        private Builder(Communicator comm) {
            this.comm = comm;
        }

        /**
         * Bucket cap in bytes of gradient (in the gradients' type): default {@link #DEFAULT_BUCKET_CAP_BYTES}.
         *
         * @throws InvalidUsageException if {@code bytes} &lt;= 0
         */
        public Builder bucketCapBytes(long bytes) {
            if (bytes <= 0) {
                throw new InvalidUsageException("GradientReducer: bucketCapBytes=" + bytes
                        + ": must be > 0 (bytes of gradient per bucket; default " + DEFAULT_BUCKET_CAP_BYTES
                        + " = 25 MiB, DDP's bucket_cap_mb)");
            }
            this.capBytes = bytes;
            return this;
        }

        /**
         * Largest all-reduce of a compressed bucket, in wire bytes (default {@link #DEFAULT_WIRE_SEGMENT_BYTES}):
         * a compressed bucket is narrowed and all-reduced segment by segment, so that narrowing and widening overlap
         * the wire. No effect on uncompressed buckets.
         *
         * @throws InvalidUsageException if {@code bytes} &lt; 2
         */
        public Builder wireSegmentBytes(long bytes) {
            if (bytes < 2) {
                throw new InvalidUsageException("GradientReducer: wireSegmentBytes=" + bytes + ": must be >= 2 (one"
                        + " 16-bit element)");
            }
            this.segmentBytes = bytes;
            return this;
        }

        /** How FLOAT32 gradients travel (default {@link WireFormat#FP32}, uncompressed). */
        public Builder wireFormat(WireFormat format) {
            if (format == null) {
                throw new InvalidUsageException("GradientReducer: wireFormat is null");
            }
            this.wireFormat = format;
            return this;
        }

        /**
         * With a compressing {@link #wireFormat}: keep each rank's rounding residual (one float per FLOAT32
         * gradient element) and add it to the next step's gradient. Default off. No effect with FP32.
         */
        public Builder errorFeedback(boolean on) {
            this.errorFeedback = on;
            return this;
        }

        /** Average in rank order with identical bits whatever the bucket layout (see the class comment). */
        public Builder deterministic(boolean on) {
            this.deterministic = on;
            return this;
        }

        /** Rebuild the buckets once after the first synchronized step, in rank 0's order of readiness. */
        public Builder rebuildBuckets(boolean on) {
            this.rebuild = on;
            return this;
        }

        /**
         * Record when each bucket's all-reduce completes ({@link GradientReducer#lastCommNanos()}); costs one
         * completion callback per bucket per step.
         */
        public Builder timed(boolean on) {
            this.timed = on;
            return this;
        }

        /** Registers a {@code float[]} gradient of {@code gradient.length} elements (FLOAT32). */
        public Builder register(String name, float[] gradient) {
            return add(name, Param.Kind.FLOATS, gradient, gradient == null ? 0 : gradient.length, DataType.FLOAT32);
        }

        /** Registers a {@code double[]} gradient of {@code gradient.length} elements (FLOAT64). */
        public Builder register(String name, double[] gradient) {
            return add(name, Param.Kind.DOUBLES, gradient, gradient == null ? 0 : gradient.length, DataType.FLOAT64);
        }

        /**
         * Registers a gradient of {@code count} elements of {@code type} at the start of {@code gradient}: a
         * {@link HostBuffer} is copied into its bucket (floating types only); any other buffer (device memory) is
         * all-reduced in place as a bucket of its own.
         *
         * @throws InvalidUsageException if the buffer is null, closed, read-only or smaller than the count, or the
         *                               type is not a floating type
         */
        public Builder register(String name, CommBuffer gradient, long count, DataType type) {
            if (gradient != null && (gradient.isClosed() || gradient.isReadOnly()
                    || type != null && (count < 0 || count > gradient.byteSize() / type.bytes()))) {
                throw new InvalidUsageException("GradientReducer: gradient '" + name + "' (" + gradient + ") must be"
                        + " open, writable and hold count=" + count + " elements of " + type);
            }
            return add(name, gradient instanceof HostBuffer ? Param.Kind.HOST : Param.Kind.IN_PLACE, gradient, count,
                    type);
        }

        /**
         * Registers a gradient that lives in its bucket ({@code count} elements of {@code type}):
         * {@link GradientReducer#gradientView} gives the buffer to write it into (DDP's
         * {@code gradient_as_bucket_view}); it starts zeroed.
         */
        public Builder registerView(String name, long count, DataType type) {
            return add(name, Param.Kind.VIEW, new Object(), count, type);
        }

        /** Registers a parameter tensor for {@link GradientReducer#broadcastParameters} (in this order). */
        public Builder parameter(float[] tensor) {
            return addParameter(tensor);
        }

        /** As {@link #parameter(float[])}. */
        public Builder parameter(double[] tensor) {
            return addParameter(tensor);
        }

        /** As {@link #parameter(float[])}: the buffer's whole {@code byteSize()}. */
        public Builder parameter(HostBuffer tensor) {
            return addParameter(tensor);
        }

        private Builder addParameter(Object tensor) {
            if (tensor == null) {
                throw new InvalidUsageException("GradientReducer: parameter " + parameters.size() + " is null");
            }
            parameters.add(tensor);
            return this;
        }

        private Builder add(String name, Param.Kind kind, Object key, long count, DataType type) {
            if (name == null || name.isEmpty()) {
                throw new InvalidUsageException("GradientReducer: gradient " + params.size() + " needs a name");
            }
            if (key == null) {
                throw new InvalidUsageException("GradientReducer: gradient '" + name + "' is null");
            }
            if (type == null || !type.isFloatingPoint()) {
                throw new InvalidUsageException("GradientReducer: gradient '" + name + "' has type " + type
                        + ": gradients must be FLOAT32, FLOAT64, FLOAT16 or BFLOAT16");
            }
            if (count < 0 || count > HostBuffer.MAX_BYTES / type.bytes()) {
                throw new InvalidUsageException("GradientReducer: gradient '" + name + "' has count=" + count
                        + ": must be in [0, " + HostBuffer.MAX_BYTES / type.bytes() + "]");
            }
            Param same = names.get(name);
            if (same != null) {
                throw new InvalidUsageException("GradientReducer: the name '" + name + "' is registered twice"
                        + " (gradients " + same.index + " and " + params.size() + ")");
            }
            Param twice = keys.get(key);
            if (twice != null) {
                throw new InvalidUsageException("GradientReducer: gradient '" + name + "' is the buffer already"
                        + " registered as '" + twice.name + "': register each gradient once");
            }
            Param p = new Param(params.size(), name, kind, key, count, type);
            params.add(p);
            keys.put(key, p);
            names.put(name, p);
            return this;
        }

        /**
         * Every rank must register the same gradients (names, counts, types) in the same order, or buckets would mix
         * different gradients silently: an all-gather of a 64-bit fingerprint of the layout checks it once, as
         * PyTorch DDP verifies parameter shapes across ranks at construction.
         */
        private void checkSameLayout() {
            long h = 1125899906842597L;
            for (Param p : params) {
                h = 31 * h + p.name.hashCode();
                h = 31 * h + p.count;
                h = 31 * h + p.type.ordinal();
            }
            int w = comm.size();
            try (HostBuffer mine = HostBuffer.allocate(1, DataType.INT64);
                 HostBuffer all = HostBuffer.allocate(w, DataType.INT64)) {
                mine.putLong(0, h);
                comm.allGather(mine, all, 1, DataType.INT64);
                List<Integer> differ = new ArrayList<>();
                for (int r = 0; r < w; r++) {
                    if (all.getLong(r) != h) {
                        differ.add(r);
                    }
                }
                if (!differ.isEmpty()) {
                    throw new InvalidUsageException("rank=" + comm.rank() + " GradientReducer: ranks " + differ
                            + " registered other gradients than this rank (names, counts, types or order differ);"
                            + " every rank must register the same gradients in the same order. This rank: "
                            + params.size() + " gradients, first " + params.get(0).name + " (" + params.get(0).count
                            + " x " + params.get(0).type + ")");
                }
            }
        }

        /**
         * Builds the reducer: assigns buckets and allocates their memory; with {@link #deterministic(boolean)} on a
         * non-deterministic communicator, splits a deterministic one (a collective call: every rank builds). Checks
         * first, with one all-gather, that every rank registered the same gradients in the same order.
         *
         * @throws InvalidUsageException if no gradient is registered, or ranks registered different gradients
         */
        public GradientReducer build() {
            if (params.isEmpty()) {
                throw new InvalidUsageException("GradientReducer: no gradients registered");
            }
            checkSameLayout();
            Communicator c = comm;
            boolean owns = false;
            if (deterministic && !comm.config().deterministic()) {
                c = comm.split(0, comm.rank(), comm.config().toBuilder().deterministic(true).build());
                owns = true;
            }
            try {
                return new GradientReducer(this, c, owns);
            } catch (RuntimeException e) {
                if (owns) {
                    c.close();
                }
                throw e;
            }
        }
    }
}
