package io.jccl.safety;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.util.concurrent.CompletableFuture;

/**
 * A forked JVM's main: buffers closed while their async call (plain and coalesced) is queued or running, on 2
 * in-process ranks, 50 times each. Before buffers were pinned by their calls this crashed the JVM (SIGSEGV in a
 * reduction kernel, or in the coalesced call's copy back). Prints "done" at the end.
 */
public final class CloseDuringCall {
    private CloseDuringCall() {
    }

    public static void main(String[] args) {
        int count = 1 << 20;
        Jccl.runInProcess(2, CommConfig.fromKnobs(), comm -> {
            for (int rep = 0; rep < 50; rep++) {
                HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32);
                CompletableFuture<Void> f = comm.allReduceAsync(b, b, count, DataType.FLOAT32, ReduceOp.SUM);
                b.close(); // too early: the call's result is lost, but nothing may crash
                f.join();
                HostBuffer x = HostBuffer.allocate(count, DataType.FLOAT32);
                HostBuffer y = HostBuffer.allocate(1000, DataType.FLOAT32);
                CompletableFuture<Void> g = comm.allReduceCoalescedAsync(new CommBuffer[] {x, y},
                        new long[] {count, 1000}, DataType.FLOAT32, ReduceOp.SUM);
                x.close();
                y.close();
                g.join();
            }
            return null;
        });
        System.out.println("done");
    }
}
