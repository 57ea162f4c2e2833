package io.jccl.core;

import io.jccl.Collective;
import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.PeerFailureException;
import io.jccl.algo.OpContext;
import io.jccl.algo.PointToPoint;
import io.jccl.buffer.CommBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A communicator's point-to-point messages ({@code send}/{@code recv} and their async forms). They bypass the
 * collective sequence: they travel on the communicator's point-to-point stream ({@link OpHeader#P2P_STREAM_BIT})
 * with a sequence number made of (user tag, message number on that tag and peer), so messages on one (peer, tag)
 * match in order and a failed message fails only itself.
 *
 * <p>Threading: any thread may send or receive; the message counters and links are guarded by their own locks;
 * async messages wait on a cached pool of daemon threads.
 */
final class PointToPointEngine {
    private final CommGroup group;
    private final CommConfig config;
    private final Breakage breakage;
    private final CollectiveLinks scratch;

    private final Object lock = new Object();
    private final PeerLink[] links;
    private final OpContext.Links linkTable = this::link;
    private final Map<Long, long[]> sendCounters = new HashMap<>();
    private final Map<Long, long[]> recvCounters = new HashMap<>();
    private boolean closed;
    private ExecutorService pool;

    PointToPointEngine(CommGroup group, CommConfig config, Breakage breakage, CollectiveLinks scratch) {
        this.group = group;
        this.config = config;
        this.breakage = breakage;
        this.scratch = scratch;
        this.links = new PeerLink[group.size()];
    }

    /**
     * Sends ({@code isSend}) or receives {@code count} elements to or from {@code peer} on {@code tag}: blocking,
     * returns null once done (a send: once the transport no longer reads the buffer); else returns its future.
     *
     * @throws InvalidUsageException naming the message for bad arguments or a closed communicator
     * @throws PeerFailureException  or {@link CommTimeoutException} (blocking) naming the message when it fails
     */
    CompletableFuture<Void> message(boolean isSend, boolean blocking, CommBuffer buf, long count, DataType type,
                                    int peer, int tag) {
        int rank = group.rank();
        String what = "rank=" + rank + " " + (isSend ? "send" : "recv") + " (peer=" + peer + " tag=" + tag + ")";
        Validation.checkType(what, type);
        Validation.checkPeer(what, peer, rank, group.size());
        Validation.checkTag(what, tag);
        long bytes = Validation.bytesOf(what, count, 1, type);
        Binding b = Validation.bind(what, isSend ? "send" : "recv", buf, bytes, isSend, !isSend, 0);
        Bindings.checkElementType(what, b, type);
        OpHeader header = header(what, isSend, count, type, peer, tag);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        OpContext ctx = new OpContext(header, rank, group.size(), deadline, linkTable, scratch,
                config.segmentBytes());
        String described = what + " message #" + (header.seq() & 0xffffffffL) + " (" + count + " "
                + type.name().toLowerCase(Locale.ROOT) + ")";
        Message m = new Message(ctx, b, count, peer, deadline, described);
        return isSend ? m.send(blocking, what) : m.recv(blocking, what);
    }

    /** The message's header: unique per (peer, tag, message), the tag's messages in order. */
    private OpHeader header(String what, boolean isSend, long count, DataType type, int peer, int tag) {
        synchronized (lock) {
            if (closed) {
                throw new InvalidUsageException(what + ": communicator is closed");
            }
            breakage.check(what);
            Map<Long, long[]> counters = isSend ? sendCounters : recvCounters;
            long[] n = counters.computeIfAbsent(((long) peer << 32) | tag, k -> new long[1]);
            n[0]++;
            // never touches the collective seq
            long p2pSeq = ((long) tag << 32) | (n[0] & 0xffffffffL);
            return new OpHeader(group.p2pStream(), p2pSeq, Collective.SEND_RECV, type, null, -1,
                    isSend ? count : OpHeader.ANY_COUNT);
        }
    }

    /** One message in flight: its context, binding, staging and what its errors say. */
    private final class Message {
        private final OpContext ctx;
        private final Binding b;
        private final long count;
        private final int peer;
        private final long deadline;
        private final String described;
        private final StagingPool staging = new StagingPool();

        Message(OpContext ctx, Binding b, long count, int peer, long deadline, String described) {
            this.ctx = ctx;
            this.b = b;
            this.count = count;
            this.peer = peer;
            this.deadline = deadline;
            this.described = described;
        }

        CompletableFuture<Void> send(boolean blocking, String what) {
            long ticket;
            PeerLink link;
            try {
                link = link(peer, deadline);
                b.stageIn(staging);
                synchronized (link) {
                    ticket = PointToPoint.send(ctx, link, b.host(), count);
                }
            } catch (RuntimeException e) {
                staging.close();
                throw failure(described, e);
            }
            if (blocking) {
                try {
                    link.awaitSent(ticket, deadline);
                    return null;
                } catch (RuntimeException e) {
                    leaveFreeToCollector();
                    throw failure(described, e);
                } finally {
                    staging.close();
                }
            }
            OpFuture f = OpFuture.create(config.callbackExecutor());
            if (link.isSent(ticket)) {
                // the message left at once (a small one, or a socket or ring with room): no thread needs to wait
                staging.close();
                f.succeed();
                return f;
            }
            b.pin();
            executor(what).execute(() -> {
                try {
                    link.awaitSent(ticket, deadline);
                    f.succeed();
                } catch (Throwable t) {
                    leaveFreeToCollector();
                    f.fail(t instanceof RuntimeException re ? failure(described, re) : t);
                } finally {
                    b.unpin();
                    staging.close();
                }
            });
            return f;
        }

        /** The message may still be queued, reading the buffer: its memory goes to the collector. */
        private void leaveFreeToCollector() {
            b.leaveFreeToCollector();
            staging.leaveFreeToCollector();
        }

        CompletableFuture<Void> recv(boolean blocking, String what) {
            if (blocking) {
                receive();
                return null;
            }
            OpFuture f = OpFuture.create(config.callbackExecutor());
            b.pin();
            try {
                executor(what).execute(() -> {
                    try {
                        receive();
                        f.succeed();
                    } catch (Throwable t) {
                        f.fail(t);
                    } finally {
                        b.unpin();
                    }
                });
            } catch (RuntimeException e) {
                b.unpin();
                throw e;
            }
            return f;
        }

        private void receive() {
            try {
                PeerLink link = link(peer, deadline);
                b.stageIn(staging);
                PointToPoint.recv(ctx, link, b.host(), count);
                b.stageOut();
            } catch (RuntimeException e) {
                throw failure(described, e);
            } finally {
                staging.close();
            }
        }
    }

    /**
     * Adds the message's context to a point-to-point failure. It fails only this message: point-to-point
     * traffic has its own stream and per-message sequence numbers, so a message that failed (and any late
     * frames of it) can never be matched by a later call, and collectives are unaffected.
     */
    private static RuntimeException failure(String described, RuntimeException e) {
        if (e instanceof InvalidUsageException) {
            return e;
        }
        String msg = described + " failed: " + e.getMessage();
        if (e instanceof CommTimeoutException) {
            return new CommTimeoutException(msg);
        }
        return new PeerFailureException(msg, e);
    }

    private PeerLink link(int commRank, long deadlineNanos) {
        synchronized (links) {
            PeerLink l = links[commRank];
            if (l == null) {
                l = group.transport().link(group.worldRank(commRank), group.p2pStream(), deadlineNanos);
                links[commRank] = l;
            }
            return l;
        }
    }

    private ExecutorService executor(String what) {
        synchronized (lock) {
            if (closed) {
                throw new InvalidUsageException(what + ": communicator is closed");
            }
            if (pool == null) {
                pool = Executors.newCachedThreadPool(
                        DaemonThreads.named("jccl-p2p-comm" + group.id() + "-rank" + group.rank()));
            }
            return pool;
        }
    }

    /** Refuses further messages and stops the threads waiting for async ones. */
    void close() {
        synchronized (lock) {
            closed = true;
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }
}
