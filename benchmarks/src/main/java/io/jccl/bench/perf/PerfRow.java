package io.jccl.bench.perf;

/**
 * One size of a sweep, measured: its bytes and elements, and per placement (0 out of place, 1 in place) the time
 * in microseconds per call and the wrong elements summed over ranks, and the algorithm that ran. Immutable (the
 * arrays are not copied: do not change them).
 */
record PerfRow(long size, long total, double[] us, long[] wrong, String algo) {
    /** algbw of {@code placement}: bytes / time, decimal GB/s. */
    double algbw(int placement) {
        return size / (us[placement] * 1e3);
    }
}
