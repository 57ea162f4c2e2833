package io.jccl.bench.perf;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.bench.WarmUp;
import io.jccl.buffer.HostBuffer;

/**
 * The timing loop of one size of a sweep, out of place then in place: fill, {@code -w} untimed calls, the
 * {@code --warmup-ms} rounds, then timed batches of {@code -n} calls (capped by {@code --max-seconds-per-size}),
 * each after a barrier; optionally one more call on fresh input, whose elements are checked against the exact
 * result. Times are microseconds per call; {@link #reduceTimes} makes them the slowest rank's.
 *
 * <p>Not thread-safe: one per rank's sweep; every method is a collective call over the sweep's communicator.
 */
final class SizeTimer implements AutoCloseable {
    private final PerfCall call;
    private final PerfTiming timing;
    private final int batches;
    private final HostBuffer times;
    private final HostBuffer wrongs;

    /** A timer of {@code batches} batches per placement (the batches of one pass). */
    SizeTimer(PerfCall call, PerfTiming timing, int batches) {
        this.call = call;
        this.timing = timing;
        this.batches = batches;
        this.times = HostBuffer.allocate(2L * batches, DataType.FLOAT64);
        this.wrongs = HostBuffer.allocate(2, DataType.INT64);
    }

    /**
     * Times {@code total} elements in both placements and, when {@code check}, counts this rank's wrong elements;
     * returns the label of the algorithm that ran.
     */
    String time(Communicator comm, long total, boolean check) {
        int w = comm.size();
        int r = comm.rank();
        String algoUsed = "";
        for (int placement = 0; placement < 2; placement++) {
            try (PerfCollective.Buffers bufs = call.allocate(total, w, placement == 1)) {
                call.fill(bufs, total, r, w);
                for (int i = 0; i < timing.warmup(); i++) {
                    call.run(comm, bufs, total);
                }
                int n = warmUp(comm, bufs, total);
                for (int rep = 0; rep < batches; rep++) {
                    times.putDouble(placement * batches + rep, batch(comm, bufs, total, n));
                }
                algoUsed = call.coll().algorithm(comm);
                if (check) {
                    call.fill(bufs, total, r, w);
                    call.run(comm, bufs, total);
                    wrongs.putLong(placement, call.countWrong(bufs, total, r, w));
                } else {
                    wrongs.putLong(placement, 0);
                }
            }
        }
        return algoUsed;
    }

    /** The {@code --warmup-ms} rounds, if any; returns the timed calls per batch. */
    private int warmUp(Communicator comm, PerfCollective.Buffers bufs, long total) {
        int n = iterations(comm, bufs, total);
        if (timing.warmupMs() > 0) {
            int round = Math.min(50, n);
            WarmUp.repeatFor(comm, timing.warmupMs(), () -> {
                for (int i = 0; i < round; i++) {
                    call.run(comm, bufs, total);
                }
            });
            n = iterations(comm, bufs, total); // from a warm call: the cap allows more of them
        }
        return n;
    }

    /** One timed batch of {@code n} calls after a barrier: microseconds per call on this rank. */
    private double batch(Communicator comm, PerfCollective.Buffers bufs, long total, int n) {
        comm.barrier();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            call.run(comm, bufs, total);
        }
        return (System.nanoTime() - t0) / 1e3 / n;
    }

    /** {@code -n}, or fewer when one call times {@code --max-seconds-per-size} out (the slowest rank's call). */
    private int iterations(Communicator comm, PerfCollective.Buffers bufs, long total) {
        if (timing.maxSecondsPerSize() <= 0 || timing.iters() <= 1) {
            return timing.iters();
        }
        try (HostBuffer t = HostBuffer.allocate(1, DataType.FLOAT64)) {
            long t0 = System.nanoTime();
            call.run(comm, bufs, total);
            t.putDouble(0, (System.nanoTime() - t0) / 1e9);
            comm.allReduce(t, 1, DataType.FLOAT64, ReduceOp.MAX);
            double one = Math.max(1e-9, t.getDouble(0));
            return (int) Math.max(1, Math.min(timing.iters(), Math.floor(timing.maxSecondsPerSize() / one)));
        }
    }

    /**
     * Makes the last {@link #time}'s batch times the slowest rank's and stores them as batches
     * {@code [pass * b, (pass + 1) * b)} of {@code into[placement]} (b: batches per pass).
     */
    void reduceTimes(Communicator comm, double[][] into, int pass) {
        comm.allReduce(times, 2L * batches, DataType.FLOAT64, ReduceOp.MAX);
        for (int p = 0; p < 2; p++) {
            for (int rep = 0; rep < batches; rep++) {
                into[p][pass * batches + rep] = times.getDouble((long) p * batches + rep);
            }
        }
    }

    /** The last {@link #time}'s wrong elements per placement, summed over ranks. */
    long[] reduceWrongs(Communicator comm) {
        comm.allReduce(wrongs, 2, DataType.INT64, ReduceOp.SUM);
        return new long[] {wrongs.getLong(0), wrongs.getLong(1)};
    }

    @Override
    public void close() {
        wrongs.close();
        times.close();
    }
}
