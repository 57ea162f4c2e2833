package io.jccl.ddp;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.CommTimeoutException;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Averages a model's gradients across the ranks of a communicator while the backward pass runs: the JVM
 * counterpart of PyTorch DDP's {@code Reducer} (buckets, overlap, {@code no_sync}, unused-parameter errors,
 * {@code gradient_as_bucket_view}, bucket rebuilding, compression hooks) and Horovod's
 * {@code DistributedOptimizer} / {@code broadcast_parameters}.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * GradientReducer reducer = GradientReducer.builder(comm)
 *         .register("fc1.weight", gW1).register("fc1.bias", gB1)   // float[], double[]; or (name, buffer, count, type)
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
 * <h2>Buckets, memory, wire format, determinism</h2>
 * Gradients are grouped into buckets of at most {@link Builder#bucketCapBytes} bytes (default 25 MiB, DDP's
 * {@code bucket_cap_mb}), filled in reverse registration order and per element type ({@link #bucketLayout()}),
 * optionally rebuilt once in the order gradients became ready on rank 0 ({@link Builder#rebuildBuckets}). A
 * bucket's all-reduce (AVG) starts when its last gradient is ready and every earlier bucket has started, so every
 * rank issues the same collectives in the same order. {@code float[]}, {@code double[]} and host-buffer gradients
 * are copied into their bucket when ready and back in {@link #finish()}; {@link Builder#registerView} gradients
 * live in their bucket and are never copied (DDP's {@code gradient_as_bucket_view}); other buffers (device memory)
 * are all-reduced in place. {@link Builder#wireFormat} sends FLOAT32 buckets as bf16 or fp16 (each addition in
 * fp32), in segments of {@link Builder#wireSegmentBytes} so that narrowing overlaps sending, with optional error
 * feedback ({@link Builder#errorFeedback}); see {@link WireFormat}. {@link Builder#deterministic} averages every
 * element in rank order whatever the buckets (splitting a deterministic communicator when the given one is not);
 * otherwise the bits depend on W, the algorithm and the buckets and are the same on every rank. docs/ddp.md has
 * the whole story.
 *
 * <h2>Threading and errors</h2>
 * Not thread-safe: {@link #markReady}, {@link #finish()}, {@link #noSync()} and {@link #broadcastParameters} come
 * from one thread, which is then the one that issues collectives on the communicator (others use another
 * communicator, {@link Communicator#split}). All-reduces run on the communicator's worker thread; copies and
 * conversions on the calling thread. {@link InvalidUsageException} for a bad setting or registration, an unknown
 * or twice-ready gradient, and from {@code finish()} for gradients never ready (named); communication failures
 * are the communicator's ({@link io.jccl.PeerFailureException}, {@link CommTimeoutException}), from {@code finish()}.
 * After {@link #close()} every step, scope, view and broadcast call throws {@link InvalidUsageException}; a registered
 * host-buffer gradient closed by its owner is refused by {@code markReady} and {@code finish()} (never read or
 * written once freed: that step's averages are not copied back, and every later step fails the same way, so build a
 * new reducer).
 */
public final class GradientReducer implements AutoCloseable {
    /** Default bucket cap: 25 MiB, as PyTorch DDP's {@code bucket_cap_mb=25}. */
    public static final long DEFAULT_BUCKET_CAP_BYTES = 25L << 20;
    /** Default largest all-reduce of a compressed bucket, in wire bytes: 4 MiB. */
    public static final long DEFAULT_WIRE_SEGMENT_BYTES = 4L << 20;

    private final Communicator comm;
    private final boolean ownsComm;
    private final Param[] params;
    /** The gradients in host buffers their owners hold (and may close): checked at every {@link #finish()}. */
    private final Param[] hostParams;
    private final GradientLookup lookup;
    private final List<Object> parameters;
    private final boolean timed;
    private final NoSync noSyncScope = new NoSync();
    private final Buckets buckets;

    private boolean noSync;
    private boolean closed;
    private boolean rebuildPending;
    private long steps;
    private long lastWaitNanos;
    private long lastCommNanos;

    private GradientReducer(Builder b, Communicator comm, boolean ownsComm) {
        this.comm = comm;
        this.ownsComm = ownsComm;
        this.params = b.gradients.toArray();
        this.hostParams = java.util.Arrays.stream(params).filter(p -> p.kind == Param.Kind.HOST).toArray(Param[]::new);
        this.parameters = List.copyOf(b.parameters);
        this.timed = b.timed;
        this.rebuildPending = b.rebuild;
        this.buckets = new Buckets(params,
                new BucketSettings(b.capBytes, b.wireFormat, b.errorFeedback, b.timed, b.segmentBytes));
        this.lookup = new GradientLookup(params);
    }

    /** A builder for a reducer over {@code comm} (not null). */
    public static Builder builder(Communicator comm) {
        if (comm == null) {
            throw new InvalidUsageException("GradientReducer: communicator is null");
        }
        return new Builder(comm);
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
     * Marks a registered gradient (as given to {@link Builder#register}, or a {@link #gradientView}) final for this
     * step: it is copied into its bucket now, and the bucket's all-reduce starts if this was its last pending
     * gradient and every earlier bucket has started. It must not change until {@link #finish()} returns. Inside
     * {@link #noSync()} nothing is copied or sent.
     *
     * @throws InvalidUsageException if the buffer is not registered, or was already marked ready in this step
     */
    public void markReady(CommBuffer gradient) {
        ready(gradient);
    }

    private void ready(Object gradient) {
        checkOpen("markReady");
        Param p = lookup.byKey(gradient);
        if (p == null) {
            throw StepErrors.unknown(comm.rank(), gradient, params, buckets.hasViews());
        }
        if (noSync) {
            return;
        }
        if (p.ready) {
            throw StepErrors.readyTwice(comm.rank(), p, steps);
        }
        if (p.kind == Param.Kind.HOST && p.host.isClosed()) {
            throw closedGradient("markReady", p);
        }
        buckets.ready(p, comm);
    }

    /**
     * Waits for every bucket's all-reduce and leaves the averaged gradients where they live (copied back and
     * widened where needed). Returns at once inside {@link #noSync()}. After the first synchronized step with
     * {@link Builder#rebuildBuckets(boolean)}, rebuilds the buckets (a broadcast from rank 0).
     *
     * @throws InvalidUsageException naming the parameters not marked ready in this step (DDP's unused parameters:
     *                               give them a zero gradient and mark it ready); when only some ranks miss one,
     *                               the others fail at the communicator's deadline
     */
    public void finish() {
        checkOpen("finish");
        if (noSync) {
            return;
        }
        boolean complete = buckets.allLaunched();
        Param closedOne = closedHostGradient();
        try {
            // with a gradient its owner closed, nothing is copied back: the step is lost (the reducer, to rebuild)
            buckets.complete(complete && closedOne == null, waitMillis(), comm.rank());
        } catch (RuntimeException e) {
            buckets.reset();
            throw e;
        } finally {
            lastWaitNanos = buckets.blockedNanos();
        }
        if (closedOne != null) {
            buckets.reset();
            throw closedGradient("finish", closedOne);
        }
        if (!complete) {
            List<Param> missing = buckets.notReady();
            buckets.reset();
            throw StepErrors.unused(comm.rank(), missing, params.length, steps);
        }
        if (timed) {
            lastCommNanos = buckets.busyNanos();
        }
        boolean rebuild = rebuildPending && buckets.allReady();
        buckets.reset();
        steps++;
        if (rebuild) {
            rebuildPending = false;
            lookup.rekeyViews(() -> buckets.rebuild(comm));
        }
    }

    /** The first host-buffer gradient whose owner closed it, or null. */
    private Param closedHostGradient() {
        for (Param p : hostParams) {
            if (p.host.isClosed()) {
                return p;
            }
        }
        return null;
    }

    private InvalidUsageException closedGradient(String what, Param p) {
        return StepErrors.closedGradient(comm.rank(), what, p);
    }

    /** How long {@link #finish()} waits for one all-reduce: past the communicator's own deadline. */
    private long waitMillis() {
        return comm.config().timeoutMillis() * 2 + 10_000;
    }

    // ------------------------------------------------------------------ no_sync

    /**
     * Gradient accumulation without communication (DDP's {@code no_sync()}): until the returned scope (the same
     * object every time) is closed, {@link #markReady} only checks its argument and {@link #finish()} returns at
     * once; the first step after the scope averages the accumulated gradients.
     *
     * <pre>{@code try (GradientReducer.NoSync s = reducer.noSync()) { forwardBackward(microBatch1); } }</pre>
     *
     * @throws InvalidUsageException inside a step (some gradient already marked ready)
     */
    public NoSync noSync() {
        checkOpen("noSync");
        if (buckets.readyCount() > 0) {
            throw new InvalidUsageException("rank=" + comm.rank() + " noSync: called inside a step ("
                    + buckets.readyCount() + " gradients already marked ready); call it before the backward pass");
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
        checkOpen("broadcastParameters");
        if (buckets.readyCount() > 0) {
            throw new InvalidUsageException("rank=" + comm.rank() + " broadcastParameters: called inside a step ("
                    + buckets.readyCount() + " gradients already marked ready); call it before the backward pass or"
                    + " after finish()");
        }
        if (parameters.isEmpty()) {
            throw new InvalidUsageException("rank=" + comm.rank()
                    + " broadcastParameters: no parameters registered (Builder.parameter)");
        }
        ParameterBroadcast.broadcast(comm, root, parameters);
    }

    /**
     * The gradient of a {@link Builder#registerView} parameter: a slice of its bucket that the backward pass writes
     * and passes to {@link #markReady(CommBuffer)}; after {@link #finish()} it holds the average. Ask again after
     * the buckets are rebuilt ({@link Builder#rebuildBuckets(boolean)}).
     *
     * @throws InvalidUsageException if no view parameter has that name
     */
    public HostBuffer gradientView(String name) {
        checkOpen("gradientView");
        Param p = lookup.byName(name);
        if (p == null || p.kind != Param.Kind.VIEW) {
            throw new InvalidUsageException("rank=" + comm.rank() + " gradientView: '" + name + "' is "
                    + (p == null ? "not registered" : "not registered as a view (Builder.registerView)"));
        }
        return p.view;
    }

    // ------------------------------------------------------------------ inspection

    /** The parameter names of every bucket, in all-reduce order (bucket by bucket, in bucket layout order). */
    public List<List<String>> bucketLayout() {
        return buckets.layout();
    }

    /** Bytes each step's all-reduces take as input, summed over buckets (in the wire type). */
    public long wireBytesPerStep() {
        return buckets.wireBytes();
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
     * Nanoseconds the last step's all-reduces kept the communicator busy; 0 unless built with
     * {@link Builder#timed}. Minus {@link #lastWaitNanos()}: the communication hidden behind compute.
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
        if (closed) {
            return;
        }
        closed = true;
        buckets.close(waitMillis(), comm.rank());
        if (ownsComm) {
            comm.close();
        }
    }

    /** Refuses a call on a closed reducer (its buckets' memory is freed). */
    private void checkOpen(String what) {
        if (closed) {
            throw new InvalidUsageException("rank=" + comm.rank() + " " + what + ": the gradient reducer is closed");
        }
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects the gradients and settings of a {@link GradientReducer}. Every rank must register the same
     * gradients (names, counts, types, kinds) in the same order and use the same settings. Not thread-safe.
     */
    public static final class Builder {
        private final Communicator comm;
        private final GradientRegistry gradients;
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
            this.gradients = new GradientRegistry(who());
        }

        /** What a builder's errors start with: {@code rank=N GradientReducer}. */
        private String who() {
            return "rank=" + comm.rank() + " GradientReducer";
        }

        /**
         * Bucket cap in bytes of gradient (in the gradients' type): default {@link #DEFAULT_BUCKET_CAP_BYTES}.
         *
         * @throws InvalidUsageException if {@code bytes} &lt;= 0
         */
        public Builder bucketCapBytes(long bytes) {
            this.capBytes = BucketSettings.checkCapBytes(who(), bytes);
            return this;
        }

        /**
         * Largest all-reduce of a compressed bucket in wire bytes (default {@link #DEFAULT_WIRE_SEGMENT_BYTES}).
         *
         * @throws InvalidUsageException if {@code bytes} &lt; 2
         */
        public Builder wireSegmentBytes(long bytes) {
            this.segmentBytes = BucketSettings.checkSegmentBytes(who(), bytes);
            return this;
        }

        /** How FLOAT32 gradients travel (default {@link WireFormat#FP32}, uncompressed). */
        public Builder wireFormat(WireFormat format) {
            if (format == null) {
                throw new InvalidUsageException(who() + ": wireFormat is null");
            }
            this.wireFormat = format;
            return this;
        }

        /** With a compressing {@link #wireFormat}: add each rank's rounding residual to its next gradient. */
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

        /** Record when each bucket's all-reduce completes ({@link GradientReducer#lastCommNanos()}). */
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
         * Registers {@code count} elements of {@code type} at the start of {@code gradient}: a {@link HostBuffer} is
         * copied into its bucket; any other buffer (device memory) is all-reduced in place as a bucket of its own.
         *
         * @throws InvalidUsageException if the buffer is null, closed, read-only or too small, or the type not floating
         */
        public Builder register(String name, CommBuffer gradient, long count, DataType type) {
            gradients.addBuffer(name, gradient, count, type);
            return this;
        }

        /** Registers a zeroed gradient that lives in its bucket ({@link GradientReducer#gradientView}). */
        public Builder registerView(String name, long count, DataType type) {
            return add(name, Param.Kind.VIEW, new Object(), count, type);
        }

        /** Registers a parameter for {@link GradientReducer#broadcastParameters} (in this order). */
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
                throw new InvalidUsageException(who() + ": parameter " + parameters.size() + " is null");
            }
            parameters.add(tensor);
            return this;
        }

        private Builder add(String name, Param.Kind kind, Object key, long count, DataType type) {
            gradients.add(name, kind, key, count, type);
            return this;
        }

        /**
         * Builds the reducer: assigns buckets and allocates their memory; with {@link #deterministic(boolean)} on a
         * non-deterministic communicator, splits a deterministic one (a collective call: every rank builds). Checks
         * first, with one all-gather, that every rank registered the same gradients in the same order.
         *
         * @throws InvalidUsageException if no gradient is registered, or ranks registered different gradients
         */
        public GradientReducer build() {
            if (gradients.isEmpty()) {
                throw new InvalidUsageException(who() + ": no gradients registered");
            }
            gradients.checkSameOnEveryRank(comm, ParameterBroadcast.fingerprint(parameters));
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
