package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * A group of gradients all-reduced (AVG) by one call: PyTorch DDP's bucket. Its gradients are packed in its
 * memory in its parameters' order; gradients that live elsewhere ({@code float[]}, {@code double[]}, the caller's
 * host buffers) are copied in when marked ready (narrowed to the wire type when compressed) and copied back
 * (widened) at finish; views ({@link GradientReducer#gradientView}) are its memory itself.
 *
 * <p>Memory: {@code flat}, {@code count} elements of the gradients' type (absent for a compressed bucket with
 * array gradients only), and, when compressed, {@code wire}, {@code count} 16-bit elements, plus a float residual
 * per element with error feedback. A bucket of one in-place buffer ({@link Param.Kind#IN_PLACE}) has no memory of
 * its own.
 *
 * <p>Not thread-safe: driven by the reducer's calling thread; only {@link #doneNanos} is written by the
 * communicator's worker thread.
 */
final class Bucket implements AutoCloseable {
    final int index;
    final Param[] params;
    final DataType type;
    final int count;
    final boolean compressed;
    final boolean bf16;
    private final HostBuffer flat;
    private final HostBuffer wire;
    private final CommBuffer inPlace;
    private final DataType wireType;
    private final ByteBuffer flatBytes;
    private final FloatBuffer flatFloats;
    private final DoubleBuffer flatDoubles;
    private final ByteBuffer wireBytes;
    private final float[] residual;
    private final BiConsumer<Void, Throwable> onDone;

    /** Gradients of this step not yet ready. */
    int pending;
    CompletableFuture<Void> future;
    long launchNanos;
    volatile long doneNanos;

    Bucket(int index, Param[] params, WireFormat format, boolean errorFeedback, boolean timed) {
        this.index = index;
        this.params = params;
        this.type = params[0].type;
        long n = 0;
        boolean needsFlat = false;
        for (Param p : params) {
            p.bucket = this;
            p.offset = (int) n;
            n += p.count;
            needsFlat |= p.kind == Param.Kind.VIEW || p.kind == Param.Kind.HOST;
        }
        if (n > HostBuffer.MAX_BYTES / type.bytes()) {
            throw new InvalidUsageException("bucket " + index + " of " + n + " x " + type + " exceeds "
                    + HostBuffer.MAX_BYTES + " bytes: lower bucketCapBytes");
        }
        this.count = (int) n;
        this.compressed = format.compresses() && type == DataType.FLOAT32 && params[0].kind != Param.Kind.IN_PLACE;
        this.bf16 = format == WireFormat.BF16;
        if (params[0].kind == Param.Kind.IN_PLACE) {
            this.inPlace = params[0].inPlace;
            this.flat = null;
            this.wire = null;
            this.wireType = type;
        } else {
            this.inPlace = null;
            this.flat = !compressed || needsFlat ? HostBuffer.allocate(n, type) : null;
            this.wireType = compressed ? format.wireType() : type;
            this.wire = compressed ? HostBuffer.allocate(n, wireType) : flat;
        }
        this.flatBytes = flat == null ? null : flat.unsafeBacking();
        this.flatFloats = flat != null && type == DataType.FLOAT32 ? flatBytes.asFloatBuffer() : null;
        this.flatDoubles = flat != null && type == DataType.FLOAT64 ? flatBytes.asDoubleBuffer() : null;
        this.wireBytes = wire == null ? null : wire.unsafeBacking();
        this.residual = compressed && errorFeedback ? new float[count] : null;
        this.onDone = timed ? (v, t) -> doneNanos = System.nanoTime() : null;
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                p.view = flat.slice((long) p.offset * type.bytes(), p.bytes());
            }
        }
    }

    /** Bytes this bucket puts on the wire per all-reduce input (count x wire type). */
    long wireBytes() {
        return (long) count * wireType.bytes();
    }

    DataType wireType() {
        return wireType;
    }

    /** Moves {@code p}'s gradient into this bucket's wire memory (narrowing when compressed). */
    void copyIn(Param p) {
        int n = (int) p.count;
        int at = p.offset;
        if (compressed) {
            switch (p.kind) {
                case FLOATS: WireCodec.narrow(p.floats, 0, wireBytes, at, n, residual, bf16); break;
                case HOST: WireCodec.narrow(p.hostFloats, 0, wireBytes, at, n, residual, bf16); break;
                case VIEW: WireCodec.narrow(flatFloats, at, wireBytes, at, n, residual, bf16); break;
                default: throw new AssertionError(p.kind);
            }
            return;
        }
        switch (p.kind) {
            case FLOATS: flatFloats.put(at, p.floats, 0, n); break;
            case DOUBLES: flatDoubles.put(at, p.doubles, 0, n); break;
            case HOST: flatBytes.put(at * type.bytes(), p.host.unsafeBacking(), 0, n * type.bytes()); break;
            case VIEW: case IN_PLACE: break;
            default: throw new AssertionError(p.kind);
        }
    }

    /** Starts this bucket's all-reduce (AVG) on {@code comm}. */
    void launch(Communicator comm) {
        launchNanos = System.nanoTime();
        CommBuffer buf = inPlace != null ? inPlace : wire;
        future = comm.allReduceAsync(buf, buf, count, wireType, ReduceOp.AVG);
        if (onDone != null) {
            future.whenComplete(onDone);
        }
    }

    /** Moves the averaged gradient of {@code p} back where it lives (widening when compressed). */
    void copyOut(Param p) {
        int n = (int) p.count;
        int at = p.offset;
        if (compressed) {
            switch (p.kind) {
                case FLOATS: WireCodec.widen(wireBytes, at, p.floats, 0, n, bf16); break;
                case HOST: WireCodec.widen(wireBytes, at, p.hostFloats, 0, n, bf16); break;
                case VIEW: WireCodec.widen(wireBytes, at, flatFloats, at, n, bf16); break;
                default: throw new AssertionError(p.kind);
            }
            return;
        }
        switch (p.kind) {
            case FLOATS: flatFloats.get(at, p.floats, 0, n); break;
            case DOUBLES: flatDoubles.get(at, p.doubles, 0, n); break;
            case HOST: p.host.unsafeBacking().put(0, flatBytes, at * type.bytes(), n * type.bytes()); break;
            case VIEW: case IN_PLACE: break;
            default: throw new AssertionError(p.kind);
        }
    }

    /** Copies the current contents of {@code p}'s view (from another bucket's layout) into this bucket's view. */
    void adoptView(Param p, HostBuffer oldView) {
        p.view.unsafeBacking().put(0, oldView.unsafeBacking(), 0, (int) p.bytes());
    }

    @Override
    public void close() {
        if (flat != null) {
            flat.close();
        }
        if (wire != null && wire != flat) {
            wire.close();
        }
    }
}
