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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Collectives on device buffers through the in-process communicator, W = 1, 2, 4 ranks on one GPU: the
 * results are the same bits as the same collectives on host buffers.
 */
@Tag("gpu")
class DeviceAllReduceGpuTest {
    private static final long COUNT = 10_007; // not divisible by W, several segments of 4 KiB
    private static final CommConfig CONFIG = CommConfig.builder().segmentBytes(4096).timeoutMillis(120_000).build();
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

    private static HostBuffer input(int rank, DataType type, ReduceOp op) {
        HostBuffer h = HostBuffer.allocate(COUNT, type);
        Random rnd = new Random(1000L * rank + 31L * type.ordinal() + op.ordinal());
        GpuTests.fill(h, type, COUNT, rnd);
        GpuTests.canonicalizeNaN(h, type, COUNT);
        return h;
    }

    private static byte[] bytes(HostBuffer h) {
        byte[] b = new byte[(int) h.byteSize()];
        h.unsafeBacking().get(0, b);
        return b;
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {1, 2, 4})
    void allReduceOnDeviceBuffersGivesTheHostBits(int w) {
        List<String> failures = new ArrayList<>();
        for (DataType type : DataType.values()) {
            for (ReduceOp op : ReduceOp.values()) {
                for (boolean inPlace : new boolean[] {true, false}) {
                    List<byte[]> host = Jccl.runInProcess(w, CONFIG, comm -> {
                        try (HostBuffer in = input(comm.rank(), type, op); HostBuffer out = HostBuffer.allocate(COUNT, type)) {
                            comm.allReduce(in, inPlace ? in : out, COUNT, type, op);
                            return bytes(inPlace ? in : out);
                        }
                    });
                    List<byte[]> device = Jccl.runInProcess(w, CONFIG, comm -> {
                        try (HostBuffer in = input(comm.rank(), type, op); HostBuffer out = HostBuffer.allocate(COUNT, type);
                             DeviceBuffer send = DeviceBuffer.allocate(ctx, COUNT, type);
                             DeviceBuffer recv = inPlace ? null : DeviceBuffer.allocate(ctx, COUNT, type)) {
                            send.copyFrom(in);
                            comm.allReduce(send, inPlace ? send : recv, COUNT, type, op);
                            (inPlace ? send : recv).copyTo(out);
                            return bytes(out);
                        }
                    });
                    for (int r = 0; r < w; r++) {
                        if (!java.util.Arrays.equals(host.get(r), device.get(r))) {
                            failures.add("W=" + w + " " + type + " " + op + (inPlace ? " in-place" : "") + " rank=" + r
                                    + ": device result differs from host result");
                        }
                        if (!java.util.Arrays.equals(device.get(0), device.get(r))) {
                            failures.add("W=" + w + " " + type + " " + op + " rank=" + r + " differs from rank 0");
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void otherCollectivesOnDeviceBuffersGiveTheHostBits() {
        int w = 4;
        DataType type = DataType.BFLOAT16;
        // broadcast from rank 2, all-gather, reduce-scatter (sum), reduce to rank 1 (max): device vs host
        for (String which : new String[] {"broadcast", "allGather", "reduceScatter", "reduce"}) {
            List<byte[]> host = Jccl.runInProcess(w, CONFIG, comm -> run(which, comm, type, false));
            List<byte[]> device = Jccl.runInProcess(w, CONFIG, comm -> run(which, comm, type, true));
            for (int r = 0; r < w; r++) {
                assertEquals(java.util.Arrays.toString(host.get(r)), java.util.Arrays.toString(device.get(r)), which + " rank=" + r);
            }
        }
    }

    private static byte[] run(String which, io.jccl.Communicator comm, DataType type, boolean onDevice) {
        int w = comm.size();
        long inCount = which.equals("reduceScatter") ? COUNT * w : COUNT;
        long outCount = which.equals("allGather") ? COUNT * w : which.equals("reduceScatter") ? COUNT : COUNT;
        try (HostBuffer in = HostBuffer.allocate(inCount, type); HostBuffer out = HostBuffer.allocate(outCount, type)) {
            GpuTests.fill(in, type, inCount, new Random(comm.rank()));
            GpuTests.canonicalizeNaN(in, type, inCount);
            if (!onDevice) {
                call(which, comm, in, out, type);
                return bytes(out);
            }
            try (DeviceBuffer din = DeviceBuffer.allocate(ctx, inCount, type); DeviceBuffer dout = DeviceBuffer.allocate(ctx, outCount, type)) {
                din.copyFrom(in);
                dout.copyFrom(out);
                call(which, comm, din, dout, type);
                dout.copyTo(out);
                return bytes(out);
            }
        }
    }

    private static void call(String which, io.jccl.Communicator comm, io.jccl.buffer.CommBuffer in, io.jccl.buffer.CommBuffer out,
                             DataType type) {
        switch (which) {
            case "broadcast": comm.broadcast(in, out, COUNT, type, 2); break;
            case "allGather": comm.allGather(in, out, COUNT, type); break;
            case "reduceScatter": comm.reduceScatter(in, out, COUNT, type, ReduceOp.SUM); break;
            default: comm.reduce(in, out, COUNT, type, ReduceOp.MAX, 1); break;
        }
    }
}
