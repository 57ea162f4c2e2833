package io.jccl.transport;

/**
 * A small key-value store that the ranks of a job share during rendezvous (as torch.distributed's Store):
 * rank 0 serves it, every rank connects. Values are bytes; keys are strings.
 *
 * <p>Thread-safe.
 */
public interface Store extends AutoCloseable {
    /** Sets {@code key} to {@code value}, waking every {@link #get} waiting for it. */
    void set(String key, byte[] value);

    /**
     * The value of {@code key}, waiting until some rank sets it.
     *
     * @throws io.jccl.CommTimeoutException naming the key at the deadline
     */
    byte[] get(String key, long deadlineNanos);

    /** Adds {@code delta} to the counter {@code key} (absent counts as 0) and returns the new value. */
    long add(String key, long delta);

    @Override
    void close();
}
