package io.jccl.bench.jmh;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * All-reduce (fp32 sum, out of place) per algorithm x size x W, W ranks as threads of the benchmark JVM over
 * the in-process transport ({@code transport=local}, the default), loopback TCP ({@code transport=tcp}) or shared
 * memory ({@code transport=shm}) between ranks that are threads of this JVM.
 * The algorithm is forced ({@code JCCL_ALGO}); the size is the bytes of the whole buffer, as jccl-perf's.
 *
 * <p>Read the output: the primary score is all-reduces per second (time per call = 1 / score); the secondary
 * results, printed as rates by JMH, are {@code algbw} = bytes / time and {@code busbw} = algbw x 2(W-1)/W, in
 * decimal GB/s: the nccl-tests columns, comparable with {@code bin/jccl-perf}. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is the bytes allocated per call by rank 0 and the helper ranks together (JMH
 * divides the JVM's allocation by rank 0's calls).
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar CollectiveBenchmark -p algo=ring,tree -p w=2,4 -p bytes=8,1048576
 * </pre>
 *
 * <p>JMH state, one per trial; the ranks' threads live from setup to teardown.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CollectiveBenchmark extends RankBenchmark {
    @Param({"ring", "tree", "hd"})
    public String algo;

    /** Bytes of the buffer. */
    @Param({"8", "65536", "1048576", "16777216"})
    public long bytes;

    /** World size W. */
    @Param({"2", "4"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"local"})
    public String transport;

    /** algbw and busbw, decimal GB of the buffer (times the bus factor) accumulated per call; JMH makes them rates. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bandwidth {
        public double algbw;
        public double busbw;

        @Setup(Level.Iteration)
        public void reset() {
            algbw = 0;
            busbw = 0;
        }
    }

    @Override
    CommConfig config() {
        return forcing(Algorithm.parse(algo));
    }

    @Override
    RankDriver.Body body(Communicator comm) {
        long count = Math.max(1, bytes / DataType.FLOAT32.bytes());
        HostBuffer send = own(HostBuffer.allocate(count, DataType.FLOAT32));
        HostBuffer recv = own(HostBuffer.allocate(count, DataType.FLOAT32));
        for (long i = 0; i < count; i++) {
            send.putFloat(i, (i + comm.rank()) % 7);
        }
        return () -> comm.allReduce(send, recv, count, DataType.FLOAT32, ReduceOp.SUM);
    }

    @Benchmark
    public void allReduce(Bandwidth bw) throws Exception {
        runOnce();
        double gb = Math.max(1, bytes / 4) * 4 / 1e9;
        bw.algbw += gb;
        bw.busbw += gb * 2.0 * (w - 1) / w;
    }
}
