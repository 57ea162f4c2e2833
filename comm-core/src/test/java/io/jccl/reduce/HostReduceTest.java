package io.jccl.reduce;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.jccl.reduce.HostReduce.TILE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link HostReduce} against a scalar reference written here: every type x op, random inputs with special
 * values (NaN, infinities, signed zeros, subnormals), aliasing, unaligned byte offsets, counts around the tile
 * size, and {@link HostReduce#divide} for AVG. Bytes outside the written range must not change.
 */
@Timeout(60)
class HostReduceTest {
    private static final int[] COUNTS = {0, 1, TILE - 1, TILE, TILE + 1, 3 * TILE + 5};
    private static final int GUARD = 16;

    /** How the three operands lie in memory. */
    enum Layout { SEPARATE, UNALIGNED_OFFSETS, ALIGNED_OFFSETS, DST_IS_A, DST_IS_B, ALL_SAME }

    static Stream<Arguments> typeAndOp() {
        return Arrays.stream(DataType.values()).flatMap(t -> Arrays.stream(ReduceOp.values()).map(op -> Arguments.of(t, op)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typeAndOp")
    void reduceMatchesScalarReference(DataType t, ReduceOp op) {
        SplittableRandom rnd = new SplittableRandom(31L * t.ordinal() + op.ordinal());
        int eb = t.bytes();
        for (int count : COUNTS) {
            for (Layout layout : Layout.values()) {
                int aOff = 0;
                int bOff = 0;
                int dOff = 0;
                if (layout == Layout.UNALIGNED_OFFSETS) {
                    aOff = 1;
                    bOff = 3;
                    dOff = 5;
                } else if (layout == Layout.ALIGNED_OFFSETS) {
                    aOff = 8;
                    bOff = 24;
                    dOff = 16;
                }
                int len = GUARD + Math.max(aOff, Math.max(bOff, dOff)) + count * eb + GUARD;
                ByteBuffer a = direct(len);
                ByteBuffer b = layout == Layout.ALL_SAME ? a : direct(len);
                randomBytes(a, rnd);
                if (b != a) {
                    randomBytes(b, rnd);
                }
                aOff += GUARD;
                bOff += GUARD;
                dOff += GUARD;
                ByteBuffer d;
                switch (layout) {
                    case DST_IS_A: d = a; dOff = aOff; break;
                    case DST_IS_B: d = b; dOff = bOff; break;
                    case ALL_SAME: d = a; dOff = aOff; bOff = aOff; break;
                    default: d = direct(len); randomBytes(d, rnd, 0, len);
                }
                for (int i = 0; i < count; i++) {
                    put(t, a, aOff + i * eb, randomElement(t, rnd));
                    put(t, b, bOff + i * eb, randomElement(t, rnd));
                }
                ByteBuffer aBefore = copyOf(a);
                ByteBuffer bBefore = copyOf(b);
                ByteBuffer dBefore = copyOf(d);

                HostReduce.reduce(t, op, a, aOff, b, bOff, d, dOff, count);

                String where = t + " " + op + " count=" + count + " " + layout;
                for (int i = 0; i < count; i++) {
                    long x = get(t, aBefore, aOff + i * eb);
                    long y = get(t, bBefore, bOff + i * eb);
                    long want = expect(t, op, x, y);
                    long got = get(t, d, dOff + i * eb);
                    if (!same(t, want, got)) {
                        fail(where + " element " + i + ": " + show(t, x) + " " + op + " " + show(t, y) + " = "
                                + show(t, want) + ", got " + show(t, got));
                    }
                }
                assertUnchangedOutside(d, dBefore, dOff, count * eb, where + " dst");
                if (a != d) {
                    assertEquals(aBefore, a, where + ": operand a changed");
                }
                if (b != d) {
                    assertEquals(bBefore, b, where + ": operand b changed");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void divideMatchesScalarReference(DataType t) {
        SplittableRandom rnd = new SplittableRandom(7 + t.ordinal());
        int eb = t.bytes();
        for (int divisor : new int[] {1, 2, 3, 4, 7, 64}) {
            for (int count : COUNTS) {
                int off = GUARD + 3;
                int len = off + count * eb + GUARD;
                ByteBuffer buf = direct(len);
                randomBytes(buf, rnd);
                for (int i = 0; i < count; i++) {
                    put(t, buf, off + i * eb, randomElement(t, rnd));
                }
                ByteBuffer before = copyOf(buf);
                HostReduce.divide(t, buf, off, count, divisor);
                for (int i = 0; i < count; i++) {
                    long x = get(t, before, off + i * eb);
                    long want = divideRef(t, x, divisor);
                    long got = get(t, buf, off + i * eb);
                    if (!same(t, want, got)) {
                        fail(t + " count=" + count + " element " + i + ": " + show(t, x) + " / " + divisor + " = "
                                + show(t, want) + ", got " + show(t, got));
                    }
                }
                assertUnchangedOutside(buf, before, off, count * eb, t + " divide by " + divisor);
            }
        }
    }

    @Test
    void integerAverageTruncatesTowardZero() {
        assertEquals(-2, (int) divideRef(DataType.INT32, -7, 3));
        ByteBuffer b = direct(16);
        b.putInt(0, -7);
        b.putInt(4, 7);
        b.putInt(8, -1);
        b.putInt(12, Integer.MIN_VALUE);
        HostReduce.divide(DataType.INT32, b, 0, 4, 3);
        assertEquals(-2, b.getInt(0));
        assertEquals(2, b.getInt(4));
        assertEquals(0, b.getInt(8));
        assertEquals(Integer.MIN_VALUE / 3, b.getInt(12));
        ByteBuffer u = direct(2);
        u.put(0, (byte) 250);
        u.put(1, (byte) -6);
        HostReduce.divide(DataType.UINT8, u, 0, 1, 2);
        HostReduce.divide(DataType.INT8, u, 1, 1, 4);
        assertEquals(125, u.get(0) & 0xff, "UINT8 250 / 2 unsigned");
        assertEquals(-1, u.get(1), "INT8 -6 / 4 truncates toward zero");
    }

    @Test
    void integersWrapAndUint8IsUnsigned() {
        assertEquals(Integer.MIN_VALUE, (int) reduce1(DataType.INT32, ReduceOp.SUM, Integer.MAX_VALUE, 1));
        assertEquals(Long.MIN_VALUE, reduce1(DataType.INT64, ReduceOp.SUM, Long.MAX_VALUE, 1));
        assertEquals(-128, (byte) reduce1(DataType.INT8, ReduceOp.SUM, 127, 1));
        assertEquals(0, reduce1(DataType.UINT8, ReduceOp.SUM, 255, 1) & 0xff);
        assertEquals(100, reduce1(DataType.UINT8, ReduceOp.MIN, 200, 100) & 0xff);
        assertEquals(200, reduce1(DataType.UINT8, ReduceOp.MAX, 200, 100) & 0xff);
        assertEquals((byte) 200, (byte) reduce1(DataType.INT8, ReduceOp.MIN, (byte) 200, 100));
        assertEquals(100, (byte) reduce1(DataType.INT8, ReduceOp.MAX, (byte) 200, 100));
        assertEquals((int) (100_000L * 100_000L), (int) reduce1(DataType.INT32, ReduceOp.PROD, 100_000, 100_000));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64", "FLOAT16", "BFLOAT16"})
    void signedZerosOrderAsJavaMinMax(DataType t) {
        long pz = floatBits(t, 0.0);
        long nz = floatBits(t, -0.0);
        assertEquals(nz, reduce1(t, ReduceOp.MIN, pz, nz), t + " min(+0, -0)");
        assertEquals(nz, reduce1(t, ReduceOp.MIN, nz, pz), t + " min(-0, +0)");
        assertEquals(pz, reduce1(t, ReduceOp.MAX, pz, nz), t + " max(+0, -0)");
        assertEquals(pz, reduce1(t, ReduceOp.MAX, nz, pz), t + " max(-0, +0)");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64", "FLOAT16", "BFLOAT16"})
    void nanOnAnyRankPropagates(DataType t) {
        long nan = floatBits(t, Double.NaN);
        long[] others = {floatBits(t, 1.5), floatBits(t, -2.0), floatBits(t, Double.POSITIVE_INFINITY),
                floatBits(t, Double.NEGATIVE_INFINITY), floatBits(t, -0.0)};
        for (ReduceOp op : ReduceOp.values()) {
            for (int w = 1; w <= 6; w++) {
                for (int holder = 0; holder < w; holder++) {
                    // fold w "ranks" in order, as a chain reduce does, with NaN on rank `holder`
                    long acc = holder == 0 ? nan : others[0];
                    for (int r = 1; r < w; r++) {
                        long v = r == holder ? nan : others[r % others.length];
                        acc = reduce1(t, op, acc, v);
                    }
                    assertTrue(isNaN(t, acc), t + " " + op + " W=" + w + " NaN on rank " + holder + " gave " + show(t, acc));
                }
            }
        }
    }

    // ------------------------------------------------------------------ reference

    /** Expected bits of {@code x op y} (AVG reduces as SUM). */
    static long expect(DataType t, ReduceOp op, long x, long y) {
        switch (t) {
            case FLOAT32: {
                float a = Float.intBitsToFloat((int) x);
                float b = Float.intBitsToFloat((int) y);
                return Float.floatToRawIntBits(fop(op, a, b)) & 0xffffffffL;
            }
            case FLOAT64: {
                double a = Double.longBitsToDouble(x);
                double b = Double.longBitsToDouble(y);
                return Double.doubleToRawLongBits(dop(op, a, b));
            }
            case FLOAT16: {
                float r = fop(op, (float) HalfFloatRef.fp16Widen((int) x), (float) HalfFloatRef.fp16Widen((int) y));
                int h = HalfFloatRef.fp16Narrow(r);
                return h < 0 ? 0x7e00 : h;
            }
            case BFLOAT16: {
                float r = fop(op, (float) HalfFloatRef.bf16Widen((int) x), (float) HalfFloatRef.bf16Widen((int) y));
                int h = HalfFloatRef.bf16Narrow(r);
                return h < 0 ? 0x7fc0 : h;
            }
            case INT8:
            case UINT8: {
                boolean unsigned = t == DataType.UINT8;
                int a = unsigned ? (int) (x & 0xff) : (byte) x;
                int b = unsigned ? (int) (y & 0xff) : (byte) y;
                int r;
                switch (op) {
                    case SUM: case AVG: r = a + b; break;
                    case PROD: r = a * b; break;
                    case MIN: r = a < b ? a : b; break;
                    case MAX: r = a > b ? a : b; break;
                    default: throw new AssertionError(op);
                }
                return r & 0xff;
            }
            case INT32: {
                int a = (int) x;
                int b = (int) y;
                int r;
                switch (op) {
                    case SUM: case AVG: r = a + b; break;
                    case PROD: r = a * b; break;
                    case MIN: r = a < b ? a : b; break;
                    case MAX: r = a > b ? a : b; break;
                    default: throw new AssertionError(op);
                }
                return r & 0xffffffffL;
            }
            case INT64: {
                switch (op) {
                    case SUM: case AVG: return x + y;
                    case PROD: return x * y;
                    case MIN: return x < y ? x : y;
                    case MAX: return x > y ? x : y;
                    default: throw new AssertionError(op);
                }
            }
            default:
                throw new AssertionError(t);
        }
    }

    private static float fop(ReduceOp op, float a, float b) {
        switch (op) {
            case SUM: case AVG: return a + b;
            case PROD: return a * b;
            case MIN:
                if (a != a || b != b) {
                    return Float.NaN;
                }
                if (a == 0 && b == 0) {
                    return (Float.floatToRawIntBits(a) | Float.floatToRawIntBits(b)) < 0 ? -0.0f : 0.0f;
                }
                return a < b ? a : b;
            case MAX:
                if (a != a || b != b) {
                    return Float.NaN;
                }
                if (a == 0 && b == 0) {
                    return (Float.floatToRawIntBits(a) & Float.floatToRawIntBits(b)) < 0 ? -0.0f : 0.0f;
                }
                return a > b ? a : b;
            default:
                throw new AssertionError(op);
        }
    }

    private static double dop(ReduceOp op, double a, double b) {
        switch (op) {
            case SUM: case AVG: return a + b;
            case PROD: return a * b;
            case MIN:
                if (a != a || b != b) {
                    return Double.NaN;
                }
                if (a == 0 && b == 0) {
                    return (Double.doubleToRawLongBits(a) | Double.doubleToRawLongBits(b)) < 0 ? -0.0 : 0.0;
                }
                return a < b ? a : b;
            case MAX:
                if (a != a || b != b) {
                    return Double.NaN;
                }
                if (a == 0 && b == 0) {
                    return (Double.doubleToRawLongBits(a) & Double.doubleToRawLongBits(b)) < 0 ? -0.0 : 0.0;
                }
                return a > b ? a : b;
            default:
                throw new AssertionError(op);
        }
    }

    static long divideRef(DataType t, long x, int d) {
        switch (t) {
            case FLOAT32: return Float.floatToRawIntBits(Float.intBitsToFloat((int) x) / d) & 0xffffffffL;
            case FLOAT64: return Double.doubleToRawLongBits(Double.longBitsToDouble(x) / d);
            case FLOAT16: {
                int h = HalfFloatRef.fp16Narrow((float) HalfFloatRef.fp16Widen((int) x) / d);
                return h < 0 ? 0x7e00 : h;
            }
            case BFLOAT16: {
                int h = HalfFloatRef.bf16Narrow((float) HalfFloatRef.bf16Widen((int) x) / d);
                return h < 0 ? 0x7fc0 : h;
            }
            case INT8: return ((byte) x / d) & 0xff;
            case UINT8: return ((x & 0xff) / d) & 0xff;
            case INT32: return ((int) x / d) & 0xffffffffL;
            case INT64: return x / d;
            default: throw new AssertionError(t);
        }
    }

    static boolean isNaN(DataType t, long bits) {
        switch (t) {
            case FLOAT32: return Float.isNaN(Float.intBitsToFloat((int) bits));
            case FLOAT64: return Double.isNaN(Double.longBitsToDouble(bits));
            case FLOAT16: return HalfFloatRef.isFp16NaN((int) bits & 0xffff);
            case BFLOAT16: return HalfFloatRef.isBf16NaN((int) bits & 0xffff);
            default: return false;
        }
    }

    /** Equal bits, or both NaN (NaN payloads are not specified). */
    static boolean same(DataType t, long want, long got) {
        return isNaN(t, want) ? isNaN(t, got) : want == got;
    }

    // ------------------------------------------------------------------ data

    private static final double[] SPECIALS = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            1.0, -1.0, 65504.0, 65520.0, 6e-8, 1e-40, 3.0e38, -3.0e38};

    /** A random element of {@code t} as unsigned bits: specials, random bit patterns, moderate values. */
    static long randomElement(DataType t, SplittableRandom rnd) {
        if (!t.isFloatingPoint()) {
            return rnd.nextLong() & mask(t);
        }
        int pick = rnd.nextInt(10);
        double v;
        if (pick == 0) {
            v = SPECIALS[rnd.nextInt(SPECIALS.length)];
        } else if (pick < 5) {
            return rnd.nextLong() & mask(t);
        } else {
            v = (rnd.nextDouble() - 0.5) * Math.scalb(1.0, rnd.nextInt(12));
        }
        return floatBits(t, v);
    }

    static long floatBits(DataType t, double v) {
        switch (t) {
            case FLOAT32: return Float.floatToRawIntBits((float) v) & 0xffffffffL;
            case FLOAT64: return Double.doubleToRawLongBits(v);
            case FLOAT16: return HalfFloats.floatToFp16((float) v) & 0xffff;
            case BFLOAT16: return HalfFloats.floatToBf16((float) v) & 0xffff;
            default: throw new AssertionError(t);
        }
    }

    private static long mask(DataType t) {
        return t.bytes() == 8 ? -1L : (1L << (8 * t.bytes())) - 1;
    }

    private static long reduce1(DataType t, ReduceOp op, long x, long y) {
        ByteBuffer a = direct(8);
        ByteBuffer b = direct(8);
        ByteBuffer d = direct(8);
        put(t, a, 0, x);
        put(t, b, 0, y);
        HostReduce.reduce(t, op, a, 0, b, 0, d, 0, 1);
        long got = get(t, d, 0);
        if (!same(t, expect(t, op, x & mask(t), y & mask(t)), got)) {
            fail("reference and kernel disagree on " + t + " " + op + " " + show(t, x) + ", " + show(t, y));
        }
        return t.isFloatingPoint() ? got : signExtend(t, got);
    }

    private static long signExtend(DataType t, long bits) {
        switch (t.bytes()) {
            case 1: return (byte) bits;
            case 4: return (int) bits;
            default: return bits;
        }
    }

    static long get(DataType t, ByteBuffer b, int at) {
        switch (t.bytes()) {
            case 1: return b.get(at) & 0xffL;
            case 2: return b.getShort(at) & 0xffffL;
            case 4: return b.getInt(at) & 0xffffffffL;
            default: return b.getLong(at);
        }
    }

    static void put(DataType t, ByteBuffer b, int at, long bits) {
        switch (t.bytes()) {
            case 1: b.put(at, (byte) bits); break;
            case 2: b.putShort(at, (short) bits); break;
            case 4: b.putInt(at, (int) bits); break;
            default: b.putLong(at, bits);
        }
    }

    static String show(DataType t, long bits) {
        String hex = "0x" + Long.toHexString(bits & mask(t));
        switch (t) {
            case FLOAT32: return Float.intBitsToFloat((int) bits) + " (" + hex + ")";
            case FLOAT64: return Double.longBitsToDouble(bits) + " (" + hex + ")";
            case FLOAT16: return HalfFloatRef.fp16Widen((int) bits & 0xffff) + " (" + hex + ")";
            case BFLOAT16: return HalfFloatRef.bf16Widen((int) bits & 0xffff) + " (" + hex + ")";
            default: return signExtend(t, bits) + " (" + hex + ")";
        }
    }

    static ByteBuffer direct(int len) {
        return ByteBuffer.allocateDirect(len).order(ByteOrder.nativeOrder());
    }

    private static void randomBytes(ByteBuffer b, SplittableRandom rnd) {
        randomBytes(b, rnd, 0, b.capacity());
    }

    private static void randomBytes(ByteBuffer b, SplittableRandom rnd, int from, int to) {
        for (int i = from; i < to; i++) {
            b.put(i, (byte) rnd.nextInt());
        }
    }

    private static ByteBuffer copyOf(ByteBuffer b) {
        ByteBuffer c = direct(b.capacity());
        c.put(0, b, 0, b.capacity());
        return c;
    }

    private static void assertUnchangedOutside(ByteBuffer now, ByteBuffer before, int from, int len, String what) {
        for (int i = 0; i < now.capacity(); i++) {
            if ((i < from || i >= from + len) && now.get(i) != before.get(i)) {
                fail(what + ": byte " + i + " outside the written range [" + from + ", " + (from + len) + ") changed");
            }
        }
    }
}
