package io.jccl.transport.local;

import io.jccl.InvalidUsageException;
import io.jccl.transport.HostLayout;
import io.jccl.transport.Inbox;
import io.jccl.transport.SendTracker;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared medium of an in-process job: one inbox and one send tracker per (receiver, sender, stream).
 * Create one fabric per job and one {@link LocalTransport} per rank on it.
 *
 * <p>Thread-safe.
 */
public final class LocalFabric {
    private final int size;
    private final HostLayout layout;
    private final ConcurrentHashMap<Key, Inbox> inboxes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, SendTracker> trackers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, java.util.function.Supplier<io.jccl.transport.Progress>> progress =
            new ConcurrentHashMap<>();

    private final ConcurrentHashMap<Long, RuntimeException> abortedStreams = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, RuntimeException> closedRanks = new ConcurrentHashMap<>();

    private record Key(int to, int from, long stream) {
    }

    /** @param size world size, at least 1; every rank on one host */
    public LocalFabric(int size) {
        this(size, null);
    }

    /**
     * A fabric whose transports report {@code layout} as their hosts (tests of hierarchical algorithms with fake
     * hosts; the data still moves in-process).
     *
     * @param layout the fake hosts, of {@code size} ranks; null: one host
     * @throws InvalidUsageException when the size is below 1 or the layout has another size
     */
    public LocalFabric(int size, HostLayout layout) {
        if (size < 1) {
            throw new InvalidUsageException("world size=" + size + " must be >= 1");
        }
        if (layout != null && layout.size() != size) {
            throw new InvalidUsageException("host layout of " + layout.size() + " ranks for world size=" + size);
        }
        this.size = size;
        this.layout = layout != null ? layout : HostLayout.singleHost(size);
    }

    /** The hosts the transports of this fabric report. */
    public HostLayout layout() {
        return layout;
    }

    public int size() {
        return size;
    }

    /** The transport of {@code rank} on this fabric. */
    public LocalTransport transport(int rank) {
        if (rank < 0 || rank >= size) {
            throw new InvalidUsageException("rank=" + rank + " outside world of size=" + size);
        }
        return new LocalTransport(this, rank);
    }

    Inbox inbox(int to, int from, long stream) {
        Inbox box = inboxes.computeIfAbsent(new Key(to, from, stream), k -> new Inbox(to, from, "thread rank-" + from));
        failIfAborted(stream, to, from, box, null);
        return box;
    }

    SendTracker tracker(int from, int to, long stream) {
        SendTracker t = trackers.computeIfAbsent(new Key(to, from, stream), k -> new SendTracker());
        failIfAborted(stream, to, from, null, t);
        return t;
    }

    /** A link made after its stream was aborted, or after one of its ranks closed, starts failed. */
    private void failIfAborted(long stream, int to, int from, Inbox box, SendTracker t) {
        RuntimeException cause = abortedStreams.get(stream);
        if (cause == null) {
            cause = closedRanks.get(to);
        }
        if (cause == null) {
            cause = closedRanks.get(from);
        }
        if (cause != null) {
            if (box != null) {
                box.fail(cause);
            }
            if (t != null) {
                t.fail(cause);
            }
        }
    }

    void setProgress(int rank, long stream, java.util.function.Supplier<io.jccl.transport.Progress> source) {
        progress.put(new Key(rank, rank, stream), source);
    }

    /** What rank {@code rank} reports for {@code stream}, or null if it never registered a source. */
    io.jccl.transport.Progress progress(int rank, long stream) {
        java.util.function.Supplier<io.jccl.transport.Progress> s = progress.get(new Key(rank, rank, stream));
        return s == null ? null : s.get();
    }

    /**
     * Fails every inbox and send tracker of {@code stream}, and those made later: a rank blocked sending to a rank
     * that stopped, or that links to a peer only after the abort, fails at once instead of at its deadline.
     */
    void failStream(long stream, RuntimeException cause) {
        abortedStreams.putIfAbsent(stream, cause);
        inboxes.forEach((k, box) -> {
            if (k.stream() == stream) {
                box.fail(cause);
            }
        });
        trackers.forEach((k, t) -> {
            if (k.stream() == stream) {
                t.fail(cause);
            }
        });
    }

    void failRank(int rank, RuntimeException cause) {
        closedRanks.putIfAbsent(rank, cause);
        inboxes.forEach((k, box) -> {
            if (k.to() == rank || k.from() == rank) {
                box.fail(cause);
            }
        });
        trackers.forEach((k, t) -> {
            if (k.to() == rank || k.from() == rank) {
                t.fail(cause);
            }
        });
    }
}
