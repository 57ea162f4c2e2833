package io.jccl.bench.scaling;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.buffer.HostBuffer;
import io.jccl.ddp.GradientReducer;

/**
 * The exchange through comm-ddp's {@link GradientReducer}: one view gradient per study bucket
 * ({@code registerView}, DDP's {@code gradient_as_bucket_view}: the reducer's bucket memory, never copied), the cap
 * set so that each is a reducer bucket of its own, registered last bucket first (the reducer fills buckets in
 * reverse registration order) so that the reducer's buckets are the study's in the same order. {@link #ready}
 * marks bucket i's view ready (its all-reduce, or its narrowing and segments' all-reduces with a 16-bit wire,
 * start at once); {@link #finish()} is the reducer's. The views start with the same values as the study's
 * gradient buffer would.
 *
 * <p>Not thread-safe: driven by one rank's thread.
 */
final class ReducerExchange implements GradientExchange {
    private final GradientReducer reducer;
    private final HostBuffer[] views;

    ReducerExchange(Communicator comm, long[] bucketBytes, DataType type, StudyWire wire) {
        long cap = 0;
        for (long b : bucketBytes) {
            cap = Math.max(cap, b);
        }
        GradientReducer.Builder b = GradientReducer.builder(comm).bucketCapBytes(cap).wireFormat(wire.format())
                .errorFeedback(wire.errorFeedback()).wireSegmentBytes(wire.segmentBytes());
        for (int i = bucketBytes.length - 1; i >= 0; i--) {
            b.registerView(name(i), bucketBytes[i] / type.bytes(), type);
        }
        this.reducer = b.build();
        this.views = new HostBuffer[bucketBytes.length];
        long at = 0;
        for (int i = 0; i < views.length; i++) {
            views[i] = reducer.gradientView(name(i));
            long n = bucketBytes[i] / type.bytes();
            for (long j = 0; j < n; j++) {
                views[i].putFromDouble(type, j, TrainingStep.initialGradient(comm.rank(), at + j));
            }
            at += n;
        }
    }

    private static String name(int i) {
        return "bucket" + i;
    }

    /** The reducer's bucket layout: one study bucket each (what the tests check). */
    GradientReducer reducer() {
        return reducer;
    }

    @Override
    public void ready(int i) {
        reducer.markReady(views[i]);
    }

    @Override
    public void finish() {
        reducer.finish();
    }

    @Override
    public String lastAlgorithm() {
        return reducer.communicator().lastAlgorithm();
    }

    @Override
    public void close() {
        reducer.close();
    }
}
