package io.jccl.bench.scaling;

import io.jccl.DataType;
import io.jccl.bench.Stat;

/**
 * What {@code jccl-scaling} measures on this machine, from its options: the workload per rank (gradients of
 * {@code type} in buckets of {@code bucketMb} MiB, FLOP as {@code gemmSize} x {@code gemmSize} fp32 GEMMs),
 * {@code steps} measured rounds after {@code warmup} more, of which {@code stat} takes one time per W, the
 * all-reduce algorithm's name ({@code algo}, for the header), and the cost model: the file {@code model}, or
 * (null) one fitted in the run on sizes up to {@code fitMaxBytes} (K/M/G), and how the gradients are exchanged
 * ({@code wire}). Immutable.
 */
record StudySettings(DataType type, ScalingModel.Workload work, double bucketMb, int gemmSize, int steps, int warmup,
                     Stat stat, String algo, String model, String fitMaxBytes, StudyWire wire) {
    /** The workload as the all-reduces see it ({@link StudyWire#onWire}). */
    ScalingModel.Workload wireWork() {
        return wire.onWire(work, type);
    }
}
