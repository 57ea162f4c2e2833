package io.jccl.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The future of an asynchronous call: only the communicator completes it, and it tells the truth. A call cannot
 * be withdrawn once issued (every rank must make the same calls, and peers may already be reading its buffers),
 * so {@link #cancel} returns false and changes nothing (to stop a job, use
 * {@link io.jccl.Communicator#abort}); {@link #complete}, {@link #completeExceptionally} and the
 * {@code obtrude} methods are refused the same way, so that no caller can mark a call done while it still runs.
 * Stages made from it ({@code thenRun}, ...) are ordinary {@link CompletableFuture}s. A timeout on the future
 * itself ({@code orTimeout}, {@code completeOnTimeout}) goes through the refused completion and does nothing: wait
 * with {@code get(timeout, unit)}, or time a dependent stage.
 *
 * <p>Completion runs on the thread that finished the call (the communicator's worker), or on the executor given
 * at construction, where dependent actions then run instead.
 */
final class OpFuture extends CompletableFuture<Void> {
    private final Executor callbacks;

    /** @param callbacks where completion and the actions attached to it run; null: on the completing thread */
    OpFuture(Executor callbacks) {
        this.callbacks = callbacks;
    }

    /** Completes normally (communicator only). */
    void succeed() {
        if (callbacks == null || !dispatch(() -> super.complete(null))) {
            super.complete(null);
        }
    }

    /** Completes with {@code failure} (communicator only). */
    void fail(Throwable failure) {
        if (callbacks == null || !dispatch(() -> super.completeExceptionally(failure))) {
            super.completeExceptionally(failure);
        }
    }

    /** Hands a completion to the executor; false when it refused (shut down, full, failing): then complete here. */
    private boolean dispatch(Runnable completion) {
        try {
            callbacks.execute(completion);
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
