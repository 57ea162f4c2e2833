package io.jccl.core;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each way a wait for a future ends becomes the exception that JCCL's callers expect, with the caller's words. */
@Timeout(30)
class FutureWaitTest {
    private static ExecutionException failedWith(Throwable cause) {
        CompletableFuture<Void> f = CompletableFuture.failedFuture(cause);
        return assertThrows(ExecutionException.class, f::get);
    }

    @Test
    void theTasksUncheckedExceptionIsReturnedAsItWas() {
        PeerFailureException p = new PeerFailureException("rank=1 peer=0: lost");
        assertSame(p, FutureWait.failure(failedWith(p), "rank=1", "5 ms"));
    }

    @Test
    void theTasksErrorIsThrownAsItWas() {
        AssertionError err = new AssertionError("bug");
        assertSame(err, assertThrows(AssertionError.class, () -> FutureWait.failure(failedWith(err), "rank=1", "5 ms")));
    }

    @Test
    void aCheckedFailureBecomesAJcclExceptionNamingWhoAndKeepingTheCause() {
        IOException io = new IOException("disk");
        RuntimeException e = FutureWait.failure(failedWith(io), "rank=2 all_reduce seq=7", "5 ms");
        assertEquals(JcclException.class, e.getClass());
        assertSame(io, e.getCause());
        assertTrue(e.getMessage().startsWith("rank=2 all_reduce seq=7 failed: "), e.getMessage());
    }

    @Test
    void aTimeoutSaysWhatDidNotCompleteAndTheLimit() {
        RuntimeException e = FutureWait.failure(new TimeoutException(), "rank=0", "1000 ms + 10 s");
        assertInstanceOf(CommTimeoutException.class, e);
        assertEquals("rank=0 did not complete in 1000 ms + 10 s", e.getMessage());
    }

    @Test
    void anInterruptKeepsTheThreadsInterruptFlag() {
        try {
            RuntimeException e = FutureWait.failure(new InterruptedException(), "rank=3", "5 ms");
            assertEquals(JcclException.class, e.getClass());
            assertEquals("interrupted waiting for rank=3", e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted(); // clear it for the next test
        }
    }
}
