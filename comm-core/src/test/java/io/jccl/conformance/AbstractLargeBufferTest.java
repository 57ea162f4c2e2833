package io.jccl.conformance;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.function.LongToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every collective at W = 2 on host buffers just above 2^31 and 2^32 bytes (fp32 sum): all-reduce, broadcast,
 * reduce, reduce-scatter(v) and all-gather(v) in place on one buffer, and all-reduce and all-gather out of place
 * above 2^31. The content check is cheap: before each call the inputs are written only at a sample of elements
 * (every 65521st, and the first and last element around every 2^30-byte boundary and every block boundary), each
 * a small integer that depends on the element and the rank, and only the outputs there are compared (every
 * collective here is element-wise: a sampled output depends on sampled inputs only), so a run costs what the
 * collectives' data movement costs.
 *
 * <p>Needs about 9 GiB of free memory for the two ranks' buffers (native memory, outside the Java heap); skipped,
 * saying so, where /proc/meminfo reports less available.
 */
@Tag("slow")
@Timeout(300)
public abstract class AbstractLargeBufferTest {
    private static final int W = 2;
    private static final DataType F = DataType.FLOAT32;
    private static final long ABOVE_2_31 = (1L << 31) + 64;
    private static final long ABOVE_2_32 = (1L << 32) + 64;

    protected abstract Cluster cluster();

    /**
     * Whether the 2^31 case also runs all-reduce and all-gather out of place (twice the memory): the transports see
     * the same segments either way, so a suite over a slow transport may leave them to the in-process one.
     */
    protected boolean outOfPlaceToo() {
        return true;
    }

    @Test
    void everyCollectiveJustAboveTwoToThe31Bytes() {
        run(ABOVE_2_31, true);
    }

    @Test
    void everyCollectiveJustAboveTwoToThe32Bytes() {
        run(ABOVE_2_32, false);
    }

    private void run(long bytes, boolean outOfPlace) {
        boolean both = outOfPlace && outOfPlaceToo();
        long perRank = both ? 2 * bytes : bytes;
        long need = W * perRank + (1L << 30); // W = 2 needs no scratch: only the buffers, and room to spare
        long available = memAvailable();
        assumeTrue(available >= need, "needs " + (need >> 20) + " MiB of free memory, /proc/meminfo MemAvailable says "
                + (available >> 20) + " MiB");
        CommConfig config = CommConfig.builder().timeoutMillis(180_000).build();
        List<String> done = cluster().run(W, config, comm -> {
            try (HostBuffer all = HostBuffer.allocate(perRank)) {
                HostBuffer a = all.slice(0, bytes);
                inPlace(comm, a, bytes / F.bytes());
                if (both) {
                    outOfPlace(comm, a, all.slice(bytes, bytes), bytes / F.bytes());
                }
                a.fill((byte) 0x40); // every byte of every window: fp32 3.0039062
                check("fill", comm.rank(), a, sample(bytes / F.bytes(), 0, 0), 0, bytes / F.bytes(),
                        i -> Float.intBitsToFloat(0x40404040));
            }
            return "rank " + comm.rank();
        });
        assertEquals(List.of("rank 0", "rank 1"), done);
    }

    private static void inPlace(Communicator comm, HostBuffer a, long count) {
        int r = comm.rank();
        long n = count / W;
        long[] v = {n + 5, count - n - 5};
        long[] at = sample(count, n, v[0]);

        fill(a, at, r);
        comm.allReduce(a, count, F, ReduceOp.SUM);
        check("all-reduce", r, a, at, 0, count, AbstractLargeBufferTest::sum);

        fill(a, at, r);
        comm.broadcast(a, count, F, 1);
        check("broadcast", r, a, at, 0, count, i -> value(i, 1));

        fill(a, at, r);
        comm.reduce(a, a, count, F, ReduceOp.SUM, 0);
        if (r == 0) {
            check("reduce", r, a, at, 0, count, AbstractLargeBufferTest::sum);
        }

        fill(a, at, r);
        comm.reduceScatter(a, a, n, F, ReduceOp.SUM);
        check("reduce-scatter", r, a, at, r * n, (r + 1) * n, AbstractLargeBufferTest::sum);

        fill(a, at, r);
        comm.reduceScatterv(a, a, v, F, ReduceOp.SUM);
        check("reduce-scatter-v", r, a, at, r * v[0], r * v[0] + v[r], AbstractLargeBufferTest::sum);

        fill(a, at, r);
        comm.allGather(a, a, n, F);
        check("all-gather", r, a, at, 0, count, i -> value(i, (int) Math.min(W - 1, i / n)));

        fill(a, at, r);
        comm.allGatherv(a, a, v, F);
        check("all-gather-v", r, a, at, 0, count, i -> value(i, i < v[0] ? 0 : 1));
    }

    private static void outOfPlace(Communicator comm, HostBuffer a, HostBuffer b, long count) {
        int r = comm.rank();
        long n = count / W;
        long[] at = sample(count, n, n);

        fill(a, at, r);
        comm.allReduce(a, b, count, F, ReduceOp.SUM);
        check("all-reduce out of place", r, b, at, 0, count, AbstractLargeBufferTest::sum);

        fill(a, at, r); // the send buffer is this rank's block of a, so element i of the input is element i of a
        comm.allGather(a.slice(r * n * F.bytes(), n * F.bytes()), b, n, F);
        check("all-gather out of place", r, b, at, 0, W * n, i -> value(i, (int) (i / n)));
    }

    /** A small integer that depends on element {@code i} and the rank: fp32 sums of two are exact. */
    private static double value(long i, int rank) {
        return (i * 7 + rank * 1001L) % 8191 + 1;
    }

    private static double sum(long i) {
        return value(i, 0) + value(i, 1);
    }

    /**
     * The sampled elements of {@code count}: every 65521st, the first and last two, and those either side of every
     * 2^30-byte boundary (where the windows start) and of the block boundaries {@code n} and {@code v0}.
     */
    private static long[] sample(long count, long n, long v0) {
        TreeSet<Long> s = new TreeSet<>();
        for (long i = 0; i < count; i += 65_521) {
            s.add(i);
        }
        long perGib = (1L << 30) / F.bytes();
        for (long edge = 0; edge <= count; edge += perGib) {
            around(s, edge, count);
        }
        around(s, n, count);
        around(s, v0, count);
        around(s, count, count);
        return s.stream().mapToLong(Long::longValue).toArray();
    }

    private static void around(TreeSet<Long> s, long edge, long count) {
        for (long i = edge - 2; i < edge + 2; i++) {
            if (i >= 0 && i < count) {
                s.add(i);
            }
        }
    }

    private static void fill(HostBuffer b, long[] at, int rank) {
        for (long i : at) {
            b.putFloat(i, (float) value(i, rank));
        }
    }

    private static void check(String what, int rank, HostBuffer b, long[] at, long from, long to,
                              LongToDoubleFunction expected) {
        for (long i : at) {
            if (i >= from && i < to) {
                float want = (float) expected.applyAsDouble(i);
                float got = b.getFloat(i);
                if (got != want) {
                    throw new AssertionError(what + " rank=" + rank + ": element " + i + " (byte " + i * F.bytes()
                            + ") is " + got + ", expected " + want);
                }
            }
        }
    }

    /** MemAvailable from /proc/meminfo in bytes, or 0 where it cannot be read (not Linux). */
    private static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
