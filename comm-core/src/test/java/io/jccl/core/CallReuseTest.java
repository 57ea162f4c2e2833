package io.jccl.core;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a communicator reuses from call to call (the operation context, the ring's ticket array, the binding of a
 * host buffer used again) must not leak from one call into the next: each call reads and writes its own buffers.
 * And a steady loop of all-reduces allocates little on the calling thread. In process.
 */
@Timeout(120)
class CallReuseTest {
    private static final DataType F = DataType.FLOAT32;

    private static CommConfig config(Algorithm algo, int segmentBytes) {
        return CommConfig.builder().algorithm(algo).deterministic(false).segmentBytes(segmentBytes)
                .timeoutMillis(20_000).build();
    }

    private static void fill(HostBuffer b, float v) {
        ByteBuffer bb = b.byteBuffer();
        for (int i = 0; i < b.byteSize() / 4; i++) {
            bb.putFloat(i * 4, v + i);
        }
    }

    /** The first element of {@code b} that is not {@code expected(i)}, as "i: got", or null. */
    private static String firstWrong(HostBuffer b, float base, float scale) {
        ByteBuffer bb = b.byteBuffer();
        for (int i = 0; i < b.byteSize() / 4; i++) {
            float want = (base + i) * scale;
            if (bb.getFloat(i * 4) != want) {
                return i + ": " + bb.getFloat(i * 4) + " instead of " + want;
            }
        }
        return null;
    }

    @Test
    void callsAlternatingBetweenBuffersEachUseTheirOwn() {
        for (Algorithm algo : new Algorithm[] {Algorithm.RING, Algorithm.TREE}) {
            List<String> wrong = Jccl.runInProcess(3, config(algo, 256), comm -> {
                int n = 1000;
                int w = comm.size();
                StringBuilder out = new StringBuilder();
                try (HostBuffer a = HostBuffer.allocate(n, F); HostBuffer b = HostBuffer.allocate(n, F);
                     HostBuffer c = HostBuffer.allocate(n, F); HostBuffer d = HostBuffer.allocate(n, F)) {
                    for (int round = 0; round < 3; round++) {
                        fill(a, 1);
                        fill(b, -7);
                        comm.allReduce(a, b, n, F, ReduceOp.SUM); // b = sum of a
                        String e1 = firstWrong(b, 1, w);
                        fill(c, 5);
                        fill(d, -9);
                        comm.allReduce(c, d, n, F, ReduceOp.SUM); // other buffers in the same slots
                        String e2 = firstWrong(d, 5, w);
                        String e3 = firstWrong(b, 1, w); // b untouched by the second call
                        comm.allReduce(c, c, n, F, ReduceOp.SUM); // in place: c is now bound as the output
                        String e4 = firstWrong(c, 5, w);
                        comm.allReduce(b, a, n, F, ReduceOp.SUM); // slots swapped: b read, a written
                        String e5 = firstWrong(a, 1, (float) w * w);
                        for (String e : new String[] {e1, e2, e3, e4, e5}) {
                            if (e != null) {
                                out.append("rank ").append(comm.rank()).append(" round ").append(round)
                                        .append(' ').append(e).append('\n');
                            }
                        }
                    }
                }
                return out.toString();
            });
            assertEquals("", String.join("", wrong), algo + ": a call read or wrote another call's buffer");
        }
    }

    @Test
    void aSteadyAllReduceAllocatesLittleOnTheCallingThread() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean tb && tb.isThreadAllocatedMemorySupported()
                && tb.isThreadAllocatedMemoryEnabled(), "this JVM does not count a thread's allocated bytes");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) mx;
        List<Long> perCall = Jccl.runInProcess(2, config(Algorithm.RING, 1 << 20), comm -> {
            int n = 1 << 16;
            try (HostBuffer src = HostBuffer.allocate(n, F); HostBuffer dst = HostBuffer.allocate(n, F)) {
                fill(src, 1);
                for (int i = 0; i < 3000; i++) { // warm-up: the JIT compiles the call path
                    comm.allReduce(src, dst, n, F, ReduceOp.SUM);
                }
                int calls = 500;
                long before = counter.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < calls; i++) {
                    comm.allReduce(src, dst, n, F, ReduceOp.SUM);
                }
                return (counter.getCurrentThreadAllocatedBytes() - before) / calls;
            }
        });
        System.out.println("bytes allocated per 256 KiB all-reduce on each rank's thread: " + perCall);
        // what a call itself allocates (its header, 56 B: the call's body is made once for the same buffers) plus
        // the in-process transport's per-segment record (56 B per send, two sends): 168 B measured; a copy of the
        // data or a buffer per call would be KiB
        for (long b : perCall) {
            assertTrue(b <= 256, "a steady 256 KiB all-reduce allocated " + b + " bytes per call on a rank's thread: "
                    + perCall);
        }
    }

    /**
     * An async all-reduce waited for with {@link FutureWait#get} allocates its header and its future on the calling
     * thread (80 B), nothing for its body, its place in the worker's queue or the wait; also when it cycles through
     * more buffers (a reducer's wire segments) than fit the one-entry binding of the past.
     */
    @Test
    void aSteadyAsyncAllReduceOverBuffersInTurnAllocatesItsHeaderAndFutureOnly() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean tb && tb.isThreadAllocatedMemorySupported()
                && tb.isThreadAllocatedMemoryEnabled(), "this JVM does not count a thread's allocated bytes");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) mx;
        List<Long> perCall = Jccl.runInProcess(2, config(Algorithm.RING, 1 << 20), comm -> {
            int n = 64;
            HostBuffer[] bufs = new HostBuffer[8];
            @SuppressWarnings("unchecked")
            java.util.concurrent.CompletableFuture<Void>[] fs =
                    (java.util.concurrent.CompletableFuture<Void>[]) new java.util.concurrent.CompletableFuture<?>[8];
            try {
                for (int k = 0; k < bufs.length; k++) {
                    bufs[k] = HostBuffer.allocate(n, F);
                }
                long before = 0;
                int rounds = 3000;
                int measured = 500;
                for (int i = 0; i < rounds; i++) {
                    if (i == rounds - measured) {
                        before = counter.getCurrentThreadAllocatedBytes();
                    }
                    for (int k = 0; k < bufs.length; k++) {
                        fs[k] = comm.allReduceAsync(bufs[k], bufs[k], n, F, ReduceOp.SUM);
                    }
                    for (int k = 0; k < bufs.length; k++) {
                        FutureWait.get(fs[k], 20_000);
                        fs[k] = null;
                    }
                }
                return (counter.getCurrentThreadAllocatedBytes() - before) / (measured * (long) bufs.length);
            } finally {
                for (HostBuffer b : bufs) {
                    if (b != null) {
                        b.close();
                    }
                }
            }
        });
        System.out.println("bytes allocated per async all-reduce (8 buffers in turn) on each rank's thread: " + perCall);
        for (long b : perCall) {
            assertTrue(b <= 96, "a steady async all-reduce allocated " + b + " bytes per call on the calling thread"
                    + " (its header and future are 80): " + perCall);
        }
    }

    @Test
    void callsCyclingThroughMoreBuffersThanAreKeptEachUseTheirOwn() {
        List<String> wrong = Jccl.runInProcess(2, config(Algorithm.RING, 256), comm -> {
            int n = 100;
            int k = 2 * Bindings.KEPT + 3;
            HostBuffer[] in = new HostBuffer[k];
            HostBuffer[] out = new HostBuffer[k];
            StringBuilder err = new StringBuilder();
            try {
                for (int i = 0; i < k; i++) {
                    in[i] = HostBuffer.allocate(n, F);
                    out[i] = HostBuffer.allocate(n, F);
                }
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < k; i++) {
                        fill(in[i], i);
                        fill(out[i], -1);
                        // in turn: out of place, then in place on the same buffers, then the count changes
                        comm.allReduce(in[i], out[i], n, F, ReduceOp.SUM);
                        String e1 = firstWrong(out[i], i, comm.size());
                        comm.allReduce(in[i], in[i], n, F, ReduceOp.SUM);
                        String e2 = firstWrong(in[i], i, comm.size());
                        comm.allReduce(out[i], out[i], n / 2, F, ReduceOp.SUM);
                        String e3 = firstWrong(out[i].slice(0, 4L * (n / 2)), i, (float) comm.size() * comm.size());
                        String e4 = out[i].getFloat(n - 1) == (i + n - 1) * comm.size() ? null
                                : "element beyond the count changed";
                        for (String e : new String[] {e1, e2, e3, e4}) {
                            if (e != null) {
                                err.append("round ").append(round).append(" buffer ").append(i).append(": ")
                                        .append(e).append('\n');
                            }
                        }
                    }
                }
            } finally {
                for (int i = 0; i < k; i++) {
                    if (in[i] != null) {
                        in[i].close();
                    }
                    if (out[i] != null) {
                        out[i].close();
                    }
                }
            }
            return err.toString();
        });
        assertEquals("", String.join("", wrong));
    }

    /** Memory that collectives must stage: a heap array, counting the copies in and out. */
    private static final class CountingStaged implements StagedBuffer {
        final float[] values;
        final AtomicInteger copiesIn = new AtomicInteger();
        final AtomicInteger copiesOut = new AtomicInteger();

        CountingStaged(int n) {
            values = new float[n];
        }

        @Override
        public long byteSize() {
            return 4L * values.length;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
            copiesIn.incrementAndGet();
            for (int i = 0; i < length / 4; i++) {
                dst.putFloat(dstOffset + 4 * i, values[(int) (offset / 4) + i]);
            }
        }

        @Override
        public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
            copiesOut.incrementAndGet();
            for (int i = 0; i < length / 4; i++) {
                values[(int) (offset / 4) + i] = src.getFloat(srcOffset + 4 * i);
            }
        }
    }

    @Test
    void anInPlaceCallOnStagedMemoryStagesItInAndOutOnce() {
        List<String> wrong = Jccl.runInProcess(3, config(Algorithm.RING, 256), comm -> {
            int n = 1000;
            CountingStaged b = new CountingStaged(n);
            for (int i = 0; i < n; i++) {
                b.values[i] = 1 + i;
            }
            comm.allReduce(b, b, n, F, ReduceOp.SUM);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < n && out.length() == 0; i++) {
                if (b.values[i] != (1 + i) * comm.size()) {
                    out.append("rank ").append(comm.rank()).append(" element ").append(i).append(": ")
                            .append(b.values[i]).append('\n');
                }
            }
            if (b.copiesIn.get() != 1 || b.copiesOut.get() != 1) {
                out.append("rank ").append(comm.rank()).append(" staged in ").append(b.copiesIn.get())
                        .append(" times and out ").append(b.copiesOut.get()).append(" times\n");
            }
            return out.toString();
        });
        assertEquals("", String.join("", wrong));
    }
}
