package io.jccl.bench.jmh;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
public class CoalescedBenchmark extends RankBenchmark {
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

    @Override
    RankDriver.Body body(Communicator comm) {
        long count = tensorBytes / 4;
        long[] counts = new long[tensors];
        java.util.Arrays.fill(counts, count);
        HostBuffer[] bufs = new HostBuffer[tensors];
        for (int i = 0; i < tensors; i++) {
            bufs[i] = HostBuffer.allocate(count, DataType.FLOAT32);
        }
        CommBuffer[] asArray = bufs;
        List<CompletableFuture<Void>> fs = new ArrayList<>(tensors);
        if (mode.equals("coalesced")) {
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
    }

    @Benchmark
    public void step() throws Exception {
        runOnce();
    }
}
