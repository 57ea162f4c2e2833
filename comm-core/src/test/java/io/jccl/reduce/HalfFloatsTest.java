package io.jccl.reduce;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link HalfFloats} bit for bit against {@link HalfFloatRef}: every fp16/bf16 pattern widened, the
 * neighbourhood of every pattern narrowed (the value, its midpoints to both neighbours, one float ulp either
 * side of each), and a million random float bit patterns.
 */
@Timeout(60)
class HalfFloatsTest {
    private static final long SEED = 0x5eed_cafe_f00dL;

    @Test
    void fp16WideningIsExactForEveryPattern() {
        for (int h = 0; h < 1 << 16; h++) {
            float got = HalfFloats.fp16ToFloat((short) h);
            double want = HalfFloatRef.fp16Widen(h);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(got), "fp16 NaN pattern 0x" + Integer.toHexString(h) + " widened to " + got);
                assertEquals((h >>> 15) & 1, Float.floatToRawIntBits(got) >>> 31, "sign of NaN 0x" + Integer.toHexString(h));
            } else {
                int hh = h;
                assertEquals(Float.floatToRawIntBits((float) want), Float.floatToRawIntBits(got),
                        () -> "fp16 0x" + Integer.toHexString(hh) + ": want " + want + " got " + got);
                assertEquals(want, (double) got, 0.0);
            }
        }
    }

    @Test
    void bf16WideningIsExactForEveryPattern() {
        for (int b = 0; b < 1 << 16; b++) {
            float got = HalfFloats.bf16ToFloat((short) b);
            double want = HalfFloatRef.bf16Widen(b);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(got), "bf16 NaN pattern 0x" + Integer.toHexString(b));
            } else {
                int bb = b;
                assertEquals(Float.floatToRawIntBits((float) want), Float.floatToRawIntBits(got),
                        () -> "bf16 0x" + Integer.toHexString(bb) + ": want " + want + " got " + got);
            }
        }
    }

    @Test
    void everyNonNanPatternRoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            if (!HalfFloatRef.isFp16NaN(h)) {
                assertEquals((short) h, HalfFloats.floatToFp16(HalfFloats.fp16ToFloat((short) h)),
                        "fp16 round trip of 0x" + Integer.toHexString(h));
            }
            if (!HalfFloatRef.isBf16NaN(h)) {
                assertEquals((short) h, HalfFloats.floatToBf16(HalfFloats.bf16ToFloat((short) h)),
                        "bf16 round trip of 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void fp16NarrowingAroundEveryPattern() {
        int checked = 0;
        for (int h = 0; h < 0x7c00; h++) { // every non-negative finite fp16 value; both signs below
            double v = HalfFloatRef.fp16Widen(h);
            double next = h + 1 < 0x7c00 ? HalfFloatRef.fp16Widen(h + 1) : 65536.0;
            float value = (float) v;
            float mid = (float) ((v + next) / 2); // exact: 12 significant bits at most
            assertEquals((v + next) / 2, (double) mid, 0.0, "midpoint must be exact in float");
            float[] probes = {value, Math.nextUp(value), Math.nextDown(value), mid, Math.nextUp(mid), Math.nextDown(mid)};
            for (float p : probes) {
                checkFp16(p);
                checkFp16(-p);
                checked += 2;
            }
        }
        for (float p : new float[] {65504f, 65519f, Math.nextDown(65520f), 65520f, Math.nextUp(65520f), 65536f, 1e10f,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.MIN_VALUE, 0x1p-25f, Math.nextUp(0x1p-25f),
                Math.nextDown(0x1p-25f), 0x1p-24f, 0x3p-25f, 0x1p-14f, Math.nextDown(0x1p-14f), 0f}) {
            checkFp16(p);
            checkFp16(-p);
            checked += 2;
        }
        assertTrue(checked > 6 * 0x7c00);
    }

    @Test
    void fp16NarrowingOfRandomFloats() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 1_000_000; i++) {
            checkFp16(Float.intBitsToFloat(rnd.nextInt()));
        }
        // and densely where fp16 lives (exponents 2^-26 .. 2^17)
        for (int i = 0; i < 300_000; i++) {
            int exp = 127 - 26 + rnd.nextInt(44);
            int bits = (rnd.nextInt(2) << 31) | (exp << 23) | rnd.nextInt(1 << 23);
            checkFp16(Float.intBitsToFloat(bits));
        }
    }

    @Test
    void fp16SpecialValues() {
        assertEquals((short) 0x7c00, HalfFloats.floatToFp16(65520f), "65520 is the tie to infinity");
        assertEquals((short) 0x7bff, HalfFloats.floatToFp16(Math.nextDown(65520f)));
        assertEquals((short) 0xfc00, HalfFloats.floatToFp16(-65520f));
        assertEquals((short) 0x7c00, HalfFloats.floatToFp16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x8000, HalfFloats.floatToFp16(-0.0f));
        assertEquals((short) 0x0000, HalfFloats.floatToFp16(0x1p-25f), "2^-25 ties to zero");
        assertEquals((short) 0x0001, HalfFloats.floatToFp16(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x0002, HalfFloats.floatToFp16(0x3p-25f), "1.5 x 2^-24 ties to the even 2 x 2^-24");
        for (float nan : new float[] {Float.NaN, Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00001),
                Float.intBitsToFloat(0x7fbfffff)}) {
            int h = HalfFloats.floatToFp16(nan) & 0xffff;
            assertTrue(HalfFloatRef.isFp16NaN(h), "NaN narrowed to 0x" + Integer.toHexString(h));
            assertTrue((h & 0x200) != 0, "NaN is quieted: 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void bf16NarrowingAroundEveryPattern() {
        for (int b = 0; b < 1 << 16; b++) {
            int bits = b << 16;
            int[] probes = {bits, bits + 1, bits - 1, bits | 0x8000, (bits | 0x8000) + 1, (bits | 0x8000) - 1, bits | 0xffff};
            for (int p : probes) {
                checkBf16(Float.intBitsToFloat(p));
            }
        }
    }

    @Test
    void bf16NarrowingOfRandomFloats() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 1_000_000; i++) {
            checkBf16(Float.intBitsToFloat(rnd.nextInt()));
        }
    }

    @Test
    void bf16SpecialValues() {
        assertEquals((short) 0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE), "rounds past the largest bf16");
        assertEquals((short) 0x7f80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f7f8000)), "tie to infinity");
        assertEquals((short) 0x7f7f, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f7f7fff)));
        assertEquals((short) 0x8000, HalfFloats.floatToBf16(-0.0f));
        assertEquals((short) 0x4380, HalfFloats.floatToBf16(257f), "257 ties to the even 256");
        assertEquals((short) 0x4382, HalfFloats.floatToBf16(259f), "259 ties to the even 260");
        for (float nan : new float[] {Float.NaN, Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xff800001),
                Float.intBitsToFloat(0x7fffffff)}) {
            int b = HalfFloats.floatToBf16(nan) & 0xffff;
            assertTrue(HalfFloatRef.isBf16NaN(b), "NaN narrowed to 0x" + Integer.toHexString(b));
        }
    }

    // ------------------------------------------------------------------ the issue's sums through HostReduce

    @Test
    void fp16SumsFromTheIssue() {
        assertEquals(65504f, halfSum(DataType.FLOAT16, 65504f, 15f));
        assertEquals(Float.POSITIVE_INFINITY, halfSum(DataType.FLOAT16, 65504f, 16f));
        assertEquals(Float.NEGATIVE_INFINITY, halfSum(DataType.FLOAT16, -65504f, -16f));
        assertEquals(1.0f, halfSum(DataType.FLOAT16, 1f, 0x1p-11f));
        assertEquals(2052f, halfSum(DataType.FLOAT16, 2048f, 3f));
    }

    @Test
    void bf16SumsFromTheIssue() {
        assertEquals(256f, halfSum(DataType.BFLOAT16, 256f, 1f));
        assertEquals(260f, halfSum(DataType.BFLOAT16, 258f, 1f), "259 ties to the even 260");
    }

    private static float halfSum(DataType t, float x, float y) {
        ByteBuffer a = ByteBuffer.allocateDirect(2).order(ByteOrder.nativeOrder());
        ByteBuffer b = ByteBuffer.allocateDirect(2).order(ByteOrder.nativeOrder());
        ByteBuffer d = ByteBuffer.allocateDirect(2).order(ByteOrder.nativeOrder());
        boolean bf = t == DataType.BFLOAT16;
        a.putShort(0, bf ? HalfFloats.floatToBf16(x) : HalfFloats.floatToFp16(x));
        b.putShort(0, bf ? HalfFloats.floatToBf16(y) : HalfFloats.floatToFp16(y));
        assertEquals(x, bf ? HalfFloats.bf16ToFloat(a.getShort(0)) : HalfFloats.fp16ToFloat(a.getShort(0)),
                "operand must be exact in " + t);
        assertEquals(y, bf ? HalfFloats.bf16ToFloat(b.getShort(0)) : HalfFloats.fp16ToFloat(b.getShort(0)),
                "operand must be exact in " + t);
        HostReduce.reduce(t, ReduceOp.SUM, a, 0, b, 0, d, 0, 1);
        return bf ? HalfFloats.bf16ToFloat(d.getShort(0)) : HalfFloats.fp16ToFloat(d.getShort(0));
    }

    // ------------------------------------------------------------------ helpers

    private static void checkFp16(float f) {
        int want = HalfFloatRef.fp16Narrow(f);
        int got = HalfFloats.floatToFp16(f) & 0xffff;
        if (want < 0) {
            if (!HalfFloatRef.isFp16NaN(got)) {
                fail("fp16 of NaN 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + " gave 0x" + Integer.toHexString(got));
            }
        } else if (want != got) {
            fail("fp16 of " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): want 0x"
                    + Integer.toHexString(want) + " got 0x" + Integer.toHexString(got));
        }
    }

    private static void checkBf16(float f) {
        int want = HalfFloatRef.bf16Narrow(f);
        int got = HalfFloats.floatToBf16(f) & 0xffff;
        if (want < 0) {
            if (!HalfFloatRef.isBf16NaN(got)) {
                fail("bf16 of NaN 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + " gave 0x" + Integer.toHexString(got));
            }
        } else if (want != got) {
            fail("bf16 of " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): want 0x"
                    + Integer.toHexString(want) + " got 0x" + Integer.toHexString(got));
        }
    }
}
