package io.jccl.reduce;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * The Java host reduction kernels: {@code dst[i] = a[i] op b[i]} for every type and op, in one pass over
 * direct buffers in native byte order, plus the AVG division and plain copies.
 *
 * <p>Each call works in tiles of {@link #TILE} elements copied into per-thread arrays, so the inner loops
 * run on Java arrays (which the JIT vectorises) and the buffers are touched by bulk copies only. {@code a},
 * {@code b} and {@code dst} may alias exactly (same buffer, same offset) but must not otherwise overlap.
 * Offsets are in bytes; counts in elements. AVG reduces as SUM; {@link #divide} applies the division.
 *
 * <p>When the native kernels load ({@link NativeReduce}), {@link #reduce} and {@link #divide} run them on direct
 * buffers (one pass, SIMD); {@link #reduceJava} and {@link #divideJava} are the Java kernels, the fallback, with
 * the same results bit for bit.
 *
 * <p>Thread-safe: the tile arrays are per thread.
 */
public final class HostReduce {
    /** Elements per tile (fits in L1 for three 8-byte arrays). */
    public static final int TILE = 1024;

    private static final ThreadLocal<Tiles> TILES = ThreadLocal.withInitial(Tiles::new);

    private static final class Tiles {
        final float[] fa = new float[TILE];
        final float[] fb = new float[TILE];
        final double[] da = new double[TILE];
        final double[] db = new double[TILE];
        final int[] ia = new int[TILE];
        final int[] ib = new int[TILE];
        final long[] la = new long[TILE];
        final long[] lb = new long[TILE];
        final short[] sa = new short[TILE];
        final short[] sb = new short[TILE];
        final byte[] ba = new byte[TILE];
        final byte[] bb = new byte[TILE];
    }

    private HostReduce() {
    }

    /**
     * {@code dst[i] = a[i] op b[i]} for {@code count} elements.
     *
     * @param a    first operand; bytes {@code [aOff, aOff + count * type.bytes())}
     * @param b    second operand (same shape)
     * @param dst  destination (same shape); may be {@code a} or {@code b} at the same offset
     */
    public static void reduce(DataType type, ReduceOp op, ByteBuffer a, int aOff, ByteBuffer b, int bOff,
                              ByteBuffer dst, int dOff, int count) {
        if (count <= 0) {
            return;
        }
        if (NativeReduce.AVAILABLE && a.isDirect() && b.isDirect() && dst.isDirect() && !dst.isReadOnly()) {
            checkRange(a, aOff, count, type);
            checkRange(b, bOff, count, type);
            checkRange(dst, dOff, count, type);
            NativeReduce.reduce(type, op, a, aOff, b, bOff, dst, dOff, count);
            return;
        }
        reduceJava(type, op, a, aOff, b, bOff, dst, dOff, count);
    }

    /** Bounds check before native code touches memory (the Java path gets it from the buffers). */
    private static void checkRange(ByteBuffer buf, int off, int count, DataType type) {
        long end = (long) off + (long) count * type.bytes();
        if (off < 0 || end > buf.capacity()) {
            throw new IndexOutOfBoundsException("elements [" + off + ", " + end + ") bytes outside a buffer of "
                    + buf.capacity() + " bytes");
        }
    }

    /** The Java kernels: {@link #reduce} without the native path (tests compare the two bit for bit). */
    public static void reduceJava(DataType type, ReduceOp op, ByteBuffer a, int aOff, ByteBuffer b, int bOff,
                                  ByteBuffer dst, int dOff, int count) {
        if (count <= 0) {
            return;
        }
        Tiles t = TILES.get();
        switch (type) {
            case FLOAT32:
                reduceF32(op, view(a, aOff, count, 4).asFloatBuffer(), view(b, bOff, count, 4).asFloatBuffer(),
                        view(dst, dOff, count, 4).asFloatBuffer(), count, t);
                break;
            case FLOAT64:
                reduceF64(op, view(a, aOff, count, 8).asDoubleBuffer(), view(b, bOff, count, 8).asDoubleBuffer(),
                        view(dst, dOff, count, 8).asDoubleBuffer(), count, t);
                break;
            case FLOAT16:
            case BFLOAT16:
                reduceHalf(type == DataType.BFLOAT16, op, view(a, aOff, count, 2).asShortBuffer(),
                        view(b, bOff, count, 2).asShortBuffer(), view(dst, dOff, count, 2).asShortBuffer(), count, t);
                break;
            case INT8:
            case UINT8:
                reduceI8(type == DataType.UINT8, op, a, aOff, b, bOff, dst, dOff, count, t);
                break;
            case INT32:
                reduceI32(op, view(a, aOff, count, 4).asIntBuffer(), view(b, bOff, count, 4).asIntBuffer(),
                        view(dst, dOff, count, 4).asIntBuffer(), count, t);
                break;
            case INT64:
                reduceI64(op, view(a, aOff, count, 8).asLongBuffer(), view(b, bOff, count, 8).asLongBuffer(),
                        view(dst, dOff, count, 8).asLongBuffer(), count, t);
                break;
            default:
                throw new AssertionError(type);
        }
    }

    /**
     * In place {@code buf[i] = buf[i] / divisor} for the AVG op: floating types divide in their precision
     * (fp16/bf16 in fp32, rounded to nearest-even); integer types truncate toward zero (UINT8 as unsigned).
     */
    public static void divide(DataType type, ByteBuffer buf, int off, int count, int divisor) {
        if (count <= 0 || divisor == 1) {
            return;
        }
        if (NativeReduce.AVAILABLE && buf.isDirect() && !buf.isReadOnly()) {
            checkRange(buf, off, count, type);
            NativeReduce.divide(type, buf, off, count, divisor);
            return;
        }
        divideJava(type, buf, off, count, divisor);
    }

    /** The Java AVG division: {@link #divide} without the native path. */
    public static void divideJava(DataType type, ByteBuffer buf, int off, int count, int divisor) {
        if (count <= 0 || divisor == 1) {
            return;
        }
        ByteBuffer v = view(buf, off, count, type.bytes());
        switch (type) {
            case FLOAT32: {
                FloatBuffer f = v.asFloatBuffer();
                float d = divisor;
                for (int i = 0; i < count; i++) {
                    f.put(i, f.get(i) / d);
                }
                break;
            }
            case FLOAT64: {
                DoubleBuffer f = v.asDoubleBuffer();
                double d = divisor;
                for (int i = 0; i < count; i++) {
                    f.put(i, f.get(i) / d);
                }
                break;
            }
            case FLOAT16: {
                ShortBuffer s = v.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    s.put(i, HalfFloats.floatToFp16(HalfFloats.fp16ToFloat(s.get(i)) / divisor));
                }
                break;
            }
            case BFLOAT16: {
                ShortBuffer s = v.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    s.put(i, HalfFloats.floatToBf16(HalfFloats.bf16ToFloat(s.get(i)) / divisor));
                }
                break;
            }
            case INT8:
                for (int i = 0; i < count; i++) {
                    v.put(i, (byte) (v.get(i) / divisor));
                }
                break;
            case UINT8:
                for (int i = 0; i < count; i++) {
                    v.put(i, (byte) ((v.get(i) & 0xff) / divisor));
                }
                break;
            case INT32: {
                IntBuffer s = v.asIntBuffer();
                for (int i = 0; i < count; i++) {
                    s.put(i, s.get(i) / divisor);
                }
                break;
            }
            case INT64: {
                LongBuffer s = v.asLongBuffer();
                for (int i = 0; i < count; i++) {
                    s.put(i, s.get(i) / divisor);
                }
                break;
            }
            default:
                throw new AssertionError(type);
        }
    }

    /** Copies {@code bytes} bytes from {@code src[srcOff..]} to {@code dst[dstOff..]} (no aliasing). */
    public static void copy(ByteBuffer src, int srcOff, ByteBuffer dst, int dstOff, int bytes) {
        if (bytes <= 0 || (src == dst && srcOff == dstOff)) {
            return;
        }
        dst.put(dstOff, src, srcOff, bytes);
    }

    /**
     * As {@link #copy(ByteBuffer, int, ByteBuffer, int, int)} between host buffers of any length: {@code bytes}
     * bytes from byte {@code srcOff} of {@code src} to byte {@code dstOff} of {@code dst}, window by window.
     */
    public static void copy(HostBuffer src, long srcOff, HostBuffer dst, long dstOff, long bytes) {
        for (long i = 0; i < bytes; i += HostBuffer.WINDOW_REACH_BYTES) {
            long s = srcOff + i;
            long d = dstOff + i;
            copy(src.window(s), src.windowOffset(s), dst.window(d), dst.windowOffset(d),
                    (int) Math.min(HostBuffer.WINDOW_REACH_BYTES, bytes - i));
        }
    }

    private static ByteBuffer view(ByteBuffer buf, int off, int count, int elemBytes) {
        return buf.slice(off, count * elemBytes).order(ByteOrder.nativeOrder());
    }

    private static void reduceF32(ReduceOp op, FloatBuffer a, FloatBuffer b, FloatBuffer d, int count, Tiles t) {
        float[] x = t.fa;
        float[] y = t.fb;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(base, x, 0, n);
            b.get(base, y, 0, n);
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { x[i] = x[i] + y[i]; } break;
                case PROD: for (int i = 0; i < n; i++) { x[i] = x[i] * y[i]; } break;
                case MIN: for (int i = 0; i < n; i++) { x[i] = Math.min(x[i], y[i]); } break;
                case MAX: for (int i = 0; i < n; i++) { x[i] = Math.max(x[i], y[i]); } break;
                default: throw new AssertionError(op);
            }
            d.put(base, x, 0, n);
        }
    }

    private static void reduceF64(ReduceOp op, DoubleBuffer a, DoubleBuffer b, DoubleBuffer d, int count, Tiles t) {
        double[] x = t.da;
        double[] y = t.db;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(base, x, 0, n);
            b.get(base, y, 0, n);
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { x[i] = x[i] + y[i]; } break;
                case PROD: for (int i = 0; i < n; i++) { x[i] = x[i] * y[i]; } break;
                case MIN: for (int i = 0; i < n; i++) { x[i] = Math.min(x[i], y[i]); } break;
                case MAX: for (int i = 0; i < n; i++) { x[i] = Math.max(x[i], y[i]); } break;
                default: throw new AssertionError(op);
            }
            d.put(base, x, 0, n);
        }
    }

    private static void reduceHalf(boolean bf16, ReduceOp op, ShortBuffer a, ShortBuffer b, ShortBuffer d,
                                   int count, Tiles t) {
        short[] x = t.sa;
        short[] y = t.sb;
        float[] fx = t.fa;
        float[] fy = t.fb;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(base, x, 0, n);
            b.get(base, y, 0, n);
            if (bf16) {
                for (int i = 0; i < n; i++) {
                    fx[i] = Float.intBitsToFloat((x[i] & 0xffff) << 16);
                    fy[i] = Float.intBitsToFloat((y[i] & 0xffff) << 16);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    fx[i] = HalfFloats.fp16ToFloat(x[i]);
                    fy[i] = HalfFloats.fp16ToFloat(y[i]);
                }
            }
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { fx[i] = fx[i] + fy[i]; } break;
                case PROD: for (int i = 0; i < n; i++) { fx[i] = fx[i] * fy[i]; } break;
                case MIN: for (int i = 0; i < n; i++) { fx[i] = Math.min(fx[i], fy[i]); } break;
                case MAX: for (int i = 0; i < n; i++) { fx[i] = Math.max(fx[i], fy[i]); } break;
                default: throw new AssertionError(op);
            }
            if (bf16) {
                for (int i = 0; i < n; i++) {
                    x[i] = HalfFloats.floatToBf16(fx[i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    x[i] = HalfFloats.floatToFp16(fx[i]);
                }
            }
            d.put(base, x, 0, n);
        }
    }

    private static void reduceI8(boolean unsigned, ReduceOp op, ByteBuffer a, int aOff, ByteBuffer b, int bOff,
                                 ByteBuffer d, int dOff, int count, Tiles t) {
        byte[] x = t.ba;
        byte[] y = t.bb;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(aOff + base, x, 0, n);
            b.get(bOff + base, y, 0, n);
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { x[i] = (byte) (x[i] + y[i]); } break;
                case PROD: for (int i = 0; i < n; i++) { x[i] = (byte) (x[i] * y[i]); } break;
                case MIN:
                    if (unsigned) {
                        for (int i = 0; i < n; i++) { x[i] = (byte) Math.min(x[i] & 0xff, y[i] & 0xff); }
                    } else {
                        for (int i = 0; i < n; i++) { x[i] = (byte) Math.min(x[i], y[i]); }
                    }
                    break;
                case MAX:
                    if (unsigned) {
                        for (int i = 0; i < n; i++) { x[i] = (byte) Math.max(x[i] & 0xff, y[i] & 0xff); }
                    } else {
                        for (int i = 0; i < n; i++) { x[i] = (byte) Math.max(x[i], y[i]); }
                    }
                    break;
                default: throw new AssertionError(op);
            }
            d.put(dOff + base, x, 0, n);
        }
    }

    private static void reduceI32(ReduceOp op, IntBuffer a, IntBuffer b, IntBuffer d, int count, Tiles t) {
        int[] x = t.ia;
        int[] y = t.ib;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(base, x, 0, n);
            b.get(base, y, 0, n);
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { x[i] = x[i] + y[i]; } break;
                case PROD: for (int i = 0; i < n; i++) { x[i] = x[i] * y[i]; } break;
                case MIN: for (int i = 0; i < n; i++) { x[i] = Math.min(x[i], y[i]); } break;
                case MAX: for (int i = 0; i < n; i++) { x[i] = Math.max(x[i], y[i]); } break;
                default: throw new AssertionError(op);
            }
            d.put(base, x, 0, n);
        }
    }

    private static void reduceI64(ReduceOp op, LongBuffer a, LongBuffer b, LongBuffer d, int count, Tiles t) {
        long[] x = t.la;
        long[] y = t.lb;
        for (int base = 0; base < count; base += TILE) {
            int n = Math.min(TILE, count - base);
            a.get(base, x, 0, n);
            b.get(base, y, 0, n);
            switch (op) {
                case SUM: case AVG: for (int i = 0; i < n; i++) { x[i] = x[i] + y[i]; } break;
                case PROD: for (int i = 0; i < n; i++) { x[i] = x[i] * y[i]; } break;
                case MIN: for (int i = 0; i < n; i++) { x[i] = Math.min(x[i], y[i]); } break;
                case MAX: for (int i = 0; i < n; i++) { x[i] = Math.max(x[i], y[i]); } break;
                default: throw new AssertionError(op);
            }
            d.put(base, x, 0, n);
        }
    }
}
