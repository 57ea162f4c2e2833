package io.jccl.buffer;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Host buffers above 2 GiB: their windows, slices and element access, and the errors for lengths that cannot be.
 * The large buffer here is 3 GiB of address space of which only a few pages are ever written (the C library hands
 * large blocks out as untouched zero pages), so the test needs no free memory to speak of.
 */
@Timeout(60)
class HostBufferWindowsTest {
    private static final long GIB = 1L << 30;

    @Test
    void badLengthsFailNamingTheProblem() {
        assertMessage("the size is negative", () -> HostBuffer.allocate(-1));
        assertMessage("the count is negative", () -> HostBuffer.allocate(-5, DataType.FLOAT32));
        assertMessage("overflows a 64-bit long", () -> HostBuffer.allocate(Long.MAX_VALUE / 4, DataType.FLOAT64));
        // 2^62 bytes is more than any machine's memory and address space: the C library refuses it
        assertMessage("could not allocate", () -> HostBuffer.allocate(1L << 62));
        assertMessage("the size is negative", () -> HostBuffer.wrapAddress(64, -1));
        assertMessage("outside buffer", () -> HostBuffer.allocate(16).slice(8, Long.MAX_VALUE));
    }

    @Test
    void aCountWhoseSizeOverflowsFailsOnEveryRank() {
        List<String> messages = Jccl.runInProcess(2, CommConfig.fromKnobs(), comm -> {
            try (HostBuffer b = HostBuffer.allocate(64)) {
                return assertThrows(InvalidUsageException.class,
                        () -> comm.allReduce(b, Long.MAX_VALUE / 2, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
            }
        });
        for (String m : messages) {
            assertTrue(m.contains("overflows a 64-bit size"), m);
        }
    }

    @Test
    void aBufferAboveTwoGibIsSeenThroughOverlappingWindows() {
        long size = 3 * GIB + 24;
        HostBuffer b = allocateOrSkip(size);
        try {
            assertEquals(size, b.byteSize());
            assertMessage("larger than one ByteBuffer", b::byteBuffer);
            for (long at : new long[] {0, GIB - 8, GIB, 2 * GIB - 1, 2 * GIB, 3 * GIB - 4, 3 * GIB, size - 8}) {
                ByteBuffer w = b.window(at);
                int o = b.windowOffset(at);
                long reach = Math.min(HostBuffer.WINDOW_REACH_BYTES, size - at);
                assertTrue(o >= 0 && o + reach <= w.capacity(), "byte " + at + " at " + o + " of " + w.capacity());
                assertEquals(at % GIB, o, "byte " + at);
            }
            long last = size / 8 - 1;
            b.putLong(last, 0x0102030405060708L);
            b.putLong(GIB / 8, -7);
            b.putFloat(2 * GIB / 4 - 1, 2.5f);
            assertEquals(0x0102030405060708L, b.getLong(last));
            assertEquals(0x0102030405060708L, b.window(size - 8).getLong(b.windowOffset(size - 8)));
            assertEquals(-7, b.window(GIB - 8).getLong(b.windowOffset(GIB - 8) + 8), "windows overlap");
            assertEquals(2.5f, b.getAsDouble(DataType.FLOAT32, 2 * GIB / 4 - 1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.getLong(last + 1));

            HostBuffer small = b.slice(size - 64, 64);
            assertEquals(0x0102030405060708L, small.byteBuffer().getLong(56), "a slice under 2 GiB is one ByteBuffer");
            HostBuffer big = b.slice(GIB, size - GIB);
            assertEquals(-7, big.getLong(0));
            assertEquals(0x0102030405060708L, big.getLong((size - GIB) / 8 - 1));
            HostBuffer ro = big.asReadOnly();
            assertTrue(ro.isReadOnly());
            assertFalse(big.isReadOnly());
            assertEquals(-7, ro.window(0).getLong(0));
            small.close();
            assertFalse(b.isClosed(), "closing a view leaves the owner open");
        } finally {
            b.close();
        }
        assertTrue(b.isClosed());
    }

    @Test
    void aBufferUpToTheViewLimitIsStillOneDirectByteBuffer() {
        try (HostBuffer b = HostBuffer.allocate(1 << 20)) {
            assertTrue(b.unsafeBacking().isDirect());
            assertSame(b.unsafeBacking(), b.window(0));
            assertSame(b.unsafeBacking(), b.window((1 << 20) - 1));
            assertEquals((1 << 20) - 1, b.windowOffset((1 << 20) - 1));
        }
    }

    /** Allocates {@code size} bytes, or skips the test where the C library refuses (a small CI container). */
    static HostBuffer allocateOrSkip(long size) {
        try {
            return HostBuffer.allocate(size);
        } catch (InvalidUsageException e) {
            assumeTrue(false, "this machine cannot reserve " + size + " bytes of address space: " + e.getMessage());
            throw e;
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        String m = assertThrows(InvalidUsageException.class, call).getMessage();
        assertTrue(m.contains(part), m);
    }
}
