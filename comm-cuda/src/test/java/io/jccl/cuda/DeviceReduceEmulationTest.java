package io.jccl.cuda;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.DeviceReduction;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.local.LocalFabric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device-side reduction ({@code JCCL_DEVICE_REDUCE=1}) without a GPU: {@link EmulatedDevice} buffers run
 * {@link SegmentReducer}, the code that drives the CUDA steps, over steps emulated on the host in the same order.
 * The bits equal the host path's (fp32 sum, bf16 avg; W = 2, 3; every all-reduce algorithm, reduce-scatter and reduce,
 * in place and not), the device did reduce, and in a ring all-reduce each device-reduced segment goes received ->
 * device slot -> kernel -> back to host before any send of its bytes.
 */
class DeviceReduceEmulationTest {
    private static final long[] COUNTS = {1, 2, 37, 1000};

    @Test
    void badArgumentsAreErrorsAndHeapMemoryIsDeclined() {
        try (EmulatedDevice dev = new EmulatedDevice(64, null)) {
            DeviceReduction red = dev.deviceReduction();
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            long d = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            assertThrows(InvalidUsageException.class, () -> red.reduceReceived(
                    DataType.FLOAT32, ReduceOp.SUM, 2, direct, 0, direct, 0, 8, false, d), "misaligned local offset");
            assertThrows(InvalidUsageException.class, () -> red.reduceReceived(
                    DataType.FLOAT32, ReduceOp.SUM, 60, direct, 0, direct, 0, 8, false, d), "past the buffer");
            assertThrows(InvalidUsageException.class, () -> red.reduceReceived(
                    DataType.FLOAT32, ReduceOp.SUM, 0, direct, 60, direct, 0, 8, false, d), "past the received bytes");
            assertEquals(false, red.reduceReceived(DataType.FLOAT32, ReduceOp.SUM, 0, ByteBuffer.allocate(64), 0,
                    direct, 0, 8, false, d), "heap memory goes to the host's reduction");
            assertEquals(0, dev.reductions());
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int w : new int[]{2, 3}) {
            for (Algorithm a : Algorithm.values()) {
                out.add(Arguments.of(w, a, DataType.FLOAT32, ReduceOp.SUM));
                out.add(Arguments.of(w, a, DataType.BFLOAT16, ReduceOp.AVG));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "W={0} {1} {2} {3}")
    @MethodSource("cases")
    @Timeout(120)
    void deviceReductionGivesTheHostBits(int w, Algorithm algo, DataType t, ReduceOp op) {
        CommConfig config = CommConfig.builder().segmentBytes(64).algorithm(algo).timeoutMillis(30_000)
                .deviceReduce(true).build();
        List<Integer> reduced = Jccl.runInProcess(w, config, comm -> {
            int n = 0;
            for (long count : COUNTS) {
                for (boolean inPlace : new boolean[]{true, false}) {
                    n += compare(comm, t, count, inPlace, (c, s, r) -> c.allReduce(s, r, count, t, op));
                    n += compare(comm, t, count * w, inPlace, (c, s, r) -> c.reduce(s, r, count, t, op, w - 1));
                }
                n += compare(comm, t, count * w, false, (c, s, r) -> c.reduceScatter(s, r, count, t, op));
            }
            return n;
        });
        assertEquals(w, reduced.size());
        if (algo == Algorithm.RING || algo == Algorithm.AUTO) {
            for (int r = 0; r < w; r++) {
                assertTrue(reduced.get(r) > 0, "rank " + r + " reduced nothing on the device");
            }
        }
    }

    private interface Op {
        void run(Communicator comm, CommBuffer send, CommBuffer recv);
    }

    /** Same call on host buffers and on emulated device buffers: same bytes out; the device's reduction count. */
    private static int compare(Communicator comm, DataType t, long count, boolean inPlace, Op op) {
        int bytes = (int) (count * t.bytes());
        long seed = comm.rank() * 7919L + count * 31 + t.ordinal();
        try (HostBuffer hs = HostBuffer.allocate(bytes);
             HostBuffer hr = inPlace ? hs : HostBuffer.allocate(bytes);
             EmulatedDevice ds = new EmulatedDevice(bytes, null);
             EmulatedDevice dr = inPlace ? ds : new EmulatedDevice(bytes, null)) {
            fill(hs.unsafeBacking(), t, seed);
            fill(ds.memory(), t, seed);
            if (!inPlace) {
                fill(hr.unsafeBacking(), t, seed + 1);
                fill(dr.memory(), t, seed + 1);
            }
            op.run(comm, hs, hr);
            op.run(comm, ds, dr);
            assertArrayEquals(bytesOf(hr.unsafeBacking()), bytesOf(dr.memory()),
                    () -> comm.lastAlgorithm() + " rank=" + comm.rank() + " W=" + comm.size() + " " + t + " count="
                            + count + " inPlace=" + inPlace);
            return ds.reductions() + (inPlace ? 0 : dr.reductions());
        }
    }

    /**
     * A ring all-reduce in place of 16 segments per chunk: on every rank, each device reduction logs slot-h2d, reduce
     * and slot-d2h in that order, and no send of a device-reduced range comes before its slot-d2h; some are sent
     * after it (the ring forwards the partial and final sums).
     */
    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {2, 3})
    @Timeout(60)
    void copyReduceSendOrder(int w) throws Exception {
        int segment = 256;
        long count = (long) w * 16 * segment / 4;
        CommConfig config = CommConfig.builder().segmentBytes(segment).algorithm(Algorithm.RING)
                .timeoutMillis(30_000).deviceReduce(true).build();
        LocalFabric fabric = new LocalFabric(w);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<Future<List<String>>> logs = new ArrayList<>();
            for (int rank = 0; rank < w; rank++) {
                int r = rank;
                logs.add(pool.submit(() -> runRank(fabric, r, config, count)));
            }
            for (Future<List<String>> f : logs) {
                checkOrder(f.get(50, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> runRank(LocalFabric fabric, int r, CommConfig config, long count) {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        int w = fabric.size();
        try (Communicator comm = Jccl.world(LoggingTransport.of(fabric.transport(r), log), config);
             EmulatedDevice dev = new EmulatedDevice(count * 4, log)) {
            for (int i = 0; i < count; i++) {
                dev.memory().putFloat(i * 4, i % 1000 + r);
            }
            comm.allReduce(dev, count, DataType.FLOAT32, ReduceOp.SUM);
            for (int i = 0; i < count; i++) {
                assertEquals((float) (w * (i % 1000)) + w * (w - 1) / 2f, dev.memory().getFloat(i * 4), "element " + i);
            }
            assertTrue(dev.reductions() > 0, "rank " + r + " reduced nothing on the device");
        }
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    private static void checkOrder(List<String> log) {
        List<String> backOnHost = new ArrayList<>();
        int forwarded = 0;
        String expect = "slot-h2d";
        for (String event : log) {
            String[] e = event.split(" ");
            switch (e[0]) {
                case "slot-h2d", "reduce", "slot-d2h" -> {
                    assertEquals(expect, e[0], "device steps out of order in " + log);
                    expect = switch (e[0]) {
                        case "slot-h2d" -> "reduce";
                        case "reduce" -> "slot-d2h";
                        default -> "slot-h2d";
                    };
                    if (e[0].equals("slot-d2h")) {
                        backOnHost.add(e[1] + " " + e[2]);
                    }
                }
                case "send" -> {
                    String range = e[1] + " " + e[2];
                    forwarded += backOnHost.contains(range) ? 1 : 0;
                }
                default -> {
                }
            }
        }
        assertEquals("slot-h2d", expect, "a device reduction did not finish: " + log);
        assertTrue(forwarded > 0, "no device-reduced range was sent on: " + log);
        // no send of a device-reduced range before its result is back: each such range's first send follows it
        for (String range : backOnHost) {
            int back = log.indexOf("slot-d2h " + range);
            int firstSend = log.indexOf("send " + range);
            assertTrue(firstSend < 0 || firstSend > back, "bytes " + range + " sent (event " + firstSend
                    + ") before their device reduction came back (event " + back + ")");
        }
    }

    /** Values in [-8, 8) (no NaN: two NaN operands' bits are not pinned down on the host either). */
    static void fill(ByteBuffer b, DataType t, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = b.capacity() / t.bytes();
        for (int i = 0; i < n; i++) {
            float v = (float) (rnd.nextDouble() * 16 - 8);
            if (t == DataType.FLOAT32) {
                b.putFloat(i * 4, v);
            } else {
                b.putShort(i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
    }

    private static byte[] bytesOf(ByteBuffer b) {
        byte[] out = new byte[b.capacity()];
        b.get(0, out);
        return out;
    }
}
