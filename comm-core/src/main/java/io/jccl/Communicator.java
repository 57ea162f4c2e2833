package io.jccl;

import io.jccl.buffer.CommBuffer;
import io.jccl.transport.HostLayout;

import java.util.concurrent.CompletableFuture;

/**
 * A group of ranks that run collectives together, as an NCCL {@code ncclComm_t}, a Gloo context, an MPI
 * communicator or a torch.distributed process group.
 *
 * <h2>Calls</h2>
 * Every rank must make the same collective calls in the same order with matching arguments (type, count or
 * counts, op, root). Counts are in elements of the given {@link DataType}; a buffer must hold at least the
 * bytes its role needs (each method says how many elements). Blocks of a "v" call are packed in rank order
 * without gaps: block b starts at the sum of the counts before it. A call whose send and receive buffer are the
 * same object runs in place (each method says where the input is then). A buffer that a method reads only at
 * the root (or writes only at the root) may be {@code null} on the other ranks.
 *
 * <h2>Errors</h2>
 * {@link InvalidUsageException} for bad arguments (null, closed, read-only or too small buffers, negative
 * counts, counts arrays of the wrong length, a root or peer out of range, a size that overflows), thrown on
 * the calling thread before any data moves and naming the rank and the problem (the communicator stays usable);
 * {@link PeerFailureException} when a peer fails or calls something different (another collective, type,
 * count, op or root; for "v" calls, block sizes that disagree); {@link CommTimeoutException} past the deadline
 * ({@link CommConfig#timeoutMillis()}), which bounds every wait of an operation. After a peer failure or
 * timeout the communicator is broken and every later call fails at once: close it and create a new one.
 *
 * <h2>Threading</h2>
 * One thread at a time issues <em>collective</em> calls on a communicator. Blocking calls run on the calling
 * thread; {@code ...Async} calls run in issue order on the communicator's worker thread and complete their
 * future. While one thread has collective calls in flight (blocking or async), a collective call from another
 * thread fails with {@link InvalidUsageException} (two threads would order their calls differently on different
 * ranks and mix their data). For concurrent collectives use one communicator per thread: {@link #split} gives
 * sub-communicators that share the parent's connections, and several communicators may run collectives at the
 * same time from different threads; their data is never matched across communicators or operations (each
 * communicator has its own stream id and sequence numbers). Point-to-point calls ({@link #send}, {@link #recv})
 * may be made from any thread at any time, also while collectives are in flight: they use their own stream
 * and never consume or shift collective sequence numbers.
 *
 * <h2>Futures</h2>
 * The future of an {@code ...Async} call completes on the communicator's worker thread (the point-to-point
 * thread for {@code sendAsync}/{@code recvAsync}), so an action attached to it runs there and delays the next
 * asynchronous call; give {@link CommConfig.Builder#callbackExecutor} to run completions elsewhere. A call cannot
 * be withdrawn once issued: {@code cancel} returns false and changes nothing, and {@code complete} or
 * {@code completeExceptionally} by the caller are refused likewise; {@link #abort} stops a job.
 */
public interface Communicator extends AutoCloseable {
    /** This rank, in {@code [0, size())}. */
    int rank();

    /** Number of ranks (the world size W). */
    int size();

    /** The settings in force. */
    CommConfig config();

    // ------------------------------------------------------------------ all-reduce

    /**
     * All-reduce: every rank's {@code recv} receives the element-wise reduction of all ranks' {@code send}
     * ({@code count} elements each; reads {@code send}, writes {@code recv}). {@code send == recv} runs in place.
     * Algorithm: {@link CommConfig#algorithm()} or by size (recursive doubling, tree, halving-doubling, ring) or by
     * {@link CommConfig#costModel()}; deterministic mode
     * reduces in rank order.
     */
    void allReduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op);

    /** In-place all-reduce of {@code count} elements of {@code buf}. */
    default void allReduce(CommBuffer buf, long count, DataType type, ReduceOp op) {
        allReduce(buf, buf, count, type, op);
    }

    /** Asynchronous {@link #allReduce(CommBuffer, CommBuffer, long, DataType, ReduceOp)}. */
    CompletableFuture<Void> allReduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op);


    // ------------------------------------------------------------------ coalesced

    /**
     * All-reduce of many buffers of one type in one operation, each in place ({@code bufs[i]} holds
     * {@code counts[i]} elements), as NCCL's grouped calls or torch.distributed's {@code all_reduce_coalesced}:
     * the buffers are packed into one pooled host buffer, all-reduced once and copied back, so the per-message
     * latency is paid once rather than per buffer. Every rank must pass the same counts in the same order: a
     * fingerprint of them travels with the packed call, so ranks that differ fail with {@link PeerFailureException}
     * (a mismatched call) instead of mixing buffers.
     * Buffers: {@link io.jccl.buffer.HostBuffer} or staged (device) buffers; together at most
     * {@link io.jccl.buffer.HostBuffer#MAX_VIEW_BYTES}.
     *
     * @throws InvalidUsageException for null or closed buffers, arrays of different lengths, a negative count or a
     *                               buffer too small, before any data moves
     */
    void allReduceCoalesced(CommBuffer[] bufs, long[] counts, DataType type, ReduceOp op);

    /** Asynchronous {@link #allReduceCoalesced}: the buffers are packed before this returns, unpacked at completion. */
    CompletableFuture<Void> allReduceCoalescedAsync(CommBuffer[] bufs, long[] counts, DataType type, ReduceOp op);

    /**
     * All-gather of many buffers in one operation (ZeRO/FSDP parameter groups): {@code sends[i]} holds
     * {@code sendCounts[i]} elements, {@code recvs[i]} receives W x {@code sendCounts[i]}, block r from rank r.
     * Packed as {@link #allReduceCoalesced} is; the same errors.
     */
    void allGatherCoalesced(CommBuffer[] sends, CommBuffer[] recvs, long[] sendCounts, DataType type);

    /** Asynchronous {@link #allGatherCoalesced}. */
    CompletableFuture<Void> allGatherCoalescedAsync(CommBuffer[] sends, CommBuffer[] recvs, long[] sendCounts,
                                                    DataType type);

    /**
     * Reduce-scatter of many buffers in one operation (sharded gradients): {@code sends[i]} holds W x
     * {@code recvCounts[i]} elements, block r for rank r; {@code recvs[i]} receives the reduction of this rank's
     * block, {@code recvCounts[i]} elements. Packed as {@link #allReduceCoalesced} is; the same errors.
     */
    void reduceScatterCoalesced(CommBuffer[] sends, CommBuffer[] recvs, long[] recvCounts, DataType type, ReduceOp op);

    /** Asynchronous {@link #reduceScatterCoalesced}. */
    CompletableFuture<Void> reduceScatterCoalescedAsync(CommBuffer[] sends, CommBuffer[] recvs, long[] recvCounts,
                                                        DataType type, ReduceOp op);

    // ------------------------------------------------------------------ broadcast and reduce

    /**
     * Broadcast: the root's {@code send} ({@code count} elements) lands in every rank's {@code recv};
     * {@code send} is read only at the root (others may pass null). {@code send == recv} runs in place.
     */
    void broadcast(CommBuffer send, CommBuffer recv, long count, DataType type, int root);

    /** In-place broadcast of the root's {@code buf}. */
    default void broadcast(CommBuffer buf, long count, DataType type, int root) {
        broadcast(buf, buf, count, type, root);
    }

    /** Asynchronous {@link #broadcast(CommBuffer, CommBuffer, long, DataType, int)}. */
    CompletableFuture<Void> broadcastAsync(CommBuffer send, CommBuffer recv, long count, DataType type, int root);

    /**
     * Reduce: the root's {@code recv} ({@code count} elements) receives the reduction of all ranks' {@code send};
     * {@code recv} is written only at the root (other ranks may pass null or any buffer). {@code send == recv}
     * runs in place at the root.
     */
    void reduce(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op, int root);

    /** Asynchronous {@link #reduce}. */
    CompletableFuture<Void> reduceAsync(CommBuffer send, CommBuffer recv, long count, DataType type, ReduceOp op,
                                        int root);

    // ------------------------------------------------------------------ gather family

    /**
     * All-gather: block b of every rank's {@code recv} (elements {@code [b*sendCount, (b+1)*sendCount)}, W x
     * sendCount in all) receives rank b's {@code send} ({@code sendCount} elements). In place
     * ({@code send == recv}): each rank's input is already in its own block of {@code recv}.
     */
    void allGather(CommBuffer send, CommBuffer recv, long sendCount, DataType type);

    /** Asynchronous {@link #allGather}. */
    CompletableFuture<Void> allGatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type);

    /**
     * All-gather-v: rank b contributes {@code counts[b]} elements (its {@code send}); every rank's {@code recv}
     * (sum of counts elements) receives them packed in rank order, block b at the sum of {@code counts[0..b)}.
     * Every rank passes the same {@code counts} (length W, entries &gt;= 0, zeros allowed). In place: each
     * rank's input is already in its own block of {@code recv}. Ring algorithm.
     */
    void allGatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type);

    /** Asynchronous {@link #allGatherv}; the counts are copied before the call returns. */
    CompletableFuture<Void> allGathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type);

    /**
     * Gather: the root's {@code recv} (W x sendCount elements) receives rank b's {@code send}
     * ({@code sendCount} elements) in block b. {@code recv} is used only at the root (others may pass null).
     * In place at the root ({@code send == recv}): its input is already in its own block.
     */
    void gather(CommBuffer send, CommBuffer recv, long sendCount, DataType type, int root);

    /** Asynchronous {@link #gather}. */
    CompletableFuture<Void> gatherAsync(CommBuffer send, CommBuffer recv, long sendCount, DataType type, int root);

    /**
     * Gather-v: rank b sends {@code counts[b]} elements of its {@code send}; the root's {@code recv} (sum of
     * counts) receives them packed in rank order. Every rank passes the same {@code counts} (length W, entries
     * &gt;= 0). {@code recv} is used only at the root; in place at the root its input is already in its block.
     */
    void gatherv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root);

    /** Asynchronous {@link #gatherv}; the counts are copied before the call returns. */
    CompletableFuture<Void> gathervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root);

    /**
     * Scatter: block b of the root's {@code send} (W x recvCount elements) lands in rank b's {@code recv}
     * ({@code recvCount} elements). {@code send} is read only at the root (others may pass null). In place at
     * the root ({@code send == recv}): the root's block stays where it is in the buffer.
     */
    void scatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, int root);

    /** Asynchronous {@link #scatter}. */
    CompletableFuture<Void> scatterAsync(CommBuffer send, CommBuffer recv, long recvCount, DataType type, int root);

    /**
     * Scatter-v: block b of the root's {@code send} ({@code counts[b]} elements packed in rank order, sum of
     * counts in all) lands in rank b's {@code recv}. Every rank passes the same {@code counts}. In place at the
     * root the root's block stays where it is.
     */
    void scatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root);

    /** Asynchronous {@link #scatterv}; the counts are copied before the call returns. */
    CompletableFuture<Void> scattervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type, int root);

    // ------------------------------------------------------------------ reduce-scatter

    /**
     * Reduce-scatter: rank b's {@code recv} ({@code recvCount} elements) receives the reduction of block b of
     * all ranks' {@code send} ({@code size() x recvCount} elements). In place ({@code send == recv}): the result
     * lands in this rank's own block of the buffer and the other blocks are left unspecified.
     */
    void reduceScatter(CommBuffer send, CommBuffer recv, long recvCount, DataType type, ReduceOp op);

    /** Asynchronous {@link #reduceScatter}. */
    CompletableFuture<Void> reduceScatterAsync(CommBuffer send, CommBuffer recv, long recvCount, DataType type,
                                               ReduceOp op);

    /**
     * Reduce-scatter-v (MPI_Reduce_scatter): every rank's {@code send} holds the sum of {@code counts} elements
     * cut into blocks in rank order; rank b's {@code recv} ({@code counts[b]} elements) receives the reduction of
     * block b over all ranks. Every rank passes the same {@code counts} (zeros allowed). In place: the result
     * lands in this rank's own block of the buffer, the rest is left unspecified.
     */
    void reduceScatterv(CommBuffer send, CommBuffer recv, long[] counts, DataType type, ReduceOp op);

    /** Asynchronous {@link #reduceScatterv}; the counts are copied before the call returns. */
    CompletableFuture<Void> reduceScattervAsync(CommBuffer send, CommBuffer recv, long[] counts, DataType type,
                                                ReduceOp op);

    // ------------------------------------------------------------------ all-to-all

    /**
     * All-to-all: block p of this rank's {@code send} ({@code count} elements at {@code p*count}; W x count in
     * all) lands in block r of rank p's {@code recv}, where r is this rank. In place ({@code send == recv}) the
     * input is copied to scratch first.
     */
    void allToAll(CommBuffer send, CommBuffer recv, long count, DataType type);

    /** Asynchronous {@link #allToAll}. */
    CompletableFuture<Void> allToAllAsync(CommBuffer send, CommBuffer recv, long count, DataType type);

    /**
     * All-to-all-v: this rank sends {@code sendCounts[p]} elements (block p of {@code send}, packed in rank
     * order) to rank p and receives {@code recvCounts[p]} elements from rank p into block p of {@code recv}
     * (packed in rank order). Counts differ per rank; rank p's {@code sendCounts[r]} must equal rank r's
     * {@code recvCounts[p]} (a disagreement fails with {@link PeerFailureException} naming both), and
     * {@code sendCounts[rank()]} must equal {@code recvCounts[rank()]}. In place the input is copied to scratch.
     */
    void allToAllv(CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts, DataType type);

    /** Asynchronous {@link #allToAllv}; the counts are copied before the call returns. */
    CompletableFuture<Void> allToAllvAsync(CommBuffer send, long[] sendCounts, CommBuffer recv, long[] recvCounts,
                                           DataType type);

    // ------------------------------------------------------------------ barrier

    /** Returns once every rank has entered the barrier. */
    void barrier();

    /** Asynchronous {@link #barrier()}. */
    CompletableFuture<Void> barrierAsync();

    // ------------------------------------------------------------------ point-to-point

    /**
     * Sends {@code count} elements of {@code buf} to rank {@code peer} with user tag {@code tag} (&gt;= 0). The
     * i-th send to a peer on a tag matches that peer's i-th {@link #recv} from this rank on the tag; counts and
     * types must agree (else the receive fails with {@link PeerFailureException} naming both). Returns once the
     * data has left {@code buf}, which may be only when the peer receives it (as {@code MPI_Send} may): to
     * exchange with a peer, use {@link #sendAsync} and then {@link #recv}. A zero-count message is a message.
     * Any thread may call it, also while collectives are in flight; the order of sends to one peer on one tag
     * is the order in which the calls are made. {@code peer} must differ from {@link #rank()}.
     */
    void send(CommBuffer buf, long count, DataType type, int peer, int tag);

    /**
     * Asynchronous {@link #send}: the message is queued (its place in the tag's order fixed) before this
     * returns; the future completes when the data has left {@code buf}, which must not change until then
     * (completion also waits for earlier sends to the same peer).
     */
    CompletableFuture<Void> sendAsync(CommBuffer buf, long count, DataType type, int peer, int tag);

    /**
     * Receives the next message from rank {@code peer} on user tag {@code tag} into {@code buf} ({@code count}
     * elements, which must equal the sender's count). Any thread may call it.
     */
    void recv(CommBuffer buf, long count, DataType type, int peer, int tag);

    /**
     * Asynchronous {@link #recv}: its place in the tag's order is fixed before this returns; the future
     * completes when the data is in {@code buf}. Each outstanding async receive holds a pooled thread.
     */
    CompletableFuture<Void> recvAsync(CommBuffer buf, long count, DataType type, int peer, int tag);

    // ------------------------------------------------------------------ communicators

    /**
     * Splits this communicator (MPI_Comm_split): a collective call over this communicator. Ranks that pass the
     * same {@code color} (&gt;= 0) form one new communicator, ranked by ({@code key}, rank in this communicator);
     * a negative color (MPI_UNDEFINED) joins none and gets {@code null}. The new communicator has a
     * deterministic 64-bit id derived from (this id, number of this split, color), shares this communicator's
     * connections and settings, and may run collectives concurrently with this one from another thread.
     * Closing it does not close the connections; closing the world communicator (which owns them) breaks it.
     *
     * @return the new communicator of this rank, or null for a negative color
     */
    Communicator split(int color, int key);

    /**
     * As {@link #split(int, int)}, with the new communicator's settings given (as {@code ncclCommSplit}'s config):
     * for example another all-reduce algorithm. Every rank that joins the new communicator must pass equal
     * settings: ranks running different algorithms do not match each other's messages and fail at the deadline.
     *
     * @param config the new communicator's settings (not null)
     */
    Communicator split(int color, int key, CommConfig config);

    /**
     * The algorithm that ran the most recent completed collective ("ring", "tree", "hd", "halving",
     * "binomial", "ring-chain", "deterministic", "linear", "pairwise", "dissemination"), or "" before the
     * first. Point-to-point calls do not change it.
     */
    String lastAlgorithm();

    /**
     * What carries this rank's data to the other ranks of the world: "in-process" (ranks as threads), "tcp", "shm" (shared memory
     * with every peer), or "shm to N peers, tcp to M" (peers on this host and on others); where TCP is used, followed by how
     * it runs, e.g. "tcp (epoll, ranks read 200 us)" or "tcp (nio, tls)". For tools and logs.
     */
    String transportDescription();

    /**
     * Which ranks of this communicator share a host: as the rendezvous found them from each rank's host identity
     * (hostname and boot id, or {@code JCCL_HOST_ID}), or one host for ranks as threads unless the test that made them
     * gave a layout. A communicator made by {@code split} sees its members' hosts, numbered by its own ranks. Tools
     * use it to predict with two link classes ({@code io.jccl.algo.select.HostCosts}). Thread-safe; never null.
     */
    HostLayout hostLayout();

    /**
     * Breaks this communicator on purpose, from any thread: every operation in flight on this rank fails, every
     * other rank's operations on this communicator fail with {@link PeerFailureException} carrying
     * {@code reason} and this rank, and later calls fail at once. Use it when one rank knows the job cannot go
     * on (a failed data load, a NaN loss) so that no rank waits for its deadline.
     */
    void abort(String reason);

    /**
     * Releases this rank's resources (and the transport, for the world communicator). Calls in flight fail;
     * later calls throw {@link InvalidUsageException}. Idempotent.
     */
    @Override
    void close();
}
