package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HostReduce;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every CUDA kernel against {@link HostReduce}, bit for bit: random data with NaN, infinities, -0.0 and
 * subnormals; aligned and unaligned offsets (same and different misalignment, so both the vector path with
 * its scalar head and tail and the all-scalar path run); in place; counts from 0 up; every fp16 and bf16
 * bit pattern against the special values.
 */
@Tag("gpu")
class ReduceKernelsGpuTest {
    private static final byte GUARD = (byte) 0xA5;
    /** Element offsets {dst, a, b}; dst = -1 means in place on a. */
    private static final int[][] PLACEMENTS = {{0, 0, 0}, {1, 1, 1}, {3, 3, 3}, {0, 1, 2}, {5, 0, 3}, {-1, 1, 0}, {-1, 0, 0}};
    private static final long[] COUNTS = {0, 1, 2, 15, 33, 1000, 65_539};
    private static final int PAD = 16; // elements of slack around each operand

    private static CudaContext ctx;
    private static ReduceKernels kernels;

    @BeforeAll
    static void setUp() {
        if (CudaAvailability.isAvailable()) {
            ctx = CudaContext.forLocalRank();
            kernels = ReduceKernels.load(ctx);
        }
    }

    @BeforeEach
    void needsAGpu() {
        GpuTests.assumeGpu(); // per test, so that each skip (or, with -Djccl.cuda.require=true, failure) says why
    }

    @AfterAll
    static void tearDown() {
        if (kernels != null) {
            kernels.close();
        }
        if (ctx != null) {
            ctx.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void reduceMatchesHostForEveryOpPlacementAndCount(DataType type) {
        Random rnd = new Random(42 + type.ordinal());
        List<String> failures = new ArrayList<>();
        for (ReduceOp op : ReduceOp.values()) {
            for (long count : COUNTS) {
                for (int[] place : PLACEMENTS) {
                    String f = runCase(type, op, count, place, rnd);
                    if (f != null) {
                        failures.add(f);
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    /** Returns a failure description, or null. */
    private static String runCase(DataType type, ReduceOp op, long count, int[] place, Random rnd) {
        int es = type.bytes();
        boolean inPlace = place[0] < 0;
        long aOff = (long) place[1] * es;
        long bOff = (long) place[2] * es;
        long dOff = inPlace ? aOff : (long) place[0] * es;
        long cap = (count + PAD) * es;
        try (HostBuffer ha = HostBuffer.allocate(count, type); HostBuffer hb = HostBuffer.allocate(count, type);
             HostBuffer expect = HostBuffer.allocate(count, type); HostBuffer got = HostBuffer.allocate(cap);
             DeviceBuffer da = DeviceBuffer.allocate(ctx, cap); DeviceBuffer db = DeviceBuffer.allocate(ctx, cap);
             DeviceBuffer dd = inPlace ? null : DeviceBuffer.allocate(ctx, cap)) {
            GpuTests.fill(ha, type, count, rnd);
            GpuTests.fill(hb, type, count, rnd);
            GpuTests.equalizeNaNPairs(ha, hb, type, count);
            HostReduce.reduce(type, op, ha.unsafeBacking(), 0, hb.unsafeBacking(), 0, expect.unsafeBacking(), 0, (int) count);
            da.fill(GUARD);
            db.fill(GUARD);
            da.copyFromHost(ha.unsafeBacking(), 0, aOff, (int) (count * es));
            db.copyFromHost(hb.unsafeBacking(), 0, bOff, (int) (count * es));
            DeviceBuffer dst = inPlace ? da : dd;
            if (!inPlace) {
                dd.fill(GUARD);
            }
            kernels.reduce(op, type, dst, dOff, da, aOff, db, bOff, count, null);
            ctx.synchronize();
            dst.copyToHost(0, got.unsafeBacking(), 0, (int) cap);
            String where = op + " " + type + " count=" + count + " dst/a/b element offsets=" + (inPlace ? "in-place" : place[0])
                    + "/" + place[1] + "/" + place[2];
            long bad = GpuTests.firstDifference(got, dOff, expect, 0, count, type);
            if (bad >= 0) {
                return where + ": element " + bad + " a=" + GpuTests.hex(ha, 0, bad, type) + " b=" + GpuTests.hex(hb, 0, bad, type)
                        + " host=" + GpuTests.hex(expect, 0, bad, type) + " gpu=" + GpuTests.hex(got, dOff, bad, type);
            }
            for (long i = 0; i < cap; i++) {
                if ((i < dOff || i >= dOff + count * es) && got.unsafeBacking().get((int) i) != GUARD) {
                    return where + ": byte " + i + " outside the destination range was written";
                }
            }
            return null;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void divideMatchesHost(DataType type) {
        Random rnd = new Random(7 + type.ordinal());
        int es = type.bytes();
        List<String> failures = new ArrayList<>();
        for (int divisor : new int[] {1, 2, 3, 4, 7, 1000}) {
            for (long count : COUNTS) {
                for (int off : new int[] {0, 1, 3}) {
                    long cap = (count + PAD) * es;
                    try (HostBuffer h = HostBuffer.allocate(count, type); HostBuffer got = HostBuffer.allocate(cap);
                         DeviceBuffer d = DeviceBuffer.allocate(ctx, cap)) {
                        GpuTests.fill(h, type, count, rnd);
                        d.fill(GUARD);
                        d.copyFromHost(h.unsafeBacking(), 0, (long) off * es, (int) (count * es));
                        HostReduce.divide(type, h.unsafeBacking(), 0, (int) count, divisor);
                        kernels.divide(type, d, (long) off * es, count, divisor, null);
                        ctx.synchronize();
                        d.copyToHost(0, got.unsafeBacking(), 0, (int) cap);
                        long bad = GpuTests.firstDifference(got, (long) off * es, h, 0, count, type);
                        if (bad >= 0) {
                            failures.add("divide " + type + " by " + divisor + " count=" + count + " offset=" + off
                                    + ": element " + bad + " host=" + GpuTests.hex(h, 0, bad, type) + " gpu="
                                    + GpuTests.hex(got, (long) off * es, bad, type));
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    /** Every 16-bit pattern as a, against each special value (and every pattern) as b, every op and the division. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"FLOAT16", "BFLOAT16"})
    void everyHalfPatternMatchesHost(DataType type) {
        int n = 1 << 16;
        short[] specials = type == DataType.FLOAT16 ? GpuTests.F16_SPECIAL : GpuTests.BF16_SPECIAL;
        List<String> failures = new ArrayList<>();
        try (HostBuffer ha = HostBuffer.allocate(n, type); HostBuffer hb = HostBuffer.allocate(n, type);
             HostBuffer expect = HostBuffer.allocate(n, type); HostBuffer got = HostBuffer.allocate(n, type);
             DeviceBuffer da = DeviceBuffer.allocate(ctx, n, type); DeviceBuffer db = DeviceBuffer.allocate(ctx, n, type);
             DeviceBuffer dd = DeviceBuffer.allocate(ctx, n, type)) {
            for (int b = -1; b < specials.length; b++) {
                for (int i = 0; i < n; i++) {
                    ha.unsafeBacking().putShort(i * 2, (short) i);
                    // b = -1: b runs over every pattern too, shifted so most pairs differ
                    hb.unsafeBacking().putShort(i * 2, b < 0 ? (short) (i * 40_503 + 17) : specials[b]);
                }
                GpuTests.equalizeNaNPairs(ha, hb, type, n);
                da.copyFrom(ha);
                db.copyFrom(hb);
                for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MIN, ReduceOp.MAX}) {
                    HostReduce.reduce(type, op, ha.unsafeBacking(), 0, hb.unsafeBacking(), 0, expect.unsafeBacking(), 0, n);
                    kernels.reduce(op, type, dd, 0, da, 0, db, 0, n, null);
                    dd.copyTo(got);
                    long bad = GpuTests.firstDifference(got, 0, expect, 0, n, type);
                    if (bad >= 0) {
                        failures.add(op + " " + type + " a=" + GpuTests.hex(ha, 0, bad, type) + " b=" + GpuTests.hex(hb, 0, bad, type)
                                + " host=" + GpuTests.hex(expect, 0, bad, type) + " gpu=" + GpuTests.hex(got, 0, bad, type));
                    }
                }
            }
            for (int divisor : new int[] {3, 7, 1024}) {
                for (int i = 0; i < n; i++) {
                    ha.unsafeBacking().putShort(i * 2, (short) i);
                }
                da.copyFrom(ha);
                HostReduce.divide(type, ha.unsafeBacking(), 0, n, divisor);
                kernels.divide(type, da, 0, n, divisor, null);
                da.copyTo(got);
                long bad = GpuTests.firstDifference(got, 0, ha, 0, n, type);
                if (bad >= 0) {
                    failures.add("divide " + type + " by " + divisor + " pattern=" + String.format("0x%04x", bad)
                            + " host=" + GpuTests.hex(ha, 0, bad, type) + " gpu=" + GpuTests.hex(got, 0, bad, type));
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void streamsOrderLaunchesAndCopies() {
        int n = 1 << 20;
        try (CudaStream s = CudaStream.create(ctx, true); CudaEvent start = CudaEvent.create(ctx, true);
             CudaEvent end = CudaEvent.create(ctx, true);
             HostBuffer h = HostBuffer.allocate(n, DataType.INT32); HostBuffer got = HostBuffer.allocate(n, DataType.INT32);
             DeviceBuffer d = DeviceBuffer.allocate(ctx, n, DataType.INT32)) {
            for (int i = 0; i < n; i++) {
                h.putInt(i, i);
            }
            d.copyFrom(h);
            start.record(s);
            for (int k = 0; k < 10; k++) {
                kernels.reduce(ReduceOp.SUM, DataType.INT32, d, 0, d, 0, d, 0, n, s); // d = 2d, ten times
            }
            end.record(s);
            d.copyToHostAsync(0, got.unsafeBacking(), 0, n * 4, s);
            s.synchronize();
            for (int i = 0; i < n; i += 4099) {
                assertEquals(i * 1024, got.getInt(i), "element " + i);
            }
            float ms = end.elapsedMillis(start);
            if (!(ms > 0 && ms < 10_000)) {
                fail("event time " + ms + " ms");
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        try (DeviceBuffer a = DeviceBuffer.allocate(ctx, 64)) {
            assertThrows(InvalidUsageException.class, () -> kernels.reduce(ReduceOp.SUM, DataType.FLOAT32, a, 0, a, 0, a, 0, 17, null));
            assertThrows(InvalidUsageException.class, () -> kernels.reduce(ReduceOp.SUM, DataType.FLOAT32, a, 2, a, 2, a, 2, 1, null));
            assertThrows(InvalidUsageException.class, () -> kernels.reduce(ReduceOp.SUM, DataType.FLOAT32, a, 4, a, 0, a, 0, 4, null));
            assertThrows(InvalidUsageException.class, () -> kernels.reduce(ReduceOp.SUM, DataType.FLOAT32, a, 0, a, 0, a, 0, -1, null));
            assertThrows(InvalidUsageException.class, () -> kernels.divide(DataType.FLOAT32, a, 0, 4, 0, null));
            kernels.reduce(ReduceOp.SUM, DataType.FLOAT32, a, 0, a, 0, a, 32, 8, null); // exact aliasing and disjoint are fine
            ctx.synchronize();
        }
    }
}
