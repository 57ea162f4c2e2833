package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.JcclException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad input through the public API: each call fails with {@link InvalidUsageException} naming the rank and the
 * problem, before any data moves and without consuming a sequence number, so the communicator stays usable
 * (the other rank never made the bad calls, yet the next all-reduce matches). Also concurrent use, use after
 * close, and the deadline.
 */
@Timeout(60)
class ValidationTest {
    private static final DataType F = DataType.FLOAT32;
    private static final ReduceOp SUM = ReduceOp.SUM;

    private static CommConfig config() {
        return CommConfig.builder().timeoutMillis(20_000).build();
    }

    /** One bad call and what its message must contain. */
    private record Bad(String name, Executable call, String... mustContain) {
    }

    @Test
    void badArgumentsThrowBeforeAnyDataMovesAndLeaveTheCommunicatorUsable() {
        List<List<String>> failures = Jccl.runInProcess(2, config(), comm -> {
            List<String> bad = new ArrayList<>();
            try (HostBuffer send = HostBuffer.allocate(4, F); HostBuffer recv = HostBuffer.allocate(4, F);
                 HostBuffer small = HostBuffer.allocate(2, F); HostBuffer eight = HostBuffer.allocate(8, F);
                 HostBuffer one = HostBuffer.allocate(1, F)) {
                if (comm.rank() == 0) {
                    HostBuffer closed = HostBuffer.allocate(4, F);
                    closed.close();
                    HostBuffer readOnly = recv.asReadOnly();
                    List<Bad> cases = List.of(
                            new Bad("null send", () -> comm.allReduce(null, recv, 4, F, SUM), "all_reduce", "send", "null"),
                            new Bad("null recv", () -> comm.allReduce(send, null, 4, F, SUM), "all_reduce", "recv", "null"),
                            new Bad("null async", () -> comm.allReduceAsync(send, null, 4, F, SUM), "recv", "null"),
                            new Bad("null type", () -> comm.allReduce(send, recv, 4, null, SUM), "type", "null"),
                            new Bad("null op", () -> comm.allReduce(send, recv, 4, F, null), "op", "null"),
                            new Bad("read-only recv", () -> comm.allReduce(send, readOnly, 4, F, SUM), "recv", "read-only"),
                            new Bad("read-only in place", () -> comm.allReduce(readOnly, 4, F, SUM), "read-only"),
                            new Bad("small recv", () -> comm.allReduce(send, small, 4, F, SUM), "recv", "8 bytes", "16"),
                            new Bad("small send", () -> comm.allReduce(small, recv, 4, F, SUM), "send", "8 bytes", "16"),
                            new Bad("negative count", () -> comm.allReduce(send, recv, -1, F, SUM), "count=-1", "negative"),
                            new Bad("overflowing count", () -> comm.allReduce(send, recv, Long.MAX_VALUE / 2, F, SUM), "overflows"),
                            new Bad("huge count", () -> comm.allReduce(send, recv, 1L << 40, F, SUM), "but the call needs"),
                            new Bad("all-gather overflow", () -> comm.allGather(send, recv, Long.MAX_VALUE / 3, F), "all_gather", "overflows"),
                            new Bad("all-gather small recv", () -> comm.allGather(send, recv, 4, F), "all_gather", "recv", "32"),
                            new Bad("reduce-scatter small send", () -> comm.reduceScatter(send, recv, 4, F, SUM), "reduce_scatter", "send", "32"),
                            new Bad("broadcast root too big", () -> comm.broadcast(send, recv, 4, F, 2), "broadcast", "root=2"),
                            new Bad("broadcast root negative", () -> comm.broadcast(send, 4, F, -1), "broadcast", "root=-1"),
                            new Bad("reduce root", () -> comm.reduce(send, recv, 4, F, SUM, 5), "reduce", "root=5"),
                            new Bad("reduce async root", () -> comm.reduceAsync(send, recv, 4, F, SUM, 2), "root=2"),
                            new Bad("closed send", () -> comm.allReduce(closed, recv, 4, F, SUM), "send", "closed"),
                            new Bad("closed recv", () -> comm.broadcast(send, closed, 4, F, 0), "recv", "closed"));
                    for (Bad b : cases) {
                        try {
                            b.call().execute();
                            bad.add(b.name() + ": no exception");
                        } catch (InvalidUsageException e) {
                            String m = String.valueOf(e.getMessage());
                            if (!m.contains("rank=0")) {
                                bad.add(b.name() + ": message does not name the rank: " + m);
                            }
                            for (String s : b.mustContain()) {
                                if (!m.contains(s)) {
                                    bad.add(b.name() + ": message lacks '" + s + "': " + m);
                                }
                            }
                        } catch (Throwable t) {
                            bad.add(b.name() + ": threw " + t);
                        }
                    }
                }
                // rank 1 made none of those calls; if any had consumed a sequence number this would not match
                for (int round = 0; round < 2; round++) {
                    one.putFloat(0, comm.rank() + 1);
                    comm.allReduce(one.asReadOnly(), eight, 1, F, SUM); // a read-only send buffer is fine
                    if (eight.getFloat(0) != 3f) {
                        bad.add("rank=" + comm.rank() + " all-reduce after the bad calls gave " + eight.getFloat(0));
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @Test
    void useAfterCloseThrows() {
        List<List<String>> failures = Jccl.runInProcess(2, config(), comm -> {
            List<String> bad = new ArrayList<>();
            try (HostBuffer b = HostBuffer.allocate(1, F)) {
                comm.allReduce(b, 1, F, SUM);
                comm.barrier();
                comm.close();
                comm.close(); // idempotent
                for (Executable call : List.<Executable>of(() -> comm.allReduce(b, 1, F, SUM), comm::barrier,
                        () -> comm.broadcastAsync(b, b, 1, F, 0))) {
                    try {
                        call.execute();
                        bad.add("rank=" + comm.rank() + ": call after close succeeded");
                    } catch (InvalidUsageException e) {
                        if (!e.getMessage().contains("rank=" + comm.rank()) || !e.getMessage().contains("closed")) {
                            bad.add("message: " + e.getMessage());
                        }
                    } catch (Throwable t) {
                        bad.add("rank=" + comm.rank() + ": after close threw " + t);
                    }
                }
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    @Test
    void secondThreadFailsWhileCallsAreInFlight() {
        CountDownLatch rank1Go = new CountDownLatch(1);
        List<List<String>> failures = Jccl.runInProcess(2, config(), comm -> {
            List<String> bad = new ArrayList<>();
            try (HostBuffer b = HostBuffer.allocate(4, F); HostBuffer c = HostBuffer.allocate(4, F)) {
                b.putFloat(0, comm.rank() + 1);
                if (comm.rank() == 1) {
                    if (!rank1Go.await(20, TimeUnit.SECONDS)) {
                        throw new AssertionError("rank 0 never released rank 1");
                    }
                    comm.allReduce(b, 4, F, SUM);
                } else {
                    // in flight until rank 1 joins, which it does only after the checks below
                    CompletableFuture<Void> f = comm.allReduceAsync(b, b, 4, F, SUM);
                    for (Executable call : List.<Executable>of(() -> comm.allReduce(c, 4, F, SUM), comm::barrier,
                            () -> comm.allGatherAsync(c, c, 1, F))) {
                        Throwable t = onOtherThread(call);
                        if (!(t instanceof InvalidUsageException) || !t.getMessage().contains("rank=0")
                                || !t.getMessage().contains("in use")) {
                            bad.add("concurrent call from another thread gave " + t);
                        }
                    }
                    if (f.isDone()) {
                        bad.add("the async all-reduce finished without rank 1");
                    }
                    rank1Go.countDown();
                    f.get(20, TimeUnit.SECONDS);
                }
                if (b.getFloat(0) != 3f) {
                    bad.add("rank=" + comm.rank() + " got " + b.getFloat(0));
                }
                // the refused calls changed nothing: the next all-reduce matches on both ranks
                c.putFloat(0, 10 * (comm.rank() + 1));
                comm.allReduce(c, 4, F, SUM);
                if (c.getFloat(0) != 30f) {
                    bad.add("rank=" + comm.rank() + " next all-reduce got " + c.getFloat(0));
                }
            } finally {
                rank1Go.countDown();
            }
            return bad;
        });
        failures.forEach(f -> assertTrue(f.isEmpty(), () -> String.join("\n", f)));
    }

    private static Throwable onOtherThread(Executable call) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.execute();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "validation-test-intruder");
        t.setDaemon(true);
        t.start();
        t.join(10_000);
        if (t.isAlive()) {
            return new AssertionError("the concurrent call blocked instead of failing");
        }
        return thrown.get();
    }

    @Test
    void aPeerThatNeverCallsTimesOutWithTheOperationAndSequenceNumber() {
        CommConfig cfg = CommConfig.builder().timeoutMillis(300).build();
        CountDownLatch rank0Done = new CountDownLatch(1);
        List<Object> results = Jccl.runInProcess(2, cfg, comm -> {
            if (comm.rank() == 1) {
                // never calls; stays alive (and its transport open) until rank 0 has its answer
                return rank0Done.await(20, TimeUnit.SECONDS);
            }
            try (HostBuffer b = HostBuffer.allocate(4, F)) {
                long t0 = System.nanoTime();
                Throwable first = null;
                try {
                    comm.allReduce(b, 4, F, SUM);
                } catch (Throwable t) {
                    first = t;
                }
                long firstMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                long t1 = System.nanoTime();
                Throwable second = null;
                try {
                    comm.allReduce(b, 4, F, SUM);
                } catch (Throwable t) {
                    second = t;
                }
                long secondMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
                return new Object[] {first, firstMs, second, secondMs};
            } finally {
                rank0Done.countDown();
            }
        });
        Object[] r = (Object[]) results.get(0);
        Throwable first = (Throwable) r[0];
        long firstMs = (Long) r[1];
        assertNotNull(first, "the all-reduce without a peer returned normally");
        assertInstanceOf(CommTimeoutException.class, first, () -> "got " + first);
        assertTrue(first.getMessage().contains("all_reduce #1"), first.getMessage());
        assertTrue(first.getMessage().contains("rank=0"), first.getMessage());
        assertTrue(firstMs >= 250 && firstMs < 300 + 1_500, "timed out after " + firstMs + " ms with a 300 ms deadline");
        // the communicator is broken now: the next call fails at once instead of waiting again
        Throwable second = (Throwable) r[2];
        assertInstanceOf(JcclException.class, second, () -> "second call gave " + second);
        assertTrue((Long) r[3] < 250, "second call took " + r[3] + " ms");
        assertEquals(Boolean.TRUE, results.get(1));
    }

    /** Rank 0 calls {@code op} with a 200 ms deadline; rank 1 never does. Returns rank 0's exception. */
    private static Throwable timeoutOf(String op) {
        CountDownLatch rank0Done = new CountDownLatch(1);
        List<Throwable> r = Jccl.runInProcess(2, CommConfig.builder().timeoutMillis(200).build(), comm -> {
            if (comm.rank() == 1) {
                rank0Done.await(20, TimeUnit.SECONDS);
                return null;
            }
            try (HostBuffer b = HostBuffer.allocate(8, F)) {
                switch (op) {
                    case "all_gather": comm.allGather(b, b, 4, F); break;
                    case "reduce_scatter": comm.reduceScatter(b, b, 4, F, SUM); break;
                    case "barrier": comm.barrier(); break;
                    case "broadcast": comm.broadcast(b, 4, F, 0); break; // rank 0 is the root: it only sends
                    case "reduce": comm.reduce(b, b, 4, F, SUM, 1); break; // rank 0 is the first sender
                    default: throw new AssertionError(op);
                }
                return new AssertionError(op + " returned without its peer");
            } catch (Throwable t) {
                return t;
            } finally {
                rank0Done.countDown();
            }
        });
        return r.get(0);
    }

    @Test
    void timeoutsOfOtherCollectivesNameTheOperationAndSequenceNumber() {
        for (String op : new String[] {"all_gather", "reduce_scatter", "barrier"}) {
            Throwable t = timeoutOf(op);
            assertInstanceOf(CommTimeoutException.class, t, op);
            assertTrue(t.getMessage().contains(op + " #1") && t.getMessage().contains("rank=0"), t.getMessage());
        }
    }

    @Test
    void timeoutsWhileOnlySendingNameTheOperationAndSequenceNumber() {
        for (String op : new String[] {"broadcast", "reduce"}) {
            Throwable t = timeoutOf(op);
            assertInstanceOf(CommTimeoutException.class, t, op);
            assertTrue(t.getMessage().contains(op + " #1") && t.getMessage().contains("rank=0"), t.getMessage());
        }
    }

    @Test
    void asyncFutureCallbackMayIssueTheNextCall() {
        // A callback on an async call's future may run on the communicator's worker thread as the call
        // completes; the completed call must no longer count as in flight there.
        CountDownLatch rank1Go = new CountDownLatch(1);
        CommConfig cfg = CommConfig.builder().timeoutMillis(2_000).build();
        List<String> results = Jccl.runInProcess(2, cfg, comm -> {
            try (HostBuffer b = HostBuffer.allocate(1, F); HostBuffer c = HostBuffer.allocate(1, F)) {
                b.putFloat(0, 1);
                c.putFloat(0, 2);
                if (comm.rank() == 1) {
                    if (!rank1Go.await(20, TimeUnit.SECONDS)) {
                        throw new AssertionError("rank 0 never released rank 1");
                    }
                    try {
                        comm.allReduce(b, 1, F, SUM);
                        comm.allReduce(c, 1, F, SUM);
                    } catch (JcclException e) {
                        return "failed: " + e;
                    }
                    return "ok " + b.getFloat(0) + " " + c.getFloat(0);
                }
                CompletableFuture<Void> f = comm.allReduceAsync(b, b, 1, F, SUM);
                CompletableFuture<String> next = f.thenApply(v -> {
                    comm.allReduce(c, 1, F, SUM);
                    return "ok " + b.getFloat(0) + " " + c.getFloat(0);
                });
                rank1Go.countDown();
                try {
                    return next.get(20, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    return "failed: " + e.getCause();
                }
            } finally {
                rank1Go.countDown();
            }
        });
        assertEquals(List.of("ok 2.0 4.0", "ok 2.0 4.0"), results);
    }

    @Test
    void configRejectsOutOfRangeSettings() {
        for (Executable bad : List.<Executable>of(() -> CommConfig.builder().timeoutMillis(0).build(),
                () -> CommConfig.builder().timeoutMillis(Long.MAX_VALUE).build(), // now + it would overflow
                () -> CommConfig.builder().timeoutMillis(CommConfig.MAX_TIMEOUT_MILLIS + 1).build(),
                () -> CommConfig.builder().segmentBytes(4).build(),
                () -> CommConfig.builder().segmentBytes((64L << 20) + 1).build(),
                () -> CommConfig.builder().treeMaxBytes(-1).build(),
                () -> CommConfig.builder().algorithm(null))) {
            try {
                bad.execute();
                fail("accepted an out-of-range setting");
            } catch (InvalidUsageException e) {
                assertTrue(e.getMessage().contains("JCCL_") || e.getMessage().contains("algorithm"), e.getMessage());
            } catch (Throwable t) {
                fail("threw " + t);
            }
        }
    }
}
