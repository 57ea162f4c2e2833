package io.jccl.bench.jmh;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

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
public class FlightRecorderBenchmark extends RankBenchmark {
    @Param({"on", "off"})
    public String recorder;

    @Param({"8", "1048576"})
    public int bytes;

    @Param({"2"})
    public int w;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between threads of this JVM. */
    @Param({"local", "shm"})
    public String transport;

    /** The knobs' settings with the recorder's buffer set by {@code recorder}. */
    @Override
    CommConfig config() {
        System.setProperty(Knob.TRACE_BUFFER.propertyName(), recorder.equals("on") ? "2000" : "0");
        return CommConfig.fromKnobs();
    }

    @Override
    RankDriver.Body body(Communicator comm) {
        int count = Math.max(1, bytes / 4);
        HostBuffer buf = HostBuffer.allocate(count, DataType.FLOAT32);
        return () -> comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
    }

    @Benchmark
    public void allReduce() throws Exception {
        runOnce();
    }
}
