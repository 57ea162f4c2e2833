package io.jccl.bench.perf;

import io.jccl.bench.Stat;

/**
 * How {@code jccl-perf} times each size: {@code warmup} untimed calls ({@code -w}), then optionally
 * {@code warmupMs} more of them ({@code --warmup-ms}), then {@code reps} batches ({@code --reps}) of
 * {@code iters} calls ({@code -n}, capped to about {@code maxSecondsPerSize} seconds when that is above 0), of
 * which {@code stat} takes one time; {@code jitWarmupMs} ({@code --jit-warmup-ms}) is the warm-up before the
 * sweep ({@link JitWarmup}). Immutable. Made with a count below its least value, it throws an
 * IllegalArgumentException naming the option.
 */
record PerfTiming(int iters, int warmup, long warmupMs, long jitWarmupMs, double maxSecondsPerSize, int reps,
                  Stat stat) {
    PerfTiming {
        if (reps < 1) {
            throw new IllegalArgumentException("--reps must be at least 1, not " + reps);
        }
        if (iters < 1) {
            throw new IllegalArgumentException("-n must be at least 1, not " + iters);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("-w must be at least 0, not " + warmup);
        }
        if (warmupMs < 0) {
            throw new IllegalArgumentException("--warmup-ms must be at least 0, not " + warmupMs);
        }
        if (jitWarmupMs < 0) {
            throw new IllegalArgumentException("--jit-warmup-ms must be at least 0, not " + jitWarmupMs);
        }
    }
}
