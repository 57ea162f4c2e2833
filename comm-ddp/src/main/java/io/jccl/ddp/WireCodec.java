package io.jccl.ddp;

import io.jccl.reduce.HalfFloats;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Narrowing of fp32 gradients to a 16-bit wire type (round to nearest-even, as {@link HalfFloats}) with optional
 * error feedback, and widening back (exact). Offsets and counts are in elements. Work goes through small heap
 * scratch arrays ({@link #CHUNK} elements) and bulk copies to and from the direct wire buffer, which is about
 * twice as fast as element-wise access to direct memory.
 *
 * <p>Error feedback: the value sent is {@code v = g + e} (gradient plus the residual kept from the previous
 * step), the residual becomes {@code v - widen(narrow(v))}. A residual that is not finite (a gradient that
 * overflowed fp16) is reset to 0 so that one overflow does not poison every later step.
 *
 * <p>Not thread-safe: one instance per reducer (its scratch arrays), used by the reducer's calling thread.
 */
final class WireCodec {
    /** Elements per scratch chunk. */
    static final int CHUNK = 8192;

    private final boolean bf16;
    private final short[] halves = new short[CHUNK];
    private final float[] floats = new float[CHUNK];

    WireCodec(boolean bf16) {
        this.bf16 = bf16;
    }

    /** Narrows {@code n} floats of {@code src} from {@code srcAt} into elements {@code [wireAt, wireAt + n)} of {@code wire}. */
    void narrow(float[] src, int srcAt, ShortBuffer wire, int wireAt, int n, float[] residual) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            narrowChunk(src, srcAt + done, wireAt + done, m, residual);
            wire.put(wireAt + done, halves, 0, m);
        }
    }

    /** As {@link #narrow(float[], int, ShortBuffer, int, int, float[])} from a float view of host memory. */
    void narrow(FloatBuffer src, int srcAt, ShortBuffer wire, int wireAt, int n, float[] residual) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            src.get(srcAt + done, floats, 0, m);
            narrowChunk(floats, 0, wireAt + done, m, residual);
            wire.put(wireAt + done, halves, 0, m);
        }
    }

    private void narrowChunk(float[] src, int srcAt, int wireAt, int m, float[] residual) {
        short[] h = halves;
        if (bf16 && residual == null) {
            for (int i = 0; i < m; i++) {
                h[i] = bf16(src[srcAt + i]);
            }
        } else if (bf16) {
            for (int i = 0; i < m; i++) {
                float v = src[srcAt + i] + residual[wireAt + i];
                short b = bf16(v);
                h[i] = b;
                float r = v - Float.intBitsToFloat(b << 16);
                residual[wireAt + i] = Float.isFinite(r) ? r : 0f;
            }
        } else if (residual == null) {
            for (int i = 0; i < m; i++) {
                h[i] = HalfFloats.floatToFp16(src[srcAt + i]);
            }
        } else {
            for (int i = 0; i < m; i++) {
                float v = src[srcAt + i] + residual[wireAt + i];
                short b = HalfFloats.floatToFp16(v);
                h[i] = b;
                float r = v - HalfFloats.fp16ToFloat(b);
                residual[wireAt + i] = Float.isFinite(r) ? r : 0f;
            }
        }
    }

    /** {@link HalfFloats#floatToBf16}, inlined here so that the loop stays small. */
    private static short bf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x0040);
        }
        return (short) ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
    }

    /** Widens elements {@code [wireAt, wireAt + n)} of {@code wire} into {@code dst} from {@code dstAt}. */
    void widen(ShortBuffer wire, int wireAt, float[] dst, int dstAt, int n) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            wire.get(wireAt + done, halves, 0, m);
            widenChunk(dst, dstAt + done, m);
        }
    }

    /** As {@link #widen(ShortBuffer, int, float[], int, int)} into a float view of host memory. */
    void widen(ShortBuffer wire, int wireAt, FloatBuffer dst, int dstAt, int n) {
        for (int done = 0; done < n; done += CHUNK) {
            int m = Math.min(CHUNK, n - done);
            wire.get(wireAt + done, halves, 0, m);
            widenChunk(floats, 0, m);
            dst.put(dstAt + done, floats, 0, m);
        }
    }

    private void widenChunk(float[] dst, int dstAt, int m) {
        short[] h = halves;
        if (bf16) {
            for (int i = 0; i < m; i++) {
                dst[dstAt + i] = Float.intBitsToFloat(h[i] << 16);
            }
        } else {
            for (int i = 0; i < m; i++) {
                dst[dstAt + i] = HalfFloats.fp16ToFloat(h[i]);
            }
        }
    }
}
