package io.jccl.launch;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;

/**
 * A rank for {@link JcclRunRestartTest}: 40 checked all-reduces; rank 2 of the first start (JCCL_RESTART_COUNT=0)
 * kills itself with SIGKILL after 10 of them. Prints "done restart=K sum=S" at the end.
 */
public final class RestartRank {
    private RestartRank() {
    }

    public static void main(String[] args) throws Exception {
        int restart = LaunchInfo.restartCount();
        try (Communicator c = NetCommunicators.fromEnvironment();
             HostBuffer b = HostBuffer.allocate(1024, DataType.FLOAT32)) {
            float expect = c.size() * (c.size() + 1) / 2f;
            for (int i = 0; i < 40; i++) {
                for (int k = 0; k < 1024; k++) {
                    b.putFloat(k, c.rank() + 1);
                }
                c.allReduce(b, 1024, DataType.FLOAT32, ReduceOp.SUM);
                if (b.getFloat(1023) != expect) {
                    System.out.println("wrong sum " + b.getFloat(1023));
                    System.exit(1);
                }
                if (i == 10 && restart == 0 && c.rank() == 2) {
                    new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                }
                Thread.sleep(10);
            }
            System.out.println("done restart=" + restart + " sum=" + b.getFloat(0));
        }
        System.exit(0);
    }
}
