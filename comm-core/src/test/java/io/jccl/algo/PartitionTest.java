package io.jccl.algo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link Partition}: chunks and segments tile their range exactly, remainders spread early. */
@Timeout(30)
class PartitionTest {
    private static final long[] BIG = {1L << 31, (1L << 31) + 7, 1_000_000_000_007L, Long.MAX_VALUE / 3};

    @Test
    void chunksTileTheCountWithSizesDifferingByAtMostOneLargerFirst() {
        for (int parts = 1; parts <= 70; parts++) {
            for (long count = 0; count <= 300; count++) {
                check(count, parts);
            }
            for (long count : BIG) {
                check(count, parts);
            }
        }
        check(5, 1024);
        check(Long.MAX_VALUE / 3, Integer.MAX_VALUE);
    }

    private static void check(long count, int parts) {
        if (parts > 4096) { // too many to walk: spot-check offsets against the closed form
            for (int c : new int[] {0, 1, 2, parts / 2, parts - 2, parts - 1}) {
                long want = c * (count / parts) + Math.min(c, count % parts);
                if (Partition.chunkOffset(count, parts, c) != want) {
                    fail("count=" + count + " parts=" + parts + ": offset of chunk " + c);
                }
            }
            return;
        }
        long sum = 0;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long prev = Long.MAX_VALUE;
        for (int c = 0; c < parts; c++) {
            long n = Partition.chunkCount(count, parts, c);
            if (n < 0) {
                fail("count=" + count + " parts=" + parts + ": chunk " + c + " has " + n);
            }
            if (Partition.chunkOffset(count, parts, c) != sum) {
                fail("count=" + count + " parts=" + parts + ": chunk " + c + " starts at "
                        + Partition.chunkOffset(count, parts, c) + ", expected " + sum);
            }
            if (n > prev) {
                fail("count=" + count + " parts=" + parts + ": chunk " + c + " (" + n + ") is larger than chunk "
                        + (c - 1) + " (" + prev + ")");
            }
            prev = n;
            sum += n;
            min = Math.min(min, n);
            max = Math.max(max, n);
        }
        if (sum != count || max - min > 1) {
            fail("count=" + count + " parts=" + parts + ": sizes sum to " + sum + ", range " + min + ".." + max);
        }
    }

    @Test
    void segmentsCoverARunExactly() {
        for (int se = 1; se <= 40; se++) {
            for (long n = 0; n <= 200; n++) {
                int ns = Partition.segments(n, se);
                assertEquals((n + se - 1) / se, ns);
                long sum = 0;
                for (int k = 0; k < ns; k++) {
                    int m = Partition.segmentCount(n, se, k);
                    assertTrue(m >= 1 && m <= se, "n=" + n + " se=" + se + " segment " + k + " has " + m);
                    if (k < ns - 1) {
                        assertEquals(se, m, "only the last segment may be short");
                    }
                    sum += m;
                }
                assertEquals(n, sum, "n=" + n + " se=" + se);
            }
        }
        assertEquals(0, Partition.segments(0, 16));
        assertEquals(3, Partition.segments((1L << 31) + 1, 1 << 30));
        assertEquals(1, Partition.segmentCount((1L << 31) + 1, 1 << 30, 2));
        assertEquals(Integer.MAX_VALUE, Partition.segments(Integer.MAX_VALUE * 2L, 2));
        String m = assertThrows(io.jccl.InvalidUsageException.class,
                () -> Partition.segments(Integer.MAX_VALUE * 2L + 1, 2)).getMessage();
        assertTrue(m.contains("raise JCCL_SEGMENT_BYTES"), m);
    }

    @Test
    void modIsNonNegative() {
        for (int w = 1; w <= 9; w++) {
            for (long x = -30; x <= 30; x++) {
                int m = Partition.mod(x, w);
                assertTrue(m >= 0 && m < w);
                assertEquals(0, Math.floorMod(x - m, (long) w));
            }
        }
        assertEquals(1, Partition.mod(Long.MIN_VALUE + 1, 2));
    }
}
