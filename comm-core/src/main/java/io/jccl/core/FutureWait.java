package io.jccl.core;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A wait for a future with a deadline that turns every way it can end into JCCL's exceptions: the task's own
 * {@link RuntimeException} or {@link Error} as it was thrown, any other failure as a {@link JcclException}.
 *
 * <p>Stateless; call from any thread.
 */
public final class FutureWait {
    private FutureWait() {
    }

    /**
     * Waits up to {@code timeoutNanos} for {@code f} and returns its value.
     *
     * @param who   what is waited for, first in every message ("rank=3", "rank=0 all_reduce seq=7 ...")
     * @param limit the limit in words for the timeout's message ("1000 ms")
     * @throws CommTimeoutException "{@code who} did not complete in {@code limit}" when the time runs out
     * @throws JcclException        when the task failed with a checked exception, or this thread was interrupted
     *                              (its interrupt flag is set again)
     */
    public static <T> T get(Future<T> f, long timeoutNanos, String who, String limit) {
        try {
            return f.get(Math.max(1, timeoutNanos), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new JcclException(who + " failed: " + c, c);
        } catch (TimeoutException e) {
            throw new CommTimeoutException(who + " did not complete in " + limit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JcclException("interrupted waiting for " + who);
        }
    }
}
