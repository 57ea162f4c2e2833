package io.jccl.bench;

import io.jccl.algo.select.CostFit;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the tools take one time from repeated measurements ({@code --stat}): the mean (nccl-tests), the median, or
 * the minimum (the repetition least disturbed by other processes on the machine: what {@code jccl-tune} fits, so
 * what a check of a cost model on a shared machine compares with).
 */
public enum Stat {
    MEAN, MEDIAN, MIN;

    /** mean, median or min, any case; else IllegalArgumentException naming the option. */
    public static Stat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--stat must be mean, median or min, not '" + s + "'");
        }
    }

    /** The statistic of {@code values} (at least one). */
    public double of(double[] values) {
        switch (this) {
            case MEAN: return Arrays.stream(values).average().orElseThrow();
            case MEDIAN: return CostFit.median(values);
            default: return Arrays.stream(values).min().orElseThrow();
        }
    }
}
