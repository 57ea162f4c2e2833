package io.jccl.reduce;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * An independent, slow reference for fp16 and bf16: widening by a formula built on {@link Math#scalb},
 * narrowing by exact comparison (BigDecimal) with the two neighbouring representable values enumerated from
 * every bit pattern, ties to the even bit pattern, overflow to infinity as IEEE 754 does.
 */
final class HalfFloatRef {
    /** Non-negative finite fp16 values by bit pattern 0..0x7bff, as exact doubles. */
    private static final double[] FP16 = new double[0x7c00];
    /** Midpoints between FP16[i] and FP16[i+1]; the last is between 65504 and 65536 (the first value past max). */
    private static final BigDecimal[] FP16_MID = new BigDecimal[0x7c00];
    /** Non-negative finite bf16 values by bit pattern 0..0x7f7f. */
    private static final double[] BF16 = new double[0x7f80];
    private static final BigDecimal[] BF16_MID = new BigDecimal[0x7f80];

    static {
        for (int h = 0; h < FP16.length; h++) {
            FP16[h] = fp16Widen(h);
        }
        for (int h = 0; h < FP16.length; h++) {
            double next = h + 1 < FP16.length ? FP16[h + 1] : 65536.0;
            FP16_MID[h] = new BigDecimal(FP16[h]).add(new BigDecimal(next)).divide(BigDecimal.valueOf(2));
        }
        for (int b = 0; b < BF16.length; b++) {
            BF16[b] = bf16Widen(b);
        }
        for (int b = 0; b < BF16.length; b++) {
            double next = b + 1 < BF16.length ? BF16[b + 1] : Math.scalb(1.0, 128);
            BF16_MID[b] = new BigDecimal(BF16[b]).add(new BigDecimal(next)).divide(BigDecimal.valueOf(2));
        }
    }

    private HalfFloatRef() {
    }

    /** fp16 bits (low 16 bits of {@code h}) to the exact value; NaN for NaN patterns. */
    static double fp16Widen(int h) {
        int sign = (h >>> 15) & 1;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        double v;
        if (e == 0) {
            v = Math.scalb((double) m, -24);
        } else if (e == 31) {
            v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = Math.scalb((double) (1024 + m), e - 25);
        }
        return sign == 1 ? -v : v;
    }

    /** bf16 bits (low 16 bits of {@code b}) to the exact value; NaN for NaN patterns. */
    static double bf16Widen(int b) {
        int sign = (b >>> 15) & 1;
        int e = (b >>> 7) & 0xff;
        int m = b & 0x7f;
        double v;
        if (e == 0) {
            v = Math.scalb((double) m, -133);
        } else if (e == 255) {
            v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = Math.scalb((double) (128 + m), e - 134);
        }
        return sign == 1 ? -v : v;
    }

    /** The fp16 bit pattern nearest to {@code f} (ties to even), or -1 when {@code f} is NaN (any NaN is fine). */
    static int fp16Narrow(float f) {
        return narrow(f, FP16, FP16_MID, 0x7c00);
    }

    /** As {@link #fp16Narrow} for bf16. */
    static int bf16Narrow(float f) {
        return narrow(f, BF16, BF16_MID, 0x7f80);
    }

    private static int narrow(float f, double[] values, BigDecimal[] mids, int infBits) {
        if (Float.isNaN(f)) {
            return -1;
        }
        int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
        double a = Math.abs((double) f);
        if (Double.isInfinite(a)) {
            return sign | infBits;
        }
        int i = Arrays.binarySearch(values, a);
        int mag;
        if (i >= 0) {
            mag = i;
        } else {
            int lo = -i - 2; // largest value below a
            int cmp = new BigDecimal(a).compareTo(mids[lo]);
            int hi = lo + 1; // == infBits past the largest finite value
            if (cmp < 0) {
                mag = lo;
            } else if (cmp > 0) {
                mag = hi;
            } else {
                mag = (lo & 1) == 0 ? lo : hi;
            }
        }
        return sign | mag;
    }

    static boolean isFp16NaN(int bits) {
        return (bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0;
    }

    static boolean isBf16NaN(int bits) {
        return (bits & 0x7f80) == 0x7f80 && (bits & 0x7f) != 0;
    }
}
