package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Futures of async calls tell the truth, and completions can run on an executor of the caller's. */
@Timeout(60)
class FuturesTest {
    @Test
    void cancelAndExternalCompletionAreRefusedAndTheCallCompletesForReal() {
        List<Float> sums = Jccl.runInProcess(2, CommConfig.fromKnobs(), comm -> {
            try (HostBuffer b = HostBuffer.allocate(1 << 16, DataType.FLOAT32)) {
                for (int i = 0; i < 1 << 16; i++) {
                    b.putFloat(i, comm.rank() + 1);
                }
                CompletableFuture<Void> f = comm.allReduceAsync(b, b, 1 << 16, DataType.FLOAT32, ReduceOp.SUM);
                assertFalse(f.cancel(true), "a collective cannot be withdrawn once issued");
                assertFalse(f.complete(null), "only the communicator completes its future");
                assertFalse(f.completeExceptionally(new RuntimeException("no")));
                UnsupportedOperationException timeout = org.junit.jupiter.api.Assertions.assertThrows(
                        UnsupportedOperationException.class, () -> f.orTimeout(1, TimeUnit.MILLISECONDS));
                org.junit.jupiter.api.Assertions.assertTrue(timeout.getMessage().contains("get(timeout, unit)"),
                        timeout.getMessage());
                org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                        () -> f.completeOnTimeout(null, 1, TimeUnit.MILLISECONDS));
                f.thenApply(v -> v).orTimeout(30, TimeUnit.SECONDS).join(); // a dependent stage may time out
                f.join();
                assertFalse(f.isCancelled());
                assertFalse(f.isCompletedExceptionally());
                return b.getFloat((1 << 16) - 1);
            }
        });
        assertEquals(List.of(3f, 3f), sums);
    }

    @Test
    void aSlowCallbackOnTheCallersExecutorDoesNotHoldUpTheNextCall() {
        ExecutorService callbacks = Executors.newCachedThreadPool();
        try {
            CommConfig cfg = CommConfig.builder().callbackExecutor(callbacks).build();
            List<String> threads = Jccl.runInProcess(2, cfg, comm -> {
                try (HostBuffer a = HostBuffer.allocate(64, DataType.FLOAT32);
                     HostBuffer b = HostBuffer.allocate(64, DataType.FLOAT32)) {
                    CountDownLatch release = new CountDownLatch(1);
                    AtomicReference<String> ranOn = new AtomicReference<>();
                    CompletableFuture<Void> first = comm.allReduceAsync(a, a, 64, DataType.FLOAT32, ReduceOp.SUM)
                            .thenRun(() -> {
                                ranOn.set(Thread.currentThread().getName());
                                try {
                                    release.await(30, TimeUnit.SECONDS); // a slow callback
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                    // completes while the first call's callback still blocks
                    comm.allReduceAsync(b, b, 64, DataType.FLOAT32, ReduceOp.SUM).get(20, TimeUnit.SECONDS);
                    assertFalse(first.isDone());
                    release.countDown();
                    first.get(20, TimeUnit.SECONDS);
                    return ranOn.get();
                }
            });
            for (String t : threads) {
                assertTrue(!t.startsWith("jccl-comm"), "the callback ran on the worker thread: " + t);
            }
        } finally {
            callbacks.shutdownNow();
        }
    }

    @Test
    void anExecutorThatRefusesCompletesTheFutureOnTheWorkerInstead() {
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        CommConfig cfg = CommConfig.builder().callbackExecutor(dead).build();
        List<Float> sums = Jccl.runInProcess(2, cfg, comm -> {
            try (HostBuffer b = HostBuffer.allocate(4, DataType.FLOAT32)) {
                b.putFloat(0, 1f);
                comm.allReduceAsync(b, b, 4, DataType.FLOAT32, ReduceOp.SUM).get(20, TimeUnit.SECONDS);
                return b.getFloat(0);
            }
        });
        assertEquals(List.of(2f, 2f), sums);
    }

    @Test
    void closingFailsTheCallsStillQueuedAsClosed() throws Exception {
        List<io.jccl.Communicator> comms = Jccl.inProcess(2, CommConfig.builder().timeoutMillis(30_000).build());
        try (HostBuffer b = HostBuffer.allocate(4, DataType.FLOAT32)) {
            io.jccl.Communicator c = comms.get(0);
            // rank 1 never joins: the first call waits for it, the others wait in the queue
            List<CompletableFuture<Void>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) { // more than the queue's first capacity: it grows
                fs.add(c.allReduceAsync(b, b, 4, DataType.FLOAT32, ReduceOp.SUM));
            }
            c.close();
            for (int i = 1; i < fs.size(); i++) {
                java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class, fs.get(i)::get);
                assertTrue(e.getCause() instanceof io.jccl.InvalidUsageException, "call " + i + ": " + e.getCause());
                assertTrue(e.getCause().getMessage().contains("#" + (i + 1)) && e.getCause().getMessage()
                        .contains("communicator is closed"), e.getCause().getMessage());
            }
            // the call that ran fails too (its transport closed), well before its deadline
            org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> fs.get(0).get(20, TimeUnit.SECONDS));
        } finally {
            comms.get(1).close();
        }
    }

    @Test
    void futureWaitGetWaitsTimesOutAndReportsAFailureAsGetDoes() throws Exception {
        OpFuture f = OpFuture.create(null);
        org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.TimeoutException.class,
                () -> FutureWait.get(f, 20));
        Thread completer = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            f.succeed();
        });
        completer.start();
        FutureWait.get(f, 20_000); // parked until the completion unparks it
        assertTrue(f.isDone());
        completer.join();
        OpFuture failed = OpFuture.create(null);
        RuntimeException cause = new io.jccl.PeerFailureException("rank=1 gone");
        failed.fail(cause);
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> FutureWait.get(failed, 20_000));
        assertTrue(e.getCause() == cause);
        // a second thread waiting at once waits as get does
        OpFuture shared = OpFuture.create(null);
        Thread other = new Thread(() -> {
            try {
                FutureWait.get(shared, 20_000);
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        });
        other.start();
        Thread.sleep(20);
        Thread third = new Thread(shared::succeed);
        third.start();
        FutureWait.get(shared, 20_000);
        other.join(20_000);
        assertFalse(other.isAlive());
        third.join();
    }
}
