package io.jccl.core;

import io.jccl.DataType;
import io.jccl.algo.Blocks;

/**
 * The per-rank blocks of a gather, scatter or reduce-scatter and of their v forms, checked once: every block
 * {@code count} elements, or {@code counts[r]} for rank r. {@code headerCount} is what the operation's header
 * carries (the uniform count, or the total of a v call), so that ranks that disagree fail as a mismatch.
 */
record BlockLayout(Blocks blocks, long headerCount) {

    /**
     * @param counts null for the uniform form (every block {@code count}); else one count per rank
     * @throws io.jccl.InvalidUsageException naming {@code what} for a negative count, a wrong number of counts
     *                                       or a total beyond the size limit
     */
    static BlockLayout of(String what, long count, long[] counts, int size, DataType type) {
        if (counts == null) {
            Validation.bytesOf(what, count, 1, type);
            Validation.bytesOf(what, count, size, type);
            return new BlockLayout(Blocks.uniform(size, count), count);
        }
        Blocks b = Blocks.of(Validation.checkCounts(what, "counts", counts, size, type));
        return new BlockLayout(b, b.total());
    }
}
