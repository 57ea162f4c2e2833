package io.jccl.bench.scaling;

import io.jccl.DataType;
import io.jccl.reduce.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The time the reducer's 16-bit wire costs on the calling thread per gradient element: narrowing fp32 into the wire
 * type (with error feedback: through the residual) and widening the average back, as {@link HalfFloats} does it on
 * direct memory (the reducer's views), timed on {@link #ELEMS} elements (the fastest of a few runs, after a warm-up).
 * The validation adds it to each compressed bucket's all-reduces. Stateless.
 */
final class ConversionProbe {
    /** Elements per timed conversion: 4 MiB of fp32, the size of a wire segment's gradients. */
    static final int ELEMS = 1 << 20;

    private ConversionProbe() {
    }

    /** Seconds per element of narrowing plus widening to {@code wire} (FLOAT16 or BFLOAT16). */
    static double secondsPerElement(DataType wire, boolean errorFeedback) {
        ByteBuffer src = direct(ELEMS * 4);
        ByteBuffer dst = direct(ELEMS * 4);
        ByteBuffer half = direct(ELEMS * 2);
        ByteBuffer residual = errorFeedback ? direct(ELEMS * 4) : null;
        for (int i = 0; i < ELEMS; i++) {
            src.putFloat(i * 4, 1e-3f * (i % 97));
        }
        long best = Long.MAX_VALUE;
        for (int run = 0; run < 8; run++) {
            long t0 = System.nanoTime();
            HalfFloats.narrow(wire, src, 0, residual, 0, half, 0, ELEMS);
            HalfFloats.widen(wire, half, 0, dst, 0, ELEMS);
            long t = System.nanoTime() - t0;
            if (run >= 3) {
                best = Math.min(best, t);
            }
        }
        return best / 1e9 / ELEMS;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
}
