package io.jccl.bench;

import io.jccl.Knob;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/**
 * The message sizes of a sweep (a picocli mixin): {@code -b} (smallest, bytes with K, M, G suffixes), {@code -e}
 * (largest) and {@code -f} (the factor between sizes). Each tool gives its own defaults
 * ({@code @Mixin SizeOptions sizes = new SizeOptions("8", "32M", 4)}) and checks the values itself. Set by picocli
 * on the main thread, then read-only.
 */
public final class SizeOptions {
    @Option(names = {"-b", "--minbytes"}, showDefaultValue = Visibility.ALWAYS,
            description = "smallest size in bytes (K, M, G suffixes)")
    String minBytes;

    @Option(names = {"-e", "--maxbytes"}, showDefaultValue = Visibility.ALWAYS, description = "largest size in bytes")
    String maxBytes;

    @Option(names = {"-f", "--stepfactor"}, showDefaultValue = Visibility.ALWAYS,
            description = "multiply the size by this each step")
    long stepFactor;

    /** Defaults of {@code -b}, {@code -e} (sizes as the options take them) and {@code -f}. */
    public SizeOptions(String minBytes, String maxBytes, long stepFactor) {
        this.minBytes = minBytes;
        this.maxBytes = maxBytes;
        this.stepFactor = stepFactor;
    }

    /** {@code -b} in bytes; IllegalArgumentException when it does not parse. */
    public long minBytes() {
        return Knob.parseSize(minBytes);
    }

    /** {@code -e} in bytes; IllegalArgumentException when it does not parse. */
    public long maxBytes() {
        return Knob.parseSize(maxBytes);
    }

    /** {@code -f}. */
    public long stepFactor() {
        return stepFactor;
    }
}
