package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.core.FutureWait;
import io.jccl.trace.Timeline;
import io.jccl.buffer.HostBuffer;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * A group of gradients all-reduced (AVG) together: PyTorch DDP's bucket. Its gradients are packed in its memory in
 * its parameters' order; gradients that live elsewhere ({@code float[]}, {@code double[]}, the caller's host
 * buffers) are copied in when marked ready and copied back at finish; views ({@link GradientReducer#gradientView})
 * are its memory itself.
 *
 * <p>An uncompressed bucket is one all-reduce of {@code count} elements of its type. A compressed bucket (FLOAT32
 * gradients, 16-bit wire) is narrowed and all-reduced in segments of at most {@code segmentWireBytes}, so that
 * narrowing segment k+1 overlaps the all-reduce of segment k, and in {@link #complete} widening segment k overlaps
 * the later segments' all-reduces.
 *
 * <p>Memory: {@code flat}, {@code count} elements of the gradients' type (absent for a compressed bucket with
 * array gradients only); when compressed, {@code wire}, {@code count} 16-bit elements, and with error feedback a
 * float residual per element (direct memory). A bucket of one in-place buffer ({@link Param.Kind#IN_PLACE}) has
 * no memory.
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
    private final HostBuffer flat;
    private final HostBuffer wire;
    private final CommBuffer inPlace;
    private final DataType wireType;
    private final ByteBuffer flatBytes;
    private final FloatBuffer flatFloats;
    private final DoubleBuffer flatDoubles;
    private final ByteBuffer wireBytes;
    private final HostBuffer residual;
    private final ByteBuffer residualBytes;
    private final WireCodec codec;
    private final int segmentElems;
    private final HostBuffer[] segments;
    private final CompletableFuture<Void>[] futures;
    private final BiConsumer<Void, Throwable> onDone;

    /** Gradients of this step not yet ready. */
    int pending;
    /** Whether the all-reduces of this step were issued. */
    boolean launched;
    long launchNanos;
    volatile long doneNanos;

    @SuppressWarnings("unchecked")
    Bucket(int index, Param[] params, WireFormat format, boolean errorFeedback, boolean timed, WireCodec codec,
           long segmentWireBytes) {
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
        if (n > HostBuffer.MAX_VIEW_BYTES / type.bytes()) {
            throw new InvalidUsageException("bucket " + index + " of " + n + " x " + type + " exceeds "
                    + HostBuffer.MAX_VIEW_BYTES + " bytes: lower bucketCapBytes");
        }
        this.count = (int) n;
        boolean alone = params[0].kind == Param.Kind.IN_PLACE;
        this.compressed = format.compresses() && type == DataType.FLOAT32 && !alone;
        this.codec = compressed ? codec : null;
        if (alone) {
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
        this.wireBytes = compressed ? wire.unsafeBacking() : null;
        this.residual = compressed && errorFeedback ? HostBuffer.allocate(n, DataType.FLOAT32) : null;
        this.residualBytes = residual == null ? null : residual.unsafeBacking();
        this.segmentElems = (int) Math.max(1, Math.min(Integer.MAX_VALUE, segmentWireBytes / 2));
        int segs = compressed ? Math.max(1, (count + segmentElems - 1) / segmentElems) : 1;
        this.segments = new HostBuffer[segs];
        for (int k = 0; k < segs && compressed; k++) {
            long from = (long) k * segmentElems;
            segments[k] = wire.slice(from * 2, (Math.min(count, from + segmentElems) - from) * 2);
        }
        this.futures = (CompletableFuture<Void>[]) new CompletableFuture<?>[segs];
        this.onDone = timed ? (v, t) -> doneNanos = System.nanoTime() : null;
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                p.view = flat.slice((long) p.offset * type.bytes(), p.bytes());
            }
        }
    }

    /** Bytes this bucket's all-reduces take as input (count x wire type). */
    long wireBytes() {
        return (long) count * wireType.bytes();
    }

    /** Copies {@code p}'s gradient into this bucket (uncompressed buckets; compressed ones narrow at launch). */
    void copyIn(Param p) {
        if (compressed) {
            return;
        }
        int n = (int) p.count;
        int at = p.offset;
        switch (p.kind) {
            case FLOATS: flatFloats.put(at, p.floats, 0, n); break;
            case DOUBLES: flatDoubles.put(at, p.doubles, 0, n); break;
            case HOST: flatBytes.put(at * type.bytes(), p.host.unsafeBacking(), 0, n * type.bytes()); break;
            case VIEW: case IN_PLACE: break;
            default: throw new AssertionError(p.kind);
        }
    }

    /** Starts this bucket's all-reduces (AVG) on {@code comm}; a compressed bucket narrows segment by segment. */
    void launch(Communicator comm) {
        launched = true;
        if (!compressed) {
            launchNanos = System.nanoTime();
            CommBuffer buf = inPlace != null ? inPlace : wire;
            futures[0] = comm.allReduceAsync(buf, buf, count, wireType, ReduceOp.AVG);
        } else {
            for (Param p : params) { // narrowed from where they live, now: a gradient its owner closed is refused
                if (p.kind == Param.Kind.HOST && p.host.isClosed()) {
                    launched = false;
                    throw StepErrors.closedGradient(comm.rank(), "markReady", p);
                }
            }
            for (int k = 0; k < segments.length; k++) {
                int from = k * segmentElems;
                int to = Math.min(count, from + segmentElems);
                convertRange(from, to, true);
                if (k == 0) {
                    launchNanos = System.nanoTime();
                }
                futures[k] = comm.allReduceAsync(segments[k], segments[k], to - from, wireType, ReduceOp.AVG);
            }
        }
        if (onDone != null) {
            futures[futures.length - 1].whenComplete(onDone);
        }
    }

    /**
     * Converts the gradients' elements in [{@code from}, {@code to}) of the bucket between fp32 and the wire type:
     * into the wire buffer ({@code narrow}, keeping the rounding residual), or back out of it.
     */
    private void convertRange(int from, int to, boolean narrow) {
        for (Param p : params) {
            int p0 = p.offset;
            int a = Math.max(from, p0);
            int b = Math.min(to, p0 + (int) p.count);
            if (a >= b) {
                continue;
            }
            if (p.kind == Param.Kind.FLOATS) {
                if (narrow) {
                    codec.narrow(p.floats, a - p0, wireBytes, a, b - a, residualBytes);
                } else {
                    codec.widen(wireBytes, a, p.floats, a - p0, b - a);
                }
                continue;
            }
            // the fp32 bytes: the caller's host buffer, or the flat buffer its view lies in
            ByteBuffer fp32 = switch (p.kind) {
                case HOST -> p.host.unsafeBacking();
                case VIEW -> flatBytes;
                default -> throw new AssertionError(p.kind);
            };
            int at = p.kind == Param.Kind.HOST ? a - p0 : a;
            if (narrow) {
                codec.narrow(fp32, at, wireBytes, a, b - a, residualBytes);
            } else {
                codec.widen(wireBytes, a, fp32, at, b - a);
            }
        }
    }

    private void copyOut(Param p) {
        int n = (int) p.count;
        int at = p.offset;
        switch (p.kind) {
            case FLOATS: flatFloats.get(at, p.floats, 0, n); break;
            case DOUBLES: flatDoubles.get(at, p.doubles, 0, n); break;
            case HOST: p.host.unsafeBacking().put(0, flatBytes, at * type.bytes(), n * type.bytes()); break;
            case VIEW: case IN_PLACE: break;
            default: throw new AssertionError(p.kind);
        }
    }

    /**
     * Waits for this bucket's all-reduces and, when {@code copyOut}, moves the averages where the gradients live
     * (widening segment by segment as each arrives). Waits for every segment even after one failed, then throws
     * the first failure. Returns the nanoseconds spent blocked.
     */
    long complete(boolean copyOut, long waitMillis, int rank) {
        long blocked = 0;
        RuntimeException failure = null;
        for (int k = 0; k < futures.length; k++) {
            long t0 = System.nanoTime();
            try {
                if (futures[k] == null) {
                    throw new JcclException("rank=" + rank + " all-reduce " + k + " of bucket " + index
                            + " was never issued (its launch failed)");
                }
                await(futures[k], waitMillis, rank);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                futures[k] = null;
            }
            blocked += System.nanoTime() - t0;
            if (failure == null && copyOut && compressed) {
                int from = k * segmentElems;
                convertRange(from, Math.min(count, from + segmentElems), false);
            }
        }
        launched = false;
        if (Timeline.enabled()) {
            long end = doneNanos > launchNanos ? doneNanos : System.nanoTime();
            Timeline.span("ddp", "bucket " + index + " all-reduce (" + count + " " + wireType.name().toLowerCase(
                    java.util.Locale.ROOT) + ")", launchNanos, end);
        }
        if (failure != null) {
            throw failure;
        }
        if (copyOut && !compressed) {
            for (Param p : params) {
                copyOut(p);
            }
        }
        return blocked;
    }

    /** Waits for {@code f}; its failure rethrown as it is, or as a JcclException when it is not unchecked. */
    private void await(CompletableFuture<Void> f, long waitMillis, int rank) {
        try {
            FutureWait.get(f, waitMillis); // allocates nothing for the communicator's futures
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            throw FutureWait.failure(e, "rank=" + rank + " all-reduce of bucket " + index, waitMillis + " ms");
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
        if (residual != null) {
            residual.close();
        }
    }
}
