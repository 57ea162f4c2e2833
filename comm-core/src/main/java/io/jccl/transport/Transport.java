package io.jccl.transport;

/**
 * Moves bytes between the ranks of one job: the world's point-to-point links, by peer and stream.
 * Implementations: {@link io.jccl.transport.local.LocalTransport} (ranks as threads of one JVM) and the
 * Netty TCP and shared-memory transport in comm-net ({@code io.jccl.net.NettyTransport}).
 *
 * <p><b>The contract, version {@value #SPI_VERSION}.</b> Every method of this interface and of {@link PeerLink} is
 * abstract and every transport implements all of them: there is no silent default. In particular a transport must
 * <ul>
 *   <li>{@link #abort}: fail the stream's waiters on this rank <em>and</em> tell every peer it can reach, so that one
 *       rank's failure stops the whole communicator instead of leaving the others to time out;</li>
 *   <li>{@link #setProgressSource} and {@link #queryProgress}: answer peers' questions of how far this rank got, and
 *       ask them, so that a timeout can say which rank is behind (a transport that cannot reach a peer leaves it out
 *       of the answers; it does not pretend);</li>
 *   <li>{@link #spiVersion}: return {@link #SPI_VERSION} as compiled against (the constant, not a computed value), so
 *       that a communicator can refuse a transport written for another version of this contract.</li>
 * </ul>
 * The version changes whenever a method is added to this interface or {@link PeerLink}, or the meaning of one
 * changes (version 2 added {@link #hostLayout}).
 *
 * <p>Threading: every method is thread-safe; {@link #link} may block until its deadline while connecting; each
 * returned link has the contract of {@link PeerLink}.
 */
public interface Transport extends AutoCloseable {
    /** The version of this contract (this interface and {@link PeerLink}) that this build of comm-core defines. */
    int SPI_VERSION = 2;

    /**
     * The version of the contract this transport implements: {@link #SPI_VERSION} as it was when the transport was
     * compiled ({@code return SPI_VERSION;}).
     */
    int spiVersion();

    /** This process's rank in the world. */
    int rank();

    /** World size. */
    int size();

    /**
     * The link to {@code peer} for {@code streamId}, connecting first if needed.
     *
     * @param deadlineNanos {@link System#nanoTime()} value after which connecting gives up
     * @throws io.jccl.InvalidUsageException if {@code peer} is this rank or outside the world
     * @throws io.jccl.CommTimeoutException if the peer cannot be reached in time
     * @throws io.jccl.PeerFailureException if the connection fails, the stream was aborted or the transport closed
     */
    PeerLink link(int peer, long streamId, long deadlineNanos);

    /**
     * Which ranks of the world share a host, known once the transport is set up (comm-net: exchanged at
     * rendezvous; in-process: one host, or the layout a test gave). Never null; its size is {@link #size()}.
     */
    HostLayout hostLayout();

    /** Where {@code peer} lives, for error messages ("10.0.0.2:41234", "thread rank-3"). */
    String describePeer(int peer);

    /**
     * What carries this rank's data, for tools and logs: "in-process", "tcp", "shm", or "shm to N peers, tcp to M"
     * when some peers share this host and others do not.
     */
    String describe();

    /**
     * Fails every inbox of {@code streamId} on this rank with {@code reason} and tells every connected peer
     * to do the same (so one rank's failure stops the whole communicator at once). Best effort, never blocks,
     * never throws. {@code reason} is the whole message (it names the rank that aborted): the transport adds no
     * prefix.
     */
    void abort(long streamId, String reason);

    /** Registers what this rank reports when a peer asks how far it got on {@code streamId}; replaces any earlier. */
    void setProgressSource(long streamId, java.util.function.Supplier<Progress> source);

    /**
     * Asks {@code peers} (world ranks) how far they got on {@code streamId}, waiting at most
     * {@code timeoutNanos}; a peer that does not answer in time (dead, frozen, unreachable) is absent, and so is
     * this rank if listed. Never throws for a peer's failure.
     */
    java.util.List<Progress> queryProgress(long streamId, int[] peers, long timeoutNanos);

    /** Closes every link; waiters on them fail with {@link io.jccl.PeerFailureException}. Idempotent. */
    @Override
    void close();
}
