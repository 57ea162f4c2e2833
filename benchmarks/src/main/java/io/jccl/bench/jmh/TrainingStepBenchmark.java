package io.jccl.bench.jmh;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.bench.scaling.ScalingModel;
import io.jccl.bench.scaling.TrainingStep;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The compute/communication study's step ({@link TrainingStep}: fp32 GEMMs of {@code flops} FLOP, then
 * {@code params} fp32 gradients all-reduced in buckets of {@code bucketBytes}, overlapped with the backward
 * pass) on W ranks as threads of the benchmark JVM. {@code part} picks what is timed: {@code step} (overlapped),
 * {@code compute} (GEMMs alone) or {@code comm} (the buckets' all-reduces alone), so that
 * exposed communication = step - compute and R = compute / comm can be read off one run.
 *
 * <p>Read the output: the score is milliseconds per step of rank 0 (the other ranks run the same step at the
 * same time). With W ranks on a machine of fewer cores the compute itself slows down: compare W's compute rows.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar TrainingStepBenchmark -p w=1,2 -p part=step,compute,comm
 * </pre>
 *
 * <p>JMH state, one per trial.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
public class TrainingStepBenchmark extends RankBenchmark {
    /** World size W. */
    @Param({"1", "2"})
    public int w;

    /** Gradient elements (fp32) per rank. */
    @Param({"16777216"})
    public long params;

    /** FLOP per step and rank. */
    @Param({"1e9"})
    public String flops;

    /** Bucket size in bytes (PyTorch DDP's 25 MiB). */
    @Param({"26214400"})
    public long bucketBytes;

    /** step (overlapped), compute (alone) or comm (alone). */
    @Param({"step"})
    public String part;

    /** local (in-process transport), tcp (loopback TCP) or shm (shared memory) between the threads. */
    @Param({"local"})
    public String transport;

    @Override
    CommConfig config() {
        return forcing(Algorithm.RING);
    }

    @Override
    RankDriver.Body body(Communicator comm) {
        ScalingModel.Workload work = new ScalingModel.Workload(params, 4, bucketBytes, Double.parseDouble(flops), 1 / 3.0);
        TrainingStep ts = own(new TrainingStep(comm, work, DataType.FLOAT32, 128));
        switch (part) {
            case "compute": return ts::computeOnly;
            case "comm": return ts::commOnly;
            case "step": return ts::step;
            default: throw new IllegalArgumentException("part must be step, compute or comm, not " + part);
        }
    }

    @Benchmark
    public void trainingStep() throws Exception {
        runOnce();
    }
}
