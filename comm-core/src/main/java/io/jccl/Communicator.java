package io.jccl;

import io.jccl.buffer.CommBuffer;

import java.util.concurrent.CompletableFuture;

/**
 * A group of ranks that run collectives together, as an NCCL {@code ncclComm_t}, a Gloo context or a
 * torch.distributed process group.
 *
 * <h2>Calls</h2>
 * Every rank must make the same calls in the same order with matching arguments (type, count, op,
 * root). Counts are in elements of the given {@link DataType}; buffers must hold at least
 * {@code count x type.bytes()} bytes (all-gather: {@code size() x count} in the receive buffer;
 * reduce-scatter: {@code size() x count} in the send buffer). A call whose send and receive buffer are the
 * same object runs in place.
 *
 * <h2>Errors</h2>
 * {@link InvalidUsageException} for bad arguments, thrown before any data moves (the communicator stays
 * usable); {@link PeerFailureException} when a peer fails or calls something different;
 * {@link CommTimeoutException} past the deadline ({@link CommConfig#timeoutMillis()}). After a peer failure
 * or timeout the communicator is broken and every later call fails at once.
 *
 * <h2>Threading</h2>
 * One thread at a time issues calls on a communicator. Blocking calls run on the calling thread;
 * {@code ...Async} calls run in issue order on the communicator's worker thread and complete their
 * future. While a thread has calls in flight, a call from another thread fails with
 * {@link InvalidUsageException} (two threads would order their calls differently on different ranks).
 * Use one communicator per thread (for example from {@code split}) for concurrent collectives.
 */
public interface Communicator extends AutoCloseable {
    /** This rank, in {@code [0, size())}. */
    int rank();

    /** Number of ranks (the world size W). */
    int size();

    /** The settings in force. */
    CommConfig config();

    /**
     * All-reduce: every rank's {@code recv} receives the element-wise reduction of all ranks' {@code send}
     * ({@code count} elements). {@code send == recv} runs in place.
     */
    void allReduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op);

    /** In-place all-reduce of {@code count} elements of {@code buf}. */
    default void allReduce(CommBuffer buf, long count, DataType type, ReduceOp op) {
        allReduce(buf, buf, count, type, op);
    }

    /** Asynchronous {@link #allReduce(CommBuffer, CommBuffer, long, DataType, ReduceOp)}. */
    CompletableFuture<Void> allReduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op);

    /**
     * Broadcast: the root's {@code send} ({@code count} elements) lands in every rank's {@code recv};
     * {@code send} is read only at the root. {@code send == recv} runs in place.
     */
    void broadcast(CommBuffer send, CommBuffer recv, long count, DataType type, int root);

    /** In-place broadcast of the root's {@code buf}. */
    default void broadcast(CommBuffer buf, long count, DataType type, int root) {
        broadcast(buf, buf, count, type, root);
    }

    CompletableFuture<Void> broadcastAsync(CommBuffer send, CommBuffer recv, long count, DataType type, int root);

    /**
     * Reduce: the root's {@code recv} receives the reduction of all ranks' {@code send}; {@code recv} is
     * written only at the root (other ranks may pass {@code send} or any buffer).
     */
    void reduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root);

    CompletableFuture<Void> reduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op,
                                        int root);

    /**
     * All-gather: block b of every rank's {@code recv} (elements {@code [b*sendCount, (b+1)*sendCount)})
     * receives rank b's {@code send}. In place ({@code send == recv}): each rank's input is already in its
     * own block of {@code recv}.
     */
    void allGather(CommBuffer send, CommBuffer recv, long sendCount, DataType type);

    CompletableFuture<Void> allGatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type);

    /**
     * Reduce-scatter: rank b's {@code recv} ({@code recvCount} elements) receives the reduction of block b
     * of all ranks' {@code send} ({@code size() x recvCount} elements). In place ({@code send == recv}): the
     * result lands in this rank's own block of the buffer.
     */
    void reduceScatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, ReduceOp op);

    CompletableFuture<Void> reduceScatterAsync(CommBuffer send, CommBuffer recv, long recvCount, DataType type,
                                               ReduceOp op);

    /** Returns once every rank has entered the barrier. */
    void barrier();

    CompletableFuture<Void> barrierAsync();

    /**
     * The algorithm that ran the most recent completed operation ("ring", "tree", "ring-chain",
     * "dissemination", ...), or "" before the first.
     */
    String lastAlgorithm();

    /**
     * Releases this rank's resources. Calls in flight fail; later calls throw
     * {@link InvalidUsageException}. Idempotent.
     */
    @Override
    void close();

}
