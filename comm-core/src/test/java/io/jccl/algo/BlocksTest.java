package io.jccl.algo;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Blocks}: the three layouts agree with a direct computation of offsets and counts. */
class BlocksTest {
    @Test
    void uniformChunkedAndExplicitLayouts() {
        for (int w = 1; w <= 9; w++) {
            for (long count : new long[] {0, 1, w - 1L, 2L * w + 1, 1000}) {
                Blocks u = Blocks.uniform(w, count);
                Blocks c = Blocks.chunks(count, w);
                long[] counts = new long[w];
                for (int b = 0; b < w; b++) {
                    counts[b] = (b * 7L + count) % 5;
                }
                Blocks e = Blocks.of(counts);
                long at = 0;
                long chunkAt = 0;
                for (int b = 0; b < w; b++) {
                    assertEquals(count, u.count(b));
                    assertEquals(b * count, u.offset(b));
                    assertEquals(Partition.chunkCount(count, w, b), c.count(b));
                    assertEquals(chunkAt, c.offset(b));
                    chunkAt += c.count(b);
                    assertEquals(counts[b], e.count(b));
                    assertEquals(at, e.offset(b));
                    at += counts[b];
                }
                assertEquals(w * count, u.total());
                assertEquals(count, c.total());
                assertEquals(count, c.end(w));
                assertEquals(at, e.total());
                assertEquals(at, e.end(w));
                assertEquals(w, e.parts());
            }
        }
    }

    @Test
    void explicitCountsAreCopied() {
        long[] counts = {3, 4};
        Blocks b = Blocks.of(counts);
        counts[0] = 100;
        assertEquals(3, b.count(0));
        assertEquals(3, b.offset(1));
    }
}
