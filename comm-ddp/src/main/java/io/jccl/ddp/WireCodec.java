package io.jccl.ddp;

import io.jccl.reduce.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Narrowing of fp32 gradients to a 16-bit wire type (round to nearest-even, {@link HalfFloats}) with optional
 * error feedback, and widening back (exact). Offsets and counts are in elements.
 *
 * <p>Error feedback: the value sent is {@code v = g + e} (gradient plus the residual kept from the previous
 * step), the residual becomes {@code v - widen(narrow(v))}. A residual that is not finite (a gradient that
 * overflowed fp16) is reset to 0 so that one overflow does not poison every later step.
 *
 * <p>Stateless; the buffers passed in belong to the caller.
 */
final class WireCodec {
    private WireCodec() {
    }

    /** Narrows {@code n} floats of {@code src} from {@code srcAt} into elements {@code [wireAt, wireAt + n)} of {@code wire}. */
    static void narrow(float[] src, int srcAt, ByteBuffer wire, int wireAt, int n, float[] residual, boolean bf16) {
        for (int i = 0; i < n; i++) {
            float v = src[srcAt + i];
            int w = wireAt + i;
            if (residual != null) {
                v += residual[w];
            }
            short h = bf16 ? HalfFloats.floatToBf16(v) : HalfFloats.floatToFp16(v);
            wire.putShort(w << 1, h);
            if (residual != null) {
                float r = v - (bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.fp16ToFloat(h));
                residual[w] = Float.isFinite(r) ? r : 0f;
            }
        }
    }

    /** As {@link #narrow(float[], int, ByteBuffer, int, int, float[], boolean)} from a float view of host memory. */
    static void narrow(FloatBuffer src, int srcAt, ByteBuffer wire, int wireAt, int n, float[] residual, boolean bf16) {
        for (int i = 0; i < n; i++) {
            float v = src.get(srcAt + i);
            int w = wireAt + i;
            if (residual != null) {
                v += residual[w];
            }
            short h = bf16 ? HalfFloats.floatToBf16(v) : HalfFloats.floatToFp16(v);
            wire.putShort(w << 1, h);
            if (residual != null) {
                float r = v - (bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.fp16ToFloat(h));
                residual[w] = Float.isFinite(r) ? r : 0f;
            }
        }
    }

    /** Widens elements {@code [wireAt, wireAt + n)} of {@code wire} into {@code dst} from {@code dstAt}. */
    static void widen(ByteBuffer wire, int wireAt, float[] dst, int dstAt, int n, boolean bf16) {
        for (int i = 0; i < n; i++) {
            short h = wire.getShort((wireAt + i) << 1);
            dst[dstAt + i] = bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.fp16ToFloat(h);
        }
    }

    /** As {@link #widen(ByteBuffer, int, float[], int, int, boolean)} into a float view of host memory. */
    static void widen(ByteBuffer wire, int wireAt, FloatBuffer dst, int dstAt, int n, boolean bf16) {
        for (int i = 0; i < n; i++) {
            short h = wire.getShort((wireAt + i) << 1);
            dst.put(dstAt + i, bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.fp16ToFloat(h));
        }
    }
}
