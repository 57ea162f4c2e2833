package io.jccl.bench.jmh;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HeapArrayBuffer;
import io.jccl.buffer.HostBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

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
public class HeapArrayBenchmark extends RankBenchmark {
    @Param({"host", "array"})
    public String memory;

    @Param({"65536", "1048576", "16777216"})
    public int bytes;

    @Param({"2"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"shm"})
    public String transport;

    @Override
    RankDriver.Body body(Communicator comm) {
        int count = bytes / 4;
        CommBuffer buf = memory.equals("host") ? HostBuffer.allocate(count, DataType.FLOAT32)
                : HeapArrayBuffer.of(new float[count]);
        return () -> comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
    }

    @Benchmark
    public void allReduce() throws Exception {
        runOnce();
    }
}
