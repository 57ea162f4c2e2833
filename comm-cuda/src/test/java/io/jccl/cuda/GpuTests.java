package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.ByteBuffer;
import java.util.Random;

/** Shared pieces of the GPU tests: the availability guard and test data with the awkward values. */
final class GpuTests {
    /**
     * With {@code -Djccl.cuda.require=true} (scripts/gpu-check.sh sets it) a missing GPU fails the GPU tests
     * instead of skipping them, so a broken driver setup cannot pass as "all skipped".
     */
    static final String REQUIRE_PROPERTY = "jccl.cuda.require";

    private GpuTests() {
    }

    /** Skips (or, when required, fails) unless a CUDA device is usable, stating why. */
    static void assumeGpu() {
        String reason = CudaAvailability.unavailableReason();
        if (reason != null && Boolean.getBoolean(REQUIRE_PROPERTY)) {
            Assertions.fail("a GPU is required (-D" + REQUIRE_PROPERTY + "=true) but: " + reason);
        }
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), "no CUDA driver/GPU: " + reason);
    }

    private static final int[] F32_SPECIAL = {
        0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345,
        0x7fc12345, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000,
        0xbf800000, 0x3f800001, 0x4b800000, 0x477ff000, 0x477fefff, 0x33000000, 0x33000001, 0x38800000,
    };
    private static final long[] F64_SPECIAL = {
        0L, 0x8000000000000000L, 0x7ff0000000000000L, 0xfff0000000000000L, 0x7ff8000000000000L,
        0xfff8000000000000L, 0x7ff0000000000001L, 0x7ff8000000012345L, 1L, 0x800fffffffffffffL,
        0x0010000000000000L, 0x7fefffffffffffffL, 0x3ff0000000000000L, 0xbff0000000000001L,
    };
    /** fp16: zeros, infinities, quiet/signalling NaNs, subnormals, 65504, 1.0, values that overflow when added. */
    static final short[] F16_SPECIAL = {
        0x0000, (short) 0x8000, 0x7c00, (short) 0xfc00, 0x7e00, (short) 0xfe00, 0x7c01, 0x7d55, 0x0001,
        (short) 0x8001, 0x03ff, 0x0400, 0x7bff, (short) 0xfbff, 0x3c00, (short) 0xbc00, 0x3c01, 0x7bfe, 0x0200,
    };
    /** bf16 likewise. */
    static final short[] BF16_SPECIAL = {
        0x0000, (short) 0x8000, 0x7f80, (short) 0xff80, 0x7fc0, (short) 0xffc0, 0x7f81, 0x7fa5, 0x0001,
        (short) 0x8001, 0x007f, 0x0080, 0x7f7f, (short) 0xff7f, 0x3f80, (short) 0xbf80, 0x3f81, 0x4b80,
    };

    /**
     * Fills elements {@code [0, count)} of {@code h} with a mix of random bit patterns, small integers,
     * ordinary values, subnormals and the special values above.
     */
    static void fill(HostBuffer h, DataType t, long count, Random rnd) {
        for (long i = 0; i < count; i++) {
            int pick = rnd.nextInt(10);
            switch (t) {
                case FLOAT32: {
                    int bits;
                    if (pick < 2) {
                        bits = rnd.nextInt();
                    } else if (pick < 4) {
                        bits = Float.floatToRawIntBits(rnd.nextInt(17) - 8);
                    } else if (pick < 6) {
                        bits = Float.floatToRawIntBits((float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(10) - 5)));
                    } else if (pick < 8) {
                        bits = (rnd.nextInt() & 0x807fffff); // subnormal or zero
                    } else {
                        bits = F32_SPECIAL[rnd.nextInt(F32_SPECIAL.length)];
                    }
                    h.putInt(i, bits);
                    break;
                }
                case FLOAT64: {
                    long bits;
                    if (pick < 2) {
                        bits = rnd.nextLong();
                    } else if (pick < 4) {
                        bits = Double.doubleToRawLongBits(rnd.nextInt(17) - 8);
                    } else if (pick < 6) {
                        bits = Double.doubleToRawLongBits(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(20) - 10));
                    } else if (pick < 8) {
                        bits = rnd.nextLong() & 0x800fffffffffffffL;
                    } else {
                        bits = F64_SPECIAL[rnd.nextInt(F64_SPECIAL.length)];
                    }
                    h.putLong(i, bits);
                    break;
                }
                case FLOAT16:
                case BFLOAT16: {
                    short[] special = t == DataType.FLOAT16 ? F16_SPECIAL : BF16_SPECIAL;
                    short bits;
                    if (pick < 4) {
                        bits = (short) rnd.nextInt();
                    } else if (pick < 6) {
                        float v = rnd.nextInt(17) - 8;
                        bits = t == DataType.FLOAT16 ? io.jccl.reduce.HalfFloats.floatToFp16(v)
                                : io.jccl.reduce.HalfFloats.floatToBf16(v);
                    } else if (pick < 8) {
                        bits = (short) (rnd.nextInt() & (t == DataType.FLOAT16 ? 0x83ff : 0x807f)); // subnormal
                    } else {
                        bits = special[rnd.nextInt(special.length)];
                    }
                    h.unsafeBacking().putShort((int) (i * 2), bits);
                    break;
                }
                case INT8:
                case UINT8: {
                    byte[] edge = {0, 1, -1, 127, -128, 2, -2};
                    h.unsafeBacking().put((int) i, pick < 7 ? (byte) rnd.nextInt() : edge[rnd.nextInt(edge.length)]);
                    break;
                }
                case INT32: {
                    int[] edge = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 65536, -65537};
                    h.putInt(i, pick < 5 ? rnd.nextInt() : pick < 8 ? rnd.nextInt(201) - 100 : edge[rnd.nextInt(edge.length)]);
                    break;
                }
                case INT64: {
                    long[] edge = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, -(1L << 40)};
                    h.putLong(i, pick < 5 ? rnd.nextLong() : pick < 8 ? rnd.nextInt(201) - 100 : edge[rnd.nextInt(edge.length)]);
                    break;
                }
                default:
                    throw new AssertionError(t);
            }
        }
    }

    /**
     * Where both operands are NaN, makes {@code b}'s bits equal {@code a}'s: with two different NaN payloads
     * the host's choice depends on whether the JIT swapped the operands of the addition, so only that case
     * is not pinned down (see native/cuda/jccl_reduce.cu).
     */
    static void equalizeNaNPairs(HostBuffer a, HostBuffer b, DataType t, long count) {
        for (long i = 0; i < count; i++) {
            int at = (int) (i * t.bytes());
            switch (t) {
                case FLOAT32:
                    if (Float.isNaN(a.unsafeBacking().getFloat(at)) && Float.isNaN(b.unsafeBacking().getFloat(at))) {
                        b.unsafeBacking().putInt(at, a.unsafeBacking().getInt(at));
                    }
                    break;
                case FLOAT64:
                    if (Double.isNaN(a.unsafeBacking().getDouble(at)) && Double.isNaN(b.unsafeBacking().getDouble(at))) {
                        b.unsafeBacking().putLong(at, a.unsafeBacking().getLong(at));
                    }
                    break;
                case FLOAT16:
                case BFLOAT16: {
                    int mask = t == DataType.FLOAT16 ? 0x7c00 : 0x7f80;
                    int frac = t == DataType.FLOAT16 ? 0x03ff : 0x007f;
                    short x = a.unsafeBacking().getShort(at);
                    short y = b.unsafeBacking().getShort(at);
                    boolean xn = (x & mask) == mask && (x & frac) != 0;
                    boolean yn = (y & mask) == mask && (y & frac) != 0;
                    if (xn && yn) {
                        b.unsafeBacking().putShort(at, x);
                    }
                    break;
                }
                default:
                    return;
            }
        }
    }

    /**
     * Replaces every NaN by the x86 default NaN of its type (fp32 0xffc00000, fp64 0xfff8000000000000, fp16
     * 0xfe00, bf16 0xffc0), which is also what inf - inf produces. Collectives combine values from several
     * ranks in an order set by the algorithm, so two different NaN payloads could meet in either order;
     * with one NaN pattern the result bits never depend on it.
     */
    static void canonicalizeNaN(HostBuffer h, DataType t, long count) {
        ByteBuffer b = h.unsafeBacking();
        for (long i = 0; i < count; i++) {
            int at = (int) (i * t.bytes());
            switch (t) {
                case FLOAT32:
                    if (Float.isNaN(b.getFloat(at))) {
                        b.putInt(at, 0xffc00000);
                    }
                    break;
                case FLOAT64:
                    if (Double.isNaN(b.getDouble(at))) {
                        b.putLong(at, 0xfff8000000000000L);
                    }
                    break;
                case FLOAT16:
                    if ((b.getShort(at) & 0x7c00) == 0x7c00 && (b.getShort(at) & 0x03ff) != 0) {
                        b.putShort(at, (short) 0xfe00);
                    }
                    break;
                case BFLOAT16:
                    if ((b.getShort(at) & 0x7f80) == 0x7f80 && (b.getShort(at) & 0x007f) != 0) {
                        b.putShort(at, (short) 0xffc0);
                    }
                    break;
                default:
                    return;
            }
        }
    }

    /** Index of the first differing element, or -1. */
    static long firstDifference(HostBuffer x, long xOffsetBytes, HostBuffer y, long yOffsetBytes, long count, DataType t) {
        int n = t.bytes();
        for (long i = 0; i < count; i++) {
            for (int k = 0; k < n; k++) {
                if (x.unsafeBacking().get((int) (xOffsetBytes + i * n + k)) != y.unsafeBacking().get((int) (yOffsetBytes + i * n + k))) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Element {@code i} as hex bits, for messages. */
    static String hex(HostBuffer h, long offsetBytes, long i, DataType t) {
        int at = (int) (offsetBytes + i * t.bytes());
        switch (t.bytes()) {
            case 1: return String.format("0x%02x", h.unsafeBacking().get(at) & 0xff);
            case 2: return String.format("0x%04x", h.unsafeBacking().getShort(at) & 0xffff);
            case 4: return String.format("0x%08x", h.unsafeBacking().getInt(at));
            default: return String.format("0x%016x", h.unsafeBacking().getLong(at));
        }
    }
}
