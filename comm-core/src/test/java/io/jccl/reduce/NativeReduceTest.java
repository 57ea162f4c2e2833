package io.jccl.reduce;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The native SIMD kernels give the Java kernels' bits for every type and op, on special values too. */
@Timeout(60)
class NativeReduceTest {
    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /** Random bits with a share of special values (NaN, infinities, signed zeros, subnormals, extremes). */
    private static void fill(ByteBuffer b, DataType t, Random r) {
        int n = b.capacity() / t.bytes();
        for (int i = 0; i < n; i++) {
            int at = i * t.bytes();
            int pick = r.nextInt(10);
            switch (t) {
                case FLOAT32: {
                    float[] special = {Float.NaN, Float.intBitsToFloat(0x7fc01234), Float.POSITIVE_INFINITY,
                            Float.NEGATIVE_INFINITY, 0.0f, -0.0f, Float.MIN_VALUE, -Float.MAX_VALUE};
                    b.putFloat(at, pick == 0 ? special[r.nextInt(special.length)] : (r.nextFloat() - 0.5f) * (1 << r.nextInt(40)));
                    break;
                }
                case FLOAT64: {
                    double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0,
                            Double.MIN_VALUE};
                    b.putDouble(at, pick == 0 ? special[r.nextInt(special.length)] : (r.nextDouble() - 0.5) * (1L << r.nextInt(60)));
                    break;
                }
                case FLOAT16: case BFLOAT16:
                    b.putShort(at, (short) r.nextInt(1 << 16));
                    break;
                default:
                    for (int k = 0; k < t.bytes(); k++) {
                        b.put(at + k, (byte) r.nextInt(256));
                    }
            }
        }
    }

    @Test
    void sameBitsAsTheJavaKernels() {
        Assumptions.assumeTrue(NativeReduce.AVAILABLE, "native host kernels not built or not loadable here");
        assertTrue(NativeReduce.ISA >= 1);
        Random r = new Random(42);
        for (DataType t : DataType.values()) {
            for (ReduceOp op : ReduceOp.values()) {
                for (int count : new int[] {1, 7, 64, 1000, 4099}) {
                    int bytes = count * t.bytes();
                    int off = t.bytes() * 3; // unaligned starts
                    ByteBuffer a = direct(bytes + off);
                    ByteBuffer b = direct(bytes + off);
                    fill(a, t, r);
                    fill(b, t, r);
                    ByteBuffer viaJava = direct(bytes + off);
                    ByteBuffer viaNative = direct(bytes + off);
                    HostReduce.reduceJava(t, op, a, off, b, off, viaJava, off, count);
                    NativeReduce.reduce(t, op, a, off, b, off, viaNative, off, count);
                    for (int i = 0; i < count; i++) {
                        int at = off + i * t.bytes();
                        long j = bits(viaJava, at, t);
                        long nat = bits(viaNative, at, t);
                        if (j != nat && !(bothNaN(viaJava, viaNative, at, t) && bothNaN(a, b, at, t))) {
                            throw new AssertionError(t + " " + op + " element " + i + ": java 0x" + Long.toHexString(j)
                                    + " native 0x" + Long.toHexString(nat) + " (a 0x" + Long.toHexString(bits(a, at, t))
                                    + ", b 0x" + Long.toHexString(bits(b, at, t)) + ")");
                        }
                    }
                    ByteBuffer dj = direct(bytes);
                    ByteBuffer dn = direct(bytes);
                    fill(dj, t, r);
                    dn.put(0, dj, 0, bytes);
                    HostReduce.divideJava(t, dj, 0, count, 3);
                    NativeReduce.divide(t, dn, 0, count, 3);
                    for (int i = 0; i < count; i++) {
                        assertEquals(bits(dj, i * t.bytes(), t), bits(dn, i * t.bytes(), t), t + " divide element " + i);
                    }
                }
            }
        }
    }

    /** Two NaN inputs with different payloads: which payload wins depends on operand order in the Java JIT. */
    private static boolean bothNaN(ByteBuffer x, ByteBuffer y, int at, DataType t) {
        return isNaN(x, at, t) && isNaN(y, at, t);
    }

    private static boolean isNaN(ByteBuffer x, int at, DataType t) {
        switch (t) {
            case FLOAT32: return Float.isNaN(x.getFloat(at));
            case FLOAT64: return Double.isNaN(x.getDouble(at));
            case FLOAT16: return Float.isNaN(HalfFloats.fp16ToFloat(x.getShort(at)));
            case BFLOAT16: return Float.isNaN(HalfFloats.bf16ToFloat(x.getShort(at)));
            default: return false;
        }
    }

    private static long bits(ByteBuffer x, int at, DataType t) {
        switch (t.bytes()) {
            case 1: return x.get(at);
            case 2: return x.getShort(at);
            case 4: return x.getInt(at);
            default: return x.getLong(at);
        }
    }

    @Test
    void theDispatchUsesNativeOnlyForWritableDirectBuffers() {
        ByteBuffer heapA = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        ByteBuffer d = direct(16);
        heapA.putFloat(0, 1.5f);
        d.putFloat(0, 2.0f);
        HostReduce.reduce(DataType.FLOAT32, ReduceOp.SUM, heapA, 0, d, 0, d, 0, 4);
        assertEquals(3.5f, d.getFloat(0));
    }
}
