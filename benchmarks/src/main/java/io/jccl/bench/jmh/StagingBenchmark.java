package io.jccl.bench.jmh;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.SimulatedDeviceBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Staging of device buffers through host memory, without a GPU: an in-place fp32 sum all-reduce of {@code bytes}
 * bytes on W in-process ranks, on {@link SimulatedDeviceBuffer}s whose copies take {@code bytes / copyGBps} (plus
 * 10 us each) on a copy thread, staged whole ({@code mode=whole}: device-to-host copy, host algorithm,
 * host-to-device copy) or segment by segment ({@code mode=pipelined}: docs/gpu.md, "The pipelined path"); and
 * on host buffers ({@code mode=host}: the algorithm alone, the "wire" time). Set {@code copyGBps} so that a copy of
 * the buffer takes about as long as {@code mode=host} (copy and wire about equal): whole staging then costs about
 * three times the host figure and the pipelined one much less. By default the simulated copies move no bytes
 * ({@code moveBytes}). The ratios of the modes in one run are the figures.
 *
 * <p>Score: time per all-reduce, milliseconds.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar StagingBenchmark -p copyGBps=1.0
 * </pre>
 */
public class StagingBenchmark extends LargeRankBenchmark {
    @Param({"host", "whole", "pipelined"})
    public String mode;

    @Param({"67108864"})
    public long bytes;

    /** Simulated copy rate, decimal GB/s, each direction. */
    @Param({"1.0"})
    public double copyGBps;

    @Param({"2"})
    public int w;

    /**
     * false: the simulated copies take their time but move no byte (a GPU's copy engines cost the host no CPU;
     * a memcpy on a copy thread steals cores from the ranks on a small machine). Results are then not checked.
     */
    @Param({"false"})
    public boolean moveBytes;

    /** local (in-process transport), tcp or shm. */
    @Param({"local"})
    public String transport;

    @Override
    RankDriver.Body body(Communicator comm) {
        long count = bytes / 4;
        CommBuffer buf = mode.equals("host") ? own(HostBuffer.allocate(count, DataType.FLOAT32))
                : own(new SimulatedDeviceBuffer(bytes, 10_000, copyGBps * 1e9, mode.equals("pipelined"), null, moveBytes));
        return () -> comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
    }

    @Benchmark
    public void allReduce() throws Exception {
        runOnce();
    }
}
