package io.jccl.safety;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.conformance.Cluster;
import io.jccl.reduce.NativeReduce;

import java.util.ArrayList;
import java.util.List;

/**
 * Collectives that fail on purpose, each followed at once by closing every buffer, repeated on fresh
 * sub-communicators of one world: a mismatched count (rank 0 calls with two elements more), a timeout (the last
 * rank never calls) and an abort (the last rank aborts just before its call). Memory a failed call returned while
 * a peer still read it is freed by that close, and the JVM crashes: run this in a forked JVM ({@link ForkedJvm}).
 *
 * <p>Prints "native=B" once, then one line per (repetition, rank): {@code rep=R rank=K ms=T ok|skipped|error=...}
 * (T: how long the failing call took), then "done".
 */
public final class FailureScenario {
    private FailureScenario() {
    }

    /**
     * @param kind   mismatch, timeout or abort
     * @param count  elements per rank (rank 0 calls with count + 2 in a mismatch)
     * @param callMs each sub-communicator's deadline
     */
    public static void run(Cluster cluster, String kind, int world, int reps, int count, long callMs) {
        System.out.println("native=" + NativeReduce.AVAILABLE);
        CommConfig worldConfig = CommConfig.builder().timeoutMillis(120_000).build();
        CommConfig callConfig = CommConfig.builder().timeoutMillis(callMs).build();
        List<List<String>> lines = cluster.run(world, worldConfig, comm -> {
            List<String> out = new ArrayList<>();
            int r = comm.rank();
            for (int rep = 0; rep < reps; rep++) {
                try (Communicator c = comm.split(0, r, callConfig)) {
                    out.add("rep=" + rep + " rank=" + r + " " + failOnce(c, kind, count));
                }
            }
            return out;
        });
        for (int rep = 0; rep < reps; rep++) {
            for (List<String> rank : lines) {
                System.out.println(rank.get(rep));
            }
        }
        System.out.println("done");
    }

    private static String failOnce(Communicator c, String kind, int count) {
        int r = c.rank();
        int last = c.size() - 1;
        int n = kind.equals("mismatch") && r == 0 ? count + 2 : count;
        HostBuffer b = HostBuffer.allocate(count + 2L, DataType.FLOAT32);
        HostBuffer slice = b.slice(0, (long) n * 4);
        long t0 = System.nanoTime();
        try {
            if (kind.equals("timeout") && r == last) {
                return "skipped";
            }
            if (kind.equals("abort") && r == last) {
                c.abort("stop");
            }
            c.allReduce(slice, slice, n, DataType.FLOAT32, ReduceOp.SUM);
            return "ms=" + (System.nanoTime() - t0) / 1_000_000 + " ok";
        } catch (RuntimeException e) {
            return "ms=" + (System.nanoTime() - t0) / 1_000_000 + " error=" + e.getClass().getSimpleName() + ": "
                    + e.getMessage();
        } finally {
            b.close(); // at once, as the docs allow: the memory is unmapped now unless a transport still holds it
        }
    }

    /** Arguments: kind, world size, repetitions, count, call deadline in ms; the ranks are in-process threads. */
    public static void main(String[] args) {
        run(Cluster.IN_PROCESS, args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                Integer.parseInt(args[3]), Long.parseLong(args[4]));
    }
}
