package io.jccl.bench;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;

/**
 * The tools' untimed warm-up: rounds of calls repeated until rank 0 has spent a given time, so that the JIT has
 * compiled the paths about to be timed (a JVM's first thousand calls are interpreted) and TCP has grown its socket
 * buffers. The ranks agree on when to stop through an all-reduce of rank 0's elapsed time after each round.
 */
public final class WarmUp {
    private WarmUp() {
    }

    /**
     * Runs {@code round} (at least once) until rank 0 of {@code c} has spent {@code millis}; a collective call over
     * {@code c}, and {@code round} must be one too (the same calls on every rank).
     */
    public static void repeatFor(Communicator c, long millis, Runnable round) {
        repeatFor(c, millis, Integer.MAX_VALUE, round);
    }

    /** As {@link #repeatFor(Communicator, long, Runnable)}, stopping after {@code maxRounds} rounds at the latest. */
    public static void repeatFor(Communicator c, long millis, int maxRounds, Runnable round) {
        long t0 = System.nanoTime();
        int rounds = 0;
        try (HostBuffer flag = HostBuffer.allocate(1, DataType.FLOAT64)) {
            do {
                round.run();
                rounds++;
                flag.putDouble(0, c.rank() == 0 ? (System.nanoTime() - t0) / 1e6 : 0);
                c.allReduce(flag, 1, DataType.FLOAT64, ReduceOp.MAX);
            } while (flag.getDouble(0) < millis && rounds < maxRounds);
        }
    }
}
