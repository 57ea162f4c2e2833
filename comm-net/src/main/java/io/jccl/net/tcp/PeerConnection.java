package io.jccl.net.tcp;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.transport.Inbox;
import io.jccl.transport.PeerLink;
import io.jccl.transport.SendTracker;
import io.netty.channel.Channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This rank's one connection to one peer, shared by every stream (communicator) between them, with what hangs off
 * it per stream: the inboxes that received DATA is routed into, the send trackers, and the links made so far. The
 * higher rank of a pair connects ({@link TcpConnections#connect}); the lower one waits for the peer's HELLO.
 *
 * <p>The first failure of the connection (lost, refused, the transport closed) is kept and fails every inbox and
 * tracker of the peer, now and created later.
 *
 * <p>Thread-safe.
 */
public final class PeerConnection {
    /** How often a wait for a connection looks whether its stream was aborted meanwhile. */
    private static final long CONNECT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final TcpConnections tcp;
    private final int peer;
    /** Completed with the channel when its handshake succeeds (or failed with why it never will). */
    private final CompletableFuture<Channel> channel = new CompletableFuture<>();
    private final ConcurrentHashMap<Long, Inbox> inboxes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, SendTracker> trackers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, PeerLink> links = new ConcurrentHashMap<>();
    private volatile RuntimeException failure;
    private boolean connecting;

    PeerConnection(TcpConnections tcp, int peer) {
        this.tcp = tcp;
        this.peer = peer;
    }

    /** The peer's world rank. */
    public int peer() {
        return peer;
    }

    /** The links made to this peer so far, by stream; {@code NettyTransport} makes each once. */
    public ConcurrentHashMap<Long, PeerLink> links() {
        return links;
    }

    /** Why this peer's connection failed, or null while it has not. */
    public RuntimeException failure() {
        return failure;
    }

    /** The inbox of {@code stream}, made on first use; failed at once when the peer or the stream already is. */
    public Inbox inbox(long stream) {
        Inbox box = inboxes.computeIfAbsent(stream, s -> new Inbox(tcp.rank(), peer, tcp.describePeer(peer)));
        RuntimeException f = failure;
        if (f != null) {
            box.fail(f);
        }
        String aborted = tcp.aborts().reason(stream);
        if (aborted != null) {
            box.fail(new PeerFailureException(aborted));
        }
        return box;
    }

    /** The inbox of {@code stream} if one was made, else null (nothing to fail). */
    Inbox existingInbox(long stream) {
        return inboxes.get(stream);
    }

    /** The send tracker of {@code stream}, made on first use; failed at once when the peer already is. */
    public SendTracker tracker(long stream) {
        SendTracker t = trackers.computeIfAbsent(stream, s -> new SendTracker());
        RuntimeException f = failure;
        if (f != null) {
            t.fail(f);
        }
        return t;
    }

    /** Fails every inbox and tracker of this peer, and the wait for its connection; the first cause is kept. */
    void fail(RuntimeException cause) {
        if (failure == null) {
            failure = cause;
        }
        inboxes.values().forEach(b -> b.fail(cause));
        trackers.values().forEach(t -> t.fail(cause));
        channel.completeExceptionally(cause);
    }

    /** Hands back, at close, the messages still waiting in this peer's inboxes. */
    void drainInboxes() {
        inboxes.values().forEach(Inbox::drain);
    }

    /** The handshake of {@code ch} succeeded: it is this peer's connection; false when there is one already. */
    boolean authenticated(Channel ch) {
        return channel.complete(ch);
    }

    /** The connection if it is up, else null. */
    public Channel connected() {
        return channel.isDone() && !channel.isCompletedExceptionally() ? channel.join() : null;
    }

    /**
     * The connection, made now if this rank is the higher of the pair, else awaited until the deadline or until
     * {@code streamId} is aborted (a peer that died before connecting never will: the abort of the others must
     * end the wait, not the deadline).
     *
     * @throws CommTimeoutException at the deadline
     * @throws PeerFailureException when the stream was aborted or the connection failed
     */
    public Channel channel(long streamId, long deadlineNanos) {
        Channel ch = connected();
        if (ch != null) {
            return ch;
        }
        int rank = tcp.rank();
        if (rank > peer) {
            synchronized (this) {
                if (!connecting) {
                    connecting = true;
                    tcp.connect(this, deadlineNanos);
                }
            }
        }
        try {
            while (true) {
                String aborted = tcp.aborts().reason(streamId);
                if (aborted != null) {
                    throw new PeerFailureException(aborted);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException();
                }
                try {
                    return channel.get(Math.min(left, CONNECT_POLL_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // look at the abort again
                }
            }
        } catch (TimeoutException e) {
            throw new CommTimeoutException("rank=" + rank + " timed out waiting for a connection "
                    + (rank > peer ? "to" : "from") + " peer=" + peer + " (" + tcp.describePeer(peer) + ")");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof JcclException je ? je
                    : new PeerFailureException("rank=" + rank + " cannot connect to peer=" + peer + " ("
                    + tcp.describePeer(peer) + "): " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JcclException("rank=" + rank + " interrupted connecting to peer=" + peer);
        }
    }
}
