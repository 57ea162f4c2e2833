package io.jccl.algo;

/**
 * Pure partition arithmetic shared by the algorithms: {@code count} elements cut into {@code parts}
 * chunks whose sizes differ by at most one (the first {@code count % parts} chunks get the extra
 * element, as NCCL and Gloo spread remainders "early"), and chunks cut into segments.
 */
public final class Partition {
    private Partition() {
    }

    /** Elements in chunk {@code c} of {@code parts}. */
    public static long chunkCount(long count, int parts, int c) {
        long base = count / parts;
        return base + (c < count % parts ? 1 : 0);
    }

    /** Index of the first element of chunk {@code c} of {@code parts}. */
    public static long chunkOffset(long count, int parts, int c) {
        long base = count / parts;
        return c * base + Math.min(c, count % parts);
    }

    /**
     * Number of segments of at most {@code segElems} elements covering {@code n} elements (0 for n=0).
     *
     * @throws io.jccl.InvalidUsageException when that is more than {@link Integer#MAX_VALUE} (a run of over 16 GiB
     *                                       in 8-byte segments): the segment size must grow with such a buffer
     */
    public static int segments(long n, int segElems) {
        long s = n / segElems + (n % segElems == 0 ? 0 : 1);
        if (s > Integer.MAX_VALUE) {
            throw new io.jccl.InvalidUsageException(n + " elements in segments of " + segElems + " are more than "
                    + Integer.MAX_VALUE + " segments: raise JCCL_SEGMENT_BYTES");
        }
        return (int) s;
    }

    /** Elements in segment {@code k} of a run of {@code n} elements. */
    public static int segmentCount(long n, int segElems, int k) {
        return (int) Math.min(segElems, n - (long) k * segElems);
    }

    /** {@code x mod w} in {@code [0, w)} for any sign of {@code x}. */
    public static int mod(long x, int w) {
        return (int) Math.floorMod(x, (long) w);
    }
}
