package io.jccl.bench.jmh;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
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
 * What the flight recorder costs: the same in-place fp32 sum all-reduce of {@code bytes} with the recorder on
 * ({@code JCCL_TRACE_BUFFER=2000}, the default) and off (0). W ranks are threads of this JVM over the in-process
 * transport or shared memory. Run with {@code -prof gc} to see the allocation per operation
 * ({@code gc.alloc.rate.norm}) of both.
 *
 * <p>Score: microseconds per all-reduce; the ratio of the two in one run is the recorder's cost.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar FlightRecorderBenchmark -prof gc
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
public class FlightRecorderBenchmark {
    @Param({"on", "off"})
    public String recorder;

    @Param({"8", "1048576"})
    public int bytes;

    @Param({"2"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"local", "shm"})
    public String transport;

    private RankDriver driver;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty(Knob.TRACE_BUFFER.propertyName(), recorder.equals("on") ? "2000" : "0");
        int count = Math.max(1, bytes / 4);
        driver = new RankDriver(transport, w, CommConfig.fromKnobs(), comm -> {
            HostBuffer buf = HostBuffer.allocate(count, DataType.FLOAT32);
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
