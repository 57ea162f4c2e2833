package io.jccl.buffer;

import io.jccl.InvalidUsageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A Java {@code float[]} or {@code double[]} as a collective buffer. The garbage collector moves arrays, so a
 * transport cannot send from them or receive into them directly: a collective copies the call's range into a
 * pooled host staging buffer first and back afterwards ({@link StagedBuffer}): two copies of the bytes per call.
 * Over shared memory that is as much as the transfer itself: a 16 MiB fp32 all-reduce of 2 ranks took 1.66x as
 * long from a {@code float[]} as from a {@link HostBuffer} (8.6 ms against 5.2 ms; at 1 MiB no difference showed;
 * {@code HeapArrayBenchmark}); over a network the copies weigh less. Memory that stays put ({@link HostBuffer},
 * {@link HostBuffer#wrapAddress}) needs no copy: prefer it for large gradients.
 *
 * <p>Counts are in elements of the array's type (FLOAT32 for {@code float[]}, FLOAT64 for {@code double[]}).
 * Threading: as {@link HostBuffer}: the array must not be touched while a collective on it is running.
 */
public final class HeapArrayBuffer implements StagedBuffer {
    private final float[] floats;
    private final double[] doubles;
    private final int offset;
    private final int length;

    private HeapArrayBuffer(float[] floats, double[] doubles, int offset, int length) {
        this.floats = floats;
        this.doubles = doubles;
        this.offset = offset;
        this.length = length;
    }

    /** The whole array. @throws InvalidUsageException if it is null */
    public static HeapArrayBuffer of(float[] array) {
        return of(array, 0, array == null ? 0 : array.length);
    }

    /** Elements {@code [offset, offset + length)} of the array. @throws InvalidUsageException if out of range */
    public static HeapArrayBuffer of(float[] array, int offset, int length) {
        check(array == null ? -1 : array.length, offset, length);
        return new HeapArrayBuffer(array, null, offset, length);
    }

    /** The whole array. @throws InvalidUsageException if it is null */
    public static HeapArrayBuffer of(double[] array) {
        return of(array, 0, array == null ? 0 : array.length);
    }

    /** Elements {@code [offset, offset + length)} of the array. @throws InvalidUsageException if out of range */
    public static HeapArrayBuffer of(double[] array, int offset, int length) {
        check(array == null ? -1 : array.length, offset, length);
        return new HeapArrayBuffer(null, array, offset, length);
    }

    private static void check(int arrayLength, int offset, int length) {
        if (arrayLength < 0) {
            throw new InvalidUsageException("array is null");
        }
        if (offset < 0 || length < 0 || (long) offset + length > arrayLength) {
            throw new InvalidUsageException("elements [" + offset + ", " + ((long) offset + length)
                    + ") outside an array of " + arrayLength);
        }
    }

    /** FLOAT32 for a {@code float[]}, FLOAT64 for a {@code double[]}: a collective of another type is refused. */
    public io.jccl.DataType elementType() {
        return floats != null ? io.jccl.DataType.FLOAT32 : io.jccl.DataType.FLOAT64;
    }

    private int elementBytes() {
        return floats != null ? 4 : 8;
    }

    @Override
    public long byteSize() {
        return (long) length * elementBytes();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean isClosed() {
        return false;
    }

    @Override
    public void copyToHost(long byteOffset, ByteBuffer dst, int dstOffset, int bytes) {
        copy(byteOffset, dst, dstOffset, bytes, true);
    }

    @Override
    public void copyFromHost(ByteBuffer src, int srcOffset, long byteOffset, int bytes) {
        copy(byteOffset, src, srcOffset, bytes, false);
    }

    /** Copies {@code bytes} bytes between the array (from {@code byteOffset}) and {@code host} at {@code hostOffset}. */
    private void copy(long byteOffset, ByteBuffer host, int hostOffset, int bytes, boolean toHost) {
        int eb = elementBytes();
        int first = offset + (int) (byteOffset / eb);
        int n = bytes / eb;
        ByteBuffer view = host.duplicate().order(ByteOrder.nativeOrder()).position(hostOffset).limit(hostOffset + bytes)
                .slice().order(ByteOrder.nativeOrder());
        if (floats != null && toHost) {
            view.asFloatBuffer().put(floats, first, n);
        } else if (floats != null) {
            view.asFloatBuffer().get(floats, first, n);
        } else if (toHost) {
            view.asDoubleBuffer().put(doubles, first, n);
        } else {
            view.asDoubleBuffer().get(doubles, first, n);
        }
    }
}
