package io.jccl.bench.jmh;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Many small gradients in one step: {@code tensors} fp32 buffers of {@code tensorBytes} each, all-reduced (sum, in
 * place) either as one async call per buffer, all issued and then awaited ({@code mode=separate}, what a framework
 * without coalescing does), or as one {@code allReduceCoalesced} ({@code mode=coalesced}). W ranks are threads of
 * the benchmark JVM over the in-process transport, loopback TCP or shared memory.
 *
 * <p>Score: time per step (all buffers), microseconds; the ratio of the two modes in one run is the figure.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar CoalescedBenchmark -p transport=shm,tcp
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
public class CoalescedBenchmark {
    @Param({"separate", "coalesced"})
    public String mode;

    @Param({"64"})
    public int tensors;

    @Param({"4096"})
    public int tensorBytes;

    @Param({"2"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"shm"})
    public String transport;

    private RankDriver driver;

    @Setup(Level.Trial)
    public void setUp() {
        long count = tensorBytes / 4;
        long[] counts = new long[tensors];
        java.util.Arrays.fill(counts, count);
        boolean coalesced = mode.equals("coalesced");
        driver = new RankDriver(transport, w, CommConfig.fromKnobs(), comm -> {
            HostBuffer[] bufs = new HostBuffer[tensors];
            for (int i = 0; i < tensors; i++) {
                bufs[i] = HostBuffer.allocate(count, DataType.FLOAT32);
            }
            CommBuffer[] asArray = bufs;
            List<CompletableFuture<Void>> fs = new ArrayList<>(tensors);
            if (coalesced) {
                return () -> comm.allReduceCoalesced(asArray, counts, DataType.FLOAT32, ReduceOp.SUM);
            }
            return () -> {
                fs.clear();
                for (int i = 0; i < tensors; i++) {
                    fs.add(comm.allReduceAsync(bufs[i], bufs[i], count, DataType.FLOAT32, ReduceOp.SUM));
                }
                for (CompletableFuture<Void> f : fs) {
                    f.join();
                }
            };
        });
    }

    @Benchmark
    public void step() throws Exception {
        driver.step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        driver.close();
    }
}
