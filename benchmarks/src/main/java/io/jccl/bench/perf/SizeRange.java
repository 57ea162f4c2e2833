package io.jccl.bench.perf;

import java.util.ArrayList;
import java.util.List;

/**
 * The message sizes of a sweep, in bytes: from {@code minBytes} ({@code -b}) to {@code maxBytes} ({@code -e}),
 * multiplied by {@code factor} ({@code -f}) each step, or plus {@code stepBytes} ({@code -i}) when that is above 0;
 * a sweep whose steps overshoot {@code -e} ends with a row at exactly {@code -e}. Immutable. Made with {@code -b}
 * above {@code -e}, or sizes that would not grow ({@code -f} below 2 without {@code -i}, when {@code -b} and
 * {@code -e} differ), or {@code -e} above {@link io.jccl.buffer.HostBuffer#MAX_VIEW_BYTES}, it throws an
 * IllegalArgumentException naming the options.
 */
record SizeRange(long minBytes, long maxBytes, long factor, long stepBytes) {
    SizeRange {
        if (minBytes > maxBytes) {
            throw new IllegalArgumentException("-b " + minBytes + " is larger than -e " + maxBytes);
        }
        if (maxBytes > io.jccl.buffer.HostBuffer.MAX_VIEW_BYTES) {
            // the library's collectives take buffers of any long size; the sweep's check pattern and its sendrecv
            // rows go through one ByteBuffer per buffer
            throw new IllegalArgumentException("-e " + maxBytes + " is above jccl-perf's largest size, "
                    + io.jccl.buffer.HostBuffer.MAX_VIEW_BYTES + " bytes (2 GiB - 9)");
        }
        if (stepBytes <= 0 && factor < 2 && minBytes != maxBytes) {
            throw new IllegalArgumentException("-f must be at least 2 (or give a step with -i), not " + factor);
        }
    }

    /** The sizes in sweep order. */
    List<Long> sizes() {
        List<Long> sizes = new ArrayList<>();
        for (long bytes = minBytes; bytes <= maxBytes; bytes = next(bytes)) {
            sizes.add(bytes);
            if (bytes == 0 || (stepBytes <= 0 && factor <= 1)) {
                break;
            }
        }
        return sizes;
    }

    /** The next size; a sweep whose steps overshoot -e ends with a row at exactly -e. */
    private long next(long bytes) {
        long n = stepBytes > 0 ? bytes + stepBytes : bytes * factor;
        return n > maxBytes && bytes < maxBytes ? maxBytes : n;
    }

    /** The header's step field: {@code N(bytes)} or {@code N(factor)}. */
    String stepLabel() {
        return stepBytes > 0 ? stepBytes + "(bytes)" : factor + "(factor)";
    }
}
