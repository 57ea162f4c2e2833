package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a failure says: which ranks never reached the operation; an abort reaches every rank at once. */
@Timeout(60)
class FailureReportTest {
    @Test
    void aTimeoutNamesTheRanksThatNeverEnteredTheOperation() {
        CommConfig cfg = CommConfig.builder().timeoutMillis(800).build();
        List<Throwable> errors = Jccl.runInProcess(6, cfg, comm -> {
            try (HostBuffer b = HostBuffer.allocate(4, DataType.FLOAT32)) {
                comm.allReduce(b, 4, DataType.FLOAT32, ReduceOp.SUM); // #1: everyone
                if (comm.rank() == 2 || comm.rank() == 5) {
                    Thread.sleep(3_000); // never enters #2 in time
                    return null;
                }
                try {
                    comm.allReduce(b, 4, DataType.FLOAT32, ReduceOp.SUM);
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            }
        });
        for (int r : new int[] {0, 1, 3, 4}) {
            Throwable e = errors.get(r);
            assertTrue(e instanceof CommTimeoutException || e instanceof PeerFailureException, "rank " + r + ": " + e);
            String m = e.getMessage();
            assertTrue(m.contains("ranks 2 and 5 never entered all_reduce #2")
                    || m.contains("aborted the communicator"), "rank " + r + ": " + m);
        }
        // at least the first rank to time out names them itself
        assertTrue(errors.stream().anyMatch(e -> e != null && e.getMessage().contains("ranks 2 and 5 never entered all_reduce #2")));
        assertNull(errors.get(2));
    }

    @Test
    void abortFromAnyThreadFailsEveryRankPromptly() {
        CommConfig cfg = CommConfig.builder().timeoutMillis(30_000).build();
        long t0 = System.nanoTime();
        List<Throwable> errors = Jccl.runInProcess(4, cfg, comm -> {
            if (comm.rank() == 3) {
                Thread.sleep(300);
                new Thread(() -> comm.abort("loss is NaN")).start();
                Thread.sleep(500);
            }
            try (HostBuffer b = HostBuffer.allocate(4, DataType.FLOAT32)) {
                comm.allReduce(b, 4, DataType.FLOAT32, ReduceOp.SUM);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "an abort must not wait for the deadline");
        for (int r = 0; r < 4; r++) {
            PeerFailureException e = assertInstanceOf(PeerFailureException.class, errors.get(r), "rank " + r);
            assertTrue(e.getMessage().contains("rank=3 aborted the communicator: loss is NaN"), e.getMessage());
        }
    }
}
