package io.jccl.bench.tune;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.algo.select.CostFit;
import io.jccl.buffer.HostBuffer;
import io.jccl.reduce.HostReduce;

import java.nio.ByteBuffer;

/**
 * The measurements behind {@code bin/jccl-tune}, run on every rank of a communicator:
 * <ul>
 *   <li>{@link #pingPong}: rank 0 and rank 1 bounce one message (the others wait): half the round trip,
 *       the time of one message between two ranks alone;</li>
 *   <li>{@link #allReduce}: the all-reduce (jccl-tune forces the ring), 2(W-1) dependent hops while all W ranks exchange and
 *       reduce: what the per-W alpha and beta are fitted to;</li>
 *   <li>{@link #reduceKernel}: the host reduction kernel on {@code ranks} ranks at once: seconds per byte
 *       reduced (gamma).</li>
 * </ul>
 * Each size is timed as {@code reps} batches of up to {@code iters} rounds (fewer when one round is long:
 * about {@code maxSecondsPerSize} per batch); a batch's time is the slowest rank's mean, and the result the
 * fastest batch (the least disturbed by other processes on the machine; the default of jccl-tune) or the median
 * batch.
 *
 * <p>Not thread-safe: one instance per rank, driven by that rank's thread.
 */
final class Probe {
    private static final int TAG = 7;

    private final Communicator comm;
    private final int iters;
    private final int reps;
    private final double maxSecondsPerSize;
    private final boolean fastest;
    /** The batches of earlier calls by probe and size, when kept ({@link #keepBatchesAcrossCalls}); else null. */
    private java.util.Map<String, double[]> history;

    /**
     * @param fastest true: a size's time is the fastest batch (the one least disturbed by other processes on the
     *                machine); false: the median batch
     */
    Probe(Communicator comm, int iters, int reps, double maxSecondsPerSize, boolean fastest) {
        this.comm = comm;
        this.iters = iters;
        this.reps = reps;
        this.maxSecondsPerSize = maxSecondsPerSize;
        this.fastest = fastest;
    }

    /**
     * From now on a probe's time is taken over the batches of every call so far with the same probe and size, not
     * only this call's: probes called once per pass of a job that interleaves them with other measurements see the
     * machine at the same times as those (a shared virtual machine's speed moves during a job).
     */
    void keepBatchesAcrossCalls() {
        if (history == null) {
            history = new java.util.HashMap<>();
        }
    }

    /** One round of some exchange on this rank. */
    private interface Round {
        void run();
    }

    /**
     * The fastest (or median) of {@code reps} batches of the slowest rank's mean time per round, in seconds (with
     * {@link #keepBatchesAcrossCalls}: of these and every earlier batch under the same {@code key}); every rank of
     * {@code c} calls it with the same arguments and gets the same value.
     */
    private double time(String key, Communicator c, Round round) {
        try (HostBuffer t = HostBuffer.allocate(1, DataType.FLOAT64)) {
            // one untimed round sizes the batch (the same count on every rank)
            c.barrier();
            long t0 = System.nanoTime();
            round.run();
            t.putDouble(0, (System.nanoTime() - t0) / 1e9);
            c.allReduce(t, 1, DataType.FLOAT64, ReduceOp.MAX);
            int n = (int) Math.max(1, Math.min(iters, Math.floor(maxSecondsPerSize / Math.max(1e-9, t.getDouble(0)))));
            double[] batch = new double[reps];
            for (int rep = 0; rep < reps; rep++) {
                c.barrier();
                long s = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    round.run();
                }
                t.putDouble(0, (System.nanoTime() - s) / 1e9 / n);
                c.allReduce(t, 1, DataType.FLOAT64, ReduceOp.MAX);
                batch[rep] = t.getDouble(0);
            }
            if (history != null) {
                double[] before = history.getOrDefault(key, new double[0]);
                double[] all = java.util.Arrays.copyOf(before, before.length + batch.length);
                System.arraycopy(batch, 0, all, before.length, batch.length);
                history.put(key, all);
                batch = all;
            }
            return fastest ? java.util.Arrays.stream(batch).min().orElseThrow() : CostFit.median(batch);
        }
    }

    /**
     * Half the round-trip time of a {@code bytes}-byte message between rank 0 and rank 1, in seconds (0 on a
     * world of one rank). Ranks other than 0 and 1 take part in the timing's barriers only.
     */
    double pingPong(HostBuffer buf, long bytes) {
        int r = comm.rank();
        if (comm.size() < 2) {
            return 0;
        }
        return time("ping-pong " + bytes, comm, () -> {
            if (r == 0) {
                comm.sendAsync(buf, bytes, DataType.UINT8, 1, TAG).join();
                comm.recv(buf, bytes, DataType.UINT8, 1, TAG);
            } else if (r == 1) {
                comm.recv(buf, bytes, DataType.UINT8, 0, TAG);
                comm.sendAsync(buf, bytes, DataType.UINT8, 0, TAG).join();
            }
        }) / 2;
    }

    /**
     * One all-reduce ({@code type}, sum, in place) of {@code bytes} bytes among the ranks of {@code c}, in
     * seconds, with the algorithm that {@code c}'s configuration selects (jccl-tune forces the ring: 2(W-1)
     * dependent hops, each rank sending and receiving 2(W-1)/W x bytes and reducing (W-1)/W x bytes while every
     * other rank does the same).
     */
    double allReduce(Communicator c, HostBuffer buf, long bytes, DataType type) {
        long count = Math.max(1, bytes / type.bytes());
        return time("all-reduce " + c.size() + " " + c.config().algorithm() + " " + type + " " + bytes, c,
                () -> c.allReduce(buf, buf, count, type, ReduceOp.SUM));
    }

    /**
     * Seconds per byte of {@code dst = a + b} ({@code type}, sum) on {@code bytes}-byte direct buffers, with
     * ranks 0..ranks-1 of the communicator reducing at once (the others wait); the slowest rank's time.
     */
    double reduceKernel(DataType type, int bytes, int ranks) {
        int count = bytes / type.bytes();
        boolean mine = comm.rank() < ranks;
        ByteBuffer a = ByteBuffer.allocateDirect(mine ? count * type.bytes() : 0).order(java.nio.ByteOrder.nativeOrder());
        ByteBuffer b = ByteBuffer.allocateDirect(mine ? count * type.bytes() : 0).order(java.nio.ByteOrder.nativeOrder());
        ByteBuffer d = ByteBuffer.allocateDirect(mine ? count * type.bytes() : 0).order(java.nio.ByteOrder.nativeOrder());
        for (int i = 0; i < a.capacity(); i++) {
            a.put(i, (byte) 1);
            b.put(i, (byte) 2);
        }
        return time("kernel " + ranks + " " + type + " " + bytes, comm, () -> {
            if (mine) {
                HostReduce.reduce(type, ReduceOp.SUM, a, 0, b, 0, d, 0, count);
            }
        }) / ((double) count * type.bytes());
    }
}
