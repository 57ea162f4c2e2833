package io.jccl.buffer;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory that is freed, or shared in a way the algorithms cannot handle, is refused with a clear error: never a
 * crash of the JVM (reading freed memory) and never a wrong answer (send and recv partly the same memory).
 */
@Timeout(60)
class ClosedAndOverlappingBuffersTest {
    @Test
    void elementAccessAfterCloseIsAnErrorNotACrash() {
        HostBuffer b = HostBuffer.allocate(64L << 20);
        b.putFloat(0, 42f);
        b.close();
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> b.getFloat(0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(InvalidUsageException.class, () -> b.putFloat(1, 1f));
        assertThrows(InvalidUsageException.class, () -> b.fill((byte) 0));
    }

    @Test
    void aViewOfAClosedBufferIsClosedToo() {
        HostBuffer parent = HostBuffer.allocate(1 << 20);
        HostBuffer view = parent.slice(0, 1 << 19);
        HostBuffer viewOfView = view.slice(4, 64);
        assertFalse(view.isClosed());
        parent.close();
        assertTrue(view.isClosed() && viewOfView.isClosed(), "the memory they show is freed");
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> viewOfView.getFloat(0));
        assertTrue(e.getMessage().contains("a view of a closed buffer"), e.getMessage());
    }

    @Test
    void aCollectiveOnAViewOfAClosedBufferIsRefusedOnTheRank() {
        List<String> errors = Jccl.runInProcess(2, CommConfig.builder().timeoutMillis(5000).build(), comm -> {
            HostBuffer parent = HostBuffer.allocate(64L << 20);
            HostBuffer view = parent.slice(0, 32L << 20);
            parent.close();
            try {
                comm.allReduce(view, 8L << 20, DataType.FLOAT32, ReduceOp.SUM);
                return "no error";
            } catch (InvalidUsageException x) {
                return x.getMessage();
            }
        });
        for (int r = 0; r < 2; r++) {
            assertTrue(errors.get(r).startsWith("rank=" + r + " all_reduce: ") && errors.get(r).contains("closed"),
                    errors.get(r));
        }
    }

    @Test
    void partlyOverlappingSendAndRecvAreRefusedAndTheSameMemoryTwiceIsInPlace() {
        int n = 65536;
        List<String> results = Jccl.runInProcess(2, CommConfig.builder().timeoutMillis(5000).build(), comm -> {
            try (HostBuffer big = HostBuffer.allocate((n + 1) * 4L)) {
                String overlapping;
                try {
                    comm.allReduce(big.slice(0, n * 4L), big.slice(4, n * 4L), n, DataType.FLOAT32, ReduceOp.SUM);
                    overlapping = "no error";
                } catch (InvalidUsageException x) {
                    overlapping = x.getMessage();
                }
                // two objects over the same bytes at the same address: in place, right
                for (int i = 0; i < n; i++) {
                    big.putFloat(i, i + comm.rank());
                }
                comm.allReduce(big.slice(0, n * 4L), big.slice(0, n * 4L), n, DataType.FLOAT32, ReduceOp.SUM);
                long wrong = 0;
                for (int i = 0; i < n; i++) {
                    wrong += big.getFloat(i) == 2f * i + 1 ? 0 : 1;
                }
                return overlapping + " | wrong " + wrong;
            }
        });
        for (int r = 0; r < 2; r++) {
            String s = results.get(r);
            assertTrue(s.startsWith("rank=" + r + " all_reduce: send and recv buffers overlap in memory (recv starts 4"
                    + " bytes after send"), s);
            assertTrue(s.endsWith(" | wrong 0"), s);
        }
        assertEquals(2, results.size());
    }
}
