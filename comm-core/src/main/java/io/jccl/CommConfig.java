package io.jccl;

import io.jccl.algo.select.CostModel;

/**
 * Per-communicator settings. {@link #fromKnobs()} reads the defaults from the {@link Knob} table
 * (environment and system properties); the builder overrides each one. Every rank of a communicator must
 * use the same settings (algorithm, thresholds, deterministic mode): they decide which messages the ranks
 * exchange.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class CommConfig {
    private final Algorithm algorithm;
    private final long timeoutMillis;
    /** The longest timeout: 10^11 ms, so that now + timeout in nanoseconds never overflows a long. */
    public static final long MAX_TIMEOUT_MILLIS = 100_000_000_000L;
    private final long segmentBytes;
    private final long treeMaxBytes;
    private final long hdMaxBytes;
    private final long rdMaxBytes;
    private final boolean deterministic;
    private final boolean deviceReduce;
    private final java.util.concurrent.Executor callbackExecutor;
    private final CostModel costModel;

    private CommConfig(Builder b) {
        this.algorithm = b.algorithm;
        this.timeoutMillis = b.timeoutMillis;
        this.segmentBytes = b.segmentBytes;
        this.treeMaxBytes = b.treeMaxBytes;
        this.hdMaxBytes = b.hdMaxBytes;
        this.rdMaxBytes = b.rdMaxBytes;
        this.deterministic = b.deterministic;
        this.deviceReduce = b.deviceReduce;
        this.callbackExecutor = b.callbackExecutor;
        this.costModel = b.costModelSet ? b.costModel : CostModel.active();
    }

    /** Settings from {@code JCCL_*} environment variables and {@code jccl.*} properties, else defaults. */
    public static CommConfig fromKnobs() {
        return builder().build();
    }

    /** A builder that starts from {@link #fromKnobs()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.algorithm = algorithm;
        b.timeoutMillis = timeoutMillis;
        b.segmentBytes = segmentBytes;
        b.treeMaxBytes = treeMaxBytes;
        b.hdMaxBytes = hdMaxBytes;
        b.rdMaxBytes = rdMaxBytes;
        b.deterministic = deterministic;
        b.deviceReduce = deviceReduce;
        b.callbackExecutor = callbackExecutor;
        b.costModel = costModel;
        b.costModelSet = true;
        return b;
    }

    /** Forced all-reduce algorithm, or {@link Algorithm#AUTO}. */
    public Algorithm algorithm() {
        return algorithm;
    }

    /** Deadline of every blocking operation, in milliseconds. */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    /**
     * True when device buffers staged segment by segment reduce received segments on the device
     * ({@code JCCL_DEVICE_REDUCE}, docs/gpu.md): the same bits as the host's reduction; ranks may differ in it.
     */
    public boolean deviceReduce() {
        return deviceReduce;
    }

    /** Largest transfer in flight at once, in bytes (the pipelining unit). */
    public long segmentBytes() {
        return segmentBytes;
    }

    /**
     * With {@link Algorithm#AUTO}, all-reduce up to this many bytes uses the double binary tree; broadcast up
     * to this many bytes uses the binomial tree ({@code JCCL_TREE_MAX_BYTES}).
     */
    public long treeMaxBytes() {
        return treeMaxBytes;
    }

    /**
     * With {@link Algorithm#AUTO}, all-reduce above {@link #treeMaxBytes()} and up to this many bytes uses
     * recursive halving-doubling; reduce-scatter whose input is up to this many bytes uses recursive halving
     * when the world size is a power of two ({@code JCCL_HD_MAX_BYTES}).
     */
    public long hdMaxBytes() {
        return hdMaxBytes;
    }

    /**
     * With {@link Algorithm#AUTO} and no cost model, all-reduce of at most this many bytes uses recursive doubling
     * ({@code JCCL_RD_MAX_BYTES}).
     */
    public long rdMaxBytes() {
        return rdMaxBytes;
    }

    /**
     * Deterministic mode ({@code JCCL_DETERMINISTIC}): all-reduce, reduce-scatter(v) and reduce reduce every
     * element in rank order 0..W-1, so their results are identical to the bit whatever the algorithm
     * setting, message size, segment size or element position (see the README, "Semantics").
     */
    public boolean deterministic() {
        return deterministic;
    }

    /**
     * Where the futures of asynchronous calls complete, and so where actions attached to them ({@code thenRun},
     * {@code whenComplete}, ...) run; null (the default): on the communicator's worker thread, where a slow
     * action delays the next asynchronous call. A local setting: ranks may differ.
     */
    public java.util.concurrent.Executor callbackExecutor() {
        return callbackExecutor;
    }

    /**
     * The cost model that {@link Algorithm#AUTO} chooses algorithms by, or null for the size thresholds. By
     * default the file named by {@code JCCL_COST_MODEL} (written by {@code bin/jccl-tune}), read when the
     * configuration is built. Every rank must use the same model.
     */
    public CostModel costModel() {
        return costModel;
    }

    @Override
    public String toString() {
        return "CommConfig{algorithm=" + algorithm.label() + ", timeoutMillis=" + timeoutMillis
                + ", segmentBytes=" + segmentBytes + ", treeMaxBytes=" + treeMaxBytes + ", hdMaxBytes=" + hdMaxBytes + ", rdMaxBytes=" + rdMaxBytes
                + ", deterministic=" + deterministic + ", deviceReduce=" + deviceReduce + ", costModel=" + (costModel == null ? "none" : "loaded") + "}";
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private Algorithm algorithm = algorithmKnob();
        private long timeoutMillis = Knob.TIMEOUT_MS.getLong();
        private long segmentBytes = Knob.SEGMENT_BYTES.getLong();
        private long treeMaxBytes = Knob.TREE_MAX_BYTES.getLong();
        private long hdMaxBytes = Knob.HD_MAX_BYTES.getLong();
        private long rdMaxBytes = Knob.RD_MAX_BYTES.getLong();
        private boolean deterministic = Knob.DETERMINISTIC.getBoolean();
        private boolean deviceReduce = Knob.DEVICE_REDUCE.getBoolean();
        private java.util.concurrent.Executor callbackExecutor;
        private CostModel costModel;
        private boolean costModelSet;

        /** {@code JCCL_ALGO}'s algorithm; a bad value's error names the setting. */
        private static Algorithm algorithmKnob() {
            String v = Knob.ALGO.get();
            try {
                return Algorithm.parse(v);
            } catch (InvalidUsageException e) {
                throw new InvalidUsageException(Knob.ALGO.envName() + ": " + e.getMessage());
            }
        }

        private Builder() {
        }

        /**
         * @param model the cost model that {@link Algorithm#AUTO} chooses by (the same on every rank), or null for
         *              the size thresholds; replaces {@code JCCL_COST_MODEL}
         */
        public Builder costModel(CostModel model) {
            this.costModel = model;
            this.costModelSet = true;
            return this;
        }

        /** @param executor see {@link CommConfig#callbackExecutor()}; null completes on the worker thread */
        public Builder callbackExecutor(java.util.concurrent.Executor executor) {
            this.callbackExecutor = executor;
            return this;
        }

        /** @param a forced all-reduce algorithm, or {@link Algorithm#AUTO}; not null */
        public Builder algorithm(Algorithm a) {
            if (a == null) {
                throw new InvalidUsageException("algorithm must not be null");
            }
            this.algorithm = a;
            return this;
        }

        /** @param millis deadline of every blocking operation; must be positive */
        public Builder timeoutMillis(long millis) {
            this.timeoutMillis = millis;
            return this;
        }

        /** @param bytes pipelining unit; at least 8 bytes, at most 64 MiB */
        public Builder segmentBytes(long bytes) {
            this.segmentBytes = bytes;
            return this;
        }

        /** @param bytes see {@link CommConfig#treeMaxBytes()}; at least 0 */
        public Builder treeMaxBytes(long bytes) {
            this.treeMaxBytes = bytes;
            return this;
        }

        /** @param bytes see {@link CommConfig#rdMaxBytes()}; at least 0 (0 turns recursive doubling off) */
        public Builder rdMaxBytes(long bytes) {
            this.rdMaxBytes = bytes;
            return this;
        }

        /** @param bytes see {@link CommConfig#hdMaxBytes()}; at least 0 */
        public Builder hdMaxBytes(long bytes) {
            this.hdMaxBytes = bytes;
            return this;
        }

        /** @param on see {@link CommConfig#deterministic()} */
        public Builder deterministic(boolean on) {
            this.deterministic = on;
            return this;
        }

        /** @param on see {@link CommConfig#deviceReduce()} */
        public Builder deviceReduce(boolean on) {
            this.deviceReduce = on;
            return this;
        }

        /** @throws InvalidUsageException naming the setting that is out of range */
        public CommConfig build() {
            if (timeoutMillis <= 0 || timeoutMillis > MAX_TIMEOUT_MILLIS) {
                throw new InvalidUsageException(Knob.TIMEOUT_MS.envName() + "=" + timeoutMillis + " must be in [1, "
                        + MAX_TIMEOUT_MILLIS + "] ms (at most about 3 years: a deadline is a 64-bit nanosecond time)");
            }
            if (segmentBytes < 8 || segmentBytes > (64L << 20)) {
                throw new InvalidUsageException(Knob.SEGMENT_BYTES.envName() + "=" + segmentBytes
                        + " must be in [8, 67108864]");
            }
            if (treeMaxBytes < 0) {
                throw new InvalidUsageException(Knob.TREE_MAX_BYTES.envName() + "=" + treeMaxBytes + " must be >= 0");
            }
            if (rdMaxBytes < 0) {
                throw new InvalidUsageException(Knob.RD_MAX_BYTES.envName() + "=" + rdMaxBytes + " must be >= 0");
            }
            if (hdMaxBytes < 0) {
                throw new InvalidUsageException(Knob.HD_MAX_BYTES.envName() + "=" + hdMaxBytes + " must be >= 0");
            }
            return new CommConfig(this);
        }
    }
}
