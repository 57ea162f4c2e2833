package io.jccl.transport;

/**
 * Moves bytes between the ranks of one job: the world's point-to-point links, by peer and stream.
 * Implementations: {@link io.jccl.transport.local.LocalTransport} (ranks as threads of one JVM) and the
 * Netty TCP transport in comm-net.
 *
 * <p>Threading: {@link #link} is thread-safe; each returned link has the contract of {@link PeerLink}.
 */
public interface Transport extends AutoCloseable {
    /** This process's rank in the world. */
    int rank();

    /** World size. */
    int size();

    /**
     * The link to {@code peer} for {@code streamId}, connecting first if needed.
     *
     * @param deadlineNanos {@link System#nanoTime()} value after which connecting gives up
     * @throws io.jccl.CommTimeoutException if the peer cannot be reached in time
     * @throws io.jccl.PeerFailureException if the connection fails
     */
    PeerLink link(int peer, long streamId, long deadlineNanos);

    /** Where {@code peer} lives, for error messages ("10.0.0.2:41234", "thread rank-3"). */
    String describePeer(int peer);

    /**
     * What carries this rank's data, for tools and logs: "in-process", "tcp", "shm", or "shm to N peers, tcp to M"
     * when some peers share this host and others do not.
     */
    String describe();

    /**
     * Fails every inbox of {@code streamId} on this rank with {@code reason} and tells every connected peer
     * to do the same (so one rank's failure stops the whole communicator at once). Best effort, never blocks.
     * {@code reason} is the whole message (it names the rank that aborted): the transport adds no prefix.
     */
    default void abort(long streamId, String reason) {
    }

    /** Registers what this rank reports when a peer asks how far it got on {@code streamId}. */
    default void setProgressSource(long streamId, java.util.function.Supplier<Progress> source) {
    }

    /**
     * Asks {@code peers} (world ranks) how far they got on {@code streamId}, waiting at most
     * {@code timeoutNanos}; a peer that does not answer in time (dead, frozen, unreachable) is absent.
     */
    default java.util.List<Progress> queryProgress(long streamId, int[] peers, long timeoutNanos) {
        return java.util.List.of();
    }

    /** Closes every link; waiters on them fail with {@link io.jccl.PeerFailureException}. Idempotent. */
    @Override
    void close();
}
