package io.jccl.core;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a wait for a future with a deadline ({@code Future.get(timeout, unit)}) throws when it does not return, in
 * JCCL's exceptions: the task's own {@link RuntimeException} or {@link Error} as it was thrown, a timeout as a
 * {@link CommTimeoutException}, anything else as a {@link JcclException}. The caller builds its message only once
 * the wait failed:
 * <pre>{@code
 * try {
 *     FutureWait.get(f, waitMillis);
 * } catch (ExecutionException | TimeoutException | InterruptedException e) {
 *     throw FutureWait.failure(e, "rank=" + rank + " " + what, waitMillis + " ms");
 * }
 * }</pre>
 *
 * <p>Stateless; call from the thread that waited.
 */
public final class FutureWait {
    private FutureWait() {
    }

    /**
     * {@code f.get(waitMillis, TimeUnit.MILLISECONDS)}; for the future of a communicator's call, without allocating
     * (a {@code CompletableFuture}'s timed {@code get} allocates a waiter node when it has to wait), so that a
     * training step that waits for its all-reduces allocates nothing for the waits.
     */
    public static void get(CompletableFuture<?> f, long waitMillis)
            throws ExecutionException, TimeoutException, InterruptedException {
        if (f instanceof OpFuture o) {
            o.await(TimeUnit.MILLISECONDS.toNanos(waitMillis));
        } else {
            f.get(waitMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The exception to throw for {@code e}, thrown by a wait for a future.
     *
     * @param who   what was waited for, first in every message ("rank=3", "rank=0 all_reduce seq=7 ...")
     * @param limit the wait's limit in words, for a timeout's message ("1000 ms")
     * @return the task's {@link RuntimeException}; for a timeout a {@link CommTimeoutException} saying "{@code who}
     *         did not complete in {@code limit}"; else a {@link JcclException} (after an interrupt, with this
     *         thread's interrupt flag set again)
     * @throws Error the task's error, as it was thrown
     */
    public static RuntimeException failure(Exception e, String who, String limit) {
        if (e instanceof ExecutionException) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                return re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            return new JcclException(who + " failed: " + c, c);
        }
        if (e instanceof TimeoutException) {
            return new CommTimeoutException(who + " did not complete in " + limit);
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new JcclException("interrupted waiting for " + who);
        }
        return new JcclException(who + " failed: " + e, e);
    }
}
