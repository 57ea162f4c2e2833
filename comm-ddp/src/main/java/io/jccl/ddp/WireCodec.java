package io.jccl.ddp;

import io.jccl.DataType;
import io.jccl.reduce.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Narrowing of fp32 gradients to a 16-bit wire type and widening back, with optional error feedback, through
 * comm-core's bulk conversions ({@link HalfFloats#narrow}, {@link HalfFloats#widen}: native SIMD on direct memory,
 * round to nearest-even, exact widening). Offsets and counts are in elements. Gradients in host memory (views, the
 * caller's host buffers) are converted in place; {@code float[]} gradients pass through a small direct staging
 * chunk ({@link #CHUNK} elements, cache-resident), since native code cannot address a movable array.
 *
 * <p>Error feedback: the value sent is {@code v = g + e} (gradient plus the residual kept from the previous step),
 * the residual becomes {@code v - widen(narrow(v))}, or 0 when that is not finite (a gradient that overflowed fp16),
 * so that one overflow does not poison every later step. Residuals live in direct memory (fp32, one per element).
 *
 * <p>Not thread-safe: one instance per reducer (its staging chunk), used by the reducer's calling thread.
 */
final class WireCodec {
    /** Elements per staging chunk (64 KiB of fp32). */
    static final int CHUNK = 16384;

    private final DataType wire;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.nativeOrder());
    private final FloatBuffer stagingFloats = staging.asFloatBuffer();

    /** @param wire FLOAT16 or BFLOAT16 */
    WireCodec(DataType wire) {
        this.wire = wire;
    }

    /**
     * Narrows {@code n} floats of {@code src} from {@code srcAt} into elements {@code [wireAt, wireAt + n)} of
     * {@code wireBytes}, with the residuals of those elements in {@code residual} (null: no error feedback).
     */
    void narrow(float[] src, int srcAt, ByteBuffer wireBytes, int wireAt, int n, ByteBuffer residual) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            stagingFloats.put(0, src, srcAt + done, m);
            HalfFloats.narrow(wire, staging, 0, residual, 4 * (wireAt + done), wireBytes, 2 * (wireAt + done), m);
        }
    }

    /** As the {@code float[]} form, from fp32 host memory starting at element {@code srcAt}. */
    void narrow(ByteBuffer src, int srcAt, ByteBuffer wireBytes, int wireAt, int n, ByteBuffer residual) {
        HalfFloats.narrow(wire, src, 4 * srcAt, residual, 4 * wireAt, wireBytes, 2 * wireAt, n);
    }

    /** Widens elements {@code [wireAt, wireAt + n)} of {@code wireBytes} into {@code dst} from {@code dstAt}. */
    void widen(ByteBuffer wireBytes, int wireAt, float[] dst, int dstAt, int n) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            HalfFloats.widen(wire, wireBytes, 2 * (wireAt + done), staging, 0, m);
            stagingFloats.get(0, dst, dstAt + done, m);
        }
    }

    /** As {@link #widen(ByteBuffer, int, float[], int, int)} into fp32 host memory at element {@code dstAt}. */
    void widen(ByteBuffer wireBytes, int wireAt, ByteBuffer dst, int dstAt, int n) {
        HalfFloats.widen(wire, wireBytes, 2 * wireAt, dst, 4 * dstAt, n);
    }
}
