package io.jccl.ddp;

import io.jccl.InvalidUsageException;

/**
 * How a reducer's buckets are made: the cap that groups gradients into buckets, and the wire-format hook that
 * compresses FLOAT32 buckets ({@link WireFormat}, error feedback, the largest all-reduce of a compressed bucket).
 * Immutable, and so safe to share between threads.
 *
 * @param capBytes      bucket cap in bytes of gradient, &gt; 0
 * @param wireFormat    how FLOAT32 gradients travel
 * @param errorFeedback keep each rank's rounding residual for the next step (compressing formats only)
 * @param timed         record when each bucket's all-reduce completes ({@link GradientReducer#lastCommNanos()})
 * @param segmentBytes  largest all-reduce of a compressed bucket, in wire bytes, &gt;= 2
 */
record BucketSettings(long capBytes, WireFormat wireFormat, boolean errorFeedback, boolean timed, long segmentBytes) {
    /** {@code bytes} as a bucket cap; else {@link InvalidUsageException} (it is &lt;= 0). */
    static long checkCapBytes(String who, long bytes) {
        if (bytes <= 0) {
            throw new InvalidUsageException(who + ": bucketCapBytes=" + bytes
                    + ": must be > 0 (bytes of gradient per bucket; default " + GradientReducer.DEFAULT_BUCKET_CAP_BYTES
                    + " = 25 MiB, DDP's bucket_cap_mb)");
        }
        return bytes;
    }

    /** {@code bytes} as the largest all-reduce of a compressed bucket; else {@link InvalidUsageException} (&lt; 2). */
    static long checkSegmentBytes(String who, long bytes) {
        if (bytes < 2) {
            throw new InvalidUsageException(who + ": wireSegmentBytes=" + bytes + ": must be >= 2 (one"
                    + " 16-bit element)");
        }
        return bytes;
    }

    /** The codec of this wire format (one per reducer: it holds a staging chunk), or null when it does not compress. */
    WireCodec newCodec() {
        return wireFormat.compresses() ? new WireCodec(wireFormat.wireType()) : null;
    }

    /** Bucket {@code index} of {@code params} (in bucket order), converting through {@code codec}. */
    Bucket newBucket(int index, Param[] params, WireCodec codec) {
        return new Bucket(index, params, wireFormat, errorFeedback, timed, codec, segmentBytes);
    }
}
