package io.jccl.net.safety;

import io.jccl.net.NettyCluster;
import io.jccl.safety.FailureScenario;

/** {@link FailureScenario} with ranks as threads that each have their own Netty transport (tcp or shm). */
public final class NetFailureScenario {
    private NetFailureScenario() {
    }

    /** Arguments: transport (tcp|shm), kind, world size, repetitions, count, call deadline in ms. */
    public static void main(String[] args) {
        FailureScenario.run(new NettyCluster(args[0]), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]), Long.parseLong(args[5]));
        System.exit(0); // Netty's event loops may linger
    }
}
