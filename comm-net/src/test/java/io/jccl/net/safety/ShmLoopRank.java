package io.jccl.net.safety;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.NetCommunicators;

/**
 * A rank for {@link ShmLeftoversTest}: joins from the environment and all-reduces 1 MiB in a loop, each time on a new sub-communicator, until it is
 * killed or a peer fails; prints "looping" once its first all-reduce is done.
 */
public final class ShmLoopRank {
    private ShmLoopRank() {
    }

    public static void main(String[] args) {
        int count = 1 << 18;
        try (Communicator c = NetCommunicators.fromEnvironment();
             HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
            c.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
            System.out.println("looping over " + c.transportDescription());
            System.out.flush();
            for (int i = 0; i < 1_000_000; i++) {
                // a new sub-communicator each time: new rings, made by one side before the other opens them
                try (Communicator child = c.split(0, c.rank())) {
                    child.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
                }
            }
        } catch (RuntimeException e) {
            System.out.println("failed: " + e.getMessage());
            System.exit(3);
        }
        System.exit(0);
    }
}
