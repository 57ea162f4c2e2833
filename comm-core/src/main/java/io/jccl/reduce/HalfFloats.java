package io.jccl.reduce;

import io.jccl.DataType;

import java.nio.ByteBuffer;

/**
 * Conversions between fp32 and the two 16-bit floating types, with round-to-nearest-even on narrowing.
 *
 * <p>FLOAT16 is IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits): values above 65504 that round
 * up become infinity, subnormals are kept, NaN stays NaN (quieted). BFLOAT16 is the upper 16 bits of a
 * binary32, rounded to nearest-even; NaN stays NaN (quieted). Widening is exact.
 *
 * <p>Stateless and thread-safe.
 */
public final class HalfFloats {
    /** fp16 bits (as unsigned 0..65535) to float, for the fast widening path. */
    private static final float[] FP16_TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < FP16_TO_FLOAT.length; h++) {
            FP16_TO_FLOAT[h] = fp16ToFloatSlow((short) h);
        }
    }

    private HalfFloats() {
    }

    /** Widens fp16 bits to the exactly equal float. */
    public static float fp16ToFloat(short h) {
        return FP16_TO_FLOAT[h & 0xffff];
    }

    static float fp16ToFloatSlow(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (e == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        }
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }

    /** Narrows a float to fp16 bits, rounding to nearest-even; overflow gives infinity. */
    public static short floatToFp16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs > 0x7f800000) {
                return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
            }
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x477ff000) { // >= 65520: rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below 2^-14: fp16 subnormal or zero
            if (abs <= 0x33000000) { // <= 2^-25: rounds to zero (2^-25 is a tie, zero is even)
                return (short) sign;
            }
            int e = abs >>> 23;
            int m = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - e;
            int result = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (result & 1) != 0)) {
                result++;
            }
            return (short) (sign | result);
        }
        int r = abs - 0x38000000; // re-bias the exponent from 127 to 15
        r = r + 0xfff + ((r >>> 13) & 1);
        return (short) (sign | (r >>> 13));
    }

    /** Widens bf16 bits to the exactly equal float. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Narrows a float to bf16 bits, rounding to nearest-even; overflow gives infinity. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x0040);
        }
        return (short) ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
    }

    /**
     * Narrows {@code count} fp32 values of {@code src} (from byte {@code srcOff}) to {@code wire} (FLOAT16 or
     * BFLOAT16) in {@code dst} (from byte {@code dstOff}), each as {@link #floatToFp16} / {@link #floatToBf16}. With a
     * {@code residual} (fp32, from byte {@code resOff}; null for none), each value narrowed is {@code v = src[i] +
     * residual[i]}, and {@code residual[i]} becomes {@code v - widen(dst[i])}, or 0 when that is not finite: error
     * feedback. Buffers in native byte order; the native SIMD kernel runs when they are all direct and
     * {@link NativeReduce#AVAILABLE}, else a Java loop with the same bits. No allocation.
     *
     * @throws IllegalArgumentException if {@code wire} is not a 16-bit floating type
     */
    public static void narrow(DataType wire, ByteBuffer src, int srcOff, ByteBuffer residual, int resOff,
                              ByteBuffer dst, int dstOff, int count) {
        boolean bf16 = checkHalf(wire);
        if (count <= 0) {
            return;
        }
        if (NativeReduce.AVAILABLE && src.isDirect() && dst.isDirect() && !dst.isReadOnly()
                && (residual == null || residual.isDirect() && !residual.isReadOnly())) {
            checkRange(src, srcOff, count, 4);
            checkRange(dst, dstOff, count, 2);
            if (residual != null) {
                checkRange(residual, resOff, count, 4);
            }
            NativeReduce.narrow(wire, src, srcOff, residual, resOff, dst, dstOff, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            float v = src.getFloat(srcOff + 4 * i);
            if (residual != null) {
                v += residual.getFloat(resOff + 4 * i);
            }
            short h = bf16 ? floatToBf16(v) : floatToFp16(v);
            dst.putShort(dstOff + 2 * i, h);
            if (residual != null) {
                float r = v - (bf16 ? bf16ToFloat(h) : fp16ToFloat(h));
                residual.putFloat(resOff + 4 * i, Float.isFinite(r) ? r : 0f);
            }
        }
    }

    /**
     * Widens {@code count} values of {@code wire} (FLOAT16 or BFLOAT16) in {@code src} (from byte {@code srcOff})
     * exactly to fp32 in {@code dst} (from byte {@code dstOff}); native when both are direct, as
     * {@link #narrow}. No allocation.
     *
     * @throws IllegalArgumentException if {@code wire} is not a 16-bit floating type
     */
    public static void widen(DataType wire, ByteBuffer src, int srcOff, ByteBuffer dst, int dstOff, int count) {
        boolean bf16 = checkHalf(wire);
        if (count <= 0) {
            return;
        }
        if (NativeReduce.AVAILABLE && src.isDirect() && dst.isDirect() && !dst.isReadOnly()) {
            checkRange(src, srcOff, count, 2);
            checkRange(dst, dstOff, count, 4);
            NativeReduce.widen(wire, src, srcOff, dst, dstOff, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            short h = src.getShort(srcOff + 2 * i);
            dst.putFloat(dstOff + 4 * i, bf16 ? bf16ToFloat(h) : fp16ToFloat(h));
        }
    }

    private static boolean checkHalf(DataType wire) {
        if (wire != DataType.FLOAT16 && wire != DataType.BFLOAT16) {
            throw new IllegalArgumentException("narrow/widen: " + wire + " is not FLOAT16 or BFLOAT16");
        }
        return wire == DataType.BFLOAT16;
    }

    private static void checkRange(ByteBuffer b, int off, int count, int size) {
        if (off < 0 || (long) off + (long) count * size > b.capacity()) {
            throw new IndexOutOfBoundsException("bytes [" + off + ", " + ((long) off + (long) count * size)
                    + ") outside buffer of " + b.capacity() + " bytes");
        }
    }
}
