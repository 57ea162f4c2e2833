package io.jccl;

/**
 * Per-communicator settings. {@link #fromKnobs()} reads the defaults from the {@link Knob} table
 * (environment and system properties); the builder overrides each one.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class CommConfig {
    private final Algorithm algorithm;
    private final long timeoutMillis;
    private final long segmentBytes;
    private final long treeMaxBytes;

    private CommConfig(Builder b) {
        this.algorithm = b.algorithm;
        this.timeoutMillis = b.timeoutMillis;
        this.segmentBytes = b.segmentBytes;
        this.treeMaxBytes = b.treeMaxBytes;
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

    /** Largest transfer in flight at once, in bytes (the pipelining unit). */
    public long segmentBytes() {
        return segmentBytes;
    }

    /** With {@link Algorithm#AUTO}, all-reduce up to this many bytes uses the tree. */
    public long treeMaxBytes() {
        return treeMaxBytes;
    }

    @Override
    public String toString() {
        return "CommConfig{algorithm=" + algorithm.label() + ", timeoutMillis=" + timeoutMillis
                + ", segmentBytes=" + segmentBytes + ", treeMaxBytes=" + treeMaxBytes + "}";
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private Algorithm algorithm = Algorithm.parse(Knob.ALGO.get());
        private long timeoutMillis = Knob.TIMEOUT_MS.getLong();
        private long segmentBytes = Knob.SEGMENT_BYTES.getLong();
        private long treeMaxBytes = Knob.TREE_MAX_BYTES.getLong();

        private Builder() {
        }

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

        public Builder treeMaxBytes(long bytes) {
            this.treeMaxBytes = bytes;
            return this;
        }

        /** @throws InvalidUsageException naming the setting that is out of range */
        public CommConfig build() {
            if (timeoutMillis <= 0) {
                throw new InvalidUsageException(Knob.TIMEOUT_MS.envName() + "=" + timeoutMillis + " must be > 0");
            }
            if (segmentBytes < 8 || segmentBytes > (64L << 20)) {
                throw new InvalidUsageException(Knob.SEGMENT_BYTES.envName() + "=" + segmentBytes
                        + " must be in [8, 67108864]");
            }
            if (treeMaxBytes < 0) {
                throw new InvalidUsageException(Knob.TREE_MAX_BYTES.envName() + "=" + treeMaxBytes + " must be >= 0");
            }
            return new CommConfig(this);
        }
    }
}
