package io.jccl.cuda;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Device-side reduction ({@code JCCL_DEVICE_REDUCE=1}) on a GPU: an all-reduce of device buffers (W ranks on one GPU,
 * many segments, in place and out of place) with received segments reduced by {@link ReduceKernels} gives the bits of
 * the same all-reduce staged whole and reduced on the host.
 */
@Tag("gpu")
class DeviceReduceGpuTest {
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

    @ParameterizedTest(name = "W={0} {1} {2}")
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
                for (DeviceBuffer d : new DeviceBuffer[]{out, a}) {
                    d.copyTo(ra);
                    assertArrayEquals(bytesOf(rb), bytesOf(ra), "rank " + comm.rank() + (d == a ? " in" : " out of")
                            + " place");
                }
                return true;
            }
        });
        assertEquals(w, same.size());
    }

    private static byte[] bytesOf(HostBuffer h) {
        byte[] x = new byte[(int) h.byteSize()];
        h.unsafeBacking().get(0, x);
        return x;
    }
}
