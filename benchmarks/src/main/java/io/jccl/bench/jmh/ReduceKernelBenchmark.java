package io.jccl.bench.jmh;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.reduce.HostReduce;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Host reduction kernels: {@code dst = a op b} through {@link HostReduce#reduce} for every type x op, on
 * direct buffers of {@code bytes} bytes (the default 4 MiB is larger than L2, so the result is a streaming
 * rate; 64 KiB shows the in-cache rate).
 *
 * <p>Read the output: the primary score is calls per second; the secondary result {@code GBps} (JMH prints it
 * as {@code ReduceKernelBenchmark.reduce:GBps} in ops/s) is the reduction rate in decimal GB/s of one
 * operand, i.e. {@code bytes} per call, the same unit as {@code gamma = 1 / (GBps x 1e9)} seconds per byte in
 * the cost model. {@code -prof gc} adds {@code gc.alloc.rate.norm}: bytes allocated per call (expected 0 in
 * steady state: the kernels work on per-thread tiles).
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar ReduceKernelBenchmark -p type=FLOAT32 -p op=SUM -prof gc
 * </pre>
 *
 * <p>JMH state, one per benchmark thread; not shared.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m"})
@State(Scope.Thread)
public class ReduceKernelBenchmark {
    @Param({"FLOAT32", "FLOAT64", "FLOAT16", "BFLOAT16", "INT8", "UINT8", "INT32", "INT64"})
    public DataType type;

    @Param({"SUM", "PROD", "MIN", "MAX"})
    public ReduceOp op;

    /** Bytes of one operand (and of the destination). */
    @Param({"4194304"})
    public int bytes;

    private ByteBuffer a;
    private ByteBuffer b;
    private ByteBuffer dst;
    private int count;

    /** Reduction rate, reported by JMH as a rate: decimal GB of one operand per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rate {
        /** Decimal gigabytes reduced (one operand's bytes); JMH divides by the time: GB/s. */
        public double GBps;

        @Setup(Level.Iteration)
        public void reset() {
            GBps = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        count = bytes / type.bytes();
        a = ByteBuffer.allocateDirect(count * type.bytes()).order(ByteOrder.nativeOrder());
        b = ByteBuffer.allocateDirect(count * type.bytes()).order(ByteOrder.nativeOrder());
        dst = ByteBuffer.allocateDirect(count * type.bytes()).order(ByteOrder.nativeOrder());
        // small values (1, 2, 3 in every byte lane's type) so that PROD and SUM stay finite and normal
        for (int i = 0; i < a.capacity(); i++) {
            a.put(i, (byte) (i % 3 == 0 ? 0x3c : 1));
            b.put(i, (byte) (i % 5 == 0 ? 0x3c : 2));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a = null;
        b = null;
        dst = null;
    }

    /** {@code dst = a op b}, out of place (the ring's reduce-scatter step writes the destination). */
    @Benchmark
    public ByteBuffer reduce(Rate rate) {
        HostReduce.reduce(type, op, a, 0, b, 0, dst, 0, count);
        rate.GBps += count * (double) type.bytes() / 1e9;
        return dst;
    }
}
