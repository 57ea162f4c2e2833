package io.jccl.ddp;

import io.jccl.DataType;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

/**
 * One registered gradient: where it lives (a {@code float[]}, a {@code double[]}, a host buffer that is copied,
 * a buffer all-reduced in place, or a view of its bucket), its shape (count in elements, type) and its place in
 * its bucket. Owned by one {@link GradientReducer}; not thread-safe.
 */
final class Param {
    enum Kind {
        /** {@code float[]}: copied into the bucket at markReady, back at finish. */
        FLOATS,
        /** {@code double[]}: as FLOATS. */
        DOUBLES,
        /** A {@link HostBuffer} of the caller: copied as FLOATS. */
        HOST,
        /** Any other {@link CommBuffer} (device memory): a bucket of its own, all-reduced in place, never copied. */
        IN_PLACE,
        /** No buffer of the caller: the gradient is a slice of its bucket ({@link GradientReducer#gradientView}). */
        VIEW
    }

    final int index;
    final String name;
    final Kind kind;
    final Object key;
    final long count;
    final DataType type;
    final float[] floats;
    final double[] doubles;
    final HostBuffer host;
    final CommBuffer inPlace;

    /** Set by the reducer when buckets are (re)built. */
    Bucket bucket;
    /** First element of this gradient in its bucket. */
    int offset;
    /** The current view of a VIEW parameter (a slice of its bucket's fp32/native memory). */
    HostBuffer view;
    /** Marked ready in the current step. */
    boolean ready;

    Param(int index, String name, Kind kind, Object key, long count, DataType type) {
        this.index = index;
        this.name = name;
        this.kind = kind;
        this.key = key;
        this.count = count;
        this.type = type;
        this.floats = key instanceof float[] f ? f : null;
        this.doubles = key instanceof double[] d ? d : null;
        this.host = kind == Kind.HOST ? (HostBuffer) key : null;
        this.inPlace = kind == Kind.IN_PLACE ? (CommBuffer) key : null;
    }

    long bytes() {
        return count * type.bytes();
    }

    @Override
    public String toString() {
        return name + " (" + count + " x " + type + ")";
    }
}
