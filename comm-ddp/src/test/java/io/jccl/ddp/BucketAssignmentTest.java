package io.jccl.ddp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(30)
class BucketAssignmentTest {
    private static List<int[]> assign(int[] order, long[] bytes, long cap) {
        return BucketAssignment.assign(order, bytes, new int[bytes.length], new boolean[bytes.length], cap);
    }

    @Test
    void fillsInOrderUpToTheCap() {
        List<int[]> b = assign(new int[] {3, 2, 1, 0}, new long[] {40, 40, 40, 40}, 100);
        assertEquals(2, b.size());
        assertArrayEquals(new int[] {3, 2}, b.get(0));
        assertArrayEquals(new int[] {1, 0}, b.get(1));
    }

    @Test
    void exactCapClosesTheBucket() {
        List<int[]> b = assign(new int[] {0, 1, 2}, new long[] {50, 50, 50}, 100);
        assertArrayEquals(new int[] {0, 1}, b.get(0));
        assertArrayEquals(new int[] {2}, b.get(1));
    }

    @Test
    void aGradientLargerThanTheCapHasItsOwnBucket() {
        List<int[]> b = assign(new int[] {0, 1, 2}, new long[] {10, 500, 10}, 100);
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {0}, b.get(0));
        assertArrayEquals(new int[] {1}, b.get(1));
        assertArrayEquals(new int[] {2}, b.get(2));
    }

    @Test
    void typesNeverShareABucketAndAloneIsAlone() {
        List<int[]> b = BucketAssignment.assign(new int[] {0, 1, 2, 3, 4}, new long[] {8, 8, 8, 8, 8},
                new int[] {0, 1, 0, 1, 0}, new boolean[] {false, false, false, false, true}, 1000);
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {0, 2}, b.get(0));
        assertArrayEquals(new int[] {1, 3}, b.get(1));
        assertArrayEquals(new int[] {4}, b.get(2));
    }

    @Test
    void zeroCapIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> assign(new int[] {0}, new long[] {4}, 0));
    }
}
