package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device buffers: copies with offsets, staging memory, ownership and errors. */
@Tag("gpu")
class DeviceBufferGpuTest {
    private static CudaContext ctx;

    @BeforeAll
    static void setUp() {
        if (CudaAvailability.isAvailable()) {
            ctx = CudaContext.forLocalRank();
        }
    }

    @BeforeEach
    void needsAGpu() {
        GpuTests.assumeGpu(); // per test, so that each skip (or, with -Djccl.cuda.require=true, failure) says why
    }

    @AfterAll
    static void tearDown() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void wrappedMemoryAndSlicesAreUsedInPlaceAndFreedByTheirOwner() {
        try (DeviceBuffer owner = DeviceBuffer.allocate(ctx, 4096)) {
            owner.fill((byte) 7);
            long address = PinnedHostMemory.Address.of(owner.pointer(0));
            try (DeviceBuffer borrowed = DeviceBuffer.wrap(ctx, address, 4096);
                 DeviceBuffer slice = borrowed.slice(1000, 24)) {
                assertFalse(borrowed.ownsMemory());
                ByteBuffer ones = ByteBuffer.allocateDirect(24);
                for (int i = 0; i < 24; i++) {
                    ones.put(i, (byte) 1);
                }
                slice.copyFromHost(ones, 0, 0, 24);
                ByteBuffer back = ByteBuffer.allocateDirect(4096);
                owner.copyToHost(0, back, 0, 4096);
                for (int i = 0; i < 4096; i++) {
                    assertEquals(i >= 1000 && i < 1024 ? 1 : 7, back.get(i), "byte " + i);
                }
                assertThrows(InvalidUsageException.class, () -> slice.slice(20, 8));
            }
            // closing the borrowed view freed nothing: the owner's memory is still usable
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            owner.copyToHost(0, one, 0, 1);
            assertEquals(7, one.get(0));
            DeviceBuffer view = owner.slice(0, 8);
            owner.close();
            assertThrows(InvalidUsageException.class, () -> view.copyToHost(0, one, 0, 1));
            view.close();
        }
    }

    @Test
    void aStreamViewOrdersCopiesAfterTheStreamsWork() {
        try (CudaStream s = CudaStream.create(ctx, true);
             DeviceBuffer d = DeviceBuffer.allocate(ctx, 1 << 20);
             DeviceBuffer src = DeviceBuffer.allocate(ctx, 1 << 20);
             DeviceBuffer onS = d.onStream(s)) {
            src.fill((byte) 3);
            ctx.synchronize();
            d.copyFromDevice(src, 0, 0, 1 << 20, s); // queued on the non-blocking stream, not synchronised
            onS.stagingBegins();
            ByteBuffer back = ByteBuffer.allocateDirect(1 << 20);
            onS.copyToHost(0, back, 0, 1 << 20);
            onS.stagingEnded();
            assertEquals(3, back.get((1 << 20) - 1));
            s.synchronize();
        }
    }

    @Test
    void copiesRoundTripAtAnyOffset() {
        Random rnd = new Random(1);
        byte[] data = new byte[10_000];
        rnd.nextBytes(data);
        ByteBuffer src = ByteBuffer.allocateDirect(data.length + 7);
        src.put(7, data);
        ByteBuffer dst = ByteBuffer.allocateDirect(data.length + 3);
        try (DeviceBuffer d = DeviceBuffer.allocate(ctx, data.length + 100)) {
            d.fill((byte) 0);
            d.copyFromHost(src, 7, 13, data.length);
            d.copyToHost(13, dst, 3, data.length);
            byte[] back = new byte[data.length];
            dst.get(3, back);
            assertEquals(ByteBuffer.wrap(data), ByteBuffer.wrap(back));
            ByteBuffer head = ByteBuffer.allocateDirect(13);
            d.copyToHost(0, head, 0, 13);
            for (int i = 0; i < 13; i++) {
                assertEquals(0, head.get(i), "byte " + i + " before the copied range");
            }
            assertEquals(0, src.position(), "positions untouched");
        }
    }

    @Test
    void stagingIsUsableHostMemoryAndSurvivesCollection() throws Exception {
        try (DeviceBuffer d = DeviceBuffer.allocate(ctx, 1 << 20)) {
            for (int round = 0; round < 5; round++) {
                HostBuffer s = d.allocateStaging(1 << 20);
                assertTrue(s.byteSize() >= 1 << 20);
                ByteBuffer b = s.unsafeBacking();
                assertEquals(java.nio.ByteOrder.nativeOrder(), b.order());
                for (int i = 0; i < 1 << 20; i += 4) {
                    b.putInt(i, i ^ round);
                }
                d.copyFromHost(b, 0, 0, 1 << 20);
                HostBuffer back = HostBuffer.allocate(1 << 20);
                d.copyTo(back);
                for (int i = 0; i < 1 << 20; i += 4096) {
                    assertEquals(i ^ round, back.unsafeBacking().getInt(i));
                }
                back.close();
                s.close();
                System.gc(); // pinned memory of earlier rounds is freed by its cleaner; must not disturb live buffers
            }
        }
    }

    @Test
    void ownershipAndErrors() {
        DeviceBuffer d = DeviceBuffer.allocate(ctx, 256, DataType.FLOAT32);
        assertEquals(1024, d.byteSize());
        assertEquals(256, d.count(DataType.FLOAT32));
        assertFalse(d.isReadOnly());
        ByteBuffer host = ByteBuffer.allocateDirect(2048);
        assertThrows(InvalidUsageException.class, () -> d.copyToHost(1000, host, 0, 100));
        assertThrows(InvalidUsageException.class, () -> d.copyToHost(0, host, 2000, 100));
        assertThrows(InvalidUsageException.class, () -> d.copyToHost(0, ByteBuffer.allocate(16), 0, 16));
        assertThrows(InvalidUsageException.class, () -> d.copyToHost(0, host.asReadOnlyBuffer(), 0, 16));
        assertThrows(InvalidUsageException.class, () -> d.copyFromHost(host, 0, -1, 16));
        d.close();
        d.close(); // idempotent
        assertTrue(d.isClosed());
        assertThrows(InvalidUsageException.class, () -> d.copyToHost(0, host, 0, 16));
        try (DeviceBuffer empty = DeviceBuffer.allocate(ctx, 0)) {
            empty.copyToHost(0, host, 0, 0);
        }
        CudaException oom = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(ctx, 1L << 50));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", oom.errorName());
    }

    @Test
    void aClosedContextRefusesNewObjectsButKeepsOldOnes() {
        CudaContext c = CudaContext.create(ctx.device());
        DeviceBuffer d = DeviceBuffer.allocate(c, 64);
        c.close();
        assertThrows(InvalidUsageException.class, () -> DeviceBuffer.allocate(c, 64));
        d.fill((byte) 1); // still usable: the buffer holds the context
        ByteBuffer h = ByteBuffer.allocateDirect(64);
        d.copyToHost(0, h, 0, 64);
        assertEquals(1, h.get(63));
        d.close();
    }

    @Test
    void deviceToDeviceCopy() {
        try (DeviceBuffer a = DeviceBuffer.allocate(ctx, 4096); DeviceBuffer b = DeviceBuffer.allocate(ctx, 4096)) {
            a.fill((byte) 7);
            b.fill((byte) 0);
            b.copyFromDevice(a, 100, 200, 1000, null);
            ByteBuffer h = ByteBuffer.allocateDirect(4096);
            b.copyToHost(0, h, 0, 4096);
            for (int i = 0; i < 4096; i++) {
                assertEquals(i >= 200 && i < 1200 ? 7 : 0, h.get(i), "byte " + i);
            }
        }
    }
}
