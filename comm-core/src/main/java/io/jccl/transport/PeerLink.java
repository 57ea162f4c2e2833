package io.jccl.transport;

import java.nio.ByteBuffer;

/**
 * Point-to-point transfers to and from one peer on one stream: the whole interface that algorithms use. Part of
 * the transport contract of version {@value Transport#SPI_VERSION} (see {@link Transport}): every method is
 * abstract, and every transport's links implement all of them.
 *
 * <p>Sends are asynchronous and zero-copy: {@link #send} queues the bytes and returns a ticket; the bytes
 * must not change until {@link #awaitSent} for that ticket (or a later one) returns. Tickets complete in
 * order. Receives match on (seq, tag): a transfer that arrives early waits in the link's inbox.
 *
 * <p>Threading: {@code send} and {@code awaitSent} may be called from one thread at a time;
 * {@code recv} likewise. The transport's I/O threads never run algorithm code.
 */
public interface PeerLink {
    /** The peer's rank in the transport (world rank). */
    int peer();

    /**
     * Queues {@code length} bytes of {@code src} from absolute index {@code offset}, tagged {@code tag}.
     * A zero-length send is a valid message. JCCL's algorithms send one segment per call (at most 64 MiB, from one
     * {@linkplain io.jccl.buffer.HostBuffer#window window} of a host buffer of any length).
     *
     * @return a ticket for {@link #awaitSent}; tickets increase by one per send
     * @throws io.jccl.PeerFailureException if the link is broken
     */
    long send(OpHeader header, long tag, ByteBuffer src, int offset, int length);

    /**
     * Waits until every send up to and including {@code ticket} has left the caller's memory.
     *
     * @param deadlineNanos {@link System#nanoTime()} value after which to give up
     * @throws io.jccl.CommTimeoutException at the deadline
     * @throws io.jccl.PeerFailureException if the link broke
     */
    void awaitSent(long ticket, long deadlineNanos);

    /**
     * True when every send up to and including {@code ticket} has left the caller's memory; does not wait (a send
     * that failed is not sent: {@link #awaitSent} then throws its error).
     */
    boolean isSent(long ticket);

    /** The ticket of the most recent send, or 0. */
    long lastTicket();

    /**
     * After a failed operation: gives up the sends still queued on this link and waits until the transport no
     * longer reads any memory that a send was handed (every ticket sent or abandoned). A failed call runs this on
     * each of its links before it returns, so that its caller may free its buffers at once. Call it only after
     * the operation's stream was aborted: a peer still running the operation would miss the sends given up.
     *
     * @param deadlineNanos {@link System#nanoTime()} value after which to stop waiting
     * @return true when nothing is read any more; false at the deadline (a peer that stopped reading holds a
     *         queued write): the memory must then stay allocated until the transport lets it go
     */
    boolean quiesce(long deadlineNanos);

    /**
     * Waits for the transfer with {@code header.seq()} and {@code tag} from this peer and returns it.
     *
     * @throws io.jccl.CommTimeoutException at the deadline, naming the peer and the operation
     * @throws io.jccl.PeerFailureException if the link broke, or the peer's call differs from ours
     */
    Segment recv(OpHeader header, long tag, long deadlineNanos);
}
