package io.jccl.cuda;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The asynchronous copies of device buffers ({@link CopyLanes}) on a GPU: segment copies at offsets, tickets per
 * direction, a wait for the last ticket covering the earlier ones, more copies than event slots, argument errors;
 * a pipelined all-reduce (W = 2 ranks on one GPU, many segments) giving the bits of the staged-whole one; and the
 * same with received segments reduced on the GPU (W = 2, 3).
 */
@Tag("gpu")
class CopyLanesGpuTest {
    private static CudaContext ctx;

    @BeforeAll
    static void setUp() {
        if (CudaAvailability.isAvailable()) {
            ctx = CudaContext.forLocalRank();
        }
    }

    @BeforeEach
    void needsAGpu() {
        GpuTests.assumeGpu();
    }

    @AfterAll
    static void tearDown() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void segmentCopiesBothWaysLandWhereAsked() {
        int bytes = (CopyLanes.SLOTS + 300) * 64; // more copies than event slots
        try (DeviceBuffer dev = DeviceBuffer.allocate(ctx, bytes);
             HostBuffer staging = dev.allocateStaging(bytes);
             HostBuffer back = dev.allocateStaging(bytes)) {
            ByteBuffer s = staging.unsafeBacking();
            for (int i = 0; i < bytes; i++) {
                s.put(i, (byte) (i * 31 + 7));
            }
            long last = 0;
            for (int off = bytes - 64; off >= 0; off -= 64) { // reverse order: placement, not order, is checked
                long t = dev.copyFromHostAsync(s, off, off, 64);
                assertTrue(t > last && t % 2 == 0, "host-to-device tickets grow and are even: " + t);
                last = t;
            }
            dev.awaitCopy(last, System.nanoTime() + 10_000_000_000L);
            ByteBuffer b = back.unsafeBacking();
            long lastBack = 0;
            for (int off = 0; off < bytes; off += 64) {
                long t = dev.copyToHostAsync(off, b, off, 64);
                assertTrue(t > lastBack && t % 2 == 1, "device-to-host tickets grow and are odd: " + t);
                lastBack = t;
            }
            dev.awaitCopy(lastBack, System.nanoTime() + 10_000_000_000L);
            for (int i = 0; i < bytes; i++) {
                assertEquals((byte) (i * 31 + 7), b.get(i), "byte " + i);
            }
            assertEquals(0, dev.copyToHostAsync(0, b, 0, 0), "an empty copy is complete");
        }
    }

    @Test
    void badArgumentsAndTicketsAreErrors() {
        try (DeviceBuffer dev = DeviceBuffer.allocate(ctx, 256)) {
            ByteBuffer host = ByteBuffer.allocateDirect(256);
            assertThrows(InvalidUsageException.class, () -> dev.copyToHostAsync(200, host, 0, 100));
            assertThrows(InvalidUsageException.class, () -> dev.copyFromHostAsync(host, 200, 0, 100));
            assertThrows(InvalidUsageException.class, () -> dev.copyToHostAsync(0, ByteBuffer.allocate(8), 0, 8));
            assertThrows(InvalidUsageException.class, () -> dev.awaitCopy(Long.MAX_VALUE - 1, System.nanoTime()));
            assertThrows(InvalidUsageException.class, () -> dev.awaitCopy(-3, System.nanoTime()));
        }
    }

    @Test
    void pipelinedAllReduceGivesTheBitsOfWholeStaging() {
        int count = 1 << 20;
        CommConfig config = CommConfig.builder().segmentBytes(64 << 10).timeoutMillis(60_000).build();
        List<Boolean> same = Jccl.runInProcess(2, config, comm -> {
            try (DeviceBuffer a = DeviceBuffer.allocate(ctx, count, DataType.BFLOAT16);
                 DeviceBuffer b = DeviceBuffer.allocate(ctx, count, DataType.BFLOAT16);
                 HostBuffer h = HostBuffer.allocate(count * 2L);
                 HostBuffer ra = HostBuffer.allocate(count * 2L);
                 HostBuffer rb = HostBuffer.allocate(count * 2L)) {
                Random rnd = new Random(comm.rank());
                for (int i = 0; i < count; i++) {
                    float v = rnd.nextFloat() * 8 - 4;
                    h.unsafeBacking().putShort(i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
                }
                a.copyFrom(h);
                b.copyFrom(h);
                comm.allReduce(a, count, DataType.BFLOAT16, ReduceOp.AVG);
                comm.allReduce(WholeStaging.of(b), count, DataType.BFLOAT16, ReduceOp.AVG);
                a.copyTo(ra);
                b.copyTo(rb);
                byte[] x = new byte[count * 2];
                byte[] y = new byte[count * 2];
                ra.unsafeBacking().get(0, x);
                rb.unsafeBacking().get(0, y);
                assertArrayEquals(y, x, "rank " + comm.rank());
                return true;
            }
        });
        assertEquals(List.of(true, true), same);
    }

    /**
     * Device-side reduction ({@code deviceReduce}: received segments reduced by {@link ReduceKernels}): W ranks on one
     * GPU, many segments, in place and out of place, give the bits of the all-reduce staged whole.
     */
    @ParameterizedTest(name = "device reduce W={0} {1} {2}")
    @CsvSource({"2, FLOAT32, SUM", "2, BFLOAT16, AVG", "3, FLOAT32, SUM", "3, BFLOAT16, AVG"})
    void deviceReductionGivesTheBitsOfWholeStaging(int w, DataType t, ReduceOp op) {
        int count = 3 << 18;
        long bytes = (long) count * t.bytes();
        CommConfig config = CommConfig.builder().segmentBytes(64 << 10).timeoutMillis(60_000).deviceReduce(true)
                .build();
        List<Boolean> same = Jccl.runInProcess(w, config, comm -> {
            try (DeviceBuffer a = DeviceBuffer.allocate(ctx, bytes);
                 DeviceBuffer out = DeviceBuffer.allocate(ctx, bytes);
                 DeviceBuffer b = DeviceBuffer.allocate(ctx, bytes);
                 HostBuffer h = HostBuffer.allocate(bytes);
                 HostBuffer ra = HostBuffer.allocate(bytes);
                 HostBuffer rb = HostBuffer.allocate(bytes)) {
                DeviceReduceEmulationTest.fill(h.unsafeBacking(), t, comm.rank() + 17L * w);
                a.copyFrom(h);
                b.copyFrom(h);
                comm.allReduce(a, out, count, t, op);
                comm.allReduce(a, count, t, op);
                comm.allReduce(WholeStaging.of(b), count, t, op);
                b.copyTo(rb);
                byte[] y = new byte[(int) bytes];
                rb.unsafeBacking().get(0, y);
                for (DeviceBuffer d : new DeviceBuffer[]{out, a}) {
                    d.copyTo(ra);
                    byte[] x = new byte[(int) bytes];
                    ra.unsafeBacking().get(0, x);
                    assertArrayEquals(y, x, "rank " + comm.rank() + (d == a ? " in" : " out of") + " place");
                }
                return true;
            }
        });
        assertEquals(w, same.size());
    }
}
