package io.jccl.bench.trace;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.NetCommunicators;

/**
 * A job that goes wrong on purpose, for {@link FlightRecorderIT} (run by {@code bin/jccl-run}): {@code skip}: rank 2
 * skips the 4th of four all-reduces and waits, so the others time out; {@code counts}: ranks 0 and 1 all-reduce
 * 1000 elements, the others 1002; {@code timeline}: three 4 MiB all-reduces, nothing wrong. Prints "ok" or the
 * error, then exits 0 (a failure is the expected outcome). The operations run on a sub-communicator whose
 * deadline is 3 s.
 */
public final class TraceScenario {
    private TraceScenario() {
    }

    public static void main(String[] args) throws Exception {
        String what = args[0];
        // start-up under the environment's deadline (4 JVMs starting on a loaded machine); the operations under 3 s
        try (Communicator world = NetCommunicators.fromEnvironment();
             Communicator comm = world.split(0, world.rank(), world.config().toBuilder().timeoutMillis(3_000).build());
             HostBuffer b = HostBuffer.allocate(1 << 20, DataType.FLOAT32)) {
            try {
                switch (what) {
                    case "skip" -> {
                        for (int i = 0; i < 4; i++) {
                            if (i == 3 && comm.rank() == 2) {
                                Thread.sleep(Long.parseLong(args[1]));
                                break;
                            }
                            comm.allReduce(b, 1024, DataType.FLOAT32, ReduceOp.SUM);
                        }
                    }
                    case "counts" -> comm.allReduce(b, comm.rank() < 2 ? 1000 : 1002, DataType.FLOAT32, ReduceOp.SUM);
                    case "timeline" -> {
                        for (int i = 0; i < 3; i++) {
                            comm.allReduce(b, 1 << 20, DataType.FLOAT32, ReduceOp.SUM);
                        }
                    }
                    default -> throw new IllegalArgumentException(what);
                }
                System.out.println("ok");
            } catch (RuntimeException e) {
                System.out.println("error: " + e.getMessage());
            }
        }
    }
}
