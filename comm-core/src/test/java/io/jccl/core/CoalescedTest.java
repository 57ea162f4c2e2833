package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Coalesced all-reduce, all-gather and reduce-scatter give, buffer by buffer, what one call per buffer gives. */
@Timeout(60)
class CoalescedTest {
    /** Counts with a zero, ones smaller than W and ones that cross segment boundaries. */
    private static final long[] COUNTS = {5, 0, 1, 1000, 3, 40_000};

    private static long value(int rank, int buf, long i) {
        return (rank + 1) * 1_000_003L + buf * 7919L + i * 31L;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void allReduceCoalescedEqualsOneCallPerBuffer(int w) {
        List<Boolean> ok = Jccl.runInProcess(w, CommConfig.fromKnobs(), comm -> {
            for (boolean async : new boolean[] {false, true}) {
                HostBuffer[] bufs = fill(comm, 1);
                HostBuffer[] refs = fill(comm, 1);
                if (async) {
                    comm.allReduceCoalescedAsync(bufs, COUNTS, DataType.INT64, ReduceOp.SUM).join();
                } else {
                    comm.allReduceCoalesced(bufs, COUNTS, DataType.INT64, ReduceOp.SUM);
                }
                for (int b = 0; b < bufs.length; b++) {
                    comm.allReduce(refs[b], COUNTS[b], DataType.INT64, ReduceOp.SUM);
                    for (long i = 0; i < COUNTS[b]; i++) {
                        assertEquals(refs[b].getLong(i), bufs[b].getLong(i), "buffer " + b + " element " + i);
                    }
                }
                close(bufs);
                close(refs);
            }
            return true;
        });
        assertEquals(w, ok.size());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void allGatherAndReduceScatterCoalescedEqualOneCallPerBuffer(int w) {
        Jccl.runInProcess(w, CommConfig.fromKnobs(), comm -> {
            HostBuffer[] in = fill(comm, 1);
            HostBuffer[] out = alloc(w);
            HostBuffer[] ref = alloc(w);
            comm.allGatherCoalesced(in, out, COUNTS, DataType.INT64);
            for (int b = 0; b < in.length; b++) {
                comm.allGather(in[b], ref[b], COUNTS[b], DataType.INT64);
                same(ref[b], out[b], COUNTS[b] * w, "all-gather buffer " + b);
            }
            HostBuffer[] big = fill(comm, w);
            HostBuffer[] small = alloc(1);
            HostBuffer[] smallRef = alloc(1);
            comm.reduceScatterCoalescedAsync(big, small, COUNTS, DataType.INT64, ReduceOp.SUM).join();
            for (int b = 0; b < in.length; b++) {
                comm.reduceScatter(big[b], smallRef[b], COUNTS[b], DataType.INT64, ReduceOp.SUM);
                same(smallRef[b], small[b], COUNTS[b], "reduce-scatter buffer " + b);
            }
            close(in);
            close(out);
            close(ref);
            close(big);
            close(small);
            close(smallRef);
            return null;
        });
    }

    @Test
    void badArgumentsFailAtOnceNamingTheBuffer() {
        Jccl.runInProcess(1, CommConfig.fromKnobs(), comm -> {
            try (HostBuffer a = HostBuffer.allocate(4, DataType.FLOAT32)) {
                CommBuffer[] bufs = {a, null};
                String m = assertThrows(InvalidUsageException.class, () ->
                        comm.allReduceCoalesced(bufs, new long[] {4, 4}, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
                assertTrue(m.contains("rank=0 all_reduce_coalesced: buffers[1] is null"), m);
                m = assertThrows(InvalidUsageException.class, () -> comm.allReduceCoalesced(new CommBuffer[] {a},
                        new long[] {4, 4}, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
                assertTrue(m.contains("1 buffers but 2 counts"), m);
                m = assertThrows(InvalidUsageException.class, () -> comm.allReduceCoalesced(new CommBuffer[] {a},
                        new long[] {5}, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
                assertTrue(m.contains("buffers[0] has 16 bytes"), m);
                // the communicator is still usable
                comm.allReduceCoalesced(new CommBuffer[] {a}, new long[] {4}, DataType.FLOAT32, ReduceOp.SUM);
            }
            return null;
        });
    }

    private static HostBuffer[] fill(Communicator comm, int blocks) {
        HostBuffer[] bufs = new HostBuffer[COUNTS.length];
        for (int b = 0; b < COUNTS.length; b++) {
            bufs[b] = HostBuffer.allocate(COUNTS[b] * blocks, DataType.INT64);
            for (long i = 0; i < COUNTS[b] * blocks; i++) {
                bufs[b].putLong(i, value(comm.rank(), b, i));
            }
        }
        return bufs;
    }

    private static HostBuffer[] alloc(int blocks) {
        HostBuffer[] bufs = new HostBuffer[COUNTS.length];
        for (int b = 0; b < COUNTS.length; b++) {
            bufs[b] = HostBuffer.allocate(COUNTS[b] * blocks, DataType.INT64);
        }
        return bufs;
    }

    private static void same(HostBuffer expected, HostBuffer actual, long n, String what) {
        for (long i = 0; i < n; i++) {
            assertEquals(expected.getLong(i), actual.getLong(i), what + " element " + i);
        }
    }

    private static void close(HostBuffer[] bufs) {
        for (HostBuffer b : bufs) {
            b.close();
        }
    }

    @Test
    void ranksThatSplitTheSameTotalDifferentlyFailInsteadOfMixingBuffers() {
        List<String> errors = Jccl.runInProcess(2, CommConfig.builder().timeoutMillis(20_000).build(), comm -> {
            long[] counts = comm.rank() == 0 ? new long[] {3, 5} : new long[] {5, 3};
            try (HostBuffer x = HostBuffer.allocate(5, DataType.FLOAT32);
                 HostBuffer y = HostBuffer.allocate(5, DataType.FLOAT32)) {
                return assertThrows(io.jccl.PeerFailureException.class, () -> comm.allReduceCoalesced(
                        new CommBuffer[] {x, y}, counts, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
            }
        });
        for (String m : errors) {
            assertTrue(m.contains("mismatched collective calls") && m.contains("all_reduce_coalesced")
                    && m.contains("layout="), m);
        }
        assertTrue(Coalescer.layout(new long[] {3, 5}) != Coalescer.layout(new long[] {5, 3}));
        assertTrue(Coalescer.layout(new long[] {8}) != Coalescer.layout(new long[] {8, 0}));
    }
}
