package io.jccl.bench.jmh;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HeapArrayBuffer;
import io.jccl.buffer.HostBuffer;
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

import java.util.concurrent.TimeUnit;

/**
 * What staging a Java array costs: the same in-place fp32 sum all-reduce of {@code bytes} on a {@link HostBuffer}
 * ({@code memory=host}, no copy) and on a {@code float[]} through {@link HeapArrayBuffer} ({@code memory=array}: a
 * copy into a pooled host buffer before the call and back after it). W ranks are threads of this JVM.
 *
 * <p>Score: microseconds per all-reduce; the ratio of the two in one run is the staging's cost.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar HeapArrayBenchmark -p transport=shm
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms512m",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true"})
@State(Scope.Benchmark)
public class HeapArrayBenchmark {
    @Param({"host", "array"})
    public String memory;

    @Param({"65536", "1048576", "16777216"})
    public int bytes;

    @Param({"2"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"shm"})
    public String transport;

    private RankDriver driver;

    @Setup(Level.Trial)
    public void setUp() {
        int count = bytes / 4;
        driver = new RankDriver(transport, w, CommConfig.fromKnobs(), comm -> {
            CommBuffer buf = memory.equals("host") ? HostBuffer.allocate(count, DataType.FLOAT32)
                    : HeapArrayBuffer.of(new float[count]);
            return () -> comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
        });
    }

    @Benchmark
    public void allReduce() throws Exception {
        driver.step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        driver.close();
    }
}
