package io.jccl.check;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HalfFloats;

/**
 * Test data for checking collectives, as nccl-tests' data check: inputs whose reductions are exact in every
 * type and op (small integers; products of 1, 2 and -1), and the expected bits of each result element,
 * computed with long arithmetic and narrowed once, independently of the reduction kernels. Used by the
 * conformance suite and by {@code jccl-perf -c 1}.
 *
 * <p>Stateless and thread-safe.
 */
public final class CheckPattern {
    private CheckPattern() {
    }

    /** Input element {@code i} of rank {@code r}, as an exact integer value. */
    public static long input(DataType t, ReduceOp op, int r, long i) {
        boolean unsigned = t == DataType.UINT8;
        switch (op) {
            case SUM:
            case AVG: {
                long v = (r * 3L + i * 7L) % 11;
                return unsigned ? v : v - 5;
            }
            case PROD: {
                long[] choices = {1, 2, -1};
                long v = choices[(int) ((r + 2L * i) % 3)];
                return unsigned && v < 0 ? 3 : v;
            }
            default: {
                long v = (r * 37L + i * 11L) % 201;
                return unsigned ? v : v - 100;
            }
        }
    }

    /** Fills {@code count} elements of {@code buf} from element {@code at} with rank r's inputs. */
    public static void fill(HostBuffer buf, DataType t, ReduceOp op, int r, long at, long count) {
        for (long i = 0; i < count; i++) {
            buf.putFromLong(t, at + i, input(t, op, r, i));
        }
    }

    /** The raw bits of the expected result for element {@code i} over ranks 0..w-1. */
    public static long expectedBits(DataType t, ReduceOp op, int w, long i) {
        long acc = input(t, op, 0, i);
        for (int r = 1; r < w; r++) {
            long x = input(t, op, r, i);
            switch (op) {
                case SUM: case AVG: acc += x; break;
                case PROD: acc *= x; break;
                case MIN: acc = Math.min(acc, x); break;
                case MAX: acc = Math.max(acc, x); break;
                default: throw new AssertionError(op);
            }
        }
        return narrow(t, acc, op == ReduceOp.AVG ? w : 1);
    }

    /** The raw bits of rank {@code r}'s input element {@code i} (what non-reducing collectives move). */
    public static long inputBits(DataType t, ReduceOp op, int r, long i) {
        return narrow(t, input(t, op, r, i), 1);
    }

    /** Narrows an exact integer to the type's bits, dividing by {@code divisor} as AVG does. */
    private static long narrow(DataType t, long acc, int divisor) {
        boolean avg = divisor != 1;
        int w = divisor;
        switch (t) {
            case INT8: {
                byte v = (byte) acc;
                return avg ? (byte) (v / w) : v;
            }
            case UINT8: {
                int v = (int) (acc & 0xff);
                return (byte) (avg ? v / w : v);
            }
            case INT32: {
                int v = (int) acc;
                return avg ? v / w : v;
            }
            case INT64:
                return avg ? acc / w : acc;
            case FLOAT32:
                return Float.floatToRawIntBits(floatOf(acc, divisor));
            case FLOAT64: {
                double v = acc;
                return Double.doubleToRawLongBits(avg ? v / w : v);
            }
            case FLOAT16:
                return HalfFloats.floatToFp16(floatOf(acc, divisor));
            case BFLOAT16:
                return HalfFloats.floatToBf16(floatOf(acc, divisor));
            default:
                throw new AssertionError(t);
        }
    }

    /** {@code acc / divisor} in fp32 arithmetic (the sum of the fp32, fp16 and bf16 types before it is stored). */
    private static float floatOf(long acc, int divisor) {
        float v = acc;
        return divisor != 1 ? v / divisor : v;
    }

    /** Number of elements in {@code [at, at+count)} whose bits differ from the expected result. */
    public static long countWrong(HostBuffer buf, DataType t, ReduceOp op, int w, long at, long count) {
        long wrong = 0;
        for (long i = 0; i < count; i++) {
            if (buf.getBits(t, at + i) != expectedBits(t, op, w, i)) {
                wrong++;
            }
        }
        return wrong;
    }
}
