package io.jccl.reduce;

import io.jccl.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link HalfFloats#narrow} and {@link HalfFloats#widen}: the native kernel (direct buffers) and the Java loop (heap
 * buffers) give the element-wise conversions' bits, with and without error feedback, on special values, at odd
 * offsets and counts that leave a scalar tail.
 */
@Timeout(60)
class HalfFloatsBulkTest {
    private static ByteBuffer buf(int bytes, boolean direct) {
        return (direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes)).order(ByteOrder.nativeOrder());
    }

    private static float value(Random r) {
        float[] special = {Float.NaN, Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffffffff),
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE,
                65504f, 65520f, 6e-8f, 3.4e38f};
        int pick = r.nextInt(8);
        if (pick == 0) {
            return special[r.nextInt(special.length)];
        }
        if (pick == 1) {
            return Float.intBitsToFloat(r.nextInt());
        }
        return (r.nextFloat() - 0.5f) * (float) Math.pow(2, r.nextInt(40) - 20);
    }

    @Test
    void narrowAndWidenGiveTheElementWiseBits() {
        Random r = new Random(19);
        for (DataType wire : new DataType[] {DataType.BFLOAT16, DataType.FLOAT16}) {
            boolean bf16 = wire == DataType.BFLOAT16;
            for (boolean feedback : new boolean[] {false, true}) {
                for (boolean direct : new boolean[] {true, false}) {
                    int n = 1000 + r.nextInt(7);
                    int srcOff = 4 * r.nextInt(3);
                    int dstOff = 2 * r.nextInt(3);
                    int resOff = 4 * r.nextInt(3);
                    ByteBuffer src = buf(srcOff + 4 * n, direct);
                    ByteBuffer res = feedback ? buf(resOff + 4 * n, direct) : null;
                    ByteBuffer dst = buf(dstOff + 2 * n, direct);
                    float[] v = new float[n];
                    float[] e = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = value(r);
                        src.putFloat(srcOff + 4 * i, v[i]);
                        e[i] = r.nextInt(4) == 0 ? value(r) : (r.nextFloat() - 0.5f) * 1e-3f;
                        if (feedback) {
                            res.putFloat(resOff + 4 * i, e[i]);
                        }
                    }
                    HalfFloats.narrow(wire, src, srcOff, res, resOff, dst, dstOff, n);
                    ByteBuffer back = buf(4 * n + 4, direct);
                    HalfFloats.widen(wire, dst, dstOff, back, 4, n);
                    for (int i = 0; i < n; i++) {
                        float x = feedback ? v[i] + e[i] : v[i];
                        short h = bf16 ? HalfFloats.floatToBf16(x) : HalfFloats.floatToFp16(x);
                        String what = wire + (feedback ? " with feedback" : "") + (direct ? " native" : " java")
                                + " element " + i + " of " + Float.floatToRawIntBits(x);
                        assertEquals(h, dst.getShort(dstOff + 2 * i), what);
                        float w = bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.fp16ToFloat(h);
                        assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(back.getFloat(4 + 4 * i)), what);
                        if (feedback) {
                            float rr = x - w;
                            assertEquals(Float.floatToRawIntBits(Float.isFinite(rr) ? rr : 0f),
                                    Float.floatToRawIntBits(res.getFloat(resOff + 4 * i)), what + " residual");
                        }
                    }
                }
            }
        }
    }

    @Test
    void onlySixteenBitWireTypesAndRangesAreChecked() {
        ByteBuffer a = buf(64, true);
        assertThrows(IllegalArgumentException.class, () -> HalfFloats.narrow(DataType.FLOAT32, a, 0, null, 0, a, 0, 1));
        assertThrows(IndexOutOfBoundsException.class,
                () -> HalfFloats.narrow(DataType.BFLOAT16, a, 0, null, 0, a, 60, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfFloats.widen(DataType.FLOAT16, a, 0, a, 8, 16));
    }
}
