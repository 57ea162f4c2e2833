package io.jccl.bench.perf;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;

/**
 * One collective as a {@code jccl-perf} sweep calls it: which collective ({@code -C}), of which element type
 * ({@code -d}), reduction ({@code -o}) and root ({@code -r}), in which memory ({@code --memory}); it sizes, fills,
 * runs and checks the buffers of a call through {@link PerfCollective}. Immutable; the buffers it allocates belong to the caller.
 */
record PerfCall(PerfCollective coll, DataType type, ReduceOp op, int root, PerfMemory memory) {
    /** Elements of the whole operation of {@code bytes} at W = {@code w}. */
    long totalCount(long bytes, int w) {
        return coll.totalCount(bytes, type, w);
    }

    /** Buffers for {@code total} elements, out of place or in place. */
    PerfCollective.Buffers allocate(long total, int w, boolean inPlace) {
        return coll.allocate(total, type, w, inPlace, memory);
    }

    /** Fills {@code bufs} with rank {@code rank}'s input pattern. */
    void fill(PerfCollective.Buffers bufs, long total, int rank, int w) {
        coll.fill(bufs, total, type, op, rank, w, root);
    }

    /** One call of the collective over {@code comm} (a collective call). */
    void run(Communicator comm, PerfCollective.Buffers bufs, long total) {
        coll.run(comm, bufs, total, type, op, root);
    }

    /** The elements of {@code bufs} whose bits differ from the exact result after one call on filled buffers. */
    long countWrong(PerfCollective.Buffers bufs, long total, int rank, int w) {
        return coll.countWrong(bufs, total, type, op, rank, w, root);
    }
}
