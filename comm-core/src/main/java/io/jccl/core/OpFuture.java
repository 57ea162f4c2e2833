package io.jccl.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.locks.LockSupport;

/**
 * The future of an asynchronous call: only the communicator completes it, and it tells the truth. A call cannot
 * be withdrawn once issued (every rank must make the same calls, and peers may already be reading its buffers),
 * so {@link #cancel} returns false and changes nothing (to stop a job, use
 * {@link io.jccl.Communicator#abort}); {@link #complete}, {@link #completeExceptionally} and the
 * {@code obtrude} methods are refused the same way, so that no caller can mark a call done while it still runs.
 * Stages made from it ({@code thenRun}, ...) are ordinary {@link CompletableFuture}s. A timeout on the future
 * itself ({@code orTimeout}, {@code completeOnTimeout}) would have to complete it early, so it throws
 * {@link UnsupportedOperationException} rather than do nothing: wait with {@code get(timeout, unit)}, or time a
 * dependent stage ({@code f.thenApply(v -> v).orTimeout(...)}); the call itself ends by the communicator's deadline.
 *
 * <p>Completion runs on the thread that finished the call (the communicator's worker), or on the executor given
 * at construction, where dependent actions then run instead.
 *
 * <p>{@link #await} waits as {@code get(timeout, unit)} does but allocates nothing (the {@code get} of a
 * {@code CompletableFuture} that is not done yet allocates a waiter node): the communicator's own waits and
 * {@link FutureWait#get} use it, one thread at a time; a second thread waiting at once falls back to {@code get}.
 */
class OpFuture extends CompletableFuture<Void> {
    private static final AtomicReferenceFieldUpdater<OpFuture, Thread> WAITER =
            AtomicReferenceFieldUpdater.newUpdater(OpFuture.class, Thread.class, "waiter");

    /** The thread in {@link #await}, unparked on completion; null when none. */
    private volatile Thread waiter;

    private OpFuture() {
    }

    /**
     * A future completed on the thread that completes the call, or, with {@code callbacks}, on that executor (a
     * subclass: the common future has no field for it).
     *
     * @param callbacks where completion and the actions attached to it run; null: on the completing thread
     */
    static OpFuture create(Executor callbacks) {
        return callbacks == null ? new OpFuture() : new Dispatched(callbacks);
    }

    /** Where completion runs; null: on the completing thread. */
    Executor callbacks() {
        return null;
    }

    /** The future of {@link #create} with an executor. */
    private static final class Dispatched extends OpFuture {
        private final Executor callbacks;

        Dispatched(Executor callbacks) {
            this.callbacks = callbacks;
        }

        @Override
        Executor callbacks() {
            return callbacks;
        }
    }

    /** Completes normally (communicator only). */
    void succeed() {
        if (callbacks() == null || !dispatch(this::succeedHere)) {
            succeedHere();
        }
    }

    /** Completes with {@code failure} (communicator only). */
    void fail(Throwable failure) {
        if (callbacks() == null || !dispatch(() -> failHere(failure))) {
            failHere(failure);
        }
    }

    private void succeedHere() {
        super.complete(null);
        wakeWaiter();
    }

    private void failHere(Throwable failure) {
        super.completeExceptionally(failure);
        wakeWaiter();
    }

    /** After completion (the result is published): unparks the thread in {@link #await}, if any. */
    private void wakeWaiter() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /**
     * As {@code get(timeoutNanos, NANOSECONDS)}, without allocating while the call completes normally in time.
     *
     * @throws ExecutionException   the call failed (its exception is the cause)
     * @throws TimeoutException     it did not complete in {@code timeoutNanos}
     * @throws InterruptedException this thread was interrupted while waiting
     */
    void await(long timeoutNanos) throws ExecutionException, TimeoutException, InterruptedException {
        if (!isDone()) {
            Thread me = Thread.currentThread();
            if (!WAITER.compareAndSet(this, null, me)) {
                get(timeoutNanos, TimeUnit.NANOSECONDS); // another thread waits already
                return;
            }
            try {
                long start = System.nanoTime();
                // the waiter is published before isDone is read again: a completion either sees it or came first
                while (!isDone()) {
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    long left = timeoutNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        throw new TimeoutException();
                    }
                    LockSupport.parkNanos(this, left);
                }
            } finally {
                waiter = null;
            }
        }
        get(); // done: returns or throws at once, allocating nothing when it succeeded
    }

    /** Hands a completion to the executor; false when it refused (shut down, full, failing): then complete here. */
    private boolean dispatch(Runnable completion) {
        try {
            callbacks().execute(completion);
            return true;
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(OpFuture.class).warn("the callback executor refused a completion ({});"
                    + " completing on {}", e.toString(), Thread.currentThread().getName());
            return false;
        }
    }

    /** Refused: a collective cannot be cancelled once issued. Returns false and changes nothing. */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return false;
    }

    /** Refused: only the communicator completes the call. Returns false and changes nothing. */
    @Override
    public boolean complete(Void value) {
        return false;
    }

    /** Refused: only the communicator completes the call. Returns false and changes nothing. */
    @Override
    public boolean completeExceptionally(Throwable ex) {
        return false;
    }

    /** Refused (it would complete the call early): wait with {@code get(timeout, unit)}, or time a dependent stage. */
    @Override
    public CompletableFuture<Void> orTimeout(long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException(TIMEOUT_REFUSED);
    }

    /** Refused (it would complete the call early): wait with {@code get(timeout, unit)}, or time a dependent stage. */
    @Override
    public CompletableFuture<Void> completeOnTimeout(Void value, long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException(TIMEOUT_REFUSED);
    }

    private static final String TIMEOUT_REFUSED = "a collective's future cannot time out by itself (the call goes on"
            + " until the communicator's deadline, JCCL_TIMEOUT_MS): wait with get(timeout, unit), or time a dependent"
            + " stage: f.thenApply(v -> v).orTimeout(...)";

    /** Refused: only the communicator completes the call. */
    @Override
    public void obtrudeValue(Void value) {
        throw new UnsupportedOperationException("only the communicator completes a call's future");
    }

    /** Refused: only the communicator completes the call. */
    @Override
    public void obtrudeException(Throwable ex) {
        throw new UnsupportedOperationException("only the communicator completes a call's future");
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
