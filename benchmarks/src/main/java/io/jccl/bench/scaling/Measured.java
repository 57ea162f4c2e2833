package io.jccl.bench.scaling;

/**
 * What rank 0 measured at one W: the overlapped step, compute alone and communication alone (seconds, each the
 * --stat of its steps), the FLOP rate of the compute, and the all-reduce algorithm that ran ("-" at W=1).
 * Immutable.
 */
record Measured(int w, double step, double compute, double comm, double flopRate, String algorithm) {
    ScalingModel.StepTimes times() {
        return new ScalingModel.StepTimes(compute, comm, step);
    }
}
