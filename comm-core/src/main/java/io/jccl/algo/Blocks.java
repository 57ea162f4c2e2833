package io.jccl.algo;

/**
 * The layout of a buffer cut into one block per rank: block b holds {@link #count(int)} elements from
 * element {@link #offset(int)}, the blocks packed in rank order without gaps. Uniform layouts (all-gather,
 * reduce-scatter: every block the same count) compute each block on the fly; per-rank layouts (the v
 * variants) hold the prefix sums. Chunk layouts ({@link #chunks}) are {@link Partition}'s near-equal cut of a
 * count into W chunks.
 *
 * <p>Immutable; thread-safe. Made once per operation (or plan), never per segment.
 */
public final class Blocks {
    private final int parts;
    private final long uniform;
    private final long total;
    private final long[] offsets;
    private final boolean chunked;

    private Blocks(int parts, long uniform, long total, long[] offsets, boolean chunked) {
        this.parts = parts;
        this.uniform = uniform;
        this.total = total;
        this.offsets = offsets;
        this.chunked = chunked;
    }

    /** {@code parts} blocks of {@code count} elements each. */
    public static Blocks uniform(int parts, long count) {
        return new Blocks(parts, count, count * parts, null, false);
    }

    /** {@code total} elements cut into {@code parts} chunks as {@link Partition#chunkCount} does. */
    public static Blocks chunks(long total, int parts) {
        return new Blocks(parts, 0, total, null, true);
    }

    /**
     * Blocks of the given element counts (every count non-negative; the caller has checked that the sum is a
     * valid size). The array is copied.
     */
    public static Blocks of(long[] counts) {
        long[] off = new long[counts.length + 1];
        for (int b = 0; b < counts.length; b++) {
            off[b + 1] = off[b] + counts[b];
        }
        return new Blocks(counts.length, 0, off[counts.length], off, false);
    }

    /** Number of blocks (W). */
    public int parts() {
        return parts;
    }

    /** Elements of block {@code b}. */
    public long count(int b) {
        if (offsets != null) {
            return offsets[b + 1] - offsets[b];
        }
        return chunked ? Partition.chunkCount(total, parts, b) : uniform;
    }

    /** Index of the first element of block {@code b}. */
    public long offset(int b) {
        if (offsets != null) {
            return offsets[b];
        }
        return chunked ? Partition.chunkOffset(total, parts, b) : uniform * b;
    }

    /** Index one past the last element of blocks {@code [0, b)}: {@code offset(b)}, also for {@code b = parts()}. */
    public long end(int b) {
        return b == parts ? total : offset(b);
    }

    /** Elements of all blocks together. */
    public long total() {
        return total;
    }
}
