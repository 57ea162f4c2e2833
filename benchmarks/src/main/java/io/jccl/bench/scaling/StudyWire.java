package io.jccl.bench.scaling;

import io.jccl.DataType;
import io.jccl.ddp.WireFormat;

import java.util.Locale;
import java.util.function.LongToDoubleFunction;

/**
 * How the study's step exchanges its gradients: its own bucketed {@code allReduceAsync} calls ({@code reducer}
 * false), or comm-ddp's {@link io.jccl.ddp.GradientReducer} (one view per study bucket, marked ready as its backward
 * part ends, then {@code finish()}), whose FLOAT32 buckets may travel as a 16-bit {@code format} with optional
 * {@code errorFeedback}, in all-reduces of at most {@code segmentBytes} wire bytes. The prediction is fed with what
 * goes on the wire: {@link #onWire} (half the bytes per bucket for bf16/fp16) and {@link #bucketSeconds} (one
 * all-reduce per wire segment). Immutable.
 */
record StudyWire(boolean reducer, WireFormat format, boolean errorFeedback, long segmentBytes) {
    /** The study's own all-reduces, uncompressed. */
    static final StudyWire DIRECT = new StudyWire(false, WireFormat.FP32, false, Long.MAX_VALUE);

    StudyWire {
        if (!reducer && (format != WireFormat.FP32 || errorFeedback)) {
            throw new IllegalArgumentException("--wire " + format.name().toLowerCase(Locale.ROOT)
                    + (errorFeedback ? " --error-feedback" : "") + " needs --reducer (the compression is the reducer's)");
        }
        if (segmentBytes < 2) {
            throw new IllegalArgumentException("--wire-segment must be at least 2 bytes, not " + segmentBytes);
        }
    }

    /** Whether gradients of {@code type} are narrowed for the wire. */
    boolean compresses(DataType type) {
        return format.compresses() && type == DataType.FLOAT32;
    }

    /** The type that goes on the wire for gradients of {@code type}. */
    DataType wireType(DataType type) {
        return compresses(type) ? format.wireType() : type;
    }

    /**
     * {@code work} as the all-reduces see it: the same parameters, FLOP and buckets (the same elements in each), each
     * element {@link #wireType}'s bytes.
     */
    ScalingModel.Workload onWire(ScalingModel.Workload work, DataType type) {
        if (!compresses(type)) {
            return work;
        }
        int wireBytes = format.wireType().bytes();
        long elemsPerBucket = Math.max(1, work.bucketBytes() / work.bytesPerParam());
        return new ScalingModel.Workload(work.params(), wireBytes, elemsPerBucket * wireBytes, work.flopsPerStep(),
                work.forwardFraction());
    }

    /**
     * The predicted seconds of one bucket of {@code wireBytes} on the wire: one all-reduce ({@code callSeconds}) when
     * uncompressed, else one per wire segment of at most {@link #segmentBytes} plus narrowing and widening its
     * elements at {@code convertSecondsPerElement} ({@link ConversionProbe}; the calling thread's work, counted as
     * not overlapped: on a host whose cores all compute, nothing hides it).
     */
    double bucketSeconds(long wireBytes, DataType type, double convertSecondsPerElement,
                         LongToDoubleFunction callSeconds) {
        long seg = callBytes(wireBytes, type)[0];
        double s = callSeconds.applyAsDouble(seg) * (wireBytes / seg);
        s = wireBytes % seg == 0 ? s : s + callSeconds.applyAsDouble(wireBytes % seg);
        return compresses(type) ? s + convertSecondsPerElement * (wireBytes / format.wireType().bytes()) : s;
    }

    /**
     * The sizes of the all-reduces one bucket of {@code wireBytes} on the wire is sent as: itself, or (compressed)
     * the wire segment and, when it does not divide the bucket, the remainder.
     */
    long[] callBytes(long wireBytes, DataType type) {
        long seg = segmentBytes / 2 * 2;
        if (!compresses(type) || wireBytes <= seg) {
            return new long[] {wireBytes};
        }
        return wireBytes % seg == 0 ? new long[] {seg} : new long[] {seg, wireBytes % seg};
    }

    /** For the headers: "own all-reduces", or the reducer and its wire format. */
    String label(DataType type) {
        if (!reducer) {
            return "the study's own allReduceAsync calls";
        }
        return "GradientReducer, wire " + (compresses(type) ? format.name().toLowerCase(Locale.ROOT) : type.ncclName())
                + (errorFeedback ? " + error feedback" : "")
                + (compresses(type) ? " in all-reduces of at most " + segmentBytes + " B" : "");
    }
}
