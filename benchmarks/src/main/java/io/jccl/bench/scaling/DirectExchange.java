package io.jccl.bench.scaling;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;

import java.util.concurrent.CompletableFuture;

/**
 * The study's own exchange: each bucket (a slice of the caller's gradient buffer) all-reduced in place with one
 * {@link Communicator#allReduceAsync} call as it becomes ready, all awaited at {@link #finish()}. Owns nothing.
 *
 * <p>Not thread-safe: driven by one rank's thread.
 */
final class DirectExchange implements GradientExchange {
    private final Communicator comm;
    private final DataType type;
    private final HostBuffer[] views;
    private final long[] counts;
    private final CompletableFuture<?>[] pending;

    /** @param bucketBytes each bucket's bytes, in order, packed from the start of {@code grads} */
    DirectExchange(Communicator comm, HostBuffer grads, long[] bucketBytes, DataType type) {
        this.comm = comm;
        this.type = type;
        this.views = new HostBuffer[bucketBytes.length];
        this.counts = new long[bucketBytes.length];
        this.pending = new CompletableFuture<?>[bucketBytes.length];
        long at = 0;
        for (int i = 0; i < bucketBytes.length; i++) {
            views[i] = grads.slice(at, bucketBytes[i]);
            counts[i] = bucketBytes[i] / type.bytes();
            at += bucketBytes[i];
        }
    }

    @Override
    public void ready(int i) {
        pending[i] = comm.allReduceAsync(views[i], views[i], counts[i], type, ReduceOp.AVG);
    }

    @Override
    public void finish() {
        for (int i = 0; i < pending.length; i++) {
            pending[i].join();
            pending[i] = null;
        }
    }

    @Override
    public String lastAlgorithm() {
        return comm.lastAlgorithm();
    }

    @Override
    public void close() {
        // the gradients are the caller's
    }
}
