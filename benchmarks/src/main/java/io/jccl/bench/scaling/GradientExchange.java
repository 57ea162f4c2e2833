package io.jccl.bench.scaling;

/**
 * How a {@link TrainingStep} all-reduces (AVG) its gradient buckets: {@link #ready} as each bucket's backward part
 * ends (in bucket order), then {@link #finish()} waits for all of them. Implementations: {@link DirectExchange} (the
 * study's own {@code allReduceAsync} calls) and {@link ReducerExchange} (comm-ddp's {@code GradientReducer}).
 *
 * <p>Not thread-safe: driven by one rank's thread.
 */
interface GradientExchange extends AutoCloseable {
    /** Bucket {@code i}'s gradients are final for this step: its all-reduce may start. */
    void ready(int i);

    /** Waits for every bucket's all-reduce of this step. */
    void finish();

    /** The algorithm of the last all-reduce, as of the last {@link #finish()}. */
    String lastAlgorithm();

    /** Frees what the exchange allocated (not the caller's gradients). */
    @Override
    void close();
}
